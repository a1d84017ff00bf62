// Rebuilds the console into a temporary directory and compares it with the
// committed frontend/dist, which `go build` embeds. Fails on any difference:
// then run `npm run build` and commit frontend/dist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const committed = join(root, 'dist');
const fresh = mkdtempSync(join(tmpdir(), 'console-dist-'));

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

try {
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', fresh, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  let have = [];
  try {
    have = files(committed);
  } catch {
    // No committed dist at all: everything below counts as missing.
  }
  const want = files(fresh);
  const problems = [];
  for (const f of want) if (!have.includes(f)) problems.push(`missing in dist/: ${f}`);
  for (const f of have) if (!want.includes(f) && f !== '.gitkeep') problems.push(`stale in dist/: ${f}`);
  for (const f of want) {
    if (have.includes(f) && !readFileSync(join(committed, f)).equals(readFileSync(join(fresh, f)))) problems.push(`differs: dist/${f}`);
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error(`check:dist: frontend/dist is not the build of the sources (${problems.length} differences). Run \`npm run build\` and commit frontend/dist.`);
    process.exit(1);
  }
  console.log(`check:dist: frontend/dist matches a fresh build (${want.length} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
