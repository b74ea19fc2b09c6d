/**
 * DCGKA vs MLS (Secret Group) crossover, in one run: the cost of an update
 * (sender, one recipient, bytes on the wire) at n = 8 … 1024.
 *
 * - `dcgka`: groupcrypt's DCGKA update (bench/dcgka-harness.ts): the sender
 *   seals a fresh seed to each of the n−1 others and signs; the recipient
 *   opens one and verifies; bytes include every direct part, and
 *   `senderMs` / `recipientMs` include the acks (DCGKA's cost model).
 * - `mls`: the owner's Secret Group update commit (path update + sealed
 *   long-term secrets, signed document) on groupcrypt's node:crypto
 *   ciphersuite, and one member processing it. The group is measured
 *   straight after the owner added everybody in one commit (MLS's worst
 *   case: blank parent nodes, so the path is sealed to many leaves; in a
 *   Secret Group only the owner commits, so the tree stays that way).
 *
 * Times are process CPU ms per call (mean over samples), bytes per update.
 * Run: `npx tsx bench/mls-crossover.ts` (MLS_CROSSOVER_SIZES=8,32 to pick sizes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultDeps } from '../src/crypto/index.js';
import {
  commitSecretGroup, createKeyPackage, createMemberKeyStore, createMlsCiphersuite, createSecretGroup, joinSecretGroup, processCommit, type MlsDeps,
} from '../src/mls/index.js';
import { makeUsers, runSample, settleGroup, type Clock } from './dcgka-harness.js';

/** One crossover row. */
export interface CrossoverRow {
  readonly scheme: 'dcgka' | 'mls';
  readonly n: number;
  readonly senderMs: number;
  readonly recipientMs: number;
  readonly bytes: number;
  readonly samples: number;
}

/** Options of `runCrossoverBench`. */
export interface CrossoverOptions {
  readonly sizes?: readonly number[];
  readonly write?: boolean;
  readonly outFile?: string;
  readonly log?: (line: string) => void;
}

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'mls-crossover.json');
const SIZES = [8, 16, 32, 64, 128, 256, 512, 1024];

const cpu: Clock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function samplesFor(n: number): number {
  return n <= 64 ? 4 : n <= 256 ? 2 : 1;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function dcgkaRow(n: number): CrossoverRow {
  const group = settleGroup(makeUsers(defaultDeps(), n));
  const samples = samplesFor(n);
  runSample(group, 'update', cpu);
  let sender = 0;
  let recipient = 0;
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const s = runSample(group, 'update', cpu);
    sender += s.senderGenMs + s.senderAckMs;
    recipient += s.recipientProcMs + s.recipientAckMs;
    bytes = s.bytes;
  }
  return { scheme: 'dcgka', n, senderMs: round(sender / samples), recipientMs: round(recipient / samples), bytes, samples };
}

async function mlsRow(n: number): Promise<CrossoverRow> {
  const deps: MlsDeps = { ...defaultDeps(), mls: createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519') };
  const owner = createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32));
  const members = [];
  for (let i = 1; i < n; i++) {
    const made = await createKeyPackage(createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32)), deps);
    members.push({ store: made.state, document: made.document });
  }
  const created = await createSecretGroup({ identity: owner, ltsCiphersuite: 0x01 }, deps);
  const added = await commitSecretGroup(created.state, { add: members.map((m) => m.document) }, deps);
  const recipient = (await joinSecretGroup({ identity: members[1]!.store, group: created.outputs[0].document, commit: added.outputs[0].document }, deps)).state;
  const samples = samplesFor(n);
  let sender = 0;
  let received = 0;
  let bytes = 0;
  for (let i = 0; i <= samples; i++) {
    const t0 = cpu();
    const commit = await commitSecretGroup(added.state, {}, deps);
    const t1 = cpu();
    await processCommit(recipient, commit.outputs[0].document, deps);
    const t2 = cpu();
    if (i === 0) continue; // warm-up
    sender += t1 - t0;
    received += t2 - t1;
    bytes = commit.outputs[0].document.length;
  }
  return { scheme: 'mls', n, senderMs: round(sender / samples), recipientMs: round(received / samples), bytes, samples };
}

/** The table: both schemes per n and the DCGKA / MLS ratios (> 1: MLS is cheaper). */
export function formatCrossover(rows: readonly CrossoverRow[]): string {
  const lines = ['   n   dcgka sender ms  mls sender ms  ratio   dcgka recip ms  mls recip ms  ratio   dcgka bytes  mls bytes  ratio'];
  for (const n of [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b)) {
    const d = rows.find((r) => r.n === n && r.scheme === 'dcgka');
    const m = rows.find((r) => r.n === n && r.scheme === 'mls');
    if (d === undefined || m === undefined) continue;
    const ratio = (a: number, b: number): string => (b === 0 ? '' : `${(a / b).toFixed(2)}x`);
    lines.push(`${String(n).padStart(4)} ${d.senderMs.toFixed(1).padStart(17)} ${m.senderMs.toFixed(1).padStart(14)} ${ratio(d.senderMs, m.senderMs).padStart(6)}`
      + ` ${d.recipientMs.toFixed(1).padStart(16)} ${m.recipientMs.toFixed(1).padStart(13)} ${ratio(d.recipientMs, m.recipientMs).padStart(6)}`
      + ` ${String(d.bytes).padStart(12)} ${String(m.bytes).padStart(10)} ${ratio(d.bytes, m.bytes).padStart(6)}`);
  }
  return lines.join('\n');
}

/** Runs both schemes at every size; writes bench/results/mls-crossover.json unless `write` is false. */
export async function runCrossoverBench(options: CrossoverOptions = {}): Promise<{ rows: CrossoverRow[]; table: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rows: CrossoverRow[] = [];
  for (const n of options.sizes ?? SIZES) {
    rows.push(dcgkaRow(n));
    rows.push(await mlsRow(n));
    log(`crossover: n=${n} done`);
  }
  const table = formatCrossover(rows);
  if (options.write ?? true) {
    const file = options.outFile ?? RESULTS_FILE;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  }
  return { rows, table };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.env['MLS_CROSSOVER_SIZES']?.split(',').map(Number);
  const { table } = await runCrossoverBench(sizes === undefined ? {} : { sizes });
  console.log(table);
}
