/** `groupcrypt demo` runs the whole story, converges, and `--keep DIR` keeps the folders. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt, gc, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

it('demo narrates, converges and keeps folders with --keep', () => {
  const keep = join(tempDir(), 'kept');
  const started = Date.now();
  const r = gc(['demo', '--keep', keep], { timeoutMs: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(r.stdout).toMatch(/members converge: yes/);
  expect(r.stdout).toMatch(/Converged: yes/);
  expect(r.stdout).toMatch(/erin reads/);
  expect(existsSync(join(keep, 'net'))).toBe(true);
  expect(readdirSync(join(keep, 'homes')).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
});
