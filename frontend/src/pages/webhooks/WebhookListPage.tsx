import { useMemo, useState } from 'react';
import { useCanEdit } from '../../api/viewer';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { DeliveryStatusBadge, EnabledBadge } from '../../components/badges';
import { Pager } from '../../components/Pager';
import { EmptyState, ErrorState, Loading, PageHeader } from '../../components/states';
import { WebhooksDocument, type WebhookSummaryFragment } from '../../gql/graphql';
import { firstPage, neighbours, nodesOf, pageArgs, type PageCursor } from '../../lib/relay';
import { formatTime } from '../../lib/time';
import { triggerLabel } from '../../lib/triggers';

const pageSize = 25;
const context = { additionalTypenames: ['ProfileWebhook'] };

function WebhookStatus({ webhook }: { webhook: WebhookSummaryFragment }) {
  return (
    <div className="stack" style={{ gap: '.2rem' }}>
      <span>
        <EnabledBadge enabled={webhook.enabled} />
      </span>
      {!webhook.enabled && webhook.disabledReason ? <span className="muted">{webhook.disabledReason}</span> : null}
      {webhook.enabled && webhook.failingSince ? <span className="badge warn">Failing since {formatTime(webhook.failingSince)}</span> : null}
    </div>
  );
}

function LastDelivery({ webhook }: { webhook: WebhookSummaryFragment }) {
  const [last] = nodesOf(webhook.deliveries);
  if (!last) return <span className="muted">None yet</span>;
  return (
    <div className="stack" style={{ gap: '.2rem' }}>
      <span>
        <DeliveryStatusBadge status={last.status} />
      </span>
      <span className="muted">{formatTime(last.finishedAt ?? last.createdAt)}</span>
      {last.status === 'FAILED' && last.lastError ? <span className="muted">{last.lastError}</span> : null}
    </div>
  );
}

export default function WebhookListPage() {
  const canEdit = useCanEdit();
  const [cursor, setCursor] = useState<PageCursor>(firstPage);
  const variables = useMemo(() => pageArgs(cursor, pageSize), [cursor]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhooksDocument, variables, context });
  const connection = data?.profileWebhooks;
  const webhooks = nodesOf(connection);
  const pages = connection ? neighbours(cursor, connection.pageInfo) : { prev: null, next: null };

  return (
    <>
      <PageHeader
        title="Profile webhooks"
        description="Outgoing webhooks: which profile events go where, and which fields go out and come back."
        actions={
          canEdit ? (
            <Link className="button primary" to="/webhooks/new">
              New webhook
            </Link>
          ) : null
        }
      />
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading webhooks" /> : null}
      {connection && webhooks.length === 0 && cursor.kind === 'first' ? (
        <EmptyState title="No profile webhooks yet">
          <p>A webhook posts profile changes to a URL you choose.</p>
          {canEdit ? (
            <Link className="button primary" to="/webhooks/new">
              Create the first webhook
            </Link>
          ) : null}
        </EmptyState>
      ) : null}
      {connection && webhooks.length === 0 && cursor.kind !== 'first' ? (
        <p>
          No more webhooks.{' '}
          <button type="button" className="link" onClick={() => setCursor(firstPage)}>
            Back to the first page
          </button>
        </p>
      ) : null}
      {webhooks.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Profile webhooks</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Post to URL</th>
                  <th scope="col">Trigger events</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last delivery</th>
                </tr>
              </thead>
              <tbody>
                {webhooks.map((w) => (
                  <tr key={w.id}>
                    <td>
                      <Link to={`/webhooks/${w.id}`}>{w.name}</Link>
                    </td>
                    <td className="mono">{w.url}</td>
                    <td>{w.triggers.map(triggerLabel).join(', ')}</td>
                    <td>
                      <WebhookStatus webhook={w} />
                    </td>
                    <td>
                      <LastDelivery webhook={w} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager prev={pages.prev} next={pages.next} onPage={setCursor} total={connection?.totalCount ?? 0} shown={webhooks.length} noun="webhooks" />
        </>
      ) : null}
    </>
  );
}
