/**
 * Issue 16 bench: what erasing each member's secret at its ack costs, at
 * n = 128 and n = 1024, measured in one run (node provider, CPU time).
 *
 * 1. Member-secret store alone, on one recipient of one seed, for the three
 *    designs: `prk` (before issue 16: keep the seed's PRK, derive on demand;
 *    not forward secure), `eager` (the paper: derive all n secrets at once,
 *    erase each at its ack), `tree` (puncturable GGM tree, what we ship).
 *    Columns: processing the seed, all n − 1 acks, the slowest ack, and the
 *    secret bytes kept right after processing.
 * 2. The whole DCGKA `update` (n = 128, 1024) and `create` (n = 128, where the
 *    2SM refresh parts of issue 18 ride on the acks) (bench/dcgka-harness.ts) on this tree, and, when
 *    `GROUPCRYPT_BASELINE=/path/to/checkout` names a checkout of the code
 *    before issue 16 (e.g. `git worktree add /tmp/old 9251254~1`), on that
 *    code too, in the same process.
 *
 * Run: `npx tsx bench/dcgka-fs.ts` (rows in bench/results/dcgka-fs.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NodeCryptoProvider, toHex, utf8 } from '../src/crypto/index.js';
import type { Deps } from '../src/crypto/index.js';
import { keptNodes, newPendingSeed, puncture, treeRoot } from '../src/dcgka/puncture.js';
import type { PendingSeed } from '../src/dcgka/puncture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'results', 'dcgka-fs.json');
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

interface StoreRow { readonly design: string; readonly n: number; readonly processMs: number; readonly allAcksMs: number; readonly maxAckMs: number; readonly keptBytes: number; readonly iters: number }
interface UpdateRow { readonly code: string; readonly op: string; readonly n: number; readonly senderMs: number; readonly recipientMs: number; readonly recipientProcMs: number; readonly recipientAckMs: number; readonly bytes: number; readonly iters: number }

const MEMBER = 'groupcrypt/dcgka/member/';

function storeSample(deps: Deps, design: string, ids: readonly string[], me: string): Omit<StoreRow, 'design' | 'n' | 'iters'> {
  const c = deps.crypto;
  const seed = c.randomBytes(32);
  let t = cpu();
  const prk = c.hkdfExtract(new Uint8Array(32), seed);
  let prkKept: Uint8Array | undefined;
  let eager: Map<string, Uint8Array> | undefined;
  let tree: PendingSeed | undefined;
  c.hkdfExpand(prk, utf8(MEMBER + ids[0]), 32); // the sender's secret, in every design
  if (design === 'prk') {
    prkKept = prk;
    c.hkdfExpand(prk, utf8(MEMBER + me), 32);
  } else if (design === 'eager') {
    eager = new Map(ids.slice(1).map((id) => [id, c.hkdfExpand(prk, utf8(MEMBER + id), 32)]));
    eager.delete(me);
  } else {
    tree = puncture(deps, newPendingSeed(ids.slice(1), treeRoot(deps, prk)), me)?.pending;
  }
  const processMs = cpu() - t;
  const keptBytes = prkKept ? 32 : eager ? eager.size * 32 : (tree ? keptNodes(tree).length : 0) * 32;
  let allAcksMs = 0;
  let maxAckMs = 0;
  let waiting = ids.slice(1).filter((id) => id !== me);
  for (const acker of ids.slice(1)) {
    if (acker === me) continue;
    t = cpu();
    if (prkKept) {
      waiting = waiting.filter((id) => id !== acker);
      c.hkdfExpand(prkKept, utf8(MEMBER + acker), 32);
    } else if (eager) {
      eager.delete(acker);
    } else if (tree) {
      tree = puncture(deps, tree, acker)?.pending;
    }
    const ms = cpu() - t;
    allAcksMs += ms;
    maxAckMs = Math.max(maxAckMs, ms);
  }
  return { processMs, allAcksMs, maxAckMs, keptBytes };
}

function storeRows(deps: Deps, n: number): StoreRow[] {
  const ids = Array.from({ length: n }, () => toHex(deps.crypto.randomBytes(32)));
  const me = ids[2] as string;
  const iters = n >= 1024 ? 20 : 100;
  return ['prk', 'eager', 'tree'].map((design) => {
    for (let i = 0; i < 3; i++) storeSample(deps, design, ids, me);
    const all = Array.from({ length: iters }, () => storeSample(deps, design, ids, me));
    const mean = (f: (s: (typeof all)[number]) => number): number => r3(all.reduce((a, s) => a + f(s), 0) / all.length);
    return { design, n, processMs: mean((s) => s.processMs), allAcksMs: mean((s) => s.allAcksMs), maxAckMs: mean((s) => s.maxAckMs), keptBytes: mean((s) => s.keptBytes), iters };
  });
}

type Harness = typeof import('./dcgka-harness.js');

async function updateRows(code: string, harness: Harness, deps: Deps, n: number, op: 'update' | 'create' = 'update'): Promise<UpdateRow> {
  const group = harness.settleGroup(harness.makeUsers(deps, n));
  const iters = n >= 1024 ? 2 : 6;
  harness.runSample(group, op, cpu);
  const all = Array.from({ length: iters }, () => harness.runSample(group, op, cpu));
  const mean = (f: (s: (typeof all)[number]) => number): number => r3(all.reduce((a, s) => a + f(s), 0) / all.length);
  return {
    code, op, n, senderMs: mean((s) => s.senderGenMs + s.senderAckMs), recipientMs: mean((s) => s.recipientProcMs + s.recipientAckMs),
    recipientProcMs: mean((s) => s.recipientProcMs), recipientAckMs: mean((s) => s.recipientAckMs), bytes: Math.round(mean((s) => s.bytes)), iters,
  };
}

const deps: Deps = { crypto: new NodeCryptoProvider(), now: () => Math.floor(Date.now() / 1000) };
const store = [...storeRows(deps, 128), ...storeRows(deps, 1024)];
console.log('member-secret store, one recipient of one seed (ms CPU; kept = secret bytes after processing)');
console.log('design  n      process   all acks   max ack   kept B');
for (const r of store) console.log(`${r.design.padEnd(7)} ${String(r.n).padEnd(6)} ${r.processMs.toFixed(3).padStart(8)} ${r.allAcksMs.toFixed(3).padStart(10)} ${r.maxAckMs.toFixed(4).padStart(9)} ${String(r.keptBytes).padStart(8)}`);

const updates: UpdateRow[] = [];
const current = await import('./dcgka-harness.js');
const baselineDir = process.env['GROUPCRYPT_BASELINE'];
const baseline = baselineDir ? ((await import(pathToFileURL(join(baselineDir, 'bench', 'dcgka-harness.ts')).href)) as Harness) : undefined;
for (const n of [128, 1024]) {
  if (baseline) updates.push(await updateRows('before (PRK kept)', baseline, deps, n));
  updates.push(await updateRows('after (tree)', current, deps, n));
}
// The first round's refresh parts (issue 18) ride on the create's acks: their cost shows there.
if (baseline) updates.push(await updateRows('before', baseline, deps, 128, 'create'));
updates.push(await updateRows('after (refresh)', current, deps, 128, 'create'));
console.log('\nDCGKA update and create (bench/dcgka-harness.ts; ms CPU, bytes on the wire)');
console.log('code                op      n      sender   recipient   (process + acks)        bytes');
for (const r of updates) console.log(`${r.code.padEnd(19)} ${r.op.padEnd(7)} ${String(r.n).padEnd(6)} ${r.senderMs.toFixed(1).padStart(7)} ${r.recipientMs.toFixed(1).padStart(10)}   (${r.recipientProcMs.toFixed(2)} + ${r.recipientAckMs.toFixed(1)}) ${String(r.bytes).padStart(12)}`);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ clock: 'process CPU time', store, updates }, null, 1)}\n`);
console.log(`\nwrote ${OUT}`);
