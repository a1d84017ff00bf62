// End-to-end: sign-in with OpenID Connect. A fake identity provider on
// loopback (discovery document, authorization endpoint that signs the user
// in at once, token endpoint that checks the PKCE verifier, JWKS, RS256 ID
// tokens), the server with --oidc-issuer pointing at it, and the console
// running the Authorization Code flow with PKCE in Chromium.

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from './axe';
import { freePort, frontendDir, launchBrowser, startConsole, startGoServer, tempDir, type GoServer } from './harness';

const screenshotDir = join(frontendDir, 'test-results', 'screenshots');
const clientId = 'profilehooks-console';

interface Provider {
  issuer: string;
  tokenRequests: Record<string, string>[];
  authorizeRequests: Record<string, string>[];
  stop(): Promise<void>;
}

async function startProvider(): Promise<Provider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string }>();
  const tokenRequests: Record<string, string>[] = [];
  const authorizeRequests: Record<string, string>[] = [];
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const idToken = (nonce: string) => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({
      iss: issuer,
      aud: clientId,
      sub: 'ada',
      name: 'Ada Admin',
      groups: ['ph-admins'],
      nonce,
      iat: now,
      exp: now + 3600,
    })}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type, Accept', 'Access-Control-Allow-Methods': 'GET, POST' });
      res.end();
      return;
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
      return;
    }
    if (url.pathname === '/jwks') {
      json(res, 200, { keys: [jwk] });
      return;
    }
    if (url.pathname === '/authorize') {
      const q = Object.fromEntries(url.searchParams);
      authorizeRequests.push(q);
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: q['code_challenge'] ?? '', nonce: q['nonce'] ?? '', redirectUri: q['redirect_uri'] ?? '' });
      const back = new URL(q['redirect_uri'] ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', q['state'] ?? '');
      res.writeHead(302, { Location: back.href });
      res.end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        tokenRequests.push(form);
        const grant = codes.get(form['code'] ?? '');
        codes.delete(form['code'] ?? '');
        const verified = grant && createHash('sha256').update(form['code_verifier'] ?? '').digest('base64url') === grant.challenge;
        if (!grant || !verified || form['grant_type'] !== 'authorization_code' || form['redirect_uri'] !== grant.redirectUri || form['client_id'] !== clientId) {
          json(res, 400, { error: 'invalid_grant', error_description: 'code, verifier, redirect URI or client do not match' });
          return;
        }
        json(res, 200, { access_token: 'opaque', token_type: 'Bearer', expires_in: 3600, id_token: idToken(grant.nonce) });
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { issuer, tokenRequests, authorizeRequests, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

let tmp: ReturnType<typeof tempDir>;
let provider: Provider;
let server: GoServer;
let consoleApp: { url: string; stop(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  tmp = tempDir();
  provider = await startProvider();
  writeFileSync(join(tmp.dir, 'key'), randomBytes(32).toString('base64'), { mode: 0o600 });
  server = await startGoServer(tmp.dir, [
    '--oidc-issuer',
    provider.issuer,
    '--oidc-client-id',
    clientId,
    '--oidc-roles-claim',
    'groups',
    '--oidc-admin-values',
    'ph-admins',
  ]);
  consoleApp = await startConsole(server.url);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await consoleApp?.stop();
  await server?.stop();
  await provider?.stop();
  tmp?.remove();
});

describe('sign-in with OpenID Connect', () => {
  test('asks to sign in, runs the code flow with PKCE and sends the ID token', async () => {
    await page.goto(`${consoleApp.url}/security`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(await axeViolations(page), 'axe violations on sign-in').toEqual([]);
    await page.screenshot({ path: join(screenshotDir, 'sign-in.png'), fullPage: true });

    const graphqlAuth = page.waitForRequest((r) => r.url().endsWith('/graphql') && r.method() === 'POST');
    await page.getByRole('button', { name: 'Sign in with OpenID Connect' }).click();
    await page.waitForURL(`${consoleApp.url}/security`);
    await page.getByText('Ada Admin').waitFor();
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();

    const [authorize] = provider.authorizeRequests;
    expect(authorize?.['code_challenge_method']).toBe('S256');
    expect(authorize?.['client_id']).toBe(clientId);
    expect(authorize?.['redirect_uri']).toBe(`${consoleApp.url}/oidc-callback`);
    expect(authorize?.['scope']).toBe('openid profile email');
    expect(provider.tokenRequests).toHaveLength(1);
    const auth = (await graphqlAuth).headers()['authorization'] ?? '';
    expect(auth).toMatch(/^Bearer eyJ/);
    const stored = await page.evaluate(() => window.sessionStorage.getItem('profilehooks.idToken'));
    expect(auth).toBe(`Bearer ${stored}`);

    // Signing out asks again.
    await page.locator('summary', { hasText: 'Settings · signed in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  });

  test('raised no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
