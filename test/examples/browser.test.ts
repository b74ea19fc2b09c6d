/**
 * The browser example (examples/browser/) in a REAL headless Chromium
 * (Debian's `chromium` at /usr/bin/chromium, or $GROUPCRYPT_CHROMIUM): the
 * page is bundled with esbuild into a temp folder, served on 127.0.0.1 and
 * driven by playwright-core. Four peers in one page talk over
 * BroadcastChannel and persist to IndexedDB; the story must leave Alice, Bob
 * and Carol on the same members having read every message, Dave removed and
 * unable to read what was written after his removal, and every state
 * reloaded from IndexedDB identical (also across a page reload). The same
 * story runs in a post-quantum group (?pq=1) and in an MLS Secret Group
 * (?scheme=mls: Alice owns it, members' adds are proposals she commits).
 * Without a browser the suite is skipped, except under CI (CI=1).
 * GROUPCRYPT_SCREENSHOT=path saves a screenshot after the story.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample, serveExample } from '../../examples/browser/build.js';

const CHROMIUM = process.env['GROUPCRYPT_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || process.env['CI'] !== undefined;
const out = mkdtempSync(join(tmpdir(), 'groupcrypt-browser-example-'));

const MEMBERS = ['Alice', 'Bob', 'Carol'];
const HELLOS = ['Alice', 'Bob', 'Carol', 'Dave'].map((name) => `hello from ${name}`);
const AFTER_REMOVAL = ['Dave cannot read this', 'nor this, Dave is out'];
/** Who wrote each message of the story. */
const AUTHOR: Record<string, string> = {
  ...Object.fromEntries(HELLOS.map((text) => [text, text.slice('hello from '.length)])),
  'Dave cannot read this': 'Bob', 'nor this, Dave is out': 'Carol', 'after the page reload': 'Alice',
};

interface CardView {
  name: string;
  removed: string | undefined;
  members: string[];
  messages: { from: string; own: boolean; text: string }[];
  failures: number;
  reloaded: string | undefined;
}

interface Snapshot {
  name: string;
  id: string;
  members: string[];
  removed: boolean;
  owner: string | null;
  pending: string[];
  pq: boolean;
  read: { from: string; text: string; own: boolean }[];
  failures: string[];
}

interface ExampleApi {
  ready: Promise<void>;
  runStory(): Promise<Record<string, boolean>>;
  reload(): Promise<Record<string, boolean>>;
  settle(): Promise<void>;
  snapshot(): Snapshot[];
  errors(): string[];
}

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
const logs: string[] = [];

/** Every peer card as shown in the DOM. */
/**
 * The story's end, the same in every scheme: each remaining member lists the
 * members, read every message with its authenticated sender, failed nothing
 * and resumed after the reload; Dave, removed, read only the hellos. Returns Dave's card.
 */
function expectStoryEnd(cards: readonly CardView[]): CardView | undefined {
  for (const card of cards.filter((candidate) => MEMBERS.includes(candidate.name))) {
    expect(card.members, card.name).toEqual(MEMBERS);
    expect(card.removed, card.name).toBe('false');
    expect(card.messages.map((message) => message.text).sort(), card.name).toEqual([...HELLOS, ...AFTER_REMOVAL].sort());
    // what others wrote was decrypted (not own), with the right authenticated sender
    for (const message of card.messages) {
      expect(message.from, `${card.name}: ${message.text}`).toBe(AUTHOR[message.text]);
      expect(message.own, `${card.name}: ${message.text}`).toBe(message.from === card.name);
    }
    expect(card.failures, card.name).toBe(0);
    expect(card.reloaded, card.name).toBe('true');
  }
  const dave = cards.find((card) => card.name === 'Dave');
  expect(dave?.removed).toBe('true');
  expect(dave?.members).toEqual([]);
  expect(dave?.messages.map((message) => message.text).sort()).toEqual([...HELLOS].sort());
  return dave;
}

function readCards(target: Page): Promise<CardView[]> {
  return target.$$eval('section.peer', (cards) => cards.map((card) => ({
    name: (card as HTMLElement).dataset['peer'] ?? '',
    removed: (card as HTMLElement).dataset['removed'],
    members: [...card.querySelectorAll('.members li')].map((li) => li.textContent ?? ''),
    messages: [...card.querySelectorAll('.messages li')].map((li) => ({
      from: (li as HTMLElement).dataset['from'] ?? '',
      own: (li as HTMLElement).dataset['own'] === 'true',
      text: (li.textContent ?? '').replace(/^\S+ /, ''),
    })),
    failures: Number((card.querySelector('.failures') as HTMLElement | null)?.dataset['count'] ?? '0'),
    reloaded: (card.querySelector('.reloaded') as HTMLElement | null)?.dataset['ok'],
  })));
}

function openApi(target: Page): Promise<void> {
  return target.evaluate(async () => {
    await (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.ready;
  });
}

beforeAll(async () => {
  if (!available) return;
  await buildExample(out);
  ({ server, url } = await serveExample(out));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => logs.push(message.text()));
  page.on('pageerror', (error) => logs.push(String(error)));
  await page.goto(url);
  await openApi(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  rmSync(out, { recursive: true, force: true });
});

describe.skipIf(!available)('browser example in headless Chromium', () => {
  it('starts four peers, not yet in a group, on the portable provider', async () => {
    await page.waitForSelector('#status[data-state="idle"]', { timeout: 10_000 });
    const cards = await readCards(page);
    expect(cards.map((card) => card.name)).toEqual(['Alice', 'Bob', 'Carol', 'Dave']);
    expect(cards.every((card) => card.members.length === 0)).toBe(true);
    expect(await page.textContent('#provider')).toBe('portable');
  });

  it('runs the story: members converge, everyone reads, the removed peer cannot', async () => {
    await page.click('#run');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 40_000 });
    expect(await page.getAttribute('#status', 'data-state'), `${await page.textContent('#status')}\n${logs.join('\n')}`).toBe('done');
    await page.waitForFunction(() => document.querySelectorAll('.reloaded').length === 4);
    const cards = await readCards(page);
    const dave = expectStoryEnd(cards);
    expect(dave?.messages.every((message) => message.from === AUTHOR[message.text])).toBe(true);
    expect(dave?.failures).toBe(AFTER_REMOVAL.length);
    expect(dave?.reloaded).toBe('true');
    const errors = await page.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.errors());
    expect(errors).toEqual([]);
    const screenshot = process.env['GROUPCRYPT_SCREENSHOT'];
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  }, 50_000);

  it('resumes every peer from IndexedDB after a page reload, and the resumed states keep working', async () => {
    const snapshot = (): Promise<Snapshot[]> => page.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.snapshot());
    const before = await snapshot();
    await page.reload();
    await openApi(page);
    expect(await page.textContent('#status')).toContain('resumed Alice, Bob, Carol, Dave');
    const after = await snapshot();
    expect(after.map(({ name, id, members, removed, read, failures }) => ({ name, id, members, removed, read, failures })))
      .toEqual(before.map(({ name, id, members, removed, read, failures }) => ({ name, id, members, removed, read, failures })));
    const reloaded = await page.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.reload());
    expect(reloaded).toEqual({ Alice: true, Bob: true, Carol: true, Dave: true });

    // a resumed member writes; the other resumed members read it, Dave still cannot
    const alice = page.locator('section.peer[data-peer="Alice"]');
    await alice.locator('input.text').fill('after the page reload');
    await alice.locator('button[data-action="send"]').click();
    await page.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.settle());
    await page.waitForFunction(() => document.querySelectorAll('.messages li').length >= 3 * 7 + 4);
    const cards = await readCards(page);
    for (const card of cards) {
      const got = card.messages.some((message) => message.text === 'after the page reload' && message.from === 'Alice');
      expect(got, card.name).toBe(card.name !== 'Dave');
    }
    expect(cards.find((card) => card.name === 'Dave')?.failures).toBe(AFTER_REMOVAL.length + 1);
  }, 30_000);

  it('?pq=1 (the post-quantum checkbox): the story runs in a post-quantum group, on peers of its own', async () => {
    const pqPage = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    pqPage.on('pageerror', (error) => logs.push(String(error)));
    try {
      await pqPage.goto(url);
      await openApi(pqPage);
      // the checkbox switches the page to its post-quantum variant
      await Promise.all([pqPage.waitForURL(/[?&]pq=1/), pqPage.check('#pq')]);
      await openApi(pqPage);
      expect(await pqPage.isChecked('#pq')).toBe(true);
      await pqPage.waitForSelector('#status[data-state="idle"]', { timeout: 20_000 });
      // fresh peers: not the classic page's (those stay in their group)
      expect((await readCards(pqPage)).every((card) => card.members.length === 0)).toBe(true);
      await pqPage.click('#run');
      await pqPage.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 40_000 });
      expect(await pqPage.getAttribute('#status', 'data-state'), `${await pqPage.textContent('#status')}\n${logs.join('\n')}`).toBe('done');
      const snapshot = await pqPage.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.snapshot());
      for (const peer of snapshot) expect(peer.pq, peer.name).toBe(true);
      const cards = await readCards(pqPage);
      for (const card of cards.filter((candidate) => MEMBERS.includes(candidate.name))) {
        expect(card.members, card.name).toEqual(MEMBERS);
        expect(card.messages.map((message) => message.text).sort(), card.name).toEqual([...HELLOS, ...AFTER_REMOVAL].sort());
        for (const message of card.messages) expect(message.from, `${card.name}: ${message.text}`).toBe(AUTHOR[message.text]);
        expect(card.failures, card.name).toBe(0);
      }
      const dave = cards.find((card) => card.name === 'Dave');
      expect(dave?.removed).toBe('true');
      expect(dave?.messages.map((message) => message.text).sort()).toEqual([...HELLOS].sort());
      expect(await pqPage.$$eval('section.peer[data-pq="true"]', (found) => found.length)).toBe(4);
      expect(await pqPage.textContent('#story')).toContain('creates a post-quantum group');
    } finally {
      await pqPage.close();
    }
  }, 60_000);

  it('?scheme=mls: the story runs in an MLS Secret Group (owner commits members\' proposals), and resumes from IndexedDB', async () => {
    const mlsPage = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    mlsPage.on('pageerror', (error) => logs.push(String(error)));
    const api = (target: Page): Promise<Snapshot[]> => target.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.snapshot());
    try {
      await mlsPage.goto(`${url}?scheme=mls`);
      await openApi(mlsPage);
      await mlsPage.waitForSelector('#status[data-state="idle"]', { timeout: 20_000 });
      expect(await mlsPage.textContent('#scheme')).toBe('mls');
      expect((await readCards(mlsPage)).every((card) => card.members.length === 0)).toBe(true);
      await mlsPage.click('#run');
      await mlsPage.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 50_000 });
      expect(await mlsPage.getAttribute('#status', 'data-state'), `${await mlsPage.textContent('#status')}\n${logs.join('\n')}`).toBe('done');
      expect(await mlsPage.textContent('#story')).toContain('creates an MLS Secret Group (she owns it) with Bob');
      const cards = await readCards(mlsPage);
      const dave = expectStoryEnd(cards);
      // what was sent after his removal is "not for me", as in the DCGKA story
      expect(dave?.failures).toBe(AFTER_REMOVAL.length);
      const snapshot = await api(mlsPage);
      for (const peer of snapshot) {
        expect(peer.owner, peer.name).toBe('Alice');
        expect(peer.pending, peer.name).toEqual([]);
        expect(peer.pq, peer.name).toBe(false);
      }
      expect(await mlsPage.$$eval('section.peer[data-owner="Alice"]', (found) => found.length)).toBe(4);

      // a page reload resumes the MLS states from IndexedDB; a resumed member still writes and the others read it
      await mlsPage.reload();
      await openApi(mlsPage);
      expect(await mlsPage.textContent('#status')).toContain('resumed Alice, Bob, Carol, Dave');
      const resumed = await api(mlsPage);
      expect(resumed.map(({ name, members, removed, owner, read }) => ({ name, members, removed, owner, read })))
        .toEqual(snapshot.map(({ name, members, removed, owner, read }) => ({ name, members, removed, owner, read })));
      const carol = mlsPage.locator('section.peer[data-peer="Carol"]');
      await carol.locator('input.text').fill('carol after the reload');
      await carol.locator('button[data-action="send"]').click();
      await mlsPage.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.settle());
      const after = await readCards(mlsPage);
      for (const card of after) {
        const got = card.messages.some((message) => message.text === 'carol after the reload' && message.from === 'Carol');
        expect(got, card.name).toBe(card.name !== 'Dave');
      }
      expect(after.find((card) => card.name === 'Dave')?.failures).toBe(AFTER_REMOVAL.length + 1);
      const errors = await mlsPage.evaluate(() => (globalThis as unknown as { groupcryptExample: ExampleApi }).groupcryptExample.errors());
      expect(errors).toEqual([]);
    } finally {
      await mlsPage.close();
    }
  }, 90_000);
});
