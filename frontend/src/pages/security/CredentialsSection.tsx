import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useCanEdit } from '../../api/viewer';
import { FormSection, SelectField, TextField } from '../../components/fields';
import { ErrorState, FormErrorSummary, Loading } from '../../components/states';
import {
  CreateWebhookCredentialDocument,
  DeleteWebhookCredentialDocument,
  TestWebhookCredentialDocument,
  UpdateWebhookCredentialDocument,
  WebhookCredentialsDocument,
  type CredentialDetailFragment,
} from '../../gql/graphql';
import { errorMessage, formErrorsOf, noErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { nodesOf } from '../../lib/relay';
import {
  buildCreateInput,
  buildUpdateInput,
  credentialFormFrom,
  credentialTypeLabel,
  credentialTypeOptions,
  fieldLabels,
  fieldsByType,
  secretFields,
  secretHint,
  type CredentialForm,
} from './credentialForm';

const context = { additionalTypenames: ['WebhookCredential'] };

export function CredentialsSection() {
  const canEdit = useCanEdit();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhookCredentialsDocument, context });
  const [editing, setEditing] = useState<CredentialDetailFragment | 'new' | null>(null);
  const [message, setMessage] = useState('');
  const [, remove] = useMutation(DeleteWebhookCredentialDocument);
  const credentials = nodesOf(data?.webhookCredentials);

  async function deleteCredential(c: CredentialDetailFragment) {
    if (!window.confirm(`Delete the credential “${c.name}”?`)) return;
    const result = await remove({ id: c.id }, context);
    setMessage(result.error ? `Could not delete “${c.name}”: ${errorMessage(result.error)}` : `Deleted “${c.name}”.`);
  }

  return (
    <FormSection
      title="Webhook credentials"
      description="How outgoing webhooks authenticate to their receivers. Secrets are write-only: only hints of them are shown."
    >
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading credentials" /> : null}
      {data ? (
        credentials.length === 0 ? (
          <p className="muted">No webhook credentials yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Webhook credentials</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Used by</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {credentials.map((c) => (
                  <CredentialRow key={c.id} credential={c} canEdit={canEdit} onEdit={() => setEditing(c)} onDelete={() => deleteCredential(c)} />
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <p role="status" className="muted">
        {message}
      </p>
      {canEdit && editing === null ? (
        <button type="button" onClick={() => setEditing('new')}>
          New credential
        </button>
      ) : null}
      {editing !== null ? (
        <CredentialEditor
          key={editing === 'new' ? 'new' : editing.id}
          credential={editing === 'new' ? null : editing}
          onDone={(text) => {
            setEditing(null);
            setMessage(text);
          }}
        />
      ) : null}
    </FormSection>
  );
}

function CredentialRow({
  credential: c,
  canEdit,
  onEdit,
  onDelete,
}: {
  credential: CredentialDetailFragment;
  canEdit: boolean;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const [testState, test] = useMutation(TestWebhookCredentialDocument);
  const [result, setResult] = useState<string>('');
  async function runTest() {
    setResult('');
    const r = await test({ id: c.id });
    const payload = r.data?.testWebhookCredential;
    if (r.error || !payload) setResult(`Error: ${r.error ? errorMessage(r.error) : 'no answer'}`);
    else setResult(payload.ok ? 'OK' : `Failed: ${payload.error ?? 'unknown error'}`);
  }
  return (
    <tr>
      <td>
        {c.name}
        <div className="muted mono">{c.id}</div>
      </td>
      <td>{credentialTypeLabel(c.type)}</td>
      <td>
        {c.webhooks.totalCount} webhook{c.webhooks.totalCount === 1 ? '' : 's'}
      </td>
      <td>
        <span className="row">
          <button type="button" onClick={onEdit} aria-label={`${canEdit ? 'Edit' : 'View'} ${c.name}`}>
            {canEdit ? 'Edit' : 'View'}
          </button>
          {canEdit ? (
            <>
              <button type="button" onClick={runTest} disabled={testState.fetching} aria-label={`Test ${c.name}`}>
                {testState.fetching ? 'Testing…' : 'Test'}
              </button>
              <button type="button" className="danger" onClick={onDelete} aria-label={`Delete ${c.name}`}>
                Delete
              </button>
            </>
          ) : null}
          <span role="status" className={`test-result ${result.startsWith('OK') ? '' : 'field-error'}`}>
            {result}
          </span>
        </span>
      </td>
    </tr>
  );
}

function CredentialEditor({ credential, onDone }: { credential: CredentialDetailFragment | null; onDone: (message: string) => void }) {
  const canEdit = useCanEdit();
  const [form, setForm] = useState<CredentialForm>(() => credentialFormFrom(credential));
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [createState, create] = useMutation(CreateWebhookCredentialDocument);
  const [updateState, update] = useMutation(UpdateWebhookCredentialDocument);
  const saving = createState.fetching || updateState.fetching;
  const fields = fieldsByType[form.type];

  async function save(e: FormEvent) {
    e.preventDefault();
    const result = credential ? await update({ id: credential.id, input: buildUpdateInput(form) }, context) : await create({ input: buildCreateInput(form) }, context);
    if (result.error) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    onDone(credential ? `Saved “${form.name.trim()}”.` : `Created “${form.name.trim()}”.`);
  }

  const f = errors.fields;
  const unclaimed = unclaimedFieldErrors(f, (p) => p === 'name' || p === 'type' || fields.some((x) => p === x.field || p.startsWith(`${x.field}[`)));
  const setValue = (field: keyof CredentialForm['values'], value: string) => setForm((s) => ({ ...s, values: { ...s.values, [field]: value } }));

  return (
    <form className="card" onSubmit={save} noValidate aria-label={credential ? `Edit credential ${credential.name}` : 'New credential'}>
      <h3>{credential ? `Credential “${credential.name}”` : 'New credential'}</h3>
      <FormErrorSummary messages={[...errors.form, ...unclaimed]} />
      <fieldset disabled={!canEdit}>
        <TextField label="Credential name" value={form.name} required onChange={(name) => setForm((s) => ({ ...s, name }))} error={f['name']} />
        {credential ? (
          <p>
            Type: <strong>{credentialTypeLabel(form.type)}</strong> (cannot change)
          </p>
        ) : (
          <SelectField label="Type" value={form.type} onChange={(type) => setForm((s) => ({ ...s, type }))} options={credentialTypeOptions} error={f['type']} />
        )}
        {fields.map(({ field, required }) => {
          const secret = secretFields.has(field);
          const hint = secretHint(credential, field);
          const scopeError = Object.entries(f).find(([p]) => p.startsWith('scopes['))?.[1];
          return (
            <TextField
              key={field}
              label={fieldLabels[field]}
              type={secret ? 'password' : field === 'tokenUrl' ? 'url' : 'text'}
              autoComplete={secret ? 'new-password' : 'off'}
              value={form.values[field]}
              required={required && !(secret && hint)}
              onChange={(v) => setValue(field, v)}
              error={f[field] ?? (field === 'scopes' ? scopeError : undefined)}
              hint={
                secret
                  ? hint
                    ? `Stored: ${hint}. Leave empty to keep it; type a new one to replace it.`
                    : 'Write-only: it cannot be read back after saving.'
                  : field === 'scopes'
                    ? 'Separated by spaces.'
                    : undefined
              }
            />
          );
        })}
      </fieldset>
      <div className="form-actions">
        <button type="button" onClick={() => onDone('')}>
          {canEdit ? 'Cancel' : 'Close'}
        </button>
        {canEdit ? (
          <button type="submit" className="primary" disabled={saving}>
            {credential ? 'Save credential' : 'Create credential'}
          </button>
        ) : null}
      </div>
    </form>
  );
}
