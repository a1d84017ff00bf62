import { describe, expect, it } from 'vitest';
import {
  emptyMappingRow,
  rowsInit,
  rowsReducer,
  rowValues,
  toHeaderInputs,
  toInputMappingInputs,
  toParameterInputs,
  type MappingRow,
} from './rows';

const a: MappingRow = { apiField: 'contact.email', profileField: 'email', userIdentifier: false };
const b: MappingRow = { apiField: 'name.first', profileField: 'firstName', userIdentifier: false };

describe('mapping rows editor state', () => {
  it('gives each row a stable key and keeps it across edits', () => {
    let s = rowsInit([a, b]);
    const [first, second] = s.rows;
    expect(first?.key).not.toBe(second?.key);
    s = rowsReducer(s, { type: 'update', key: second!.key, patch: { apiField: 'given' } });
    expect(s.rows[1]).toEqual({ ...b, apiField: 'given', key: second!.key });
    expect(s.rows[0]).toBe(first);
  });

  it('adds rows with fresh keys, also after removals', () => {
    let s = rowsInit([a, b]);
    s = rowsReducer(s, { type: 'remove', key: s.rows[1]!.key });
    s = rowsReducer(s, { type: 'add', row: emptyMappingRow });
    const keys = s.rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
    expect(keys[1]).not.toBe('r1');
    expect(rowValues(s.rows)).toEqual([a, emptyMappingRow]);
  });

  it('an update cannot change the key', () => {
    const s = rowsInit([a]);
    const key = s.rows[0]!.key;
    const next = rowsReducer(s, { type: 'update', key, patch: { key: 'other' } as Partial<MappingRow> });
    expect(next.rows[0]!.key).toBe(key);
  });

  it('reset replaces every row', () => {
    const s = rowsReducer(rowsInit([a]), { type: 'reset', rows: [b, a] });
    expect(rowValues(s.rows)).toEqual([b, a]);
  });

  it('sends non-blank rows trimmed, with the key of each sent row', () => {
    let s = rowsInit([{ ...a, apiField: '  contact.email ' }]);
    s = rowsReducer(s, { type: 'add', row: emptyMappingRow });
    s = rowsReducer(s, { type: 'add', row: b });
    const { values, keys } = toParameterInputs(s.rows);
    expect(values).toEqual([
      { apiField: 'contact.email', profileField: 'email' },
      { apiField: 'name.first', profileField: 'firstName' },
    ]);
    expect(keys).toEqual([s.rows[0]!.key, s.rows[2]!.key]);
  });

  it('keeps a half-filled row so that the server names its problem', () => {
    const s = rowsInit([{ apiField: '', profileField: 'email', userIdentifier: true }]);
    expect(toInputMappingInputs(s.rows).values).toEqual([{ apiField: '', profileField: 'email', userIdentifier: true }]);
  });

  it('drops blank header rows and trims names only', () => {
    const s = rowsInit([
      { name: ' X-Tenant ', value: ' acme ' },
      { name: '', value: '' },
    ]);
    expect(toHeaderInputs(s.rows)).toEqual({ values: [{ name: 'X-Tenant', value: ' acme ' }], keys: ['r0'] });
  });
});
