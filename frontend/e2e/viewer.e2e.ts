// End-to-end: a server with --admin-token (not dev mode) and a VIEWER API
// token created through the API. With that token in the console's setting,
// every form is read-only and no mutation control is offered.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from './axe';
import { frontendDir, graphql, launchBrowser, startConsole, startGoServer, tempDir, type GoServer } from './harness';

const screenshotDir = join(frontendDir, 'test-results', 'screenshots');
const adminToken = 'e2e-admin-token-0123456789abcdef';

let tmp: ReturnType<typeof tempDir>;
let server: GoServer;
let consoleApp: { url: string; stop(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let viewerToken = '';
let webhookId = '';
let endpointId = '';
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  tmp = tempDir();
  // Outside dev mode the server wants its secret key file to exist.
  writeFileSync(join(tmp.dir, 'key'), randomBytes(32).toString('base64'), { mode: 0o600 });
  server = await startGoServer(tmp.dir, ['--admin-token', adminToken]);
  consoleApp = await startConsole(server.url);
  const created = await graphql<{ createApiToken: { token: string } }>(
    server.url,
    'mutation { createApiToken(input: {name: "auditor", role: VIEWER}) { token } }',
    {},
    adminToken,
  );
  viewerToken = created.createApiToken.token;
  const webhook = await graphql<{ createProfileWebhook: { profileWebhook: { id: string } } }>(
    server.url,
    'mutation { createProfileWebhook(input: {name: "HR", url: "https://hr.example.com/hook", triggers: [CREATE_USER]}) { profileWebhook { id } } }',
    {},
    adminToken,
  );
  webhookId = webhook.createProfileWebhook.profileWebhook.id;
  const endpoint = await graphql<{ createInboundEndpoint: { inboundEndpoint: { id: string } } }>(
    server.url,
    'mutation { createInboundEndpoint(input: {name: "HR in", authMode: HMAC, inputParameters: [{apiField: "email", profileField: "email", userIdentifier: true}]}) { inboundEndpoint { id } } }',
    {},
    adminToken,
  );
  endpointId = endpoint.createInboundEndpoint.inboundEndpoint.id;
  await graphql(server.url, 'mutation { createWebhookCredential(input: {name: "Key", type: BEARER, token: "static-token-123456"}) { id } }', {}, adminToken);
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
  tmp?.remove();
});

/** Enabled controls that could change something: form inputs and buttons other than navigation. */
async function enabledMutationControls(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const out: string[] = [];
    const navigation = /^(← Previous|Next →|Cancel|Close|View .*|Try again|Copy .*)$/;
    for (const el of document.querySelectorAll<HTMLElement>('main form input, main form select, main form textarea, main button')) {
      // :disabled covers controls inside a disabled fieldset too.
      if (el.matches(':disabled')) continue;
      const form = el.closest('form');
      if (form && (form.getAttribute('role') === 'search' || form.getAttribute('aria-label') === 'Filters')) continue;
      if ((el as HTMLInputElement).readOnly) continue;
      const name = el.getAttribute('aria-label') ?? ((el as HTMLInputElement).labels?.[0]?.textContent || el.textContent?.trim() || el.tagName);
      if (el.tagName === 'BUTTON' && navigation.test(name)) continue;
      out.push(`${el.tagName.toLowerCase()} ${name}`);
    }
    return out;
  });
}

describe('viewer (read-only) console', () => {
  test('a VIEWER API token makes every form read-only', async () => {
    await page.goto(`${consoleApp.url}/webhooks`);
    await page.locator('summary', { hasText: 'Settings' }).click();
    await page.getByLabel('API token').fill(viewerToken);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Token saved.').waitFor();
    await page.getByText('Read-only', { exact: true }).waitFor();
    await page.locator('summary', { hasText: 'Settings' }).click();
    await page.getByRole('link', { name: 'HR' }).first().waitFor();
    expect(await page.getByRole('link', { name: 'New webhook' }).count()).toBe(0);

    await page.goto(`${consoleApp.url}/security`);
    await page.getByRole('row').filter({ hasText: 'auditor' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Key' }).first().waitFor();
    await expect.poll(() => page.getByLabel('Access token lifetime').isDisabled()).toBe(true);
    for (const name of ['New credential', 'Create token', 'Save settings', 'Revoke auditor', 'Test Key', 'Delete Key']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    expect(await enabledMutationControls(page)).toEqual([]);
    expect(await axeViolations(page), 'axe violations on security (viewer)').toEqual([]);
    await page.screenshot({ path: join(screenshotDir, 'security-viewer.png'), fullPage: true });
    await page.getByRole('button', { name: 'View Key' }).click();
    await expect.poll(() => page.getByLabel('Credential name').isDisabled()).toBe(true);
    expect(await enabledMutationControls(page)).toEqual([]);

    for (const path of [`/webhooks/${webhookId}`, `/endpoints/${endpointId}`, '/users', '/fields', '/deliveries']) {
      await page.goto(`${consoleApp.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await enabledMutationControls(page), path).toEqual([]);
    }
    await page.goto(`${consoleApp.url}/webhooks/${webhookId}`);
    await expect.poll(() => page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
  });

  test('raised no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
