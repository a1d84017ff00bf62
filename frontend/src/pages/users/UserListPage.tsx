import { useMemo, useState } from 'react';
import { useCanEdit } from '../../api/viewer';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { EnabledBadge } from '../../components/badges';
import { SelectField, TextField } from '../../components/fields';
import { Pager } from '../../components/Pager';
import { EmptyState, ErrorState, Loading, PageHeader } from '../../components/states';
import { userSearchWhere } from '../../components/UserPicker';
import { UsersDocument, type UserWhereInput } from '../../gql/graphql';
import { useDebouncedValue } from '../../hooks/useDebouncedValue';
import { firstPage, neighbours, nodesOf, pageArgs, type PageCursor } from '../../lib/relay';
import { userTitle } from './userForm';

const pageSize = 25;
const context = { additionalTypenames: ['User'] };
type ActiveFilter = '' | 'active' | 'inactive';

export default function UserListPage() {
  const canEdit = useCanEdit();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const activeParam = params.get('active');
  const active: ActiveFilter = activeParam === 'active' || activeParam === 'inactive' ? activeParam : '';
  const q = useDebouncedValue(search.trim());
  const [page, setPage] = useState<{ for: string; cursor: PageCursor }>({ for: '', cursor: firstPage });
  const filterKey = `${q}|${active}`;
  // A new search starts again at the first page.
  const cursor = page.for === filterKey ? page.cursor : firstPage;

  const variables = useMemo(() => {
    const parts: UserWhereInput[] = [];
    const text = userSearchWhere(q);
    if (text) parts.push(text);
    if (active !== '') parts.push({ active: active === 'active' });
    const where: UserWhereInput | undefined = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { and: parts };
    return { ...pageArgs(cursor, pageSize), where };
  }, [q, active, cursor]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: UsersDocument, variables, context });
  const connection = data?.users;
  const users = nodesOf(connection);
  const pages = connection ? neighbours(cursor, connection.pageInfo) : { prev: null, next: null };

  function setParam(key: string, value: string) {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value === '') next.delete(key);
        else next.set(key, value);
        return next;
      },
      { replace: true },
    );
  }

  return (
    <>
      <PageHeader
        title="Users"
        description="The user directory. Every change fires profile events to the subscribed webhooks."
        actions={
          canEdit ? (
            <Link className="button primary" to="/users/new">
              New user
            </Link>
          ) : null
        }
      />
      <form className="toolbar" role="search" aria-label="Search users" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Search"
          type="search"
          value={search}
          placeholder="Email, name, user name or employee ID"
          onChange={(value) => {
            setSearch(value);
            setParam('q', value.trim());
          }}
        />
        <SelectField<ActiveFilter>
          label="Status"
          value={active}
          onChange={(value) => setParam('active', value)}
          options={[
            { value: '', label: 'All users' },
            { value: 'active', label: 'Active' },
            { value: 'inactive', label: 'Inactive' },
          ]}
        />
      </form>
      {error && !data ? <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {fetching && !data ? <Loading what="Loading users" /> : null}
      {connection && users.length === 0 ? (
        <EmptyState title={q || active ? 'No users match' : 'No users yet'}>
          {q || active ? <p>Try another search.</p> : <p>Create users here or let an incoming endpoint create them.</p>}
        </EmptyState>
      ) : null}
      {users.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="data" aria-busy={fetching}>
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Employee ID</th>
                  <th scope="col">Department</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td>
                      <Link to={`/users/${u.id}`}>{userTitle(u)}</Link>
                    </td>
                    <td>{u.email ?? '—'}</td>
                    <td>{u.employeeId ?? '—'}</td>
                    <td>{u.department ?? '—'}</td>
                    <td>
                      <EnabledBadge enabled={u.active} onLabel="Active" offLabel="Inactive" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            prev={pages.prev}
            next={pages.next}
            onPage={(c) => setPage({ for: filterKey, cursor: c })}
            total={connection?.totalCount ?? 0}
            shown={users.length}
            noun="users"
          />
        </>
      ) : null}
    </>
  );
}
