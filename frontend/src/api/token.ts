// The optional API token, kept in localStorage. Dev mode needs none; with
// one, every request carries `Authorization: Bearer <token>`.

const storageKey = 'profilehooks.apiToken';
const listeners = new Set<() => void>();

function read(): string {
  try {
    return window.localStorage.getItem(storageKey) ?? '';
  } catch {
    return '';
  }
}

let current = read();

export function getToken(): string {
  return current;
}

export function setToken(token: string): void {
  current = token.trim();
  try {
    if (current === '') window.localStorage.removeItem(storageKey);
    else window.localStorage.setItem(storageKey, current);
  } catch {
    // Storage may be unavailable (private mode); the token then lasts for this page only.
  }
  for (const listener of listeners) listener();
}

export function subscribeToken(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The Authorization header value for a token, or null without one. */
export function authorization(token: string): string | null {
  return token === '' ? null : `Bearer ${token}`;
}
