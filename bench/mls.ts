/**
 * Secret Group (MLS) benchmark: owner commit (update / remove / add) and
 * one member processing it, at n = 8…128 and 1024 (1024: groupcrypt-mls
 * only, beside DCGKA's n = 1024 rows; stock ts-mls takes seconds per commit there), for
 *
 * - `ts-mls`: stock ts-mls with its default ciphersuite implementation
 *   (WebCrypto + @hpke/core), called directly;
 * - `groupcrypt-mls`: groupcrypt's Secret Group (state as bytes, long-term
 *   secrets sealed in every commit) on the node:crypto ciphersuite;
 * - `groupcrypt-mls-stock`: the same Secret Group on the stock suite (the
 *   wrapper's own cost).
 *
 * Rows follow /work/shared/design/BENCHMARKS.md: MLS has no acks, so
 * `senderAckMs` and `recipientAckMs` are 0; `bytes` is the commit (with the
 * Welcome when adding, and for groupcrypt the sealed long-term secrets).
 * The sender is the owner (member 0); `remove` removes member 1; the
 * recipient is member 2; `add` adds a user whose key package was published
 * beforehand. Every sample starts from the same state (all state is pure).
 * Times are process CPU time per call, the median of 5 runs after one warm-up
 * (n = 1024: 3 runs); the implementations and ops run in turns (stock update,
 * groupcrypt update, groupcrypt-on-stock update, stock remove, …, then the
 * next round) so that all see the same load. Targets (issue 13, BENCHMARKS.md): at n = 128, stock ÷
 * groupcrypt-mls ≥ 6 × for every op (sender); printed as met / missed.
 *
 * Run: `npx tsx bench/mls.ts` (table on stdout, bench/results/mls.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createCommit, createGroup, defaultCapabilities, defaultLifetime, emptyPskIndex, encodeMlsMessage, generateKeyPackage, getCiphersuiteFromName,
  getCiphersuiteImpl, joinGroup, processPublicMessage, type CiphersuiteImpl, type ClientState, type KeyPackage, type PrivateKeyPackage,
} from 'ts-mls';
import type { DcgkaRow } from './dcgka.js';
import { commitSecretGroup, createMlsCiphersuite, processCommit } from '../src/mls/index.js';
import { settledSecretGroup } from './mls-setup.js';

/** One result row (BENCHMARKS.md shape). */
/** One row, in the same shape as bench/results/dcgka.json (BENCHMARKS.md fields). */
export type MlsBenchRow = Pick<DcgkaRow, 'impl' | 'n' | 'senderMs' | 'recipientMs' | 'bytes' | 'senderGenMs' | 'senderAckMs' | 'recipientProcMs' | 'recipientAckMs'> & {
  readonly op: 'update' | 'remove' | 'add';
};

/** Options of `runMlsBench`. */
export interface MlsBenchOptions {
  readonly sizes?: readonly number[];
  /** Largest n at which stock ts-mls (and the Secret Group on it) is measured (default 128: beyond, one commit takes seconds). */
  readonly stockMaxN?: number;
  readonly write?: boolean;
  readonly outFile?: string;
  readonly log?: (line: string) => void;
}

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'mls.json');
const OPS = ['update', 'remove', 'add'] as const;

/** Runs per row (after one warm-up): 5, whose median is reported (issue 13); 1024 (no stock row to compare) gets 3. */
function samplesFor(n: number): number {
  return n <= 128 ? 5 : 3;
}

/** The n at which the targets are read (BENCHMARKS.md). */
const TARGET_N = 128;
/** Target: stock ts-mls time ÷ groupcrypt-mls time, every op (sender). */
const TARGET_SPEEDUP = 6;

/**
 * CPU time of this process in ms (all threads: stock ts-mls's WebCrypto work
 * on the libuv pool counts too). Robust against other processes on a shared machine.
 */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

interface OpTiming { readonly gen: number; readonly proc: number; readonly bytes: number }

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median over `samples` runs after one warm-up run (sender and recipient each). */
async function measure(samples: number, once: () => Promise<OpTiming>): Promise<OpTiming> {
  return (await measureInterleaved(samples, [once]))[0] as OpTiming;
}

/**
 * Medians of several implementations measured in turns: one warm-up each,
 * then `samples` rounds of one run of each. Every implementation sees the
 * same machine load (a shared machine's load changes within seconds, and
 * measuring one implementation after the other skewed their ratio by 2×).
 */
async function measureInterleaved(samples: number, runs: readonly (() => Promise<OpTiming>)[]): Promise<OpTiming[]> {
  for (const once of runs) await once();
  const timings = runs.map(() => ({ gen: [] as number[], proc: [] as number[], bytes: 0 }));
  for (let i = 0; i < samples; i++) {
    for (const [k, once] of runs.entries()) {
      const t = await once();
      const into = timings[k]!;
      into.gen.push(t.gen);
      into.proc.push(t.proc);
      into.bytes = t.bytes;
    }
  }
  return timings.map((t) => ({ gen: median(t.gen), proc: median(t.proc), bytes: t.bytes }));
}

function row(impl: string, op: MlsBenchRow['op'], n: number, t: OpTiming): MlsBenchRow {
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { impl, op, n, senderMs: r(t.gen), recipientMs: r(t.proc), bytes: t.bytes, senderGenMs: r(t.gen), senderAckMs: 0, recipientProcMs: r(t.proc), recipientAckMs: 0 };
}

/** One implementation set up at one n: a run of each op (sender commit, then one recipient processing it). */
interface PreparedImpl {
  readonly impl: string;
  readonly run: (op: MlsBenchRow['op']) => Promise<OpTiming>;
}

/** Stock ts-mls, called directly. */
async function prepareStock(cs: CiphersuiteImpl, n: number): Promise<PreparedImpl> {
  const made: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }[] = [];
  for (let i = 0; i <= n; i++) {
    made.push(await generateKeyPackage({ credentialType: 'basic', identity: new TextEncoder().encode(`member-${i}`) }, defaultCapabilities(), defaultLifetime, [], cs));
  }
  const [first, ...rest] = made;
  const extra = rest.pop()!;
  let owner = await createGroup(new TextEncoder().encode(`bench-${n}`), first!.publicPackage, first!.privatePackage, [], cs);
  const added = await createCommit({ state: owner, cipherSuite: cs }, {
    extraProposals: rest.map((m) => ({ proposalType: 'add' as const, add: { keyPackage: m.publicPackage } })), ratchetTreeExtension: true, wireAsPublicMessage: true,
  });
  owner = added.newState;
  const recipient: ClientState = await joinGroup(added.welcome!, rest[1]!.publicPackage, rest[1]!.privatePackage, emptyPskIndex, cs);
  return {
    impl: 'ts-mls',
    run: async (op) => {
      const proposals = op === 'remove' ? [{ proposalType: 'remove' as const, remove: { removed: 1 as never } }]
        : op === 'add' ? [{ proposalType: 'add' as const, add: { keyPackage: extra.publicPackage } }] : [];
      const t0 = cpuMs();
      const c = await createCommit({ state: owner, cipherSuite: cs }, { extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension: op === 'add' });
      const bytes = encodeMlsMessage(c.commit).length
        + (c.welcome === undefined ? 0 : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: c.welcome }).length);
      const t1 = cpuMs();
      if (c.commit.wireformat !== 'mls_public_message') throw new Error('expected a public message');
      await processPublicMessage(recipient, c.commit.publicMessage, emptyPskIndex, cs);
      return { gen: t1 - t0, proc: cpuMs() - t1, bytes };
    },
  };
}

/** groupcrypt's Secret Group on `mls`. */
async function prepareSecretGroup(impl: string, mls: CiphersuiteImpl, n: number): Promise<PreparedImpl> {
  const { deps, owner, recipient, inputs } = await settledSecretGroup(mls, n);
  return {
    impl,
    run: async (op) => {
      const t0 = cpuMs();
      const c = await commitSecretGroup(owner, inputs[op], deps);
      const t1 = cpuMs();
      await processCommit(recipient, c.outputs[0].document, deps);
      return { gen: t1 - t0, proc: cpuMs() - t1, bytes: c.outputs[0].document.length };
    },
  };
}

/** groupcrypt's Secret Group on `mls`, measured alone. */
export async function benchSecretGroup(impl: string, mls: CiphersuiteImpl, n: number): Promise<MlsBenchRow[]> {
  const prepared = await prepareSecretGroup(impl, mls, n);
  const rows: MlsBenchRow[] = [];
  for (const op of OPS) rows.push(row(impl, op, n, await measure(samplesFor(n), () => prepared.run(op))));
  return rows;
}

/**
 * Several implementations and all ops at one n, measured in turns
 * (`measureInterleaved`): each round runs every op of every implementation
 * once. Measuring the ops one after the other made whichever op came later
 * look slower (remove after update: +5–10 ms for the same work; swapping
 * the order swapped the gap), so drift in the machine's load now reaches
 * all ops alike.
 */
async function benchInterleaved(prepared: readonly PreparedImpl[], n: number): Promise<MlsBenchRow[]> {
  const runs = OPS.flatMap((op) => prepared.map((p) => ({ op, impl: p.impl, run: () => p.run(op) })));
  const timings = await measureInterleaved(samplesFor(n), runs.map((r) => r.run));
  return runs.map((r, k) => row(r.impl, r.op, n, timings[k] as OpTiming));
}

/** Formats rows as a table with the stock / groupcrypt-mls speed-up. */
export function formatMlsTable(rows: readonly MlsBenchRow[]): string {
  const lines = ['impl                  op      n    senderMs  recipientMs    bytes   stock/this(sender)  stock/this(recipient)'];
  for (const r of rows) {
    const stock = rows.find((s) => s.impl === 'ts-mls' && s.op === r.op && s.n === r.n);
    const ratio = (a: number | undefined, b: number): string => (a === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}x`);
    lines.push(`${r.impl.padEnd(21)} ${r.op.padEnd(7)} ${String(r.n).padStart(3)} ${r.senderMs.toFixed(2).padStart(11)} ${r.recipientMs.toFixed(2).padStart(12)} ${String(r.bytes).padStart(8)}   ${ratio(stock?.senderMs, r.senderMs).padStart(18)}  ${ratio(stock?.recipientMs, r.recipientMs).padStart(21)}`);
  }
  return lines.join('\n');
}

/** The target lines: at n = 128, stock ÷ groupcrypt-mls per op (sender: the target; recipient: shown beside it). */
export function mlsTargets(rows: readonly MlsBenchRow[]): string[] {
  return OPS.map((op) => {
    const stock = rows.find((r) => r.impl === 'ts-mls' && r.op === op && r.n === TARGET_N);
    const ours = rows.find((r) => r.impl === 'groupcrypt-mls' && r.op === op && r.n === TARGET_N);
    if (stock === undefined || ours === undefined) return `[ n/a] ${op} n=${TARGET_N}: not measured in this run`;
    const sender = stock.senderMs / ours.senderMs;
    const recipient = stock.recipientMs / ours.recipientMs;
    return `${sender >= TARGET_SPEEDUP ? '[ met]' : '[MISS]'} ${op} n=${TARGET_N}: sender ${sender.toFixed(2)}× stock ts-mls (${ours.senderMs.toFixed(1)} vs ${stock.senderMs.toFixed(1)} ms, median of ${samplesFor(TARGET_N)}; target ≥ ${TARGET_SPEEDUP}×); recipient ${recipient.toFixed(2)}× (${ours.recipientMs.toFixed(1)} vs ${stock.recipientMs.toFixed(1)} ms)`;
  });
}

/** Runs the benchmark; writes bench/results/mls.json unless `write` is false. */
export async function runMlsBench(options: MlsBenchOptions = {}): Promise<{ rows: MlsBenchRow[]; table: string; targets: string[] }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stock = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
  const fast = createMlsCiphersuite(SUITE);
  const rows: MlsBenchRow[] = [];
  const stockMaxN = options.stockMaxN ?? 128;
  for (const n of options.sizes ?? [8, 16, 32, 64, 128, 1024]) {
    const prepared = [await prepareSecretGroup('groupcrypt-mls', fast, n)];
    if (n <= stockMaxN) prepared.unshift(await prepareStock(stock, n));
    if (n <= stockMaxN) prepared.push(await prepareSecretGroup('groupcrypt-mls-stock', stock, n));
    const fresh = await benchInterleaved(prepared, n);
    rows.push(...OPS.flatMap((op) => fresh.filter((r) => r.op === op && r.impl === 'ts-mls')), ...fresh.filter((r) => r.impl === 'groupcrypt-mls'),
      ...fresh.filter((r) => r.impl === 'groupcrypt-mls-stock'));
    log(`mls bench: n=${n} done`);
  }
  const table = formatMlsTable(rows);
  if (options.write ?? true) {
    const file = options.outFile ?? RESULTS_FILE;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  }
  return { rows, table, targets: mlsTargets(rows) };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const sizes = process.env['MLS_BENCH_SIZES']?.split(',').map(Number);
  const { table, targets } = await runMlsBench(sizes === undefined ? {} : { sizes });
  console.log(table);
  console.log(targets.join('\n'));
}
