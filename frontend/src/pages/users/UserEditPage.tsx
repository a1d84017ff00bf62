import { useState, type FormEvent } from 'react';
import { useCanEdit } from '../../api/viewer';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { EnabledBadge } from '../../components/badges';
import { CheckboxField, FormSection, SelectField, TextField } from '../../components/fields';
import { ErrorState, FormErrorSummary, Loading, PageHeader } from '../../components/states';
import {
  ActivateUserDocument,
  CreateUserDocument,
  DeactivateUserDocument,
  UpdateUserProfileDocument,
  UserDocument,
  type ProfileFieldInfoFragment,
  type UserProfileFragment,
} from '../../gql/graphql';
import { useProfileFields } from '../../hooks/useProfileFields';
import { useUnsavedChangesGuard } from '../../hooks/useUnsavedChangesGuard';
import { formErrorsOf, noErrors, rowErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { nodesOf } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { builtinKeys, createUserInput, draftFromUser, fieldGroups, isUserDirty, updateUserInput, userTitle, type BuiltinKey, type UserDraft } from './userForm';

export default function UserEditPage() {
  const { id } = useParams();
  if (id === undefined) return <UserEditor key="new" user={null} />;
  return <ExistingUser id={id} />;
}

function ExistingUser({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: UserDocument, variables: { id } });
  if (error && !data) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (fetching && !data) return <Loading what="Loading user" />;
  const [node] = nodesOf(data?.users);
  if (!node) {
    return (
      <>
        <PageHeader title="User not found" />
        <p>
          There is no user with ID <code>{id}</code>. <Link to="/users">Back to the users</Link>.
        </p>
      </>
    );
  }
  return <UserEditor key={node.id} user={node} />;
}

function inputType(field: ProfileFieldInfoFragment | undefined): 'text' | 'email' | 'url' | 'date' {
  switch (field?.type) {
    case 'EMAIL':
      return 'email';
    case 'URL':
      return 'url';
    case 'DATE':
      return 'date';
    default:
      return 'text';
  }
}

function CustomFieldInput({ field, value, onChange, error }: { field: ProfileFieldInfoFragment; value: string; onChange: (v: string) => void; error?: string | undefined }) {
  const label = `${field.label}`;
  if (field.type === 'BOOLEAN') {
    return (
      <SelectField
        label={label}
        value={value}
        onChange={onChange}
        error={error}
        options={[
          { value: '', label: 'Not set' },
          { value: 'true', label: 'Yes' },
          { value: 'false', label: 'No' },
        ]}
      />
    );
  }
  if (field.type === 'SELECT') {
    const options = [{ value: '', label: 'Not set' }, ...field.options.map((o) => ({ value: o, label: o }))];
    if (value !== '' && !field.options.includes(value)) options.push({ value, label: `${value} (no longer an option)` });
    return <SelectField label={label} value={value} onChange={onChange} error={error} options={options} />;
  }
  return (
    <TextField
      label={label}
      value={value}
      onChange={onChange}
      error={error}
      type={inputType(field)}
      inputMode={field.type === 'NUMBER' ? 'decimal' : undefined}
    />
  );
}

function UserEditor({ user }: { user: UserProfileFragment | null }) {
  const navigate = useNavigate();
  const [current, setCurrent] = useState(user);
  const [initial, setInitial] = useState<UserDraft>(() => draftFromUser(user));
  const [draft, setDraft] = useState<UserDraft>(initial);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [sentCustomKeys, setSentCustomKeys] = useState<string[]>([]);
  const [saved, setSaved] = useState('');
  const { fields, error: fieldsError, refetch: refetchFields } = useProfileFields();
  const [createState, create] = useMutation(CreateUserDocument);
  const [updateState, update] = useMutation(UpdateUserProfileDocument);
  const [activateState, activate] = useMutation(ActivateUserDocument);
  const [deactivateState, deactivate] = useMutation(DeactivateUserDocument);
  const saving = createState.fetching || updateState.fetching;
  const dirty = isUserDirty(initial, draft);
  const allowLeave = useUnsavedChangesGuard(dirty);

  const byKey = new Map(fields.map((f) => [f.key, f]));
  const customFields = fields.filter((f) => f.custom);

  function setBuiltin(key: BuiltinKey, value: string) {
    setDraft((d) => ({ ...d, builtin: { ...d.builtin, [key]: value } }));
  }
  function setCustom(key: string, value: string) {
    setDraft((d) => ({ ...d, custom: { ...d.custom, [key]: value } }));
  }

  function loaded(next: UserProfileFragment) {
    const nextDraft = draftFromUser(next);
    setCurrent(next);
    setInitial(nextDraft);
    setDraft(nextDraft);
    setErrors(noErrors);
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved('');
    if (current === null) {
      const { input, customKeys } = createUserInput(draft);
      setSentCustomKeys(customKeys);
      const result = await create({ input });
      const created = result.data?.createUser;
      if (result.error || !created) {
        setErrors(formErrorsOf(result.error));
        return;
      }
      allowLeave();
      navigate(`/users/${created.id}`, { replace: true });
      return;
    }
    const { input, customKeys } = updateUserInput(initial, draft);
    setSentCustomKeys(customKeys);
    const result = await update({ id: current.id, input });
    const updated = result.data?.updateUserProfile;
    if (result.error || !updated) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    loaded(updated);
    setSaved(`Saved at ${formatTime(updated.updatedAt)}.`);
  }

  async function toggleActive() {
    if (!current) return;
    const verb = current.active ? 'Deactivate' : 'Activate';
    if (!window.confirm(`${verb} ${userTitle(current)}? Webhooks subscribed to Activate/Deactivate User are notified.`)) return;
    let next: UserProfileFragment | undefined;
    let error: Parameters<typeof formErrorsOf>[0];
    if (current.active) {
      const result = await deactivate({ id: current.id });
      next = result.data?.deactivateUser;
      error = result.error;
    } else {
      const result = await activate({ id: current.id });
      next = result.data?.activateUser;
      error = result.error;
    }
    if (error || !next) {
      setErrors(formErrorsOf(error));
      return;
    }
    // Keep unsaved edits; only the active flag and timestamps change.
    setCurrent(next);
    setSaved(`${next.active ? 'Activated' : 'Deactivated'} at ${formatTime(next.updatedAt)}.`);
  }

  const f = errors.fields;
  const custom = rowErrors(f, 'customFields', sentCustomKeys);
  const unclaimed = unclaimedFieldErrors(f, (p) => (builtinKeys as readonly string[]).includes(p) || p === 'active' || p.startsWith('customFields'));
  const customListErrors = [custom.listError, ...Object.entries(custom.byRow).flatMap(([key, e]) => (customFields.some((c) => c.key === `custom.${key}`) ? [] : Object.values(e)))].filter(
    (m): m is string => Boolean(m),
  );
  const toggling = activateState.fetching || deactivateState.fetching;
  const canEdit = useCanEdit();

  return (
    <>
      <p className="breadcrumb">
        <Link to="/users">Users</Link> / {current ? userTitle(current) : 'New'}
      </p>
      <PageHeader
        title={current ? userTitle(current) : 'New user'}
        description={current ? <span className="mono">{current.id}</span> : 'Creating a user fires Create User to the subscribed webhooks.'}
        actions={
          current ? (
            <>
              <EnabledBadge enabled={current.active} onLabel="Active" offLabel="Inactive" />
              {canEdit ? (
                <button type="button" onClick={toggleActive} disabled={toggling}>
                  {current.active ? 'Deactivate' : 'Activate'}
                </button>
              ) : null}
            </>
          ) : null
        }
      />
      {fieldsError ? <ErrorState error={fieldsError} retry={() => refetchFields({ requestPolicy: 'network-only' })} /> : null}
      <form className="card" onSubmit={save} noValidate aria-label={current ? `Edit ${userTitle(current)}` : 'New user'}>
        <FormErrorSummary messages={[...errors.form, ...unclaimed, ...customListErrors]} />
        <fieldset disabled={!canEdit}>
        {fieldGroups.map((group) => (
          <FormSection key={group.title} title={group.title} description={group.description}>
            <div className="field-grid">
              {group.keys.map((key) => {
                const field = byKey.get(key);
                return (
                  <TextField
                    key={key}
                    label={field?.label ?? key}
                    type={inputType(field)}
                    value={draft.builtin[key]}
                    onChange={(v) => setBuiltin(key, v)}
                    error={f[key]}
                    autoComplete="off"
                  />
                );
              })}
            </div>
          </FormSection>
        ))}
        <FormSection title="Custom fields" description={<Link to="/fields">Manage custom fields</Link>}>
          {customFields.length === 0 ? <p className="muted">No custom fields are defined.</p> : null}
          <div className="field-grid">
            {customFields.map((field) => {
              const key = field.key.replace(/^custom\./, '');
              const e = custom.byRow[key];
              return <CustomFieldInput key={field.key} field={field} value={draft.custom[key] ?? ''} onChange={(v) => setCustom(key, v)} error={e?.['value'] ?? e?.['row'] ?? e?.['key']} />;
            })}
          </div>
        </FormSection>
        {current === null ? (
          <FormSection title="Status">
            <CheckboxField label="Active" checked={draft.active} onChange={(active) => setDraft((d) => ({ ...d, active }))} />
          </FormSection>
        ) : null}
        </fieldset>
        <div className="form-actions">
          <span role="status" className="muted" style={{ marginRight: 'auto', alignSelf: 'center' }}>
            {saving ? 'Saving…' : dirty ? 'Unsaved changes' : saved}
          </span>
          <Link className="button" to="/users">
            Cancel
          </Link>
          {canEdit ? (
            <button type="submit" className="primary" disabled={saving || (current !== null && !dirty)}>
              {current ? 'Save changes' : 'Create user'}
            </button>
          ) : null}
        </div>
      </form>
    </>
  );
}
