import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useCanEdit } from '../../api/viewer';
import { useSearchParams } from 'react-router';
import { useClient, useQuery, type CombinedError } from 'urql';
import { useSocketState } from '../../api/ApiProvider';
import { DeliveryStatusBadge, deliveryStatuses, deliveryStatusLabel } from '../../components/badges';
import { SelectField, TextField } from '../../components/fields';
import { ErrorState, PageHeader } from '../../components/states';
import { VirtualTable, type Column } from '../../components/VirtualTable';
import { DeliveriesDocument, DeliveryLogDocument, WebhookOptionsDocument, type DeliveryStatus } from '../../gql/graphql';
import { nodesOf } from '../../lib/relay';
import { formatShortTime, isoToLocalInput, localInputToIso } from '../../lib/time';
import { triggerLabel } from '../../lib/triggers';
import { DeliveryDrawer } from './DeliveryDrawer';
import { matchesFilter, upsertRows, whereFor, type LogFilter, type LogRow } from './logState';
import { ReplayPanel } from './ReplayPanel';

const historyPageSize = 100;
const flushMs = 50;

const columns: ReadonlyArray<Column<LogRow>> = [
  { id: 'created', header: 'Created', width: '10rem', render: (r) => formatShortTime(r.createdAt) },
  { id: 'status', header: 'Status', width: '7.5rem', render: (r) => <DeliveryStatusBadge status={r.status} /> },
  { id: 'webhook', header: 'Webhook', width: 'minmax(8rem, 1fr)', render: (r) => r.webhook.name },
  { id: 'user', header: 'User', width: 'minmax(8rem, 1fr)', render: (r) => r.user.email ?? r.user.displayName ?? r.user.id },
  { id: 'trigger', header: 'Trigger', width: '10rem', render: (r) => (r.test ? `${triggerLabel(r.trigger)} (test)` : triggerLabel(r.trigger)) },
  { id: 'attempts', header: 'Attempts', width: '6.5rem', render: (r) => r.attemptCount },
  {
    id: 'detail',
    header: 'Last error / next attempt',
    width: 'minmax(8rem, 1.2fr)',
    render: (r) => (r.nextAttemptAt ? `Next ${formatShortTime(r.nextAttemptAt)}` : (r.lastError ?? '')),
  },
];

function useFilter(): [LogFilter, (patch: Partial<LogFilter>) => void] {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const filter: LogFilter = {
    webhookId: params.get('webhook') ?? '',
    status: (deliveryStatuses as readonly string[]).includes(status) ? (status as DeliveryStatus) : '',
    since: params.get('since') ?? '',
  };
  const update = useCallback(
    (patch: Partial<LogFilter>) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          const entries: Array<[string, string | undefined]> = [
            ['webhook', patch.webhookId],
            ['status', patch.status],
            ['since', patch.since],
          ];
          for (const [key, value] of entries) {
            if (value === undefined) continue;
            if (value === '') next.delete(key);
            else next.set(key, value);
          }
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [filter, update];
}

interface History {
  cursor: string | null;
  hasMore: boolean;
  loading: boolean;
  total: number | null;
  error: CombinedError | null;
}

const initialHistory: History = { cursor: null, hasMore: false, loading: true, total: null, error: null };

export default function DeliveryLogPage() {
  const canEdit = useCanEdit();
  const client = useClient();
  const socketState = useSocketState();
  const [filter, setFilter] = useFilter();
  const [rows, setRows] = useState<readonly LogRow[]>([]);
  const [history, setHistory] = useState<History>(initialHistory);
  const [liveError, setLiveError] = useState<CombinedError | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const generation = useRef(0);
  const [{ data: webhookData }] = useQuery({ query: WebhookOptionsDocument });
  const webhooks = nodesOf(webhookData?.profileWebhooks);

  const merge = useCallback((incoming: readonly LogRow[]) => setRows((current) => upsertRows(current, incoming)), []);

  // Live: every attempt updates its delivery's row. Attempts are merged in
  // batches so that a burst costs one render.
  useEffect(() => {
    const buffer: LogRow[] = [];
    let timer = 0;
    const flush = () => {
      timer = 0;
      merge(buffer.splice(0));
    };
    const { unsubscribe } = client.subscription(DeliveryLogDocument, { webhookId: filter.webhookId || null }).subscribe((result) => {
      if (result.error) setLiveError(result.error);
      const attempt = result.data?.deliveryLog;
      if (!attempt) return;
      setLiveError(null);
      buffer.push(attempt.delivery);
      if (timer === 0) timer = window.setTimeout(flush, flushMs);
    });
    return () => {
      unsubscribe();
      window.clearTimeout(timer);
    };
  }, [client, filter.webhookId, merge]);

  const { webhookId, status, since } = filter;
  const where = useMemo(() => whereFor({ webhookId, status, since }), [webhookId, status, since]);

  const loadHistory = useCallback(
    async (after: string | null) => {
      const gen = generation.current;
      setHistory((h) => ({ ...h, loading: true, error: null }));
      const result = await client.query(DeliveriesDocument, { first: historyPageSize, after, where }, { requestPolicy: 'network-only' }).toPromise();
      if (gen !== generation.current) return;
      const connection = result.data?.deliveries;
      if (result.error || !connection) {
        setHistory((h) => ({ ...h, loading: false, error: result.error ?? null }));
        return;
      }
      merge(nodesOf(connection));
      setHistory({
        cursor: connection.pageInfo.endCursor ?? null,
        hasMore: connection.pageInfo.hasNextPage,
        loading: false,
        total: connection.totalCount,
        error: null,
      });
    },
    [client, where, merge],
  );

  useEffect(() => {
    generation.current++;
    setRows([]);
    setHistory(initialHistory);
    void loadHistory(null);
  }, [loadHistory]);

  // After the websocket comes back (server restart, network), fetch what
  // happened meanwhile: the newest page of history, merged in.
  const whereRef = useRef(where);
  useEffect(() => {
    whereRef.current = where;
  }, [where]);
  const wasConnected = useRef(false);
  useEffect(() => {
    if (socketState !== 'connected') return;
    if (wasConnected.current) {
      void client
        .query(DeliveriesDocument, { first: historyPageSize, where: whereRef.current }, { requestPolicy: 'network-only' })
        .toPromise()
        .then((result) => merge(nodesOf(result.data?.deliveries)));
    }
    wasConnected.current = true;
  }, [socketState, client, merge]);

  const visible = useMemo(() => rows.filter((r) => matchesFilter(r, { webhookId, status, since })), [rows, webhookId, status, since]);
  const open = openId === null ? null : (rows.find((r) => r.id === openId) ?? null);

  return (
    <>
      <PageHeader
        title="Delivery log"
        description="Every delivery to a profile webhook, updated live as attempts are recorded."
        actions={
          <span className={`live ${socketState}`} role="status">
            {socketState === 'connected' ? 'Live' : socketState === 'connecting' ? 'Connecting…' : 'Not live'}
          </span>
        }
      />
      <form className="toolbar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Webhook"
          value={filter.webhookId}
          onChange={(webhookId) => setFilter({ webhookId })}
          options={[{ value: '', label: 'All webhooks' }, ...webhooks.map((w) => ({ value: w.id, label: w.name }))]}
        />
        <SelectField
          label="Status"
          value={filter.status}
          onChange={(status) => setFilter({ status })}
          options={[{ value: '' as const, label: 'Any status' }, ...deliveryStatuses.map((s) => ({ value: s, label: deliveryStatusLabel(s) }))]}
        />
        <TextField
          label="Created since"
          type="datetime-local"
          value={filter.since ? isoToLocalInput(filter.since) : ''}
          onChange={(value) => setFilter({ since: localInputToIso(value) ?? '' })}
        />
        {filter.webhookId || filter.status || filter.since ? (
          <button type="button" onClick={() => setFilter({ webhookId: '', status: '', since: '' })}>
            Clear filters
          </button>
        ) : null}
      </form>
      {liveError ? (
        <div className="notice warning" role="status">
          The live feed failed: {liveError.message}. The table shows history; it reconnects by itself.
        </div>
      ) : null}
      {history.error ? <ErrorState error={history.error} retry={() => void loadHistory(history.cursor)} /> : null}
      {visible.length === 0 && !history.loading && !history.error ? (
        <div className="empty card">
          <h2>No deliveries{filter.webhookId || filter.status || filter.since ? ' match these filters' : ' yet'}</h2>
          <p>New deliveries appear here as soon as their first attempt is recorded.</p>
        </div>
      ) : null}
      {visible.length > 0 ? (
        <VirtualTable
          label="Deliveries"
          rows={visible}
          columns={columns}
          rowKey={(r) => r.id}
          rowTitle={(r) => `open delivery ${r.id} to ${r.webhook.name}, ${deliveryStatusLabel(r.status)}`}
          onOpen={(r) => setOpenId(r.id)}
          activeKey={openId}
          height={520}
        />
      ) : null}
      <div className="pager">
        <span className="muted" role="status">
          {history.loading ? 'Loading history…' : `${visible.length} shown${history.total !== null ? ` · ${history.total} in history at page load` : ''}`}
        </span>
        <button type="button" disabled={!history.hasMore || history.loading} onClick={() => void loadHistory(history.cursor)}>
          Load older deliveries
        </button>
      </div>
      {canEdit ? <ReplayPanel webhooks={webhooks} defaultWebhookId={filter.webhookId} /> : null}
      {open ? <DeliveryDrawer row={open} onClose={() => setOpenId(null)} onChanged={(r) => merge([r])} /> : null}
    </>
  );
}
