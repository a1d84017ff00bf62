import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { CheckboxField, SelectField, TextField } from '../../components/fields';
import { FormErrorSummary } from '../../components/states';
import { ReplayDeliveriesDocument, type DeliveryStatus } from '../../gql/graphql';
import { formErrorsOf } from '../../lib/errors';
import { localInputToIso } from '../../lib/time';

/** Queues a webhook's finished deliveries again: failed ones by default. */
export function ReplayPanel({ webhooks, defaultWebhookId }: { webhooks: ReadonlyArray<{ id: string; name: string }>; defaultWebhookId: string }) {
  const [webhookId, setWebhookId] = useState(defaultWebhookId);
  const [since, setSince] = useState('');
  const [includeCancelled, setIncludeCancelled] = useState(false);
  const [state, replay] = useMutation(ReplayDeliveriesDocument);
  const [outcome, setOutcome] = useState('');
  const [errors, setErrors] = useState<{ fields: Record<string, string>; form: string[] }>({ fields: {}, form: [] });
  const chosen = webhookId || webhooks[0]?.id || '';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setOutcome('');
    const sinceIso = localInputToIso(since);
    if (!sinceIso) {
      setErrors({ fields: { since: 'Choose the time from which to replay.' }, form: [] });
      return;
    }
    const statuses: DeliveryStatus[] = includeCancelled ? ['FAILED', 'CANCELLED'] : ['FAILED'];
    if (!window.confirm(`Queue again every ${statuses.join(' or ').toLowerCase()} delivery of this webhook since ${since.replace('T', ' ')}?`)) return;
    const result = await replay({ webhookId: chosen, since: sinceIso, statuses });
    if (result.error || result.data === undefined) {
      const found = formErrorsOf(result.error);
      setErrors({ fields: { ...found.fields }, form: [...found.form] });
      return;
    }
    setErrors({ fields: {}, form: [] });
    const n = result.data.replayDeliveries;
    setOutcome(n === 0 ? 'Nothing to replay in that range.' : `Queued ${n} ${n === 1 ? 'delivery' : 'deliveries'} again.`);
  }

  return (
    <details className="card">
      <summary>
        <strong>Replay failed deliveries</strong>
      </summary>
      <form onSubmit={submit} className="stack" style={{ marginTop: '.75rem' }} noValidate>
        {webhooks.length === 0 ? <p className="muted">There are no webhooks.</p> : null}
        <div className="toolbar">
          <SelectField label="Webhook to replay" value={chosen} onChange={setWebhookId} options={webhooks.map((w) => ({ value: w.id, label: w.name }))} />
          <TextField label="Failed since" type="datetime-local" value={since} onChange={setSince} error={errors.fields['since']} />
        </div>
        <CheckboxField label="Also replay cancelled deliveries" checked={includeCancelled} onChange={setIncludeCancelled} />
        <FormErrorSummary messages={[...errors.form, ...Object.entries(errors.fields).filter(([k]) => k !== 'since').map(([k, v]) => `${k}: ${v}`)]} />
        <div className="row">
          <button type="submit" className="primary" disabled={state.fetching || chosen === ''}>
            {state.fetching ? 'Replaying…' : 'Replay'}
          </button>
          <span role="status">{outcome}</span>
        </div>
      </form>
    </details>
  );
}
