import { useEffect, useId, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { UserPickerDocument, type UserWhereInput } from '../gql/graphql';
import { useDebouncedValue } from '../hooks/useDebouncedValue';
import { nodesOf } from '../lib/relay';

export function userSearchWhere(text: string): UserWhereInput | undefined {
  const q = text.trim();
  if (q === '') return undefined;
  return {
    or: [
      { emailContainsFold: q },
      { displayNameContainsFold: q },
      { firstNameContainsFold: q },
      { lastNameContainsFold: q },
      { userNameContainsFold: q },
      { employeeIDContainsFold: q },
    ],
  };
}

/** A search box and a drop-down of the matching users (first ten). */
export function UserPicker({ value, onChange }: { value: string; onChange: (userId: string) => void }) {
  const id = useId();
  const [search, setSearch] = useState('');
  const debounced = useDebouncedValue(search);
  const variables = useMemo(() => ({ where: userSearchWhere(debounced) }), [debounced]);
  const [{ data, fetching, error }] = useQuery({ query: UserPickerDocument, variables });
  const users = nodesOf(data?.users);

  useEffect(() => {
    const first = users[0];
    if (first && !users.some((u) => u.id === value)) onChange(first.id);
    else if (!first && !fetching && value !== '') onChange('');
  }, [users, value, onChange, fetching]);

  return (
    <div className="row top">
      <div className="field">
        <label htmlFor={`${id}-search`}>Find user</label>
        <input id={`${id}-search`} type="search" value={search} placeholder="Email, name or ID" onChange={(e) => setSearch(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-user`}>User</label>
        <select id={`${id}-user`} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-state`}>
          {users.length === 0 ? <option value="">No matching users</option> : null}
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email ?? u.userName ?? u.employeeId ?? u.id}
              {u.displayName ? ` — ${u.displayName}` : ''}
            </option>
          ))}
        </select>
        <span id={`${id}-state`} className="hint">
          {error ? 'Could not load users.' : fetching ? 'Searching…' : `${users.length} shown`}
        </span>
      </div>
    </div>
  );
}
