/**
 * Crash safety of SqliteStore: a child process runs random group-like
 * operations (test/store/crash/child.ts) and is killed with SIGKILL at random
 * moments, GROUPCRYPT_CRASH_KILLS times (default 100). After every kill the
 * store is reopened and checked: the state is one of the committed states
 * (never torn), every acknowledged commit is there, each processed message
 * was applied exactly once, no outbox message is lost or added by a refused
 * re-delivery, marks of sent messages persist, and every ciphertext read
 * before still decrypts with the state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, defaultCryptoProvider, toHex } from '../../src/crypto/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { CHILD_ENV, seededRandom, stateDigest } from './crash/harness.js';
import { fakeGroupModel, type CrashModel } from './crash/model.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bundleDir = join(root, 'node_modules', '.cache', 'groupcrypt-store-crash');
const childJs = join(bundleDir, 'child.mjs');
const work = mkdtempSync(join(tmpdir(), 'groupcrypt-crash-'));
const KILLS = Number(process.env['GROUPCRYPT_CRASH_KILLS'] ?? '100');
const PREWARM = 3;
const SEED = Number(process.env['GROUPCRYPT_CRASH_SEED'] ?? String(Date.now() % 1_000_000));

/** What the parent learned from the children's stdout so far. */
interface Observed {
  readonly announced: Map<number, { digests: Set<string>; outbox: Set<string> }>;
  acked: number;
  readonly sentAcked: Set<string>;
  readonly seenOutbox: Map<string, Uint8Array>;
  readonly seenSent: Set<string>;
  previousK: number;
  duplicatesRefused: number;
}

function parse(line: string, observed: Observed): void {
  const [kind, first = '', second = '', third = ''] = line.split(' ');
  if (kind === 'p') {
    const k = Number(first);
    const entry = observed.announced.get(k) ?? { digests: new Set<string>(), outbox: new Set<string>() };
    entry.digests.add(second);
    for (const id of third.split(',').filter(Boolean)) entry.outbox.add(id);
    observed.announced.set(k, entry);
  } else if (kind === 'c') {
    observed.acked = Math.max(observed.acked, Number(first));
  } else if (kind === 's') {
    for (const id of first.split(',').filter(Boolean)) observed.sentAcked.add(id);
  } else if (kind === 'd') {
    observed.duplicatesRefused += 1;
  }
}

/** A spawned, loaded child that waits for "go" (children are pre-warmed so start-up overlaps the previous round). */
interface Warm {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

function spawnWarm(path: string, key: string, round: number): Warm {
  const child = spawn(process.execPath, [childJs], {
    env: { ...process.env, [CHILD_ENV.path]: path, [CHILD_ENV.key]: key, [CHILD_ENV.seed]: String(SEED * 1000 + round) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, exited };
}

/** Starts a warm child, kills it at a random moment; resolves with how it ended. */
function runChild(warm: Warm, random: () => number, observed: Observed): Promise<{ killed: boolean; stderr: string; inFlight: boolean }> {
  const { child } = warm;
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const afterReady = random() < 0.75;
    const delay = afterReady ? random() * 80 : random() * 60;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        last = line;
        if (line.startsWith('ready') && afterReady) timer = setTimeout(kill, delay);
        parse(line, observed);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      // a partial last line (never seen: each line is one write below PIPE_BUF) is dropped, never half-parsed
      resolve({ killed: signal === 'SIGKILL', stderr, inFlight: last.startsWith('p ') });
    });
    child.stdin?.write('go\n');
    if (!afterReady) timer = setTimeout(kill, delay);
  });
}

/** Reopens the store after a kill and checks every invariant; returns the committed k. */
async function verifyAfterKill<S>(model: CrashModel<S>, path: string, key: Uint8Array, observed: Observed): Promise<number> {
  const crypto = defaultCryptoProvider();
  const store = await SqliteStore.open(path, { encryptionKey: key });
  try {
    const blobs: Record<string, Uint8Array> = {};
    for (const name of model.stateNames) {
      const blob = await store.load(name);
      if (blob !== undefined) blobs[name] = blob;
    }
    const empty = Object.keys(blobs).length === 0;
    const state = empty ? model.initial() : model.decode(blobs);
    model.verify(state);
    const k = model.applied(state);
    expect(k, 'committed state never goes back').toBeGreaterThanOrEqual(observed.previousK);
    expect(k, 'every acknowledged commit is durable').toBeGreaterThanOrEqual(observed.acked);
    if (!empty) {
      expect(Object.keys(blobs).sort(), 'all blobs of the state are present').toEqual([...model.stateNames].sort());
      expect(observed.announced.get(k)?.digests.has(stateDigest(crypto, blobs)), `state at ${k} is one the child committed`).toBe(true);
    }
    for (let j = 1; j <= k + 1; j += 1) {
      expect(await store.isProcessed(model.messageId(j)), `processed flag of message ${j}`).toBe(j <= k);
    }
    const outbox = await store.outbox();
    const expectedIds = new Set<string>();
    for (let j = 1; j <= k; j += 1) for (const id of observed.announced.get(j)?.outbox ?? []) expectedIds.add(id);
    expect(new Set(outbox.map((entry) => entry.id)), 'outbox holds exactly the committed messages').toEqual(expectedIds);
    expect(outbox.length).toBe(expectedIds.size);
    for (const entry of outbox) {
      model.read(state, entry);
      const seen = observed.seenOutbox.get(entry.id);
      if (seen !== undefined) expect(bytesEqual(seen, entry.bytes), `${entry.id} unchanged`).toBe(true);
      observed.seenOutbox.set(entry.id, entry.bytes);
      if (entry.sent) observed.seenSent.add(entry.id);
    }
    const byId = new Map(outbox.map((entry) => [entry.id, entry]));
    for (const id of observed.seenOutbox.keys()) expect(byId.has(id), `${id} still in the outbox`).toBe(true);
    for (const id of [...observed.seenSent, ...observed.sentAcked]) expect(byId.get(id)?.sent, `${id} still marked sent`).toBe(true);
    observed.previousK = k;
    observed.acked = k;
    return k;
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true });
  await build({ entryPoints: [join(here, 'crash', 'child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: childJs, logLevel: 'error' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('SqliteStore crash safety (SIGKILL)', () => {
  it(`survives ${KILLS} random SIGKILLs with nothing lost, torn or applied twice`, async () => {
    const crypto = defaultCryptoProvider();
    const model = fakeGroupModel(crypto);
    const path = join(work, 'crash.db');
    const key = crypto.randomBytes(32);
    const random = seededRandom(SEED);
    const observed: Observed = { announced: new Map(), acked: 0, sentAcked: new Set(), seenOutbox: new Map(), seenSent: new Set(), previousK: 0, duplicatesRefused: 0 };
    const started = Date.now();
    let kills = 0;
    let midCommit = 0;
    let k = 0;
    const warm: Warm[] = [];
    const warmUp = (round: number): void => {
      if (round < KILLS) warm.push(spawnWarm(path, toHex(key), round));
    };
    for (let ahead = 0; ahead < PREWARM; ahead += 1) warmUp(ahead);
    try {
      for (let round = 0; round < KILLS; round += 1) {
        const acked = observed.acked;
        const next = warm.shift();
        if (next === undefined) throw new Error('no warm child');
        warmUp(round + PREWARM);
        const outcome = await runChild(next, random, observed);
        if (!outcome.killed) throw new Error(`child ended by itself in round ${round} (seed ${SEED}): ${outcome.stderr}`);
        kills += 1;
        if (outcome.inFlight) midCommit += 1;
        k = await verifyAfterKill(model, path, key, observed);
        expect(k).toBeGreaterThanOrEqual(acked);
      }
    } finally {
      for (const idle of warm) idle.child.kill('SIGKILL');
      await Promise.all(warm.map((idle) => idle.exited));
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`store crash test: ${kills} SIGKILLs (seed ${SEED}), ${midCommit} with a commit in flight, ${k} messages committed, ${observed.seenOutbox.size} outbox messages all decrypting, ${observed.duplicatesRefused} re-deliveries refused, 0 torn or lost — OK in ${seconds}s`);
    expect(kills).toBe(KILLS);
    expect(k).toBeGreaterThan(0);
  });
});
