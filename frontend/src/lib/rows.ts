// State of an editable list of rows (mapping rows, header rows). Each row
// gets a stable key so React keeps focus and server errors stay attached to
// the row they name even after rows above it are removed.

export type Keyed<T> = T & { readonly key: string };

export interface RowsState<T> {
  readonly rows: ReadonlyArray<Keyed<T>>;
  readonly next: number;
}

export type RowsAction<T> =
  | { type: 'add'; row: T }
  | { type: 'remove'; key: string }
  | { type: 'update'; key: string; patch: Partial<T> }
  | { type: 'reset'; rows: readonly T[] };

export function rowsInit<T extends object>(rows: readonly T[]): RowsState<T> {
  return {
    rows: rows.map((row, i) => ({ ...row, key: `r${i}` })),
    next: rows.length,
  };
}

export function rowsReducer<T extends object>(state: RowsState<T>, action: RowsAction<T>): RowsState<T> {
  switch (action.type) {
    case 'add':
      return { rows: [...state.rows, { ...action.row, key: `r${state.next}` }], next: state.next + 1 };
    case 'remove':
      return { ...state, rows: state.rows.filter((r) => r.key !== action.key) };
    case 'update':
      return {
        ...state,
        rows: state.rows.map((r) => (r.key === action.key ? { ...r, ...action.patch, key: r.key } : r)),
      };
    case 'reset':
      return rowsInit(action.rows);
  }
}

/** The rows without their keys. */
export function rowValues<T extends object>(rows: ReadonlyArray<Keyed<T>>): T[] {
  return rows.map(({ key: _key, ...value }) => value as unknown as T);
}

/**
 * The rows to send, without rows the admin left entirely blank, and for
 * each sent row its key: the server names rows by their index in what was
 * sent (input.requestParameters[1].apiField), keys[1] is that row.
 */
export function compactRows<T extends object>(
  rows: ReadonlyArray<Keyed<T>>,
  isBlank: (row: T) => boolean,
): { values: T[]; keys: string[] } {
  const values: T[] = [];
  const keys: string[] = [];
  for (const row of rows) {
    const [value] = rowValues([row]);
    if (value === undefined || isBlank(value)) continue;
    values.push(value);
    keys.push(row.key);
  }
  return { values, keys };
}

// Mapping rows: Request/Response/Input Parameters.

export interface MappingRow {
  apiField: string;
  profileField: string;
  userIdentifier: boolean;
}

export const emptyMappingRow: MappingRow = { apiField: '', profileField: '', userIdentifier: false };

export function isBlankMapping(row: MappingRow): boolean {
  return row.apiField.trim() === '' && row.profileField === '' && !row.userIdentifier;
}

export function mappingRowsFrom(
  rows: ReadonlyArray<{ apiField: string; profileField: string; userIdentifier?: boolean }>,
): MappingRow[] {
  return rows.map((r) => ({ apiField: r.apiField, profileField: r.profileField, userIdentifier: r.userIdentifier ?? false }));
}

/** ParameterMappingInput rows (webhooks), keyed for error mapping. */
export function toParameterInputs(rows: ReadonlyArray<Keyed<MappingRow>>): {
  values: Array<{ apiField: string; profileField: string }>;
  keys: string[];
} {
  const { values, keys } = compactRows(rows, isBlankMapping);
  return { values: values.map((r) => ({ apiField: r.apiField.trim(), profileField: r.profileField })), keys };
}

/** InputMappingInput rows (incoming endpoints), keyed for error mapping. */
export function toInputMappingInputs(rows: ReadonlyArray<Keyed<MappingRow>>): {
  values: Array<{ apiField: string; profileField: string; userIdentifier: boolean }>;
  keys: string[];
} {
  const { values, keys } = compactRows(rows, isBlankMapping);
  return {
    values: values.map((r) => ({ apiField: r.apiField.trim(), profileField: r.profileField, userIdentifier: r.userIdentifier })),
    keys,
  };
}

// Header rows.

export interface HeaderRow {
  name: string;
  value: string;
}

export const emptyHeaderRow: HeaderRow = { name: '', value: '' };

export function isBlankHeader(row: HeaderRow): boolean {
  return row.name.trim() === '' && row.value === '';
}

export function toHeaderInputs(rows: ReadonlyArray<Keyed<HeaderRow>>): { values: HeaderRow[]; keys: string[] } {
  const { values, keys } = compactRows(rows, isBlankHeader);
  return { values: values.map((h) => ({ name: h.name.trim(), value: h.value })), keys };
}
