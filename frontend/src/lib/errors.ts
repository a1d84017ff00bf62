// Maps GraphQL errors to the form fields they name. The server puts the
// input path of a bad value in extensions.field ("input.requestParameters[1].apiField");
// errors without a field, and those of other codes, are shown for the form.

export interface GraphQLErrorLike {
  readonly message: string;
  readonly extensions?: Readonly<Record<string, unknown>> | undefined;
}

export interface FormErrors {
  /** By field path without the leading argument name: "requestParameters[1].apiField". */
  readonly fields: Readonly<Record<string, string>>;
  /** Errors that name no field. */
  readonly form: readonly string[];
}

export const noErrors: FormErrors = { fields: {}, form: [] };

const codeMessages: Record<string, string> = {
  UNAUTHENTICATED: 'The server did not accept the credentials. Set an API token under Settings.',
  FORBIDDEN: 'Your API token may not do this.',
  INTERNAL: 'The server failed; its log has the details.',
};

export function errorCode(error: GraphQLErrorLike): string | undefined {
  const code = error.extensions?.['code'];
  return typeof code === 'string' ? code : undefined;
}

/**
 * The field path of an error relative to the mutation's argument: "input.x"
 * becomes "x", "input" (the whole input) becomes "" (a form error), and
 * other arguments ("id") keep their name.
 */
export function relativeFieldPath(field: string, argument = 'input'): string {
  if (field === argument) return '';
  if (field.startsWith(`${argument}.`)) return field.slice(argument.length + 1);
  if (field.startsWith(`${argument}[`)) return field.slice(argument.length);
  return field;
}

export function toFormErrors(errors: readonly GraphQLErrorLike[], argument = 'input'): FormErrors {
  const fields: Record<string, string> = {};
  const form: string[] = [];
  for (const error of errors) {
    const code = errorCode(error);
    const field = error.extensions?.['field'];
    if ((code === 'BAD_USER_INPUT' || code === 'CONFLICT') && typeof field === 'string') {
      const path = relativeFieldPath(field, argument);
      if (path !== '') {
        // Shown at the field, the message need not repeat the path it starts with.
        fields[path] ??= error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
        continue;
      }
    }
    form.push((code !== undefined && codeMessages[code]) || error.message);
  }
  return { fields, form };
}

/** Errors of an urql CombinedError-like value, network failures included. */
export function formErrorsOf(
  error: { graphQLErrors: readonly GraphQLErrorLike[]; networkError?: Error | undefined } | undefined | null,
  argument = 'input',
): FormErrors {
  if (!error) return noErrors;
  const result = toFormErrors(error.graphQLErrors, argument);
  if (error.networkError) {
    return { fields: result.fields, form: [...result.form, `Could not reach the server: ${error.networkError.message}`] };
  }
  return result;
}

/** A single message for a failed query or mutation. */
export function errorMessage(
  error: { graphQLErrors: readonly GraphQLErrorLike[]; networkError?: Error | undefined; message: string },
): string {
  const { fields, form } = formErrorsOf(error);
  const all = [...form, ...Object.entries(fields).map(([path, message]) => `${path}: ${message}`)];
  return all.length > 0 ? all.join(' ') : error.message;
}

export type RowErrors = Readonly<Record<string, string>>;

/**
 * Errors of list rows by row key. keys[i] is the key of the row sent at
 * index i; "requestParameters[1].apiField" lands at keys[1] under
 * "apiField", "requestParameters[1]" under "row". An error on the list
 * itself ("inputParameters") is returned as listError.
 */
export function rowErrors(
  fields: Readonly<Record<string, string>>,
  list: string,
  keys: readonly string[],
): { byRow: Readonly<Record<string, RowErrors>>; listError: string | undefined } {
  const byRow: Record<string, Record<string, string>> = {};
  const pattern = new RegExp(`^${list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(\\d+)\\](?:\\.(.+))?$`);
  for (const [path, message] of Object.entries(fields)) {
    const m = pattern.exec(path);
    if (!m) continue;
    const key = keys[Number(m[1])];
    if (key === undefined) continue;
    const sub = m[2] ?? 'row';
    const row = (byRow[key] ??= {});
    row[sub] ??= message;
  }
  return { byRow, listError: fields[list] };
}

/** Messages of fields that no control on the form shows, so they are not lost. */
export function unclaimedFieldErrors(fields: Readonly<Record<string, string>>, claimed: (path: string) => boolean): string[] {
  return Object.entries(fields)
    .filter(([path]) => !claimed(path))
    .map(([path, message]) => `${path}: ${message}`);
}
