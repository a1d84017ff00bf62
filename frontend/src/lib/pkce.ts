// Authorization Code flow with PKCE (RFC 7636, S256), the pure parts: the
// code verifier and challenge, the authorization URL, the token request,
// the callback's parameters and the expiry of an ID token.

export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A code verifier: 32 random bytes, base64url (43 characters of [A-Za-z0-9_-]). */
export function randomVerifier(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return base64Url(random(new Uint8Array(32)));
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export interface AuthorizationRequest {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  nonce: string;
  challenge: string;
}

export function authorizationUrl(req: AuthorizationRequest): string {
  const url = new URL(req.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', req.clientId);
  url.searchParams.set('redirect_uri', req.redirectUri);
  url.searchParams.set('scope', req.scopes.join(' '));
  url.searchParams.set('state', req.state);
  url.searchParams.set('nonce', req.nonce);
  url.searchParams.set('code_challenge', req.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.href;
}

/** The form body that exchanges the code for tokens at the token endpoint (a public client: no secret). */
export function tokenRequestBody(p: { code: string; redirectUri: string; clientId: string; verifier: string }): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: p.clientId,
    code_verifier: p.verifier,
  }).toString();
}

export type Callback = { kind: 'code'; code: string; state: string } | { kind: 'error'; error: string; state: string } | { kind: 'none' };

/** What the provider sent back in the redirect's query string. */
export function parseCallback(search: string): Callback {
  const q = new URLSearchParams(search);
  const state = q.get('state') ?? '';
  const error = q.get('error');
  if (error) return { kind: 'error', error: q.get('error_description') || error, state };
  const code = q.get('code');
  if (code) return { kind: 'code', code, state };
  return { kind: 'none' };
}

/** The issuer's discovery document URL. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** A JWT's claims, undecoded signature (the server verifies it); null when it is not a JWT. */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims: unknown = JSON.parse(json);
    return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether an ID token has expired (or is not a JWT with exp) at nowMs. */
export function isExpired(token: string, nowMs: number): boolean {
  const exp = jwtClaims(token)?.['exp'];
  return typeof exp !== 'number' || exp * 1000 <= nowMs;
}
