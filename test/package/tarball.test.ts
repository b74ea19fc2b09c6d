/**
 * The package as an app developer meets it: `npm pack`, install the tarball
 * into an empty project (as the README says, with better-sqlite3's install
 * script allowed), then import every subpath under this Node and bundle the
 * browser-safe ones for the browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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

function runInApp(source: string): string {
  writeFileSync(join(app, 'probe.mjs'), source);
  return execFileSync(process.execPath, ['probe.mjs'], { cwd: app, encoding: 'utf8' });
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
});
