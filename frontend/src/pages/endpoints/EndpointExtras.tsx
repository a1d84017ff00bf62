import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { useCanEdit } from '../../api/viewer';
import { HttpStatusBadge } from '../../components/badges';
import { SecretNotice } from '../../components/CopyField';
import { FormSection, TextAreaField, TextField } from '../../components/fields';
import { ErrorState, FormErrorSummary, Loading } from '../../components/states';
import {
  CreateOAuthClientDocument,
  DryRunEndpointDocument,
  EndpointOAuthClientsDocument,
  EndpointRequestsDocument,
  InboundLogDocument,
  RevokeOAuthClientDocument,
  RotateOAuthClientSecretDocument,
  type DryRunEndpointMutation,
  type InboundLogSubscription,
  type InboundRequestRowFragment,
  type OAuthClientRowFragment,
} from '../../gql/graphql';
import { errorMessage, formErrorsOf, noErrors, type FormErrors } from '../../lib/errors';
import { appendPage, nodesOf } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { parseJsonObject, showJson } from './dryRun';

const clientContext = { additionalTypenames: ['OAuthClient'] };

/** The OAuth2 clients whose tokens may call this endpoint: create (secret shown once), rotate, revoke. */
export function OAuthClientsPanel({ endpointId }: { endpointId: string }) {
  const canEdit = useCanEdit();
  const [{ data, fetching, error }, refetch] = useQuery({ query: EndpointOAuthClientsDocument, variables: { endpointId }, context: clientContext });
  const [createState, create] = useMutation(CreateOAuthClientDocument);
  const [, rotate] = useMutation(RotateOAuthClientSecretDocument);
  const [, revoke] = useMutation(RevokeOAuthClientDocument);
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [secret, setSecret] = useState<{ title: string; clientId: string; secret: string } | null>(null);
  const [message, setMessage] = useState('');
  const clients = nodesOf(data?.oauthClients);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const result = await create({ input: { name: name.trim(), endpointIds: [endpointId] } }, clientContext);
    const payload = result.data?.createOAuthClient;
    if (result.error || !payload) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    setErrors(noErrors);
    setName('');
    setSecret({ title: `OAuth client “${payload.oauthClient.name}” created`, clientId: payload.oauthClient.clientId, secret: payload.clientSecret });
  }

  async function onRotate(c: OAuthClientRowFragment) {
    if (!window.confirm(`Issue a new secret for “${c.name}”? The old one stops working at once.`)) return;
    const result = await rotate({ id: c.id }, clientContext);
    const payload = result.data?.rotateOAuthClientSecret;
    if (result.error || !payload) setMessage(`Could not rotate “${c.name}”: ${result.error ? errorMessage(result.error) : 'no answer'}`);
    else setSecret({ title: `New secret for “${c.name}”`, clientId: c.clientId, secret: payload.clientSecret });
  }

  async function onRevoke(c: OAuthClientRowFragment) {
    if (!window.confirm(`Revoke “${c.name}”? Its tokens are refused at once.`)) return;
    const result = await revoke({ id: c.id }, clientContext);
    setMessage(result.error ? `Could not revoke “${c.name}”: ${errorMessage(result.error)}` : `Revoked “${c.name}”.`);
  }

  return (
    <div className="card">
      <FormSection title="OAuth clients" description="Clients of the service's token endpoint (client credentials grant) whose tokens may call this endpoint.">
        {secret ? (
          <SecretNotice
            title={secret.title}
            label="Client secret"
            secret={secret.secret}
            detail={`Client ID: ${secret.clientId}.`}
            onDismiss={() => setSecret(null)}
          />
        ) : null}
        {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
        {fetching && !data ? <Loading what="Loading OAuth clients" /> : null}
        {data && clients.length === 0 ? <p className="muted">No OAuth clients may call this endpoint.</p> : null}
        {clients.length > 0 ? (
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">OAuth clients</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client ID</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  {canEdit ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {clients.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td className="mono">{c.clientId}</td>
                    <td>{formatTime(c.createdAt)}</td>
                    <td>{c.revokedAt ? <span className="badge bad">Revoked {formatTime(c.revokedAt)}</span> : <span className="badge ok">Active</span>}</td>
                    {canEdit ? (
                      <td>
                        {c.revokedAt ? null : (
                          <span className="row">
                            <button type="button" onClick={() => onRotate(c)} aria-label={`Rotate secret of ${c.name}`}>
                              Rotate secret
                            </button>
                            <button type="button" className="danger" onClick={() => onRevoke(c)} aria-label={`Revoke ${c.name}`}>
                              Revoke
                            </button>
                          </span>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p role="status" className="muted">
          {message}
        </p>
        {canEdit ? (
          <form onSubmit={submit} noValidate aria-label="New OAuth client">
            <FormErrorSummary messages={errors.form} />
            <div className="row">
              <TextField label="Client name" value={name} onChange={setName} error={errors.fields['name'] ?? errors.fields['endpointIds']} />
              <button type="submit" className="primary" disabled={createState.fetching}>
                Create OAuth client
              </button>
            </div>
          </form>
        ) : null}
      </FormSection>
    </div>
  );
}

type DryRunResult = DryRunEndpointMutation['testInboundEndpoint'];

/** Runs a pasted JSON object through the endpoint's input parameters without writing anything. */
export function DryRunPanel({ endpointId }: { endpointId: string }) {
  const canEdit = useCanEdit();
  const [text, setText] = useState('{\n  \n}');
  const [parseError, setParseError] = useState<string | undefined>();
  const [serverError, setServerError] = useState('');
  const [result, setResult] = useState<DryRunResult | null>(null);
  const [state, run] = useMutation(DryRunEndpointDocument);
  // testInboundEndpoint is a mutation (even as a dry run), which a VIEWER may not run.
  if (!canEdit) return null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError('');
    const parsed = parseJsonObject(text);
    if (!parsed.ok) {
      setParseError(parsed.error);
      return;
    }
    setParseError(undefined);
    const r = await run({ id: endpointId, payload: parsed.value });
    if (r.error || !r.data) {
      setResult(null);
      setServerError(r.error ? errorMessage(r.error) : 'No answer.');
      return;
    }
    setResult(r.data.testInboundEndpoint);
  }

  return (
    <div className="card">
      <FormSection title="Dry run" description="Paste a JSON object as a third party would post it: see what it maps to, which user it matches and what would change. Nothing is written.">
        <form onSubmit={submit} noValidate aria-label="Dry run a payload">
          <TextAreaField label="Payload (JSON)" rows={6} value={text} onChange={setText} error={parseError} />
          <div className="row">
            <button type="submit" className="primary" disabled={state.fetching}>
              {state.fetching ? 'Running…' : 'Dry run'}
            </button>
          </div>
        </form>
        {serverError ? (
          <p className="notice error" role="alert">
            {serverError}
          </p>
        ) : null}
        {result ? <DryRunView result={result} /> : null}
      </FormSection>
    </div>
  );
}

function DryRunView({ result }: { result: DryRunResult }) {
  return (
    <div role="status" aria-label="Dry run result" className="stack">
      {result.error ? (
        <div className="notice error">
          <strong>{result.error.code}</strong>: {result.error.message}
          {result.error.field ? (
            <>
              {' '}
              (field <code>{result.error.field}</code>)
            </>
          ) : null}
        </div>
      ) : (
        <p>
          Result: <strong>{result.status}</strong>.{' '}
          {result.user ? (
            <>
              Matched user <span className="mono">{result.user.email || result.user.displayName || result.user.id}</span> ({result.user.id}).
            </>
          ) : (
            'No user matched: one would be created.'
          )}
        </p>
      )}
      <table className="data">
        <caption>Mapped values</caption>
        <thead>
          <tr>
            <th scope="col">API field</th>
            <th scope="col">Profile field</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {result.mappedValues.map((m) => (
            <tr key={`${m.apiField}->${m.profileField}`}>
              <td className="mono">{m.apiField}</td>
              <td className="mono">{m.profileField}</td>
              <td className="mono">{m.present ? showJson(m.value) : <span className="muted">absent</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.changes.length > 0 ? (
        <table className="data">
          <caption>Changes</caption>
          <thead>
            <tr>
              <th scope="col">Profile field</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {result.changes.map((c) => (
              <tr key={c.profileField}>
                <td className="mono">{c.profileField}</td>
                <td className="mono">{showJson(c.from)}</td>
                <td className="mono">{showJson(c.to)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No changes.</p>
      )}
      {result.ignoredFields.length > 0 ? (
        <p>
          Ignored: <span className="mono">{result.ignoredFields.join(', ')}</span>
        </p>
      ) : null}
    </div>
  );
}

/** The endpoint's latest requests, with new ones arriving live. */
export function InboundLogPanel({ endpointId }: { endpointId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: EndpointRequestsDocument, variables: { id: endpointId }, requestPolicy: 'network-only' });
  const [live] = useSubscription({ query: InboundLogDocument, variables: { endpointId } }, (previous: InboundRequestRowFragment[] | undefined, event: InboundLogSubscription) =>
    [event.inboundLog, ...(previous ?? []).filter((r) => r.id !== event.inboundLog.id)].slice(0, 50),
  );
  const [endpointNode] = nodesOf(data?.inboundEndpoints);
  const stored = nodesOf(endpointNode?.requests);
  const rows = appendPage(live.data ?? [], stored).slice(0, 50);
  return (
    <div className="card">
      <FormSection title="Incoming requests" description="The latest requests to this endpoint; new ones appear as they arrive.">
        {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
        {fetching && !data ? <Loading what="Loading requests" /> : null}
        {data && rows.length === 0 ? <p className="muted">No requests yet.</p> : null}
        {rows.length > 0 ? (
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Incoming requests</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Status</th>
                  <th scope="col">Caller</th>
                  <th scope="col">Objects</th>
                  <th scope="col">Changed</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td>{formatTime(r.receivedAt)}</td>
                    <td>
                      <HttpStatusBadge status={r.status} />
                      {r.idempotentReplay ? <span className="muted"> replay</span> : null}
                    </td>
                    <td className="mono">
                      {r.client || '—'}
                      <div className="muted">{r.remoteAddr}</div>
                    </td>
                    <td>{r.objects}</td>
                    <td className="mono">{(r.changedFields ?? []).join(', ') || '—'}</td>
                    <td>{r.error || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </FormSection>
    </div>
  );
}
