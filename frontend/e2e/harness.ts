// The end-to-end environment: the real profilehooks server (built from this
// repository, dev mode, SQLite in a temporary directory), a loopback webhook
// receiver, the built console served by `vite preview` with /graphql
// (HTTP and websocket) proxied to the server, and Debian's Chromium.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createLogger, preview, type PreviewServer } from 'vite';

export const frontendDir = fileURLToPath(new URL('..', import.meta.url));
export const repoDir = resolve(frontendDir, '..');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export interface GoServer {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Builds cmd/profilehooks (or takes the binary PROFILEHOOKS_E2E_BIN names)
 * and runs it in dev mode on a free loopback port.
 */
export async function startGoServer(dir: string, extraArgs: readonly string[] = []): Promise<GoServer> {
  let bin = process.env.PROFILEHOOKS_E2E_BIN ?? '';
  if (bin === '') {
    bin = join(dir, 'profilehooks');
    execFileSync('go', ['build', '-o', bin, './cmd/profilehooks'], { cwd: repoDir, stdio: 'inherit' });
  }
  const port = await freePort();
  const logFile = join(dir, 'server.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    bin,
    [
      'serve',
      '--addr',
      `127.0.0.1:${port}`,
      '--database-url',
      `sqlite://${join(dir, 'db.sqlite')}`,
      '--secret-key-file',
      join(dir, 'key'),
      '--allow-private-targets',
      '--retry-schedule',
      '0s,50ms',
      '--log-format',
      'text',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  // Never leave the server behind, even when the test process dies early.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`the server at ${url}`, async () => {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}; see ${logFile}`);
    const res = await fetch(`${url}/readyz`);
    return res.ok ? true : undefined;
  }, 30_000);
  return {
    url,
    logFile,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  stop(): Promise<void>;
}

/** A webhook receiver on loopback: records every request, answers 200 with {"data":{"id":"ext-<n>"}}. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ data: { id: `ext-${requests.length}` } }));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/hooks/users`,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Serves the built dist/ (SPA fallback) and proxies /graphql, websockets included, to the Go server. */
export async function startConsole(goUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  // Websockets that the browser drops on navigation reset the proxied
  // connection; that is expected here and not worth a stack trace.
  const logger = createLogger('warn');
  const logError = logger.error.bind(logger);
  logger.error = (msg, options) => {
    if (/ECONNRESET|EPIPE/.test(`${msg} ${options?.error?.message ?? ''}`)) return;
    logError(msg, options);
  };
  const server: PreviewServer = await preview({
    customLogger: logger,
    root: frontendDir,
    configFile: false,
    logLevel: 'warn',
    appType: 'spa',
    build: { outDir: 'dist' },
    preview: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      open: false,
      proxy: { '/graphql': { target: goUrl, ws: true, changeOrigin: false }, '/auth/config': { target: goUrl, changeOrigin: false } },
    },
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A GraphQL request straight to the server, for setting up data the UI is not under test for. */
export async function graphql<T>(goUrl: string, query: string, variables: Record<string, unknown> = {}, token = ''): Promise<T> {
  const res = await fetch(`${goUrl}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}
