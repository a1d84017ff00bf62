import { useMemo, useState } from 'react';
import { useCanEdit } from '../../api/viewer';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { EnabledBadge } from '../../components/badges';
import { CopyField } from '../../components/CopyField';
import { Pager } from '../../components/Pager';
import { EmptyState, ErrorState, Loading, PageHeader } from '../../components/states';
import { EndpointsDocument } from '../../gql/graphql';
import { firstPage, neighbours, nodesOf, pageArgs, type PageCursor } from '../../lib/relay';
import { authModeOptions } from './endpointForm';

const pageSize = 25;
const context = { additionalTypenames: ['InboundEndpoint'] };

export default function EndpointListPage() {
  const canEdit = useCanEdit();
  const [cursor, setCursor] = useState<PageCursor>(firstPage);
  const variables = useMemo(() => pageArgs(cursor, pageSize), [cursor]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: EndpointsDocument, variables, context });
  const connection = data?.inboundEndpoints;
  const endpoints = nodesOf(connection);
  const pages = connection ? neighbours(cursor, connection.pageInfo) : { prev: null, next: null };

  return (
    <>
      <PageHeader
        title="Incoming endpoints"
        description="URLs third parties post profile changes to: which fields they may set and how the user is found."
        actions={
          canEdit ? (
            <Link className="button primary" to="/endpoints/new">
              New endpoint
            </Link>
          ) : null
        }
      />
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading endpoints" /> : null}
      {connection && endpoints.length === 0 && cursor.kind === 'first' ? (
        <EmptyState title="No incoming endpoints yet">
          <p>An endpoint gives a third party a URL to push profile changes to.</p>
          {canEdit ? (
            <Link className="button primary" to="/endpoints/new">
              Create the first endpoint
            </Link>
          ) : null}
        </EmptyState>
      ) : null}
      {endpoints.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Incoming endpoints</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Authentication</th>
                  <th scope="col">Identified by</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.map((ep) => (
                  <tr key={ep.id}>
                    <td>
                      <Link to={`/endpoints/${ep.id}`}>{ep.name}</Link>
                    </td>
                    <td style={{ minWidth: '22rem' }}>
                      <CopyField label={`URL of ${ep.name}`} value={ep.url} />
                    </td>
                    <td>{authModeOptions.find((o) => o.value === ep.authMode)?.label ?? ep.authMode}</td>
                    <td>
                      {ep.inputParameters
                        .filter((p) => p.userIdentifier)
                        .map((p) => p.profileField)
                        .join(', ')}
                    </td>
                    <td>
                      <EnabledBadge enabled={ep.enabled} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager prev={pages.prev} next={pages.next} onPage={setCursor} total={connection?.totalCount ?? 0} shown={endpoints.length} noun="endpoints" />
        </>
      ) : null}
    </>
  );
}
