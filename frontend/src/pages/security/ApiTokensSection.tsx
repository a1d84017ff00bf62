import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useCanEdit } from '../../api/viewer';
import { SecretNotice } from '../../components/CopyField';
import { FormSection, SelectField, TextField } from '../../components/fields';
import { ErrorState, FormErrorSummary, Loading } from '../../components/states';
import { ApiTokensDocument, CreateApiTokenDocument, RevokeApiTokenDocument, type ApiTokenDetailFragment, type Role } from '../../gql/graphql';
import { errorMessage, formErrorsOf, noErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { nodesOf } from '../../lib/relay';
import { formatTime, localInputToIso } from '../../lib/time';

const context = { additionalTypenames: ['ApiToken'] };
const roleOptions: ReadonlyArray<{ value: Role; label: string }> = [
  { value: 'ADMIN', label: 'Admin: every operation' },
  { value: 'VIEWER', label: 'Viewer: read only' },
];

export function ApiTokensSection() {
  const canEdit = useCanEdit();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiTokensDocument, context });
  const [, revoke] = useMutation(RevokeApiTokenDocument);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [message, setMessage] = useState('');
  const tokens = nodesOf(data?.apiTokens);

  async function revokeToken(t: ApiTokenDetailFragment) {
    if (!window.confirm(`Revoke the API token “${t.name}”? Requests with it are refused at once.`)) return;
    const result = await revoke({ id: t.id }, context);
    setMessage(result.error ? `Could not revoke “${t.name}”: ${errorMessage(result.error)}` : `Revoked “${t.name}”.`);
  }

  return (
    <FormSection title="API tokens" description="Bearer tokens for scripts and CI. A token is shown once, when it is created.">
      {created ? (
        <SecretNotice
          title={`API token “${created.name}” created`}
          label="New API token"
          secret={created.token}
          detail="Send it as Authorization: Bearer …."
          onDismiss={() => setCreated(null)}
        />
      ) : null}
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading API tokens" /> : null}
      {data ? (
        tokens.length === 0 ? (
          <p className="muted">No active API tokens.</p>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Active API tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Ends in</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  {canEdit ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>{t.role === 'ADMIN' ? 'Admin' : 'Viewer'}</td>
                    <td className="mono">…{t.hint}</td>
                    <td>
                      {formatTime(t.createdAt)}
                      <div className="muted">by {t.createdBy}</div>
                    </td>
                    <td>{t.expiresAt ? formatTime(t.expiresAt) : 'Never'}</td>
                    <td>{t.lastUsedAt ? formatTime(t.lastUsedAt) : 'Never'}</td>
                    {canEdit ? (
                      <td>
                        <button type="button" className="danger" onClick={() => revokeToken(t)} aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <p role="status" className="muted">
        {message}
      </p>
      {canEdit ? (
        <NewTokenForm
          onCreated={(name, token) => {
            setMessage('');
            setCreated({ name, token });
          }}
        />
      ) : null}
    </FormSection>
  );
}

function NewTokenForm({ onCreated }: { onCreated: (name: string, token: string) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('ADMIN');
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [state, create] = useMutation(CreateApiTokenDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const result = await create({ input: { name: name.trim(), role, expiresAt: expires === '' ? null : localInputToIso(expires) } }, context);
    const payload = result.data?.createApiToken;
    if (result.error || !payload) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    setErrors(noErrors);
    setName('');
    setExpires('');
    onCreated(payload.apiToken.name, payload.token);
  }

  const f = errors.fields;
  return (
    <form className="card" onSubmit={submit} noValidate aria-label="New API token">
      <h3>New API token</h3>
      <FormErrorSummary messages={[...errors.form, ...unclaimedFieldErrors(f, (p) => ['name', 'role', 'expiresAt'].includes(p))]} />
      <div className="row">
        <TextField label="Token name" value={name} required onChange={setName} error={f['name']} />
        <SelectField label="Role" value={role} onChange={setRole} options={roleOptions} error={f['role']} />
        <TextField label="Expires" type="datetime-local" value={expires} onChange={setExpires} error={f['expiresAt']} hint="Empty: never." />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={state.fetching}>
          Create token
        </button>
      </div>
    </form>
  );
}
