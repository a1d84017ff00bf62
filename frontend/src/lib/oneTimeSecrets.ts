// Secrets the API returns once (after create), kept in memory until the
// admin dismisses them, so that the page of the new object can show them.
// Never persisted: a reload loses them, as it should.

const secrets = new Map<string, string>();

export function stashSecret(id: string, secret: string): void {
  secrets.set(id, secret);
}

export function peekSecret(id: string): string | null {
  return secrets.get(id) ?? null;
}

export function dropSecret(id: string): void {
  secrets.delete(id);
}
