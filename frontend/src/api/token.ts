// The credential the console sends: an OIDC ID token from signing in (kept
// in sessionStorage, so it ends with the tab) or else the optional API token
// (kept in localStorage). Dev mode needs neither; with one, every request
// carries `Authorization: Bearer <credential>`.

import { isExpired } from '../lib/pkce';

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

const idTokenKey = 'profilehooks.idToken';

function readIdToken(): string {
  try {
    return window.sessionStorage.getItem(idTokenKey) ?? '';
  } catch {
    return '';
  }
}

let currentIdToken = readIdToken();

export function getIdToken(): string {
  return currentIdToken;
}

/** Keeps the ID token of a sign-in for this tab; an empty one signs out. */
export function setIdToken(token: string): void {
  currentIdToken = token;
  try {
    if (token === '') window.sessionStorage.removeItem(idTokenKey);
    else window.sessionStorage.setItem(idTokenKey, token);
  } catch {
    // Without storage the sign-in lasts for this page only.
  }
  for (const listener of listeners) listener();
}

/** What to send: an unexpired ID token, else the API token, else nothing (""). */
export function getCredential(): string {
  if (currentIdToken !== '' && !isExpired(currentIdToken, Date.now())) return currentIdToken;
  return current;
}

export function subscribeToken(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The Authorization header value for a token, or null without one. */
export function authorization(token: string): string | null {
  return token === '' ? null : `Bearer ${token}`;
}
