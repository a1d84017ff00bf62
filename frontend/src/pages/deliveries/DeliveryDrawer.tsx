import { useEffect, useRef, useState } from 'react';
import { useCanEdit } from '../../api/viewer';
import { useMutation, useQuery } from 'urql';
import { AttemptSummary, AttemptView } from '../../components/AttemptView';
import { DeliveryStatusBadge } from '../../components/badges';
import { Drawer } from '../../components/Drawer';
import { ErrorState, FormErrorSummary, Loading } from '../../components/states';
import { CancelDeliveryDocument, DeliveryAttemptsDocument, RedeliverDocument } from '../../gql/graphql';
import { errorMessage } from '../../lib/errors';
import { nodesOf } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { triggerLabel } from '../../lib/triggers';
import type { LogRow } from './logState';

/** A delivery's attempts with request and response; Redeliver and Cancel. */
export function DeliveryDrawer({ row, onClose, onChanged }: { row: LogRow; onClose: () => void; onChanged: (row: LogRow) => void }) {
  const canEdit = useCanEdit();
  const [{ data, fetching, error }, refetch] = useQuery({ query: DeliveryAttemptsDocument, variables: { id: row.id }, requestPolicy: 'network-only' });
  const [redeliverState, redeliver] = useMutation(RedeliverDocument);
  const [cancelState, cancel] = useMutation(CancelDeliveryDocument);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');

  // Reload the attempts whenever the live feed reports a change.
  const seen = useRef(row.updatedAt);
  useEffect(() => {
    if (seen.current === row.updatedAt) return;
    seen.current = row.updatedAt;
    refetch({ requestPolicy: 'network-only' });
  }, [row.updatedAt, refetch]);

  const [node] = nodesOf(data?.deliveries);
  const attempts = node?.attempts ?? [];
  const open = row.status === 'PENDING' || row.status === 'RETRYING';

  async function onRedeliver() {
    setActionError(null);
    const result = await redeliver({ deliveryId: row.id });
    if (result.error || !result.data) setActionError(result.error ? errorMessage(result.error) : 'No answer.');
    else {
      onChanged(result.data.redeliver);
      setNotice('Queued again under the same webhook-id.');
    }
  }

  async function onCancel() {
    if (!window.confirm('Stop this delivery? It will not be attempted again.')) return;
    setActionError(null);
    const result = await cancel({ id: row.id });
    if (result.error || !result.data) setActionError(result.error ? errorMessage(result.error) : 'No answer.');
    else {
      onChanged(result.data.cancelDelivery);
      setNotice('Cancelled.');
    }
  }

  return (
    <Drawer
      title={`Delivery ${row.id}`}
      onClose={onClose}
      actions={
        canEdit ? (
        <>
          {open ? (
            <button type="button" className="danger" onClick={onCancel} disabled={cancelState.fetching}>
              Cancel delivery
            </button>
          ) : null}
          <button type="button" className="primary" onClick={onRedeliver} disabled={redeliverState.fetching}>
            {redeliverState.fetching ? 'Redelivering…' : 'Redeliver'}
          </button>
        </>
        ) : null
      }
    >
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <DeliveryStatusBadge status={row.status} />
          {row.test ? <span className="badge neutral">test</span> : null}
        </dd>
        <dt>Webhook</dt>
        <dd>{row.webhook.name}</dd>
        <dt>User</dt>
        <dd>{row.user.email ?? row.user.displayName ?? row.user.id}</dd>
        <dt>Event</dt>
        <dd>
          {triggerLabel(row.trigger)} · <code>{row.eventType}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(row.createdAt)}</dd>
        {row.nextAttemptAt ? (
          <>
            <dt>Next attempt</dt>
            <dd>{formatTime(row.nextAttemptAt)}</dd>
          </>
        ) : null}
        {row.finishedAt ? (
          <>
            <dt>Finished</dt>
            <dd>{formatTime(row.finishedAt)}</dd>
          </>
        ) : null}
        {row.lastError ? (
          <>
            <dt>Last error</dt>
            <dd>{row.lastError}</dd>
          </>
        ) : null}
      </dl>
      <div aria-live="polite">
        {actionError ? <FormErrorSummary messages={[actionError]} /> : null}
        {notice ? <p className="notice success">{notice}</p> : null}
      </div>
      <h3>Attempts ({row.attemptCount})</h3>
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading attempts" /> : null}
      {data && attempts.length === 0 ? <p className="muted">No attempt yet.</p> : null}
      {attempts
        .slice()
        .reverse()
        .map((a, i) => (
          <details key={a.id} className="attempt" open={i === 0}>
            <summary>
              <AttemptSummary attempt={a} />
            </summary>
            <div>
              <AttemptView attempt={a} />
            </div>
          </details>
        ))}
    </Drawer>
  );
}
