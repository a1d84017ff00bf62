import { useId, type Dispatch } from 'react';
import type { RowErrors } from '../lib/errors';
import { emptyHeaderRow, type HeaderRow, type Keyed, type RowsAction } from '../lib/rows';

/** Rows of header name and value, Remove, and + Add. */
export function HeaderRowsEditor({
  rows,
  dispatch,
  errors,
}: {
  rows: ReadonlyArray<Keyed<HeaderRow>>;
  dispatch: Dispatch<RowsAction<HeaderRow>>;
  errors: Readonly<Record<string, RowErrors>>;
}) {
  const id = useId();
  return (
    <fieldset>
      <legend className="visually-hidden">Custom headers</legend>
      <div className="rows two">
        {rows.length === 0 ? (
          <p className="rows-empty">No custom headers.</p>
        ) : (
          <div className="rows-head" aria-hidden="true">
            <span>Name</span>
            <span>Value</span>
            <span />
          </div>
        )}
        {rows.map((row, i) => {
          const e = errors[row.key] ?? {};
          const n = i + 1;
          const nameId = `${id}-${row.key}-name`;
          const valueId = `${id}-${row.key}-value`;
          return (
            <div className="rows-row" key={row.key}>
              <div className="rows-cell">
                <label htmlFor={nameId} className="visually-hidden">
                  Header name, row {n}
                </label>
                <input
                  id={nameId}
                  type="text"
                  value={row.name}
                  placeholder="X-Tenant"
                  spellCheck={false}
                  aria-invalid={e['name'] ? true : undefined}
                  onChange={(ev) => dispatch({ type: 'update', key: row.key, patch: { name: ev.target.value } })}
                />
                {e['name'] ? <p className="field-error">{e['name']}</p> : null}
              </div>
              <div className="rows-cell">
                <label htmlFor={valueId} className="visually-hidden">
                  Header value, row {n}
                </label>
                <input
                  id={valueId}
                  type="text"
                  value={row.value}
                  spellCheck={false}
                  aria-invalid={e['value'] ? true : undefined}
                  onChange={(ev) => dispatch({ type: 'update', key: row.key, patch: { value: ev.target.value } })}
                />
                {e['value'] ? <p className="field-error">{e['value']}</p> : null}
              </div>
              <div>
                <button type="button" className="small" onClick={() => dispatch({ type: 'remove', key: row.key })} aria-label={`Remove header row ${n}`}>
                  Remove
                </button>
              </div>
              {e['row'] ? <p className="field-error">{e['row']}</p> : null}
            </div>
          );
        })}
      </div>
      <p>
        <button type="button" className="small" onClick={() => dispatch({ type: 'add', row: emptyHeaderRow })}>
          + Add<span className="visually-hidden"> header</span>
        </button>
      </p>
    </fieldset>
  );
}
