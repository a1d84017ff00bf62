// The dry-run box: the pasted payload must be one JSON object.

export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'Paste one JSON object ({…}).' };
  return { ok: true, value: value as Record<string, unknown> };
}

/** A JSON value for display; undefined and null both read null. */
export function showJson(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}
