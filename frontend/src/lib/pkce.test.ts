import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { authorizationUrl, base64Url, discoveryUrl, isExpired, jwtClaims, parseCallback, randomVerifier, s256Challenge, tokenRequestBody } from './pkce';

describe('PKCE', () => {
  test('a verifier is 43 base64url characters from 32 random bytes', () => {
    const v = randomVerifier();
    expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomVerifier()).not.toBe(v);
    expect(randomVerifier((b) => b.fill(255))).toBe('_'.repeat(42) + '8');
  });

  test('the S256 challenge is base64url(SHA-256(verifier)) without padding', async () => {
    const v = 'dBjftJeZ4CVP-mJ92K9pmnE8wJXi1xE89Zs0Bk5fP6g';
    expect(await s256Challenge(v)).toBe(createHash('sha256').update(v).digest('base64url'));
    expect(await s256Challenge(v)).not.toMatch(/[=+/]/);
  });

  test('base64url', () => {
    expect(base64Url(new Uint8Array([251, 255]))).toBe('-_8');
  });

  test('builds the authorization URL', () => {
    const url = new URL(
      authorizationUrl({
        authorizationEndpoint: 'https://login.example.com/auth?prompt=login',
        clientId: 'profilehooks-console',
        redirectUri: 'https://ph.example.com/oidc-callback',
        scopes: ['openid', 'profile', 'email'],
        state: 's1',
        nonce: 'n1',
        challenge: 'c1',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://login.example.com/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      prompt: 'login',
      response_type: 'code',
      client_id: 'profilehooks-console',
      redirect_uri: 'https://ph.example.com/oidc-callback',
      scope: 'openid profile email',
      state: 's1',
      nonce: 'n1',
      code_challenge: 'c1',
      code_challenge_method: 'S256',
    });
  });

  test('builds the token request', () => {
    expect(Object.fromEntries(new URLSearchParams(tokenRequestBody({ code: 'a b', redirectUri: 'https://x/cb', clientId: 'c', verifier: 'v' })))).toEqual({
      grant_type: 'authorization_code',
      code: 'a b',
      redirect_uri: 'https://x/cb',
      client_id: 'c',
      code_verifier: 'v',
    });
  });

  test('parses the callback', () => {
    expect(parseCallback('?code=abc&state=s')).toEqual({ kind: 'code', code: 'abc', state: 's' });
    expect(parseCallback('?error=access_denied&error_description=No&state=s')).toEqual({ kind: 'error', error: 'No', state: 's' });
    expect(parseCallback('')).toEqual({ kind: 'none' });
  });

  test('discovery URL and ID token expiry', () => {
    expect(discoveryUrl('https://login.example.com/realms/acme/')).toBe('https://login.example.com/realms/acme/.well-known/openid-configuration');
    const token = (exp: number) => `h.${Buffer.from(JSON.stringify({ sub: 'u', exp })).toString('base64url')}.s`;
    expect(jwtClaims(token(10))).toEqual({ sub: 'u', exp: 10 });
    expect(isExpired(token(10), 9_000)).toBe(false);
    expect(isExpired(token(10), 10_000)).toBe(true);
    expect(isExpired('not-a-jwt', 0)).toBe(true);
  });
});
