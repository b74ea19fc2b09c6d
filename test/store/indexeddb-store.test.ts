/**
 * IndexedDbStore in a REAL headless Chromium (Debian's `chromium` package at
 * /usr/bin/chromium, or $GROUPCRYPT_CHROMIUM): the page in test/store/browser/
 * is bundled with esbuild, served from a loopback HTTP server, and driven by
 * playwright-core; it runs the shared store contract plus IndexedDB-specific
 * cases and each result becomes one test here. Without a browser the suite is
 * skipped, except under CI (CI=1), where it fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexedDbStore } from '../../src/store/index.js';
import type { CaseResult } from './browser/page.js';
import { indexedDbCases } from './browser/idb-cases.js';
import { storeContract } from './contract.js';

const CHROMIUM = process.env['GROUPCRYPT_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || process.env['CI'] !== undefined;
const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'groupcrypt-idb-'));

let server: Server | undefined;
let browser: Browser | undefined;
let results: CaseResult[] = [];

const names = [
  ...storeContract({ encryption: true, fresh: async () => { throw new Error('names only'); }, reopen: async () => { throw new Error('names only'); } }),
  ...indexedDbCases(),
].map((testCase) => testCase.name);

beforeAll(async () => {
  if (!available) return;
  await build({ entryPoints: [join(here, 'browser', 'page.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', outfile: join(out, 'page.js'), logLevel: 'error' });
  const files: Record<string, [string, string]> = {
    '/': ['<!doctype html><meta charset="utf-8"><title>groupcrypt store</title><script type="module" src="/page.js"></script>', 'text/html'],
    '/page.js': [readFileSync(join(out, 'page.js'), 'utf8'), 'text/javascript'],
  };
  server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    response.writeHead(file === undefined ? 404 : 200, { 'content-type': file?.[1] ?? 'text/plain' });
    response.end(file?.[0] ?? 'not found');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage();
  const console: string[] = [];
  page.on('console', (message) => console.push(message.text()));
  page.on('pageerror', (error) => console.push(String(error)));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => {
    const target = globalThis as { __storeResults?: unknown; __storeError?: unknown };
    return target.__storeResults !== undefined || target.__storeError !== undefined;
  }, undefined, { timeout: 90_000 });
  const error = await page.evaluate(() => (globalThis as { __storeError?: string }).__storeError);
  if (error !== undefined) throw new Error(`browser page failed: ${error}\n${console.join('\n')}`);
  results = await page.evaluate(() => (globalThis as { __storeResults?: CaseResult[] }).__storeResults ?? []);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  rmSync(out, { recursive: true, force: true });
});

describe.skipIf(!available)('IndexedDbStore in headless Chromium', () => {
  it('ran every case', () => {
    expect(results.map((result) => result.name)).toEqual(names);
  });
  for (const name of names) {
    it(name, () => {
      const result = results.find((candidate) => candidate.name === name);
      expect(result?.error).toBeUndefined();
      expect(result?.ok).toBe(true);
    });
  }
});

describe('IndexedDbStore outside a browser', () => {
  it('refuses to open without IndexedDB (USAGE_UNSUPPORTED)', async () => {
    await expect(IndexedDbStore.open('x')).rejects.toMatchObject({ code: 'USAGE_UNSUPPORTED' });
  });
});
