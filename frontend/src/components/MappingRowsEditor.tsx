import { useId, type Dispatch } from 'react';
import type { ProfileFieldInfoFragment } from '../gql/graphql';
import type { RowErrors } from '../lib/errors';
import { emptyMappingRow, type Keyed, type MappingRow, type RowsAction } from '../lib/rows';

export interface MappingRowsEditorProps {
  legend: string;
  description?: string;
  rows: ReadonlyArray<Keyed<MappingRow>>;
  dispatch: Dispatch<RowsAction<MappingRow>>;
  /** The drop-down's choices, from Query.profileFields. */
  fields: readonly ProfileFieldInfoFragment[];
  /** Which profile fields rows may map; others are listed but disabled. */
  allowField?: (field: ProfileFieldInfoFragment) => boolean;
  /** Adds the User Identifier column (incoming endpoints). */
  withIdentifier?: boolean;
  errors: Readonly<Record<string, RowErrors>>;
  listError?: string | undefined;
  apiFieldPlaceholder?: string;
  /** Hides the legend visually, where a heading already says it. */
  hideLegend?: boolean;
}

const groups: ReadonlyArray<{ label: string; test: (f: ProfileFieldInfoFragment) => boolean }> = [
  { label: 'Profile fields', test: (f) => !f.custom && !f.key.startsWith('event.') },
  { label: 'Custom fields', test: (f) => f.custom },
  { label: 'Event fields', test: (f) => f.key.startsWith('event.') },
];

function ProfileFieldOptions({ fields, allow, current }: { fields: readonly ProfileFieldInfoFragment[]; allow: (f: ProfileFieldInfoFragment) => boolean; current: string }) {
  const known = current === '' || fields.some((f) => f.key === current);
  return (
    <>
      <option value="">Choose a field…</option>
      {known ? null : <option value={current}>{current} (unknown)</option>}
      {groups.map((g) => {
        const members = fields.filter(g.test);
        if (members.length === 0) return null;
        return (
          <optgroup key={g.label} label={g.label}>
            {members.map((f) => (
              <option key={f.key} value={f.key} disabled={!allow(f) && f.key !== current}>
                {f.label} ({f.key})
              </option>
            ))}
          </optgroup>
        );
      })}
    </>
  );
}

/** Rows of API Field text box, profile-field drop-down, (User Identifier), Remove; and + Add. */
export function MappingRowsEditor({
  legend,
  description,
  rows,
  dispatch,
  fields,
  allowField = () => true,
  withIdentifier = false,
  errors,
  listError,
  apiFieldPlaceholder = 'data.user.email',
  hideLegend = false,
}: MappingRowsEditorProps) {
  const id = useId();
  const short = legend.replace(/ Parameters$/, '').toLowerCase();
  return (
    <fieldset aria-describedby={[description ? `${id}-desc` : '', listError ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined}>
      <legend className={hideLegend ? 'visually-hidden' : undefined}>{legend}</legend>
      {description ? (
        <p id={`${id}-desc`} className="hint muted">
          {description}
        </p>
      ) : null}
      <div className={`rows ${withIdentifier ? 'three' : 'two'}`}>
        {rows.length === 0 ? (
          <p className="rows-empty">No rows yet.</p>
        ) : (
          <div className="rows-head" aria-hidden="true">
            <span>API Field</span>
            <span>Profile field</span>
            {withIdentifier ? <span>User Identifier</span> : null}
            <span />
          </div>
        )}
        {rows.map((row, i) => {
          const e = errors[row.key] ?? {};
          const n = i + 1;
          const apiId = `${id}-${row.key}-api`;
          const fieldId = `${id}-${row.key}-field`;
          const idfId = `${id}-${row.key}-idf`;
          return (
            <div className="rows-row" key={row.key} data-row={n}>
              <div className="rows-cell">
                <label htmlFor={apiId} className="visually-hidden">
                  API Field, {short} row {n}
                </label>
                <input
                  id={apiId}
                  type="text"
                  value={row.apiField}
                  placeholder={apiFieldPlaceholder}
                  spellCheck={false}
                  aria-invalid={e['apiField'] ? true : undefined}
                  aria-describedby={e['apiField'] ? `${apiId}-err` : undefined}
                  onChange={(ev) => dispatch({ type: 'update', key: row.key, patch: { apiField: ev.target.value } })}
                />
                {e['apiField'] ? (
                  <p id={`${apiId}-err`} className="field-error">
                    {e['apiField']}
                  </p>
                ) : null}
              </div>
              <div className="rows-cell">
                <label htmlFor={fieldId} className="visually-hidden">
                  Profile field, {short} row {n}
                </label>
                <select
                  id={fieldId}
                  value={row.profileField}
                  aria-invalid={e['profileField'] ? true : undefined}
                  aria-describedby={e['profileField'] ? `${fieldId}-err` : undefined}
                  onChange={(ev) => dispatch({ type: 'update', key: row.key, patch: { profileField: ev.target.value } })}
                >
                  <ProfileFieldOptions fields={fields} allow={allowField} current={row.profileField} />
                </select>
                {e['profileField'] ? (
                  <p id={`${fieldId}-err`} className="field-error">
                    {e['profileField']}
                  </p>
                ) : null}
              </div>
              {withIdentifier ? (
                <div className="rows-cell">
                  <div className="check">
                    <input
                      id={idfId}
                      type="checkbox"
                      checked={row.userIdentifier}
                      aria-invalid={e['userIdentifier'] ? true : undefined}
                      onChange={(ev) => dispatch({ type: 'update', key: row.key, patch: { userIdentifier: ev.target.checked } })}
                    />
                    <label htmlFor={idfId}>
                      <span className="visually-hidden">User Identifier, {short} row {n}</span>
                      <span aria-hidden="true">Identifier</span>
                    </label>
                  </div>
                  {e['userIdentifier'] ? <p className="field-error">{e['userIdentifier']}</p> : null}
                </div>
              ) : null}
              <div>
                <button type="button" className="small" onClick={() => dispatch({ type: 'remove', key: row.key })} aria-label={`Remove ${short} row ${n}`}>
                  Remove
                </button>
              </div>
              {e['row'] ? <p className="field-error">{e['row']}</p> : null}
            </div>
          );
        })}
      </div>
      {listError ? (
        <p id={`${id}-err`} className="field-error">
          {listError}
        </p>
      ) : null}
      <p>
        <button type="button" className="small" onClick={() => dispatch({ type: 'add', row: emptyMappingRow })}>
          + Add
          <span className="visually-hidden"> {short} row</span>
        </button>
      </p>
    </fieldset>
  );
}
