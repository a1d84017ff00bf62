// Sign-in with OpenID Connect: GET /auth/config says whether and where; the
// Authorization Code flow with PKCE (S256) runs against the issuer from its
// discovery document, the provider redirects back to /oidc-callback, and
// the code is exchanged at the token endpoint for an ID token, which the
// console then sends as its bearer credential.

import { authorizationUrl, discoveryUrl, jwtClaims, parseCallback, randomVerifier, s256Challenge, tokenRequestBody } from '../lib/pkce';
import { setIdToken } from './token';

export interface AuthConfig {
  signInRequired: boolean;
  oidc: boolean;
  issuer: string;
  clientId: string;
  scopes: string[];
  pkceMethod: string;
  apiTokenPrefix: string;
}

export const callbackPath = '/oidc-callback';
const flowKey = 'profilehooks.oidcFlow';

interface PendingFlow {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
  tokenEndpoint: string;
  clientId: string;
  redirectUri: string;
}

/** The server's sign-in configuration; null when it cannot be read (then the console asks for nothing). */
export async function fetchAuthConfig(): Promise<AuthConfig | null> {
  try {
    const res = await fetch('/auth/config', { headers: { Accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('Content-Type') ?? '').includes('json')) return null;
    return (await res.json()) as AuthConfig;
  } catch {
    return null;
  }
}

/** Sends the browser to the issuer's authorization endpoint. */
export async function startSignIn(config: AuthConfig): Promise<void> {
  const res = await fetch(discoveryUrl(config.issuer));
  if (!res.ok) throw new Error(`The issuer's discovery document answered ${res.status}.`);
  const discovery = (await res.json()) as { authorization_endpoint?: string; token_endpoint?: string };
  if (!discovery.authorization_endpoint || !discovery.token_endpoint) throw new Error('The discovery document lacks the authorization or token endpoint.');
  const flow: PendingFlow = {
    verifier: randomVerifier(),
    state: randomVerifier(),
    nonce: randomVerifier(),
    returnTo: window.location.pathname === callbackPath ? '/' : window.location.pathname + window.location.search,
    tokenEndpoint: discovery.token_endpoint,
    clientId: config.clientId,
    redirectUri: new URL(callbackPath, window.location.href).href,
  };
  window.sessionStorage.setItem(flowKey, JSON.stringify(flow));
  window.location.assign(
    authorizationUrl({
      authorizationEndpoint: discovery.authorization_endpoint,
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      scopes: config.scopes.length > 0 ? config.scopes : ['openid'],
      state: flow.state,
      nonce: flow.nonce,
      challenge: await s256Challenge(flow.verifier),
    }),
  );
}

let lastError = '';

/** Why the last sign-in failed, once; empty when it did not. */
export function takeSignInError(): string {
  const e = lastError;
  lastError = '';
  return e;
}

/**
 * On /oidc-callback: checks the state, exchanges the code for tokens and
 * keeps the ID token, then returns to where the sign-in started. Does
 * nothing on any other page.
 */
export async function completeSignIn(): Promise<void> {
  if (window.location.pathname !== callbackPath) return;
  const raw = window.sessionStorage.getItem(flowKey);
  window.sessionStorage.removeItem(flowKey);
  const flow = raw ? (JSON.parse(raw) as PendingFlow) : null;
  const callback = parseCallback(window.location.search);
  try {
    if (!flow) throw new Error('No sign-in was in progress in this tab.');
    if (callback.kind === 'none') throw new Error('The provider sent no code.');
    if (callback.state !== flow.state) throw new Error('The sign-in answer does not belong to this tab (state mismatch).');
    if (callback.kind === 'error') throw new Error(callback.error);
    const res = await fetch(flow.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: tokenRequestBody({ code: callback.code, redirectUri: flow.redirectUri, clientId: flow.clientId, verifier: flow.verifier }),
    });
    const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
    if (!res.ok || !body.id_token) throw new Error(body.error_description || body.error || `The token endpoint answered ${res.status}.`);
    if (jwtClaims(body.id_token)?.['nonce'] !== flow.nonce) throw new Error('The ID token does not carry this sign-in’s nonce.');
    setIdToken(body.id_token);
  } catch (err) {
    lastError = `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  window.history.replaceState(null, '', flow && !lastError ? flow.returnTo : '/');
}
