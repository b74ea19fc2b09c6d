/**
 * DCGKA benchmark (issue 4; ../shared/design/BENCHMARKS.md): create, add,
 * remove, update and an application message for n = 8…128 (update also at
 * n = 1024), for groupcrypt on the node:crypto provider, on the portable
 * (noble) provider, the primitive floor measured in the same run, and the
 * recorded figures of the paper's Java prototype printed beside them.
 *
 * Clock: CPU time of this process (`process.cpuUsage()`, user + system) around
 * each call, as the Java harness took the measuring thread's CPU time; every
 * call runs on this one thread. `GROUPCRYPT_BENCH_CLOCK=wall` uses
 * `performance.now()` instead. Means over `iters` samples after `warmup`.
 *
 * Run: `npx tsx bench/dcgka.ts` (table on stdout, rows in
 * bench/results/dcgka.json). `GROUPCRYPT_BENCH_QUICK=1` runs fewer samples.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NodeCryptoProvider, PortableCryptoProvider, type CryptoProvider, type Deps } from '../src/crypto/index.js';
import { makeUsers, runSample, settleGroup, type BenchGroup, type Clock, type DcgkaOp, type DcgkaSample } from './dcgka-harness.js';
import { floorSample, makeFloor, makeMessage, messageSample } from './dcgka-extra.js';
import { formatDcgkaTable, targetLines } from './dcgka-report.js';

/** One row of bench/results/dcgka.json (the BENCHMARKS.md fields plus detail). */
export interface DcgkaRow {
  readonly impl: string;
  readonly op: string;
  readonly n: number;
  readonly senderMs: number;
  readonly recipientMs: number;
  readonly bytes: number;
  readonly senderGenMs: number;
  readonly senderAckMs: number;
  readonly recipientProcMs: number;
  readonly recipientAckMs: number;
  readonly ctrlBytes?: number;
  readonly welcomeBytes?: number;
  readonly acks?: number;
  readonly ackBytes?: number;
  readonly addedMs?: number;
  /** Floor rows: see `DcgkaSample.peerKeysMs` (reported beside the floor, never added to it). */
  readonly peerKeysMs?: number;
  /** Floor rows: see `DcgkaSample.controlCheckMs`. */
  readonly controlCheckMs?: number;
  readonly iters: number;
  readonly warmup?: number;
  /** True for figures read from ../shared/anchors (another run, not measured here). */
  readonly recorded?: boolean;
  readonly note?: string;
}

/** Options of `runDcgkaBench`. */
export interface DcgkaBenchOptions {
  /** Fewer samples (smoke run). */
  readonly quick?: boolean;
  /** Write bench/results/dcgka.json (default true). */
  readonly write?: boolean;
  readonly outFile?: string;
  /** 'cpu' (default): process CPU time; 'wall': performance.now(). */
  readonly clock?: 'cpu' | 'wall';
  /** Measure the portable provider too (default true). */
  readonly portable?: boolean;
  /** Include update at n = 1024 (default true). */
  readonly large?: boolean;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/** What `runDcgkaBench` returns. */
export interface DcgkaBenchReport {
  readonly rows: readonly DcgkaRow[];
  readonly table: string;
  readonly markdown: string;
  readonly targets: readonly string[];
  readonly clock: 'cpu' | 'wall';
  readonly seconds: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = join(HERE, 'results', 'dcgka.json');
const ANCHOR_FILE = join(HERE, '..', '..', 'shared', 'anchors', 'dcgka-java', 'results.jsonl');
const SIZES = [8, 16, 32, 64, 128] as const;
const OPS: readonly DcgkaOp[] = ['create', 'add', 'remove', 'update'];

const cpuClock: Clock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const wallClock: Clock = () => performance.now();

/** Samples per (n) for the node provider: [warmup, iters]. */
function plan(n: number, quick: boolean): [number, number] {
  if (quick) return n >= 1024 ? [0, 1] : [1, 2];
  if (n <= 16) return [3, 20];
  if (n <= 32) return [2, 12];
  if (n <= 64) return [2, 8];
  if (n <= 128) return [1, 6];
  return [0, 2];
}

function measure(warmup: number, iters: number, sample: () => DcgkaSample): DcgkaSample {
  for (let i = 0; i < warmup; i++) sample();
  const all: DcgkaSample[] = [];
  for (let i = 0; i < iters; i++) all.push(sample());
  const mean = (f: (s: DcgkaSample) => number): number => all.reduce((a, s) => a + f(s), 0) / all.length;
  return {
    senderGenMs: mean((s) => s.senderGenMs), senderAckMs: mean((s) => s.senderAckMs),
    recipientProcMs: mean((s) => s.recipientProcMs), recipientAckMs: mean((s) => s.recipientAckMs),
    bytes: mean((s) => s.bytes), ctrlBytes: mean((s) => s.ctrlBytes), welcomeBytes: mean((s) => s.welcomeBytes),
    acks: mean((s) => s.acks), ackBytes: mean((s) => s.ackBytes), addedMs: mean((s) => s.addedMs),
    ...(all.some((s) => s.peerKeysMs !== undefined) ? { peerKeysMs: mean((s) => s.peerKeysMs ?? 0) } : {}),
    ...(all.some((s) => s.controlCheckMs !== undefined) ? { controlCheckMs: mean((s) => s.controlCheckMs ?? 0) } : {}),
  };
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

function toRow(impl: string, op: string, n: number, s: DcgkaSample, warmup: number, iters: number, note?: string): DcgkaRow {
  return {
    impl, op, n,
    senderMs: r3(s.senderGenMs + s.senderAckMs), recipientMs: r3(s.recipientProcMs + s.recipientAckMs), bytes: Math.round(s.bytes),
    senderGenMs: r3(s.senderGenMs), senderAckMs: r3(s.senderAckMs), recipientProcMs: r3(s.recipientProcMs), recipientAckMs: r3(s.recipientAckMs),
    ctrlBytes: Math.round(s.ctrlBytes), ...(s.welcomeBytes > 0 ? { welcomeBytes: Math.round(s.welcomeBytes) } : {}),
    acks: s.acks, ackBytes: r3(s.ackBytes), ...(op === 'add' ? { addedMs: r3(s.addedMs) } : {}),
    ...(s.peerKeysMs !== undefined ? { peerKeysMs: r3(s.peerKeysMs) } : {}),
    ...(s.controlCheckMs !== undefined ? { controlCheckMs: r3(s.controlCheckMs) } : {}),
    iters, warmup, ...(note ? { note } : {}),
  };
}

const MESSAGE_NOTE = 'group API (src/group send/receive), message scheme, 32-byte plaintext, signed envelope';
const SETTLE_NOTE = 'members 0 and 2 processed everything; the others only joined (untimed)';

/** Reads the recorded Java rows (empty when the anchors are not next to the repo). */
export function readJavaRows(file = ANCHOR_FILE): DcgkaRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => ({ ...(JSON.parse(l) as DcgkaRow), recorded: true, note: 'recorded (../shared/anchors/dcgka-java, another run)' }));
}

interface ImplRun {
  readonly impl: string;
  readonly deps: Deps;
  readonly sizes: readonly number[];
  readonly plan: (n: number) => [number, number];
  readonly floor: boolean;
}

function runImpl(run: ImplRun, clock: Clock, log: (line: string) => void): DcgkaRow[] {
  const rows: DcgkaRow[] = [];
  const { deps, impl } = run;
  for (const n of run.sizes) {
    const started = performance.now();
    const group: BenchGroup = settleGroup(makeUsers(deps, n));
    const [warmup, iters] = run.plan(n);
    const ops = n > 128 ? (['update'] as const) : OPS;
    const floorSetup = run.floor ? makeFloor(deps, n) : undefined;
    let floorSamples: DcgkaSample[] = [];
    for (const op of ops) {
      if (op === 'update' && floorSetup) {
        // The floor's samples alternate with the update's, so that both see the same machine load (a shared
        // machine drifts by tens of percent within minutes): the ratio is then a same-moment ratio.
        const [fw, fi] = [Math.max(warmup, 2), Math.max(iters, 5)];
        for (let i = 0; i < fw; i++) floorSample(deps, floorSetup, clock);
        floorSamples = [];
        // The targets are read at the update: twice the samples there (the machine is shared and noisy).
        const updateIters = n <= 128 ? 2 * iters : iters;
        rows.push(toRow(impl, op, n, measure(warmup, updateIters, () => {
          floorSamples.push(floorSample(deps, floorSetup, clock));
          return runSample(group, op, clock);
        }), warmup, updateIters, SETTLE_NOTE));
        while (floorSamples.length < fi + warmup) floorSamples.push(floorSample(deps, floorSetup, clock));
        floorSamples = floorSamples.slice(warmup); // those taken beside the update's warm-up samples
        continue;
      }
      rows.push(toRow(impl, op, n, measure(warmup, iters, () => runSample(group, op, clock)), warmup, iters, SETTLE_NOTE));
    }
    if (n <= 128) {
      const m = makeMessage(group);
      rows.push(toRow(impl, 'message', n, measure(50, 200, () => messageSample(m, clock)), 50, 200, MESSAGE_NOTE));
    }
    if (floorSetup) {
      const taken = floorSamples;
      const count = taken.length;
      rows.push(toRow('floor', 'update', n, measure(0, count, () => taken.shift() as DcgkaSample), 2, count,
        'n−1 HPKE seals (32 B, node provider) + n−1 XEdDSA verifies; recipient: 1 HPKE open + 1 sign + n−2 verifies; samples alternate with the update\'s'));
    }
    log(`  ${impl} n=${n}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return rows;
}

/**
 * Runs the DCGKA benchmark; returns the rows (ours, then the recorded Java
 * rows), the text and markdown tables and the target check lines.
 * @example const report = await runDcgkaBench({ quick: true, write: false });
 */
export async function runDcgkaBench(options: DcgkaBenchOptions = {}): Promise<DcgkaBenchReport> {
  const started = performance.now();
  const quick = options.quick ?? process.env['GROUPCRYPT_BENCH_QUICK'] === '1';
  const clockName = options.clock ?? (process.env['GROUPCRYPT_BENCH_CLOCK'] === 'wall' ? 'wall' : 'cpu');
  const clock = clockName === 'wall' ? wallClock : cpuClock;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const node: CryptoProvider = new NodeCryptoProvider();
  const nodeDeps: Deps = { crypto: node, now: () => Math.floor(Date.now() / 1000) };
  const rows: DcgkaRow[] = [];
  const sizes = options.large === false ? [...SIZES] : [...SIZES, 1024];
  rows.push(...runImpl({ impl: 'groupcrypt', deps: nodeDeps, sizes, plan: (n) => plan(n, quick), floor: true }, clock, log));
  if (options.portable !== false) {
    const portableDeps: Deps = { crypto: new PortableCryptoProvider(), now: nodeDeps.now };
    const portablePlan = (n: number): [number, number] => (quick ? [0, 1] : n <= 16 ? [1, 4] : [1, 2]);
    rows.push(...runImpl({ impl: 'groupcrypt-portable', deps: portableDeps, sizes: [8, 16, 32], plan: portablePlan, floor: false }, clock, log)
      .map((r) => ({ ...r, note: `${r.note ?? ''}; portable measured at n ≤ 32 only (noble is ~10× slower)`.replace(/^; /, '') })));
  }
  rows.push(...readJavaRows());
  const text = formatDcgkaTable(rows, 'text');
  const markdown = formatDcgkaTable(rows, 'markdown');
  const targets = targetLines(rows);
  if (options.write !== false) {
    const file = options.outFile ?? RESULTS_FILE;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(rows, null, 1)}\n`);
  }
  return { rows, table: text, markdown, targets, clock: clockName, seconds: (performance.now() - started) / 1000 };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const report = await runDcgkaBench();
  console.log(report.table);
  console.log('');
  for (const line of report.targets) console.log(line);
  console.log(`\nclock: ${report.clock === 'cpu' ? 'process CPU time' : 'wall time'}; ${report.seconds.toFixed(0)} s; wrote ${RESULTS_FILE}`);
}
