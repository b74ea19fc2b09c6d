/**
 * State growth: an 8-member message-scheme group through N mixed operations
 * (updates, removes and re-adds, sends), every member processing everything.
 * At every checkpoint it records member 0's encoded state (total and per part:
 * membership history, causal orderer, the rest) and the CPU time per
 * operation over the last window. Bounded state means both level off: the
 * last quarter of checkpoints is compared with the second quarter. The
 * removal records are the one part kept for good (one per removal, so that
 * every member judges a removed member's messages alike for ever): they are
 * reported apart, as bytes per removal.
 *
 * Run alone: `node --import tsx bench/state-growth.ts [--ops N] [--stranded | --departed]`; writes
 * bench/results/state-growth.json (state-growth-stranded.json with --stranded,
 * state-growth-departed.json with --departed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDeps, encodeCanonical, toHex, utf8 } from '../src/crypto/index.js';
import { encodeDcgkaState } from '../src/dcgka/index.js';
import {
  addMember, createGroup, encodeGroupState, joinGroup, encodeWireBundle, groupMembers, openWireBundle, receive, removeMember, send, updateGroup,
} from '../src/group/index.js';
import type { GroupResult, GroupState } from '../src/group/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../src/keys/index.js';
import { decodeMembership, encodeMembership } from '../src/membership/index.js';
import { isGroupCryptError } from '../src/errors.js';
import { encodeRemovalTable } from '../src/group/removal-table.js';
import { encodeOrderer } from '../src/ordering/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One checkpoint of the curve. */
export interface StateGrowthRow {
  /** Group operations done so far (sends included). */
  readonly ops: number;
  /** Membership operations (adds, removes) so far. */
  readonly membershipOps: number;
  /** Member 0's encoded group state. */
  readonly stateBytes: number;
  readonly membershipBytes: number;
  readonly ordererBytes: number;
  /** DCGKA state without the membership. */
  readonly dcgkaOtherBytes: number;
  /** The removal records (their v4 id table): kept for good, one per removal (src/group/removal.ts). */
  readonly recordBytes: number;
  /** Removals so far. */
  readonly removals: number;
  /** CPU ms per operation over the window ending here (all members' processing). */
  readonly msPerOp: number;
  /** Wall ms to decode member 0's membership history (what a joiner's welcome carries), median of 3. */
  readonly decodeMs: number;
}

/** The bench result: the curve, whether it levels off, and a table. */
export interface StateGrowthReport {
  readonly rows: readonly StateGrowthRow[];
  /**
   * State bytes without the removal records, and msPerOp: the mean over the last quarter of checkpoints divided by
   * the mean over the second quarter (≈1 when bounded, ≈1.7 when linear). Means, because the membership history
   * swings between 2 and 10 KB from one checkpoint to the next with the timing of its compactions.
   */
  readonly bytesRatio: number;
  readonly timeRatio: number;
  /** Bytes the removal records add per removal (least-squares slope over the checkpoints). */
  readonly recordBytesPerRemoval: number;
  readonly levelsOff: boolean;
  readonly table: string;
  readonly targets: readonly string[];
}

interface Member {
  readonly name: string;
  readonly id: string;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  state: GroupState | undefined;
  inbox: Uint8Array[];
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

/** Median wall time of three runs of `run`, in ms. */
function medianMs(run: () => unknown): number {
  const times = [0, 1, 2].map(() => {
    const start = performance.now();
    run();
    return performance.now() - start;
  });
  return times.sort((a, b) => a - b)[1] as number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Runs the bench. Options: `ops` (default 10,000; quick 2,000), `checkpoints` (default 20), `log`; `stranded`: one
 * member is removed first and never comes back nor hears of its removal (its later messages may still arrive: prefix
 * compaction stops at its last one, and region compaction goes past it: README "A member removed and never told");
 * writes state-growth-stranded.json;
 * `departed`: the same member removed for good, but online: it hears of its removal and says farewell (its ack of
 * its own removal), after which it holds nothing back; writes state-growth-departed.json.
 */
export async function runStateGrowthBench(options: { readonly ops?: number; readonly quick?: boolean; readonly checkpoints?: number; readonly stranded?: boolean; readonly departed?: boolean; readonly log?: (line: string) => void } = {}): Promise<StateGrowthReport> {
  const total = options.ops ?? (options.quick ? 2_000 : 10_000);
  const checkpoints = options.checkpoints ?? 20;
  const deps = defaultDeps();
  const members: Member[] = [];
  for (let i = 0; i < 8; i++) {
    const keys = createKeyManager(deps);
    members.push({ name: `M${i}`, id: toHex(identityOf(keys).publicKey), keys, registry: createKeyRegistry(), state: undefined, inbox: [] });
  }
  for (const m of members) for (const o of members) if (o !== m) m.registry = registerBundle(m.registry, longTermBundle(o.keys), deps);
  const ctx = (m: Member) => ({ deps, keys: m.keys, registry: m.registry });
  const apply = (m: Member, result: GroupResult): void => {
    m.state = result.state;
    m.keys = result.keys;
    m.registry = result.registry;
    for (const out of result.outputs) {
      if (out.kind !== 'send') continue;
      const bundle = encodeWireBundle(out.message);
      for (const o of members) if (o !== m) o.inbox.push(bundle);
    }
  };
  /** Delivers every inbox in FIFO order until all are empty; a member without state joins through the first welcome it can open. */
  const settle = (): void => {
    for (let moved = true; moved;) {
      moved = false;
      for (const m of members) {
        if (m === stranded && !options.departed) m.inbox = [];
        while (m.inbox.length > 0) {
          const incoming = openWireBundle(m.inbox.shift() as Uint8Array, m.id);
          moved = true;
          if (m.state) {
            try {
              apply(m, receive(m.state, ctx(m), incoming));
            } catch (error) {
              // A removed member cannot read the group's traffic: expected. Anyone else: a bug.
              if (!(isGroupCryptError(error) && m.state.dcgka.removed)) throw error;
            }
            continue;
          }
          try {
            apply(m, joinGroup(ctx(m), { scheme: 'message', message: incoming }));
          } catch {
            // not a welcome for me: covered by the welcome that comes
          }
        }
      }
    }
  };
  const [first] = members as [Member];
  let stranded: Member | undefined;
  apply(first, createGroup(ctx(first), { scheme: 'message', members: members.slice(1).map((m) => m.id) }));
  settle();
  if (options.stranded || options.departed) {
    stranded = members.at(-1) as Member;
    apply(first, removeMember(first.state as GroupState, ctx(first), stranded.id));
    settle();
  }

  let random = 0x2545f491;
  const next = (n: number): number => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) % n;
  };
  const rows: StateGrowthRow[] = [];
  let membershipOps = 0;
  let removals = 0;
  let windowStart = cpuMs();
  let windowOps = 0;
  const removed = new Set<Member>();
  for (let op = 1; op <= total; op++) {
    const active = members.filter((m) => m.state && !removed.has(m) && m !== first && m !== stranded);
    const actor = op % 3 === 0 ? first : (active[next(active.length)] ?? first);
    const roll = next(100);
    const state = actor.state as GroupState;
    const candidates = members.filter((m) => m !== actor && m !== first && m !== stranded && !removed.has(m) && groupMembers(state).includes(m.id));
    if (roll < 40) {
      apply(actor, send(state, ctx(actor), { plaintext: utf8(`message ${op}`) }));
    } else if (roll >= 70 && roll < 85 && removed.size < 2 && candidates.length > 0) {
      const target = candidates[next(candidates.length)] as Member;
      apply(actor, removeMember(state, ctx(actor), target.id));
      removed.add(target);
      membershipOps++;
      removals++;
    } else if (roll >= 85 && removed.size > 0) {
      // re-add a removed member: it joins again through the welcome
      const target = [...removed][next(removed.size)] as Member;
      apply(actor, addMember(state, ctx(actor), target.id));
      removed.delete(target);
      membershipOps++;
    } else {
      apply(actor, updateGroup(state, ctx(actor)));
    }
    settle();
    windowOps++;
    if (op % Math.max(1, Math.floor(total / checkpoints)) === 0 || op === total) {
      const msPerOp = (cpuMs() - windowStart) / windowOps; // the checkpoint's own measuring is left out
      const s = first.state as GroupState;
      const encoded = encodeMembership(s.dcgka.membership);
      const membershipBytes = encoded.length;
      const row: StateGrowthRow = {
        ops: op, membershipOps, stateBytes: encodeGroupState(s).length, membershipBytes, ordererBytes: encodeOrderer(s.orderer).length,
        dcgkaOtherBytes: encodeDcgkaState(s.dcgka).length - membershipBytes, recordBytes: encodeCanonical(encodeRemovalTable(s.removals)).length, removals,
        msPerOp, decodeMs: medianMs(() => decodeMembership(encoded)),
      };
      rows.push(row);
      options.log?.(`  state-growth: ${op} ops, state ${row.stateBytes} B (removal records ${row.recordBytes} B), membership ${membershipBytes} B (decoded in ${row.decodeMs.toFixed(1)} ms), ${row.msPerOp.toFixed(2)} ms/op`);
      windowStart = cpuMs();
      windowOps = 0;
    }
  }
  const quarter = Math.max(1, Math.floor(rows.length / 4));
  const mean = (from: number, pick: (r: StateGrowthRow) => number): number => rows.slice(from, from + quarter).reduce((n, r) => n + pick(r), 0) / quarter;
  const withoutRecords = (r: StateGrowthRow): number => r.stateBytes - r.recordBytes;
  const bytesRatio = mean(rows.length - quarter, withoutRecords) / mean(quarter, withoutRecords);
  const timeRatio = mean(rows.length - quarter, (r) => r.msPerOp) / mean(quarter, (r) => r.msPerOp);
  const recordBytesPerRemoval = slope(rows.map((r) => [r.removals, r.recordBytes]));
  const levelsOff = bytesRatio < 1.25 && timeRatio < 1.5;
  const header = 'ops      membership-ops  state B   records B  membership B  orderer B  dcgka-other B  ms/op  decode ms';
  const table = [header, ...rows.map((r) => `${String(r.ops).padEnd(8)} ${String(r.membershipOps).padEnd(15)} ${String(r.stateBytes).padEnd(9)} ${String(r.recordBytes).padEnd(10)} ${String(r.membershipBytes).padEnd(13)} ${String(r.ordererBytes).padEnd(10)} ${String(r.dcgkaOtherBytes).padEnd(14)} ${r.msPerOp.toFixed(2).padEnd(6)} ${r.decodeMs.toFixed(1)}`)].join('\n');
  const last = rows.at(-1) as StateGrowthRow;
  const targets = [
    `state growth, 8 members through ${total} operations, last quarter / second quarter: state bytes without removal records ${bytesRatio.toFixed(2)}, ms/op ${timeRatio.toFixed(2)} → ${levelsOff ? 'met (levels off)' : 'MISSED (grows)'}`,
    `removal records (kept for good, src/group/removal.ts): ${recordBytesPerRemoval.toFixed(1)} B per removal, ${last.recordBytes} B after ${last.removals} removals (of ${last.stateBytes} B) → grows linearly, by design`,
  ];
  const report: StateGrowthReport = { rows, bytesRatio, timeRatio, recordBytesPerRemoval, levelsOff, table, targets };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const file = options.departed ? 'state-growth-departed.json' : options.stranded ? 'state-growth-stranded.json' : 'state-growth.json';
  writeFileSync(join(HERE, 'results', file), `${JSON.stringify({ ops: total, members: 8, bytesRatio, timeRatio, recordBytesPerRemoval, levelsOff, rows }, null, 2)}\n`);
  return report;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--ops');
  const ops = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  const report = await runStateGrowthBench({ ...(ops ? { ops } : {}), stranded: process.argv.includes('--stranded'), departed: process.argv.includes('--departed'), log: (line) => process.stderr.write(`${line}\n`) });
  console.log(report.table);
  console.log(report.targets.join('\n'));
}
