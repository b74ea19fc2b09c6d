/**
 * Crash safety of SqliteStore with the real Group API: a child process
 * (test/store/crash/child.ts) simulates four peers of one data-scheme group
 * whose group states, key managers, registries and logs live as blobs in ONE
 * SQLite store, and runs random group operations and deliveries, each
 * committed with one `store.commit`. It is killed with SIGKILL at random
 * moments, GROUPCRYPT_CRASH_KILLS times (default 100). After every kill the
 * store is reopened and checked (crash/verify.ts): the state is the one of
 * the last committed step (never torn) and decodes with the real decoders,
 * every acknowledged commit is there, each peer processed exactly the
 * committed deliveries (none lost, none twice; re-deliveries are refused by
 * the store), no outbox bundle is lost or changed, sent marks persist, and
 * every ciphertext a peer read still decrypts with its reopened state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { CHILD_ENV, seededRandom } from './crash/harness.js';
import { createObserved, parseLine, verifyAfterKill, type Observed } from './crash/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bundleDir = join(root, 'node_modules', '.cache', 'groupcrypt-store-crash');
const childJs = join(bundleDir, 'child.mjs');
const work = mkdtempSync(join(tmpdir(), 'groupcrypt-crash-'));
const KILLS = Number(process.env['GROUPCRYPT_CRASH_KILLS'] ?? '100');
const PREWARM = 3;
const SEED = Number(process.env['GROUPCRYPT_CRASH_SEED'] ?? String(Date.now() % 1_000_000));

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
    // when to kill, independent of the machine's speed: 20% while opening and loading (before "ready");
    // else after a random number of commits (0-7), up to 60 ms later, or (1 in 4) right after a step announced its commit
    const early = random() < 0.2;
    const commits = Math.floor(random() * 8);
    const onAnnounce = random() < 0.25;
    const delay = early ? random() * 40 : onAnnounce ? random() * 8 : random() * 60;
    let seen = 0;
    const arm = (): void => {
      if (timer === undefined) timer = setTimeout(kill, delay);
    };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        last = line;
        parseLine(line, observed);
        if (early) continue;
        if (line.startsWith('c ')) seen += 1;
        if ((line.startsWith('ready') && commits === 0 && !onAnnounce) || (line.startsWith('c ') && seen === commits && !onAnnounce) || (line.startsWith('p ') && seen === commits && onAnnounce)) arm();
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
    if (early) arm();
  });
}

beforeAll(async () => {
  mkdirSync(bundleDir, { recursive: true });
  await build({ entryPoints: [join(here, 'crash', 'child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: childJs, logLevel: 'error' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('SqliteStore crash safety (SIGKILL), real Group API', () => {
  it(`survives ${KILLS} random SIGKILLs with nothing lost, torn or applied twice`, async () => {
    const deps = defaultDeps();
    const path = join(work, 'crash.db');
    const key = deps.crypto.randomBytes(32);
    const random = seededRandom(SEED);
    const observed: Observed = createObserved(deps);
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
        const next = warm.shift();
        if (next === undefined) throw new Error('no warm child');
        warmUp(round + PREWARM);
        const outcome = await runChild(next, random, observed);
        if (!outcome.killed) throw new Error(`child ended by itself in round ${round} (seed ${SEED}): ${outcome.stderr}`);
        kills += 1;
        if (outcome.inFlight) midCommit += 1;
        try {
          k = await verifyAfterKill(path, key, deps, observed, random);
        } catch (error) {
          console.error(`store crash test failed after kill ${kills} (seed ${SEED}; rerun with GROUPCRYPT_CRASH_SEED=${SEED})`);
          throw error;
        }
      }
    } finally {
      for (const idle of warm) idle.child.kill('SIGKILL');
      await Promise.all(warm.map((idle) => idle.exited));
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const ops = [...observed.labels].sort().map(([kind, n]) => `${kind} ${n}`).join(', ');
    const reads = observed.previous.state.peers.reduce((n, p) => n + p.reads.length, 0);
    console.log(
      `store crash test (Group API, data scheme, 4 peers): ${kills} SIGKILLs (seed ${SEED}), ${midCommit} with a commit in flight, ${k} steps committed (${ops}), ` +
      `${observed.committedOutbox.size} outbox bundles kept, ${observed.committedProcessed.size} processed ids exact, ${reads} readable ciphertexts (${observed.rereads} decryptions re-checked), ` +
      `${observed.duplicatesRefused} re-deliveries refused, ${observed.wiped} consumed secrets wiped, 0 torn or lost — OK in ${seconds}s`,
    );
    expect(kills).toBe(KILLS);
    expect(k).toBeGreaterThan(0);
  }, 300_000);
});
