import { useState } from 'react';
import { useQuery } from 'urql';
import { FormSection } from '../../components/fields';
import { Pager } from '../../components/Pager';
import { ErrorState, Loading } from '../../components/states';
import { AuditLogDocument } from '../../gql/graphql';
import { firstPage, neighbours, nodesOf, pageArgs, type PageCursor } from '../../lib/relay';
import { formatTime } from '../../lib/time';

const pageSize = 25;

export function AuditSection() {
  const [cursor, setCursor] = useState<PageCursor>(firstPage);
  const [{ data, fetching, error }, refetch] = useQuery({ query: AuditLogDocument, variables: pageArgs(cursor, pageSize), requestPolicy: 'network-only' });
  const entries = nodesOf(data?.auditLog);
  const { prev, next } = data ? neighbours(cursor, data.auditLog.pageInfo) : { prev: null, next: null };
  return (
    <FormSection title="Audit log" description="Every mutation, refused and failed ones included, newest first.">
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading the audit log" /> : null}
      {data ? (
        <>
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Audit log</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Address</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td>{formatTime(e.occurredAt)}</td>
                    <td>
                      {e.actorName || e.actor}
                      <div className="muted">
                        {e.role === 'ADMIN' ? 'Admin' : 'Viewer'} · {e.credential.toLowerCase().replace('_', ' ')}
                      </div>
                    </td>
                    <td className="mono">{e.operation}</td>
                    <td className="mono">{e.targetId}</td>
                    <td>
                      <span className={`badge ${e.outcome === 'OK' ? 'ok' : 'bad'}`}>{e.outcome}</span>
                    </td>
                    <td className="mono">{e.clientAddress}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager prev={prev} next={next} onPage={setCursor} total={data.auditLog.totalCount} shown={entries.length} noun="audit entries" />
        </>
      ) : null}
    </FormSection>
  );
}
