import { useReducer, useState, type FormEvent } from 'react';
import { useCanEdit } from '../../api/viewer';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { EnabledBadge } from '../../components/badges';
import { CopyField, SecretNotice } from '../../components/CopyField';
import { CheckboxField, FormSection, SelectField, TextField } from '../../components/fields';
import { MappingRowsEditor } from '../../components/MappingRowsEditor';
import { ErrorState, FormErrorSummary, Loading, PageHeader } from '../../components/states';
import { WebhookOptionsDocument, CreateEndpointDocument, DeleteEndpointDocument, EndpointDocument, UpdateEndpointDocument, type EndpointDetailFragment } from '../../gql/graphql';
import { useProfileFields } from '../../hooks/useProfileFields';
import { useUnsavedChangesGuard } from '../../hooks/useUnsavedChangesGuard';
import { formErrorsOf, noErrors, rowErrors, unclaimedFieldErrors, type FormErrors } from '../../lib/errors';
import { dropSecret, peekSecret, stashSecret } from '../../lib/oneTimeSecrets';
import { nodesOf } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { DryRunPanel, InboundLogPanel, OAuthClientsPanel } from './EndpointExtras';
import { authModeOptions, buildEndpointInput, endpointFormFrom, endpointFormReducer, isEndpointDirty, unknownUserOptions } from './endpointForm';

const deleteContext = { additionalTypenames: ['InboundEndpoint'] };

export default function EndpointEditPage() {
  const { id } = useParams();
  if (id === undefined) return <EndpointEditor key="new" endpoint={null} />;
  return <ExistingEndpoint id={id} />;
}

function ExistingEndpoint({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: EndpointDocument, variables: { id } });
  if (error && !data) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (fetching && !data) return <Loading what="Loading endpoint" />;
  const [node] = nodesOf(data?.inboundEndpoints);
  if (!node) {
    return (
      <>
        <PageHeader title="Endpoint not found" />
        <p>
          There is no incoming endpoint with ID <code>{id}</code>. <Link to="/endpoints">Back to the endpoints</Link>.
        </p>
      </>
    );
  }
  return <EndpointEditor key={node.id} endpoint={node} />;
}

function EndpointEditor({ endpoint }: { endpoint: EndpointDetailFragment | null }) {
  const canEdit = useCanEdit();
  const [{ data: webhookData }] = useQuery({ query: WebhookOptionsDocument });
  const webhookOptions = nodesOf(webhookData?.profileWebhooks);
  const navigate = useNavigate();
  const [initial, setInitial] = useState(() => endpointFormFrom(endpoint));
  const [form, dispatch] = useReducer(endpointFormReducer, initial);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [sentKeys, setSentKeys] = useState(() => buildEndpointInput(initial).keys);
  const [saved, setSaved] = useState('');
  const [secret, setSecret] = useState(() => (endpoint ? peekSecret(endpoint.id) : null));
  const { fields, error: fieldsError, refetch: refetchFields } = useProfileFields();
  const [createState, create] = useMutation(CreateEndpointDocument);
  const [updateState, update] = useMutation(UpdateEndpointDocument);
  const [, remove] = useMutation(DeleteEndpointDocument);
  const saving = createState.fetching || updateState.fetching;
  const dirty = isEndpointDirty(form, initial);
  const allowLeave = useUnsavedChangesGuard(dirty);

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved('');
    const built = buildEndpointInput(form);
    setSentKeys(built.keys);
    if (endpoint === null) {
      const result = await create({ input: built.input });
      const payload = result.data?.createInboundEndpoint;
      if (result.error || !payload) {
        setErrors(formErrorsOf(result.error));
        return;
      }
      stashSecret(payload.inboundEndpoint.id, payload.signingSecret);
      allowLeave();
      navigate(`/endpoints/${payload.inboundEndpoint.id}`, { replace: true });
      return;
    }
    const result = await update({ id: endpoint.id, input: built.input });
    const updated = result.data?.updateInboundEndpoint;
    if (result.error || !updated) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    const next = endpointFormFrom(updated);
    setInitial(next);
    dispatch({ type: 'load', endpoint: updated });
    setSentKeys(buildEndpointInput(next).keys);
    setErrors(noErrors);
    setSaved(`Saved at ${formatTime(updated.updatedAt)}.`);
  }

  async function deleteEndpoint() {
    if (!endpoint || !window.confirm(`Delete the endpoint “${endpoint.name}”? Its URL stops working at once.`)) return;
    const result = await remove({ id: endpoint.id }, deleteContext);
    if (result.error) {
      setErrors(formErrorsOf(result.error));
      return;
    }
    dropSecret(endpoint.id);
    allowLeave();
    navigate('/endpoints');
  }

  const f = errors.fields;
  const inputs = rowErrors(f, 'inputParameters', sentKeys);
  const unclaimed = unclaimedFieldErrors(f, (p) => ['name', 'enabled', 'authMode', 'onUnknownUser', 'linkedWebhookIds'].includes(p) || p.startsWith('inputParameters'));

  return (
    <>
      <p className="breadcrumb">
        <Link to="/endpoints">Incoming endpoints</Link> / {endpoint ? endpoint.name : 'New'}
      </p>
      <PageHeader
        title={endpoint ? endpoint.name : 'New incoming endpoint'}
        actions={endpoint ? <EnabledBadge enabled={endpoint.enabled} /> : null}
        description={endpoint ? <span className="mono">{endpoint.id}</span> : 'Choose which fields a third party may set and how the user is found.'}
      />
      {secret && endpoint ? (
        <SecretNotice
          title="Endpoint created"
          secret={secret}
          detail="Third parties use it to sign requests when the endpoint uses HMAC authentication."
          onDismiss={() => {
            dropSecret(endpoint.id);
            setSecret(null);
          }}
        />
      ) : null}
      {endpoint ? (
        <div className="card">
          <CopyField label="Endpoint URL" value={endpoint.url} hint="Third parties POST JSON here. The URL never changes." />
        </div>
      ) : null}
      {fieldsError ? <ErrorState error={fieldsError} retry={() => refetchFields({ requestPolicy: 'network-only' })} /> : null}

      <form className="card" onSubmit={save} noValidate aria-label={endpoint ? `Edit ${endpoint.name}` : 'New endpoint'}>
        <FormErrorSummary messages={[...errors.form, ...unclaimed]} />
        <fieldset disabled={!canEdit}>
        <FormSection title="General">
          <TextField label="Name" value={form.name} required onChange={(name) => dispatch({ type: 'set', patch: { name } })} error={f['name']} />
          <CheckboxField
            label="Enabled"
            checked={form.enabled}
            onChange={(enabled) => dispatch({ type: 'set', patch: { enabled } })}
            hint="A disabled endpoint refuses every request."
            error={f['enabled']}
          />
        </FormSection>
        <FormSection
          title="Input Parameters"
          description="Fields of the posted JSON (dotted paths reach into nested objects) and the profile fields they set. Rows marked User Identifier find the user; at least one is needed, on an identifier field."
        >
          <MappingRowsEditor
            legend="Input Parameters"
            rows={form.inputs.rows}
            dispatch={(action) => dispatch({ type: 'inputs', action })}
            fields={fields}
            allowField={(field) => !field.readOnly || field.key === 'active'}
            withIdentifier
            errors={inputs.byRow}
            listError={inputs.listError}
            apiFieldPlaceholder="user.email"
            hideLegend
          />
        </FormSection>
        <FormSection title="Unknown users" description="What happens when no user matches the identifier rows.">
          <SelectField
            label="When the user is unknown"
            value={form.onUnknownUser}
            onChange={(onUnknownUser) => dispatch({ type: 'set', patch: { onUnknownUser } })}
            options={unknownUserOptions}
            error={f['onUnknownUser']}
          />
        </FormSection>
        <FormSection title="Authentication" description="How callers prove who they are.">
          <SelectField
            label="Authentication mode"
            value={form.authMode}
            onChange={(authMode) => dispatch({ type: 'set', patch: { authMode } })}
            options={authModeOptions}
            error={f['authMode']}
          />
        </FormSection>
        <FormSection
          title="Linked webhooks"
          description="Webhooks that talk to the same third party: changes that come in through this endpoint are never sent to them."
        >
          <fieldset aria-describedby={f['linkedWebhookIds'] ? 'linked-error' : undefined}>
            <legend className="visually-hidden">Linked webhooks</legend>
            {webhookOptions.length === 0 ? <p className="muted">There are no webhooks.</p> : null}
            {webhookOptions.map((w) => (
              <div className="check" key={w.id}>
                <input
                  id={`linked-${w.id}`}
                  type="checkbox"
                  checked={form.linkedWebhookIds.includes(w.id)}
                  onChange={(e) =>
                    dispatch({
                      type: 'set',
                      patch: {
                        linkedWebhookIds: e.target.checked ? [...form.linkedWebhookIds, w.id].sort() : form.linkedWebhookIds.filter((x) => x !== w.id),
                      },
                    })
                  }
                />
                <label htmlFor={`linked-${w.id}`}>{w.name}</label>
              </div>
            ))}
            {f['linkedWebhookIds'] ? (
              <p id="linked-error" className="field-error">
                {f['linkedWebhookIds']}
              </p>
            ) : null}
          </fieldset>
        </FormSection>
        </fieldset>
        <div className="form-actions">
          <span role="status" className="muted" style={{ marginRight: 'auto', alignSelf: 'center' }}>
            {saving ? 'Saving…' : dirty ? 'Unsaved changes' : saved}
          </span>
          {endpoint && canEdit ? (
            <button type="button" className="danger" onClick={deleteEndpoint}>
              Delete
            </button>
          ) : null}
          <Link className="button" to="/endpoints">
            Cancel
          </Link>
          {canEdit ? (
            <button type="submit" className="primary" disabled={saving || (endpoint !== null && !dirty)}>
              {endpoint ? 'Save changes' : 'Create endpoint'}
            </button>
          ) : null}
        </div>
      </form>
      {endpoint ? (
        <>
          <OAuthClientsPanel endpointId={endpoint.id} />
          <DryRunPanel endpointId={endpoint.id} />
          <InboundLogPanel endpointId={endpoint.id} />
        </>
      ) : null}
    </>
  );
}
