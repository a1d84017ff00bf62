// End-to-end: the built console against a real profilehooks server, in
// Debian's Chromium. The tests run in order and build on each other, like an
// admin's first session: webhook, user, live delivery, redelivery, endpoint.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from './axe';
import {
  frontendDir,
  graphql,
  launchBrowser,
  startConsole,
  startGoServer,
  startReceiver,
  tempDir,
  waitFor,
  type GoServer,
  type Receiver,
} from './harness';

const screenshotDir = join(frontendDir, 'test-results', 'screenshots');

let tmp: ReturnType<typeof tempDir>;
let server: GoServer;
let receiver: Receiver;
let consoleApp: { url: string; stop(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let webhookPath = '';
let userPath = '';
let endpointPath = '';

async function screenshot(p: Page, name: string) {
  await p.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

async function expectAccessible(p: Page, name: string) {
  const violations = await axeViolations(p);
  expect(violations, `axe violations on ${name}`).toEqual([]);
}

async function visit(p: Page, path: string) {
  await p.goto(`${consoleApp.url}${path}`);
  await p.locator('main h1').first().waitFor();
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  tmp = tempDir();
  server = await startGoServer(tmp.dir);
  receiver = await startReceiver();
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
  await receiver?.stop();
  await server?.stop();
  tmp?.remove();
});

describe('admin console', () => {
  test('starts on an empty webhook list without signing in', async () => {
    await visit(page, '/');
    await page.waitForURL(/\/webhooks$/);
    await page.getByText('No profile webhooks yet').waitFor();
    await expectAccessible(page, 'webhooks (empty)');
    await screenshot(page, 'webhooks-empty');
  });

  test('shows a server validation error at the row it names', async () => {
    await page.getByRole('link', { name: 'New webhook' }).click();
    await page.getByLabel('Name', { exact: true }).fill('HR system');
    await page.getByLabel('Post to URL').fill(receiver.url);
    await page.getByLabel('Create User').check();
    await page.getByRole('button', { name: '+ Add request row' }).click();
    await page.getByLabel('API Field, request row 1').fill('contact..email');
    await page.getByLabel('Profile field, request row 1').selectOption('email');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const apiField = page.getByLabel('API Field, request row 1');
    await expect.poll(() => apiField.getAttribute('aria-invalid')).toBe('true');
    const message = await page.locator(`#${await apiField.getAttribute('aria-describedby')}`).innerText();
    expect(message.length).toBeGreaterThan(0);
    expect(page.url()).toMatch(/\/webhooks\/new$/);
    await screenshot(page, 'webhook-validation-error');
  });

  test('creates a webhook with request and response parameter rows', async () => {
    await page.getByLabel('API Field, request row 1').fill('contact.email');
    await page.getByRole('button', { name: '+ Add request row' }).click();
    await page.getByLabel('API Field, request row 2').fill('name.first');
    await page.getByLabel('Profile field, request row 2').selectOption('firstName');
    await page.getByRole('button', { name: '+ Add response row' }).click();
    await page.getByLabel('API Field, response row 1').fill('data.id');
    await page.getByLabel('Profile field, response row 1').selectOption('externalId');
    await page.getByRole('button', { name: '+ Add header' }).click();
    await page.getByLabel('Header name, row 1').fill('X-Tenant');
    await page.getByLabel('Header value, row 1').fill('acme');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(/\/webhooks\/whk_/);
    webhookPath = new URL(page.url()).pathname;
    const secret = page.getByRole('textbox', { name: 'Signing secret' });
    await expect.poll(() => secret.inputValue()).toMatch(/^whsec_/);
    await expect.poll(() => page.getByLabel('API Field, request row 2').inputValue()).toBe('name.first');
    await expectAccessible(page, 'webhook edit (secret shown)');
    await screenshot(page, 'webhook-created');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect.poll(() => secret.count()).toBe(0);
  });

  test('asks before leaving a form with unsaved changes', async () => {
    await page.getByLabel('Name', { exact: true }).fill('HR system (edited)');
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(/unsaved changes/);
    expect(new URL(page.url()).pathname).toBe(webhookPath);
    await page.getByLabel('Name', { exact: true }).fill('HR system');
    await expect.poll(() => page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
  });

  test('creates a user in the UI and watches its delivery arrive live', async () => {
    const log = await context.newPage();
    log.on('pageerror', (err) => pageErrors.push(err.message));
    await visit(log, '/deliveries');
    await log.getByText('No deliveries yet').waitFor();
    await log.getByRole('status').filter({ hasText: /^Live$/ }).waitFor();

    await visit(page, '/users/new');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL(/\/users\/usr_/);
    userPath = new URL(page.url()).pathname;

    const row = log.getByRole('row').filter({ hasText: 'ada@example.com' });
    await row.waitFor();
    await row.getByText('Succeeded', { exact: true }).waitFor();
    const request = await waitFor('the webhook request', () => receiver.requests[0]);
    expect(JSON.parse(request.body)).toEqual({ contact: { email: 'ada@example.com' }, name: { first: 'Ada' } });
    expect(request.headers['x-tenant']).toBe('acme');
    expect(request.headers['webhook-signature']).toMatch(/^v1,/);
    await expectAccessible(log, 'delivery log');
    await screenshot(log, 'delivery-log');

    // The attempt drawer: request and response, then Redeliver.
    await row.getByRole('button', { name: /open delivery/ }).click();
    const drawer = log.getByRole('dialog');
    await drawer.getByText('Attempt 1').first().waitFor();
    await drawer.getByRole('rowheader', { name: 'webhook-id' }).first().waitFor();
    await drawer.getByLabel('Response body').first().getByText(/ext-1/).waitFor();
    await expectAccessible(log, 'delivery drawer');
    await screenshot(log, 'delivery-drawer');
    await drawer.getByRole('button', { name: 'Redeliver' }).click();
    const second = await waitFor('the redelivery', () => receiver.requests[1]);
    expect(second.headers['webhook-id']).toBe(request.headers['webhook-id']);
    await drawer.getByText('Attempt 2').first().waitFor();
    await row.getByRole('cell', { name: '2', exact: true }).waitFor();
    await log.keyboard.press('Escape');
    await expect.poll(() => drawer.count()).toBe(0);
    await log.close();
  });

  test('shows the response parameter written back into the profile', async () => {
    await visit(page, userPath);
    await expect.poll(() => page.getByLabel(/External ID/i).inputValue()).toMatch(/^ext-\d$/);
    await expectAccessible(page, 'user profile');
    await screenshot(page, 'user-profile');
  });

  test('previews the payload and sends a test from the webhook page', async () => {
    await visit(page, webhookPath);
    await page.getByRole('button', { name: 'Preview payload' }).click();
    await page.getByLabel('Body', { exact: true }).getByText(/ada@example.com/).waitFor();
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByRole('heading', { name: /Test result/ }).getByText('HTTP 200').waitFor();
    await expectAccessible(page, 'webhook preview and test');
    await screenshot(page, 'webhook-test');
  });

  test('lists the webhook with its status and last delivery', async () => {
    await visit(page, '/webhooks');
    const row = page.getByRole('row').filter({ hasText: 'HR system' });
    await row.getByText('Enabled').waitFor();
    await row.getByText('Succeeded', { exact: true }).waitFor();
    await expectAccessible(page, 'webhooks');
    await screenshot(page, 'webhooks');
  });

  test('creates an incoming endpoint and shows its URL', async () => {
    await visit(page, '/endpoints');
    await page.getByRole('link', { name: 'New endpoint' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Payroll');
    await page.getByLabel('API Field, input row 1').fill('user.email');
    await page.getByRole('button', { name: '+ Add input row' }).click();
    await page.getByLabel('API Field, input row 2').fill('user.title');
    await page.getByLabel('Profile field, input row 2').selectOption('jobTitle');
    await page.getByLabel('Authentication mode').selectOption('HMAC');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.waitForURL(/\/endpoints\/inb_/);
    endpointPath = new URL(page.url()).pathname;
    await expect.poll(() => page.getByRole('textbox', { name: 'Endpoint URL' }).inputValue()).toMatch(/\/inbound\//);
    await expectAccessible(page, 'endpoint');
    await screenshot(page, 'endpoint');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await visit(page, '/endpoints');
    await page.getByRole('row').filter({ hasText: 'Payroll' }).waitFor();
    await expectAccessible(page, 'endpoints');
    await screenshot(page, 'endpoints');
  });

  test('links a webhook, manages OAuth clients, dry-runs a payload and shows requests live', async () => {
    await visit(page, endpointPath);
    await page.getByLabel('Authentication mode').selectOption('OAUTH2');
    await page.getByLabel('HR system').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const stored = await graphql<{ inboundEndpoints: { edges: { node: { linkedWebhookIds: string[] | null } }[] } }>(
      server.url,
      'query($id: ID!) { inboundEndpoints(first: 1, where: {id: $id}) { edges { node { linkedWebhookIds } } } }',
      { id: endpointPath.split('/').pop() },
    );
    expect(stored.inboundEndpoints.edges[0]?.node.linkedWebhookIds).toEqual([webhookPath.split('/').pop()]);

    await page.getByLabel('Client name').fill('Payroll client');
    await page.getByRole('button', { name: 'Create OAuth client' }).click();
    const secretBox = page.getByRole('textbox', { name: 'Client secret' });
    await expect.poll(() => secretBox.inputValue()).not.toBe('');
    const firstSecret = await secretBox.inputValue();
    const row = page.getByRole('row').filter({ hasText: 'Payroll client' });
    const clientId = (await row.locator('td').nth(1).innerText()).trim();
    await expectAccessible(page, 'endpoint (client secret shown)');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect.poll(() => secretBox.count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Rotate secret of Payroll client' }).click();
    await expect.poll(() => secretBox.inputValue()).not.toBe(firstSecret);
    const secret = await secretBox.inputValue();
    await page.getByRole('button', { name: 'I have stored it' }).click();

    await page.getByLabel('Payload (JSON)').fill('{"user": {"email": "ada@example.com", "title": "Engineer"}, "note": "x"}');
    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    const result = page.getByRole('status', { name: 'Dry run result' });
    await result.getByText('Matched user').waitFor();
    await result.getByRole('cell', { name: 'jobTitle' }).first().waitFor();
    await result.getByText('note').waitFor();

    const tokenRes = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const { access_token: accessToken } = (await tokenRes.json()) as { access_token: string };
    const endpointUrl = await page.getByRole('textbox', { name: 'Endpoint URL' }).inputValue();
    const inbound = await fetch(endpointUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { email: 'ada@example.com', title: 'Engineer' } }),
    });
    expect(inbound.status).toBe(200);
    await page.getByRole('table', { name: 'Incoming requests' }).getByRole('row').filter({ hasText: 'jobTitle' }).waitFor();
    await screenshot(page, 'endpoint-extras');

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke Payroll client' }).click();
    await row.getByText(/^Revoked/).waitFor();
    // Put the endpoint back as it was for the tests that follow.
    await page.getByLabel('HR system').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved at/).waitFor();
  });

  test('searches users and pages through them', async () => {
    for (let i = 0; i < 30; i++) {
      await graphql(server.url, 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
        input: { email: `user${String(i).padStart(2, '0')}@example.com`, lastName: `Tester${i}` },
      });
    }
    await visit(page, '/users');
    await page.getByText('Showing 25 of 31 users').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Showing 6 of 31 users').waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Showing 25 of 31 users').waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('lovelace');
    await page.getByText('Showing 1 of 1 users').waitFor();
    await expectAccessible(page, 'users');
    await screenshot(page, 'users');
  });

  test('keeps only a window of a long delivery log in the DOM', async () => {
    await visit(page, '/deliveries');
    await page.getByText(/32 in history/).waitFor();
    const rendered = await page.getByRole('row').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(33 + 1);
    // Keyboard: the arrow keys move between rows.
    await page.getByRole('button', { name: /open delivery/ }).first().focus();
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.closest('[data-index]')?.getAttribute('data-index'));
    expect(focused).toBe('1');
    // Filters narrow the table and the history query.
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByText('No deliveries match these filters').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('FAILED');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText(/32 in history/).waitFor();
  });

  test('replays failed deliveries since a time', async () => {
    await page.getByText('Replay failed deliveries').click();
    await page.getByLabel('Failed since').fill('2020-01-01T00:00');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByText('Nothing to replay in that range.').waitFor();
    await expectAccessible(page, 'delivery log with replay');
  });

  test('creates, edits and deletes a custom profile field', async () => {
    await visit(page, '/fields');
    await page.getByLabel('Key', { exact: true }).fill('badge');
    await page.getByLabel('Label', { exact: true }).fill('Badge');
    await page.getByRole('button', { name: 'Create field' }).click();
    const row = page.getByRole('row').filter({ hasText: 'custom.badge' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Edit Badge' }).click();
    await page.getByRole('form', { name: 'Edit Badge' }).getByLabel('Label').fill('Badge number');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('cell', { name: 'Badge number', exact: true }).waitFor();
    await expectAccessible(page, 'profile fields');
    await screenshot(page, 'profile-fields');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete Badge number' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'custom.badge' }).count()).toBe(0);
  });

  test('shows the Security page and manages a webhook credential', async () => {
    await visit(page, '/security');
    await page.getByText('No webhook credentials yet.').waitFor();
    await page.getByText('No active API tokens.').waitFor();
    await page.getByRole('table', { name: 'Audit log' }).waitFor();
    await expectAccessible(page, 'security');
    await screenshot(page, 'security');
    await page.getByRole('button', { name: 'New credential' }).click();
    await page.getByLabel('Credential name').fill('Receiver bearer');
    await page.getByLabel('Type').selectOption('BEARER');
    await page.getByLabel('Token', { exact: true }).fill('bearer-secret-1234');
    await page.getByRole('button', { name: 'Create credential' }).click();
    await page.getByRole('row').filter({ hasText: 'Receiver bearer' }).waitFor();
    await page.getByRole('button', { name: 'Test Receiver bearer' }).click();
    await page.getByRole('row').filter({ hasText: 'Receiver bearer' }).getByText('OK', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit Receiver bearer' }).click();
    await page.getByText('Stored: …1234.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  test('creates an API token and shows it once', async () => {
    await page.getByLabel('Token name').fill('ci-deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = page.getByRole('textbox', { name: 'New API token' });
    await expect.poll(() => token.inputValue()).toMatch(/^phk_/);
    const value = await token.inputValue();
    await page.getByRole('row').filter({ hasText: 'ci-deploy' }).getByText(`…${value.slice(-4)}`).waitFor();
    await expectAccessible(page, 'security (token shown)');
    await screenshot(page, 'security-token-created');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect.poll(() => token.count()).toBe(0);
    await visit(page, '/security');
    await page.getByRole('row').filter({ hasText: 'ci-deploy' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'New API token' }).count()).toBe(0);
    expect(await page.content()).not.toContain(value);
    await page.getByRole('row').filter({ hasText: 'createApiToken' }).first().waitFor();
  });

  test('shows a settings error at the field and saves the settings', async () => {
    const cors = page.getByLabel('CORS origins');
    await cors.fill('https://console.example.com\nnot an origin');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => cors.getAttribute('aria-invalid')).toBe('true');
    await cors.fill('https://console.example.com');
    await page.getByRole('button', { name: '+ Add issuer' }).click();
    await page.getByLabel('Issuer, row 1').fill('https://login.example.com');
    await page.getByLabel('Audience, row 1').fill('profilehooks');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const stored = await graphql<{ securitySettings: { corsOrigins: string[]; trustedIssuers: { issuer: string }[] } }>(
      server.url,
      '{ securitySettings { corsOrigins trustedIssuers { issuer } } }',
    );
    expect(stored.securitySettings.corsOrigins).toEqual(['https://console.example.com']);
    expect(stored.securitySettings.trustedIssuers).toEqual([{ issuer: 'https://login.example.com' }]);
    // Put the settings back: the rest of the run uses the console's own origin.
    await graphql(server.url, 'mutation { updateSecuritySettings(input: {corsOrigins: [], trustedIssuers: []}) { updatedAt } }');
  });

  test('picks a credential for a webhook', async () => {
    await visit(page, webhookPath);
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: 'Receiver bearer' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved at/).waitFor();
    await visit(page, webhookPath);
    await expect.poll(async () => page.getByLabel('Credential', { exact: true }).locator('option:checked').innerText()).toBe('Receiver bearer');
  });

  test('sends the API token on HTTP and in the websocket connection_init', async () => {
    await visit(page, '/webhooks');
    await page.locator('summary', { hasText: 'Settings' }).click();
    await page.getByLabel('API token').fill('e2e-token');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Token saved.').waitFor();
    const httpAuth = page.waitForRequest((r) => r.url().endsWith('/graphql') && r.method() === 'POST');
    const socket = page.waitForEvent('websocket');
    await page.goto(`${consoleApp.url}/deliveries`);
    expect((await httpAuth).headers()['authorization']).toBe('Bearer e2e-token');
    const ws = await socket;
    const init = await ws.waitForEvent('framesent', (f) => String(f.payload).includes('connection_init'));
    expect(JSON.parse(String(init.payload))).toEqual({ type: 'connection_init', payload: { Authorization: 'Bearer e2e-token' } });
    await page.locator('summary', { hasText: 'Settings · token set' }).click();
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.getByText('Token cleared.').waitFor();
  });

  test('raised no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
