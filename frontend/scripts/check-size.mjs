// Fails when the JavaScript the browser loads before the first page renders
// (the entry chunk of dist/index.html and the chunks it preloads) exceeds
// the budget, gzipped. Pages are split off with React.lazy and don't count.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const budgetKiB = 250;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]);
const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
if (entries.length === 0) {
  console.error('check:size: no module script in dist/index.html; run npm run build first');
  process.exit(1);
}

let total = 0;
for (const src of [...new Set([...entries, ...preloads])]) {
  const bytes = readFileSync(join(dist, src.replace(/^\//, '')));
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  console.log(`${(gz / 1024).toFixed(1).padStart(8)} KiB gz  ${(bytes.length / 1024).toFixed(1).padStart(8)} KiB  ${src}`);
}
const ok = total <= budgetKiB * 1024;
console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KiB gzipped, budget ${budgetKiB} KiB: ${ok ? 'ok' : 'OVER BUDGET'}`);
process.exit(ok ? 0 : 1);
