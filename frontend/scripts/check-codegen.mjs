// Regenerates the typed operations into a temporary file and compares them
// with the committed src/gql/graphql.ts. Fails when the schema or an
// operation changed without `npm run codegen`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const committedPath = join(root, 'src/gql/graphql.ts');
const dir = mkdtempSync(join(tmpdir(), 'console-codegen-'));
const out = join(dir, 'graphql.ts');

try {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/@graphql-codegen/cli/esm/bin.js'), '--config', 'codegen.ts'], {
      cwd: root,
      stdio: 'pipe',
      env: { ...process.env, CODEGEN_OUT: out },
    });
  } catch (err) {
    // The generator's own report says which operation or schema file failed.
    process.stderr.write(String(err.stdout ?? ''));
    process.stderr.write(String(err.stderr ?? ''));
    console.error('check:codegen: the generator failed');
    process.exit(1);
  }
  const fresh = readFileSync(out, 'utf8');
  let committed = '';
  try {
    committed = readFileSync(committedPath, 'utf8');
  } catch {
    // Missing: reported below.
  }
  if (fresh !== committed) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    console.error(`check:codegen: src/gql/graphql.ts is out of date (first difference at line ${line + 1}).`);
    console.error(`  committed: ${(a[line] ?? '<end of file>').slice(0, 160)}`);
    console.error(`  generated: ${(b[line] ?? '<end of file>').slice(0, 160)}`);
    console.error('Run `npm run codegen` and commit src/gql/graphql.ts.');
    process.exit(1);
  }
  console.log('check:codegen: src/gql/graphql.ts is current');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
