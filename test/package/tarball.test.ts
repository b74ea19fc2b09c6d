/**
 * The package as an app developer meets it: `npm pack`, install the tarball
 * into an empty project (as the README says, with better-sqlite3's install
 * script allowed), then import every subpath under this Node and bundle the
 * browser-safe ones for the browser; run the README's library example and
 * the Node persistent example (examples/persistent-chat.ts) from there, as
 * plain JavaScript (esbuild strips the types), importing `groupcrypt/*`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const SUBPATHS = Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? 'groupcrypt' : `groupcrypt/${key.slice(2)}`));
/** Subpaths that need Node (files, sockets, the command). */
const NODE_ONLY = new Set(['groupcrypt/cli', 'groupcrypt/transport/folder', 'groupcrypt/transport/hypercore']);

let app = '';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  app = mkdtempSync(join(tmpdir(), 'groupcrypt-app-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(app).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
}, 600_000);

afterAll(() => {
  if (app !== '') rmSync(app, { recursive: true, force: true });
});

function runInApp(source: string, file = 'probe.mjs'): string {
  writeFileSync(join(app, file), source);
  return execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 120_000 });
}

/** A TypeScript file of the repo as the app would run it: types stripped, imports untouched. */
async function asJavaScript(source: string): Promise<string> {
  const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string);
  const local = imports.filter((name) => !name.startsWith('groupcrypt') && !name.startsWith('node:'));
  expect(local, 'the example imports only groupcrypt/* and node:*').toEqual([]);
  expect(imports.some((name) => name.startsWith('groupcrypt'))).toBe(true);
  return (await transform(source, { loader: 'ts', format: 'esm', target: 'node20' })).code;
}

/** The first ```ts block after `heading` in the README. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README has no "${heading}"`);
  const start = readme.indexOf('```ts\n', at) + '```ts\n'.length;
  return readme.slice(start, readme.indexOf('```', start));
}

describe('packed tarball in an empty project', () => {
  it('imports every subpath, each with named exports', () => {
    const report = JSON.parse(runInApp(`
      const out = {};
      for (const name of ${JSON.stringify(SUBPATHS)}) out[name] = Object.keys(await import(name)).length;
      console.log(JSON.stringify(out));
    `)) as Record<string, number>;
    expect(Object.keys(report).sort()).toEqual([...SUBPATHS].sort());
    for (const [name, count] of Object.entries(report)) expect(count, name).toBeGreaterThan(0);
  });

  it('exports the error classes from the root, so instanceof works across subpaths', () => {
    const out = runInApp(`
      import { GroupCryptError, errorKind } from 'groupcrypt';
      import { decodeGroupState } from 'groupcrypt/group';
      try { decodeGroupState(new Uint8Array([1, 2, 3])); } catch (e) { console.log(e instanceof GroupCryptError, e.code, errorKind(e)); }
    `);
    expect(out.trim()).toMatch(/^true DECODE_\w+ permanent$/);
  });

  it('has a built SQLite binding (the documented allowScripts entry works)', () => {
    const out = runInApp(`
      import { SqliteStore } from 'groupcrypt/store';
      import { defaultDeps } from 'groupcrypt/crypto';
      const store = await SqliteStore.open(':memory:', { crypto: defaultDeps().crypto });
      console.log(typeof store.load);
      await store.close();
    `);
    expect(out.trim()).toBe('function');
  });

  it('bundles every browser-safe subpath for the browser with no Node built-ins', async () => {
    const browserSafe = SUBPATHS.filter((name) => !NODE_ONLY.has(name));
    writeFileSync(join(app, 'browser-entry.mjs'), browserSafe.map((name, i) => `import * as m${i} from '${name}'; console.log(Object.keys(m${i}).length);`).join('\n'));
    const result = await build({ entryPoints: [join(app, 'browser-entry.mjs')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', absWorkingDir: app });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]?.text.length).toBeGreaterThan(10_000);
  });

  it("runs the README's library example", async () => {
    const out = runInApp(await asJavaScript(readmeBlock('## Library: pure functions')), 'readme-example.mjs');
    expect(out).toContain('Bob reads: hi Bob');
  });

  it('runs the Node persistent example (Peer + SqliteStore, a restart)', async () => {
    const out = runInApp(await asJavaScript(readFileSync(join(ROOT, 'examples', 'persistent-chat.ts'), 'utf8')), 'persistent-chat.mjs');
    expect(out).toContain('OK: Bob kept his identity and history across a restart and caught up.');
    expect(out).not.toContain('FAILED');
  });
});
