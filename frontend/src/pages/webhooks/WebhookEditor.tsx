import { useReducer, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { useCanEdit } from '../../api/viewer';
import { EnabledBadge } from '../../components/badges';
import { SecretNotice } from '../../components/CopyField';
import { CheckboxField, FormSection, SelectField, TextField } from '../../components/fields';
import { HeaderRowsEditor } from '../../components/HeaderRowsEditor';
import { MappingRowsEditor } from '../../components/MappingRowsEditor';
import { ErrorState, FormErrorSummary, PageHeader } from '../../components/states';
import { CreateWebhookDocument, CredentialOptionsDocument, DeleteWebhookDocument, UpdateWebhookDocument, type WebhookDetailFragment } from '../../gql/graphql';
import { useProfileFields } from '../../hooks/useProfileFields';
import { useUnsavedChangesGuard } from '../../hooks/useUnsavedChangesGuard';
import { formErrorsOf, noErrors, rowErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { dropSecret, peekSecret, stashSecret } from '../../lib/oneTimeSecrets';
import { nodesOf } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { triggerOptions } from '../../lib/triggers';
import { PreviewAndTest } from './PreviewAndTest';
import { buildWebhookInput, formFrom, isDirty, webhookFormReducer, withCredentialRemoval } from './webhookForm';
import { WebhookSecret } from './WebhookSecret';

const listPrefixes = ['requestParameters', 'responseParameters', 'headers', 'triggers'];
const plainFields = ['name', 'url', 'enabled', 'maxAttempts', 'timeoutSeconds', 'credentialId'];
const deleteContext = { additionalTypenames: ['ProfileWebhook', 'Delivery'] };

export function WebhookEditor({ webhook }: { webhook: WebhookDetailFragment | null }) {
  const navigate = useNavigate();
  const canEdit = useCanEdit();
  const [{ data: credentialData }] = useQuery({ query: CredentialOptionsDocument });
  const credentialOptions = [
    { value: '', label: 'None' },
    ...nodesOf(credentialData?.webhookCredentials).map((c) => ({ value: c.id, label: c.name })),
  ];
  const [initial, setInitial] = useState(() => formFrom(webhook));
  const [form, dispatch] = useReducer(webhookFormReducer, initial);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [sentKeys, setSentKeys] = useState(() => buildWebhookInput(initial).keys);
  const [saved, setSaved] = useState('');
  const [secret, setSecret] = useState(() => (webhook ? peekSecret(webhook.id) : null));
  const { fields, error: fieldsError, refetch: refetchFields } = useProfileFields();
  const [createState, create] = useMutation(CreateWebhookDocument);
  const [updateState, update] = useMutation(UpdateWebhookDocument);
  const [, remove] = useMutation(DeleteWebhookDocument);
  const saving = createState.fetching || updateState.fetching;

  const dirty = isDirty(form, initial);
  const allowLeave = useUnsavedChangesGuard(dirty);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved('');
    const built = buildWebhookInput(form);
    setSentKeys(built.keys);
    if (Object.keys(built.clientErrors).length > 0) {
      setErrors({ fields: built.clientErrors, form: [] });
      return;
    }
    if (webhook === null) {
      const result = await create({ input: built.input });
      const payload = result.data?.createProfileWebhook;
      if (result.error || !payload) {
        setErrors(formErrorsOf(result.error));
        return;
      }
      stashSecret(payload.profileWebhook.id, payload.signingSecret);
      allowLeave();
      navigate(`/webhooks/${payload.profileWebhook.id}`, { replace: true });
      return;
    }
    const result = await update({ id: webhook.id, input: withCredentialRemoval(built.input, webhook.credential) });
    const updated = result.data?.updateProfileWebhook;
    if (result.error || !updated) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    const next = formFrom(updated);
    setInitial(next);
    dispatch({ type: 'load', webhook: updated });
    setSentKeys(buildWebhookInput(next).keys);
    setErrors(noErrors);
    setSaved(`Saved at ${formatTime(updated.updatedAt)}.`);
  }

  async function deleteWebhook() {
    if (!webhook || !window.confirm(`Delete the webhook “${webhook.name}” and its delivery history?`)) return;
    const result = await remove({ id: webhook.id }, deleteContext);
    if (result.error) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    dropSecret(webhook.id);
    allowLeave();
    navigate('/webhooks');
  }

  const f = errors.fields;
  const request = rowErrors(f, 'requestParameters', sentKeys.requestParameters);
  const response = rowErrors(f, 'responseParameters', sentKeys.responseParameters);
  const headers = rowErrors(f, 'headers', sentKeys.headers);
  const triggerError = f['triggers'] ?? Object.entries(f).find(([p]) => p.startsWith('triggers['))?.[1];
  const unclaimed = unclaimedFieldErrors(f, (p) => plainFields.includes(p) || listPrefixes.some((l) => p.startsWith(l)));

  return (
    <>
      <p className="breadcrumb">
        <Link to="/webhooks">Profile webhooks</Link> / {webhook ? webhook.name : 'New'}
      </p>
      <PageHeader
        title={webhook ? webhook.name : 'New profile webhook'}
        actions={
          webhook ? (
            <>
              <EnabledBadge enabled={webhook.enabled} />
              <Link to={`/deliveries?webhook=${encodeURIComponent(webhook.id)}`}>View deliveries</Link>
            </>
          ) : null
        }
        description={webhook ? <span className="mono">{webhook.id}</span> : 'Choose the events, the URL and the fields to send.'}
      />
      {secret && webhook ? (
        <SecretNotice
          title="Webhook created"
          secret={secret}
          detail="Receivers use it to verify the webhook-signature header."
          onDismiss={() => {
            dropSecret(webhook.id);
            setSecret(null);
          }}
        />
      ) : null}
      {webhook && !webhook.enabled && webhook.disabledReason ? (
        <div className="notice warning" role="status">
          <strong>Disabled by the service:</strong> {webhook.disabledReason}. Enable it again below to resume its waiting deliveries.
        </div>
      ) : null}
      {webhook?.enabled && webhook.failingSince ? (
        <div className="notice warning" role="status">
          Deliveries have been failing since {formatTime(webhook.failingSince)}. After 5 days without a success the service disables the webhook.
        </div>
      ) : null}
      {fieldsError ? <ErrorState error={fieldsError} retry={() => refetchFields({ requestPolicy: 'network-only' })} /> : null}

      <form className="card" onSubmit={save} noValidate aria-label={webhook ? `Edit ${webhook.name}` : 'New webhook'}>
        <FormErrorSummary messages={[...errors.form, ...unclaimed]} />
        <fieldset disabled={!canEdit}>
        <FormSection title="General" description="A name for people, and where the JSON goes.">
          <TextField label="Name" value={form.name} required onChange={(name) => dispatch({ type: 'set', patch: { name } })} error={f['name']} />
          <TextField
            label="Post to URL"
            type="url"
            value={form.url}
            required
            placeholder="https://hr.example.com/hooks/users"
            onChange={(url) => dispatch({ type: 'set', patch: { url } })}
            error={f['url']}
          />
          <CheckboxField
            label="Enabled"
            checked={form.enabled}
            onChange={(enabled) => dispatch({ type: 'set', patch: { enabled } })}
            hint="A disabled webhook gets no new deliveries; its waiting ones resume when it is enabled again."
            error={f['enabled']}
          />
          <SelectField
            label="Credential"
            value={form.credentialId}
            onChange={(credentialId) => dispatch({ type: 'set', patch: { credentialId } })}
            options={credentialOptions}
            hint="How the webhook authenticates to its receiver. Credentials are managed on the Security page."
            error={f['credentialId']}
          />
        </FormSection>
        <FormSection title="Trigger events" description="Which profile events send a delivery.">
          <fieldset aria-describedby={triggerError ? 'trigger-error' : undefined}>
            <legend>Send when</legend>
            {triggerOptions.map((t) => (
              <div className="check" key={t.value}>
                <input
                  id={`trigger-${t.value}`}
                  type="checkbox"
                  checked={form.triggers.includes(t.value)}
                  onChange={(e) => dispatch({ type: 'trigger', trigger: t.value, on: e.target.checked })}
                />
                <label htmlFor={`trigger-${t.value}`}>{t.label}</label>
              </div>
            ))}
            {triggerError ? (
              <p id="trigger-error" className="field-error">
                {triggerError}
              </p>
            ) : null}
          </fieldset>
        </FormSection>
        <FormSection
          title="Request Parameters"
          description="The JSON body: each API Field (a dotted path builds nested objects) gets the value of a profile field. Without rows every field is sent."
        >
          <MappingRowsEditor
            legend="Request Parameters"
            rows={form.request.rows}
            dispatch={(action) => dispatch({ type: 'request', action })}
            fields={fields}
            errors={request.byRow}
            listError={request.listError}
            apiFieldPlaceholder="name.first"
            hideLegend
          />
        </FormSection>
        <FormSection title="Response Parameters" description="Values read from a 2xx JSON response and written into the profile.">
          <MappingRowsEditor
            legend="Response Parameters"
            rows={form.response.rows}
            dispatch={(action) => dispatch({ type: 'response', action })}
            fields={fields}
            allowField={(field) => !field.readOnly}
            errors={response.byRow}
            listError={response.listError}
            apiFieldPlaceholder="data.id"
            hideLegend
          />
        </FormSection>
        <FormSection
          title="Custom headers"
          description="Sent with every delivery. Content-Type, User-Agent, credentials and the signing headers are set by the service."
        >
          <HeaderRowsEditor rows={form.headers.rows} dispatch={(action) => dispatch({ type: 'headers', action })} errors={headers.byRow} />
          {headers.listError ? <p className="field-error">{headers.listError}</p> : null}
        </FormSection>
        <FormSection title="Delivery" description="Retries follow the service's schedule.">
          <div className="field-grid">
            <TextField
              label="Maximum attempts"
              inputMode="numeric"
              value={form.maxAttempts}
              onChange={(maxAttempts) => dispatch({ type: 'set', patch: { maxAttempts } })}
              hint={webhook?.maxAttempts != null ? 'Fewer attempts than the retry schedule has.' : 'Empty: the whole retry schedule.'}
              error={f['maxAttempts']}
            />
            <TextField
              label="Timeout (seconds)"
              inputMode="numeric"
              value={form.timeoutSeconds}
              placeholder="10"
              onChange={(timeoutSeconds) => dispatch({ type: 'set', patch: { timeoutSeconds } })}
              hint="1 to 60; 10 when empty."
              error={f['timeoutSeconds']}
            />
          </div>
        </FormSection>
        </fieldset>
        <div className="form-actions">
          <span role="status" className="muted" style={{ marginRight: 'auto', alignSelf: 'center' }}>
            {saving ? 'Saving…' : dirty ? 'Unsaved changes' : saved}
          </span>
          {webhook && canEdit ? (
            <button type="button" className="danger" onClick={deleteWebhook}>
              Delete
            </button>
          ) : null}
          <Link className="button" to="/webhooks">
            Cancel
          </Link>
          {canEdit ? (
            <button type="submit" className="primary" disabled={saving || (webhook !== null && !dirty)}>
              {webhook ? 'Save changes' : 'Create webhook'}
            </button>
          ) : null}
        </div>
      </form>

      {webhook && canEdit ? (
        <>
          <WebhookSecret webhook={webhook} />
          <PreviewAndTest webhook={webhook} dirty={dirty} />
        </>
      ) : null}
    </>
  );
}
