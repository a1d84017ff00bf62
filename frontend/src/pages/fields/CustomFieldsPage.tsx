import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useCanEdit } from '../../api/viewer';
import { useMutation, useQuery } from 'urql';
import { FormSection, SelectField, TextAreaField, TextField } from '../../components/fields';
import { EmptyState, ErrorState, FormErrorSummary, Loading, PageHeader } from '../../components/states';
import {
  CreateCustomFieldDocument,
  CustomFieldsDocument,
  DeleteCustomFieldDocument,
  UpdateCustomFieldDocument,
  type CustomFieldDetailFragment,
  type ProfileFieldType,
} from '../../gql/graphql';
import { useUnsavedChangesGuard } from '../../hooks/useUnsavedChangesGuard';
import { errorMessage, formErrorsOf, noErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { nodesOf } from '../../lib/relay';

const context = { additionalTypenames: ['CustomProfileField'] };

// DATETIME exists in the schema's enum but the server refuses it for custom fields.
const typeOptions: ReadonlyArray<{ value: ProfileFieldType; label: string }> = [
  { value: 'TEXT', label: 'Text' },
  { value: 'NUMBER', label: 'Number' },
  { value: 'BOOLEAN', label: 'Yes/no' },
  { value: 'DATE', label: 'Date' },
  { value: 'EMAIL', label: 'Email' },
  { value: 'URL', label: 'URL' },
  { value: 'SELECT', label: 'Choice from a list' },
];

function typeLabel(type: ProfileFieldType): string {
  return typeOptions.find((t) => t.value === type)?.label ?? type;
}

/** One option per line, trimmed, without empty lines. */
export function parseOptions(text: string): string[] {
  return text
    .split('\n')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}

/** Tells the page which of its forms have unsaved changes; the page guards them all with one blocker. */
type ReportDirty = (form: string, dirty: boolean) => void;

function useReportDirty(report: ReportDirty, form: string, dirty: boolean) {
  useEffect(() => {
    report(form, dirty);
    return () => report(form, false);
  }, [report, form, dirty]);
}

function optionErrors(fields: Readonly<Record<string, string>>): string | undefined {
  return fields['options'] ?? Object.entries(fields).find(([p]) => p.startsWith('options['))?.[1];
}

function NewFieldForm({ reportDirty }: { reportDirty: ReportDirty }) {
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [type, setType] = useState<ProfileFieldType>('TEXT');
  const [options, setOptions] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [done, setDone] = useState('');
  const [state, create] = useMutation(CreateCustomFieldDocument);
  useReportDirty(reportDirty, 'new', key !== '' || label !== '' || options !== '');

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    const result = await create(
      { input: { key: key.trim(), label: label.trim(), type, options: type === 'SELECT' ? parseOptions(options) : null } },
      context,
    );
    const created = result.data?.createCustomProfileField;
    if (result.error || !created) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    setErrors(noErrors);
    setKey('');
    setLabel('');
    setOptions('');
    setType('TEXT');
    setDone(`Created ${created.label} (custom.${created.key}).`);
  }

  const f = errors.fields;
  return (
    <form className="card" onSubmit={submit} noValidate aria-label="New custom field">
      <FormSection title="New custom field" description="Mappings name it custom.<key>. The key cannot change later.">
        <FormErrorSummary messages={[...errors.form, ...unclaimedFieldErrors(f, (p) => ['key', 'label', 'type'].includes(p) || p.startsWith('options'))]} />
        <div className="field-grid">
          <TextField label="Key" value={key} onChange={setKey} error={f['key']} hint="Lower camel case: badgeNumber." required />
          <TextField label="Label" value={label} onChange={setLabel} error={f['label']} required />
          <SelectField label="Type" value={type} onChange={setType} options={typeOptions} error={f['type']} />
        </div>
        {type === 'SELECT' ? <TextAreaField label="Options" hint="One per line, in display order." value={options} onChange={setOptions} error={optionErrors(f)} /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={state.fetching}>
            {state.fetching ? 'Creating…' : 'Create field'}
          </button>
          <span role="status">{done}</span>
        </div>
      </FormSection>
    </form>
  );
}

function FieldRow({ field, reportDirty }: { field: CustomFieldDetailFragment; reportDirty: ReportDirty }) {
  const canEdit = useCanEdit();
  const [editing, setEditing] = useState(false);
  const [label, setLabel] = useState(field.label);
  const [options, setOptions] = useState((field.options ?? []).join('\n'));
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [updateState, update] = useMutation(UpdateCustomFieldDocument);
  const [deleteState, remove] = useMutation(DeleteCustomFieldDocument);
  const [deleteError, setDeleteError] = useState('');
  useReportDirty(reportDirty, field.id, editing && (label !== field.label || options !== (field.options ?? []).join('\n')));

  async function save(e: FormEvent) {
    e.preventDefault();
    const result = await update({ id: field.id, input: { label: label.trim(), options: field.type === 'SELECT' ? parseOptions(options) : null } });
    if (result.error) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    setErrors(noErrors);
    setEditing(false);
  }

  async function onDelete() {
    if (!window.confirm(`Delete the field “${field.label}”? Its value is cleared on every user (each gets an Update User Profile event).`)) return;
    const result = await remove({ id: field.id }, context);
    if (result.error) setDeleteError(errorMessage(result.error));
  }

  if (editing) {
    return (
      <tr>
        <td className="mono">custom.{field.key}</td>
        <td colSpan={4}>
          <form onSubmit={save} noValidate aria-label={`Edit ${field.label}`}>
            <FormErrorSummary messages={[...errors.form, ...unclaimedFieldErrors(errors.fields, (p) => p === 'label' || p.startsWith('options'))]} />
            <TextField label="Label" value={label} onChange={setLabel} error={errors.fields['label']} />
            {field.type === 'SELECT' ? (
              <TextAreaField
                label="Options"
                hint="One per line. Options a user holds cannot be removed."
                value={options}
                onChange={setOptions}
                error={optionErrors(errors.fields)}
              />
            ) : null}
            <div className="row">
              <button type="submit" className="primary" disabled={updateState.fetching}>
                Save
              </button>
              <button
                type="button"
                onClick={() => {
                  setLabel(field.label);
                  setOptions((field.options ?? []).join('\n'));
                  setErrors(noErrors);
                  setEditing(false);
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <td className="mono">custom.{field.key}</td>
      <td>{field.label}</td>
      <td>{typeLabel(field.type)}</td>
      <td>{field.options && field.options.length > 0 ? field.options.join(', ') : '—'}</td>
      <td>
        {canEdit ? (
        <div className="row">
          <button type="button" className="small" onClick={() => setEditing(true)} aria-label={`Edit ${field.label}`}>
            Edit
          </button>
          <button type="button" className="small danger" onClick={onDelete} disabled={deleteState.fetching} aria-label={`Delete ${field.label}`}>
            Delete
          </button>
        </div>
        ) : '—'}
        {deleteError ? (
          <p className="field-error" role="alert">
            {deleteError}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

export default function CustomFieldsPage() {
  const canEdit = useCanEdit();
  const [{ data, fetching, error }, refetch] = useQuery({ query: CustomFieldsDocument, context });
  const fields = nodesOf(data?.customProfileFields);
  const [dirtyForms, setDirtyForms] = useState<ReadonlySet<string>>(new Set());
  const reportDirty = useCallback<ReportDirty>(
    (form, dirty) =>
      setDirtyForms((prev) => {
        if (prev.has(form) === dirty) return prev;
        const next = new Set(prev);
        if (dirty) next.add(form);
        else next.delete(form);
        return next;
      }),
    [],
  );
  useUnsavedChangesGuard(dirtyForms.size > 0);
  return (
    <>
      <PageHeader title="Profile fields" description="Custom profile fields, beside the built-in ones, for users and mappings." />
      {canEdit ? <NewFieldForm reportDirty={reportDirty} /> : null}
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading fields" /> : null}
      {data && fields.length === 0 ? (
        <EmptyState title="No custom fields yet">
          <p>Built-in fields such as email, department and hire date are always there.</p>
        </EmptyState>
      ) : null}
      {fields.length > 0 ? (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">Custom profile fields</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Label</th>
                <th scope="col">Type</th>
                <th scope="col">Options</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {fields.map((field) => (
                <FieldRow key={field.id} field={field} reportDirty={reportDirty} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
