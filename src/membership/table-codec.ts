/**
 * The compact layout of a membership state (v3, issue 12 "bounded state").
 *
 * In v1/v2 each op is a map of its op id, actor and target as text (DCGKA
 * ids are 64 hex characters) and its past as a bit set over every earlier op:
 * about 230 bytes an op plus one bit per earlier op. That is what a history
 * held by a member that never comes back grows by (compact.ts), and what a
 * welcome carries. Here every id is written once, in a table, ops and seen
 * sets name ids by index, an op id `actor:seq` is its seq, and a set of ops
 * is its runs of consecutive indices (a past is nearly always one run, from
 * 0, with a few holes for ops concurrent with it):
 *
 *   { v: 3, ids: [id…], base: null | [count, create, [[actor, seq]…], [member…], [named…]],
 *     ops: [[kind, actor, seq | id, [target…], runs]…], seen: [[member, runs]…] }
 *
 * `ids` is sorted and every id in it is used; an id of 64 lower-case hex
 * characters is written as its 32 bytes, any other as text; `kind` is 0
 * create, 1 add, 2 remove; `runs` is [start, end, start, end, …], strictly
 * increasing (maximal runs, each non-empty, end exclusive). So a state has
 * one encoding. This module only maps between the layout and plain fields:
 * codec.ts validates what they mean.
 */
import { fromHex, toHex } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { bitIndices } from './bitset.js';
import { compareIds } from './evaluate.js';
import type { MemberId, MembershipBase, MembershipOp, MembershipState, OpKind, RegionData } from './types.js';

const KINDS: readonly OpKind[] = ['create', 'add', 'remove', 'region'];
const HEX_ID = /^[0-9a-f]{64}$/;
const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/** The seq of op id `id` when it is exactly `actor:seq` (a safe integer written canonically), else undefined. */
function seqOf(id: string, actor: MemberId): number | undefined {
  if (!id.startsWith(`${actor}:`)) return undefined;
  const digits = id.slice(actor.length + 1);
  const seq = Number(digits);
  return SEQ.test(digits) && Number.isSafeInteger(seq) ? seq : undefined;
}

/** The fields of a decoded v3 state, before codec.ts checks them. */
export interface TableFields {
  readonly base: MembershipBase | null;
  readonly ops: readonly MembershipOp[];
  readonly seen: readonly (readonly [MemberId, Uint8Array])[];
}

function fail(what: string, expected: string): never {
  throw new DecodeError('DECODE_FIELD', `${what}: expected ${expected}`);
}

function uint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(what, 'a non-negative integer');
  return value;
}

function list(value: unknown, what: string, max: number, length?: number): readonly unknown[] {
  if (!Array.isArray(value) || value.length > max || (length !== undefined && value.length !== length)) {
    fail(what, length === undefined ? `a list of at most ${max} items` : `a list of ${length} items`);
  }
  return value;
}

/** `bits` as runs of consecutive indices: [start, end, …]. */
export function toRuns(bits: Uint8Array): number[] {
  const runs: number[] = [];
  for (const i of bitIndices(bits)) {
    if (runs.length > 0 && runs[runs.length - 1] === i) runs[runs.length - 1] = i + 1;
    else runs.push(i, i + 1);
  }
  return runs;
}

/** The bit set of `runs`, each index below `limit`. */
export function fromRuns(value: unknown, what: string, limit: number): Uint8Array {
  const runs = list(value, what, 2 * limit + 2);
  if (runs.length % 2 !== 0) fail(what, '[start, end, …] pairs');
  const last = runs.length === 0 ? 0 : uint(runs[runs.length - 1], what);
  if (last > limit) fail(what, `runs within the ${limit} operations before it`);
  const bits = new Uint8Array(Math.ceil(last / 8));
  let previous = -1;
  for (let r = 0; r < runs.length; r += 2) {
    const start = uint(runs[r], what);
    const end = uint(runs[r + 1], what);
    if (start <= previous || end <= start) fail(what, 'strictly increasing, non-empty, non-adjacent runs');
    for (let i = start; i < end; i++) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    previous = end;
  }
  return bits;
}

/** Encodes `state` in the v3 layout above. */
export function encodeTable(state: MembershipState): Record<string, unknown> {
  const all = new Set<MemberId>();
  const base = state.base;
  if (base !== null) for (const id of [...Object.keys(base.marks), ...base.members, ...base.named]) all.add(id);
  for (const op of state.ops) {
    for (const id of [op.actor, ...op.targets]) all.add(id);
    if (op.region !== undefined) for (const id of [...Object.keys(op.region.ranges), ...op.region.named, ...regionKeyMembers(op.region)]) all.add(id);
  }
  for (const [id] of state.seen) all.add(id);
  const ids = [...all].sort(compareIds);
  const at = new Map(ids.map((id, i) => [id, i]));
  const index = (id: MemberId): number => at.get(id) as number;
  const opAt = new Map(state.ops.map((op, i) => [op.id, i]));
  const ref = (key: string): number[] => {
    // an entry key (state.ts): `#member` for a base entry, else `${op id}#${position}`
    const cut = key.lastIndexOf('#');
    if (cut === 0) return [index(key.slice(1))];
    return [opAt.get(key.slice(0, cut)) as number, Number(key.slice(cut + 1))];
  };
  const ops = state.ops.map((op) => {
    const fields: unknown[] = [KINDS.indexOf(op.kind), index(op.actor), seqOf(op.id, op.actor) ?? op.id, op.targets.map(index), toRuns(op.past)];
    const region = op.region;
    if (region !== undefined) {
      fields.push([
        region.leaves.map((keys) => keys.map(ref)),
        region.killed.map(ref),
        region.held.map((pair) => pair.split('\n').map(ref)),
        Object.keys(region.ranges).sort(compareIds).map((id) => [index(id), ...(region.ranges[id] as readonly [number, number])]),
        region.named.map(index),
      ]);
    }
    return fields;
  });
  const seen = state.seen.sortedKeys().map((id) => [index(id), toRuns(state.seen.get(id) as Uint8Array)]);
  const baseField = base === null ? null : [
    base.count, base.create,
    Object.keys(base.marks).sort(compareIds).map((id) => [index(id), base.marks[id]]),
    base.members.map(index), base.named.map(index),
  ];
  const v = state.ops.some((op) => op.region !== undefined) ? 4 : 3;
  return { v, ids: ids.map((id) => (HEX_ID.test(id) ? fromHex(id) : id)), base: baseField, ops, seen };
}

/** The members named by the base-entry keys (`#member`) of a region. */
function regionKeyMembers(region: RegionData): MemberId[] {
  const keys = [...region.leaves.flat(), ...region.killed, ...region.held.flatMap((pair) => pair.split('\n'))];
  return keys.filter((key) => key.startsWith('#')).map((key) => key.slice(1));
}

/** Limits the v3 reader enforces (codec.ts passes its own). */
export interface TableLimits {
  readonly ops: number;
  readonly ids: number;
  readonly idLength: number;
  readonly targets: number;
}

/**
 * Reads the v3 layout into plain fields.
 * @throws DecodeError `DECODE_FIELD` for a malformed layout, an index out of
 *   range, an id table not sorted, holding an unused id, or hex written as text.
 */
export function decodeTable(record: Readonly<Record<string, unknown>>, what: string, limits: TableLimits, regions = false): TableFields {
  const ids = list(record['ids'], `${what}.ids`, limits.ids).map((raw, i): MemberId => {
    if (raw instanceof Uint8Array && raw.length === 32) return toHex(raw);
    if (typeof raw === 'string' && raw.length > 0 && raw.length <= limits.idLength && !HEX_ID.test(raw)) return raw;
    return fail(`${what}.ids[${i}]`, '32 bytes, or text that is not 64 hex characters');
  });
  for (let i = 1; i < ids.length; i++) if (compareIds(ids[i - 1] as MemberId, ids[i] as MemberId) >= 0) fail(`${what}.ids`, 'sorted unique ids');
  const used = new Set<number>();
  const idAt = (value: unknown, field: string): MemberId => {
    const i = uint(value, field);
    if (i >= ids.length) fail(field, `an index below ${ids.length}`);
    used.add(i);
    return ids[i] as MemberId;
  };
  const indices = (value: unknown, field: string, max: number): MemberId[] => list(value, field, max).map((v, k) => idAt(v, `${field}[${k}]`));

  let base: MembershipBase | null = null;
  if (record['base'] !== null) {
    const field = `${what}.base`;
    const [count, create, rawMarks, members, named] = list(record['base'], field, 5, 5);
    if (typeof create !== 'string' || create.length === 0 || create.length > limits.idLength) fail(`${field}.create`, 'an op id');
    const marks: Record<MemberId, number> = {};
    let previous = -1;
    for (const [k, pair] of list(rawMarks, `${field}.marks`, limits.ids).entries()) {
      const [actor, seq] = list(pair, `${field}.marks[${k}]`, 2, 2);
      if (uint(actor, `${field}.marks[${k}]`) <= previous) fail(`${field}.marks`, 'actors in table order, each once');
      previous = actor as number;
      Object.defineProperty(marks, idAt(actor, `${field}.marks[${k}]`), { value: uint(seq, `${field}.marks[${k}]`), enumerable: true, writable: true, configurable: true });
    }
    base = { count: uint(count, `${field}.count`), create, marks, members: indices(members, `${field}.members`, limits.ids), named: indices(named, `${field}.named`, limits.ids) };
  }

  const opIds: string[] = [];
  const pendingRegions: [number, unknown][] = [];
  // an entry named by [op index, position] or [member] (a base entry): its key (state.ts)
  const keyAt = (value: unknown, field: string): string => {
    const parts = list(value, field, 2);
    if (parts.length === 1) return `#${idAt(parts[0], field)}`;
    const op = opIds[uint(parts[0], field)];
    if (op === undefined || parts.length !== 2) fail(field, '[member] or [an op index, position]');
    return `${op}#${uint(parts[1], field)}`;
  };
  const readRegion = (value: unknown, field: string, targets: number): RegionData => {
    const [leaves, killed, held, ranges, named] = list(value, field, 5, 5);
    const ops = limits.ops;
    const rangeMap: Record<MemberId, readonly [number, number]> = {};
    let previous = -1;
    for (const [k, raw] of list(ranges, `${field}.ranges`, limits.ids).entries()) {
      const [actor, lo, hi] = list(raw, `${field}.ranges[${k}]`, 3, 3);
      if (uint(actor, `${field}.ranges[${k}]`) <= previous) fail(`${field}.ranges`, 'actors in table order, each once');
      previous = actor as number;
      if (uint(lo, `${field}.ranges[${k}]`) > uint(hi, `${field}.ranges[${k}]`)) fail(`${field}.ranges[${k}]`, 'lowest <= highest');
      Object.defineProperty(rangeMap, idAt(actor, `${field}.ranges[${k}]`), { value: [lo, hi], enumerable: true, writable: true, configurable: true });
    }
    return {
      leaves: list(leaves, `${field}.leaves`, targets, targets).map((keys, k) => list(keys, `${field}.leaves[${k}]`, ops).map((key, j) => keyAt(key, `${field}.leaves[${k}][${j}]`))),
      killed: list(killed, `${field}.killed`, ops).map((key, k) => keyAt(key, `${field}.killed[${k}]`)),
      held: list(held, `${field}.held`, ops).map((pair, k) => list(pair, `${field}.held[${k}]`, 2, 2).map((key, j) => keyAt(key, `${field}.held[${k}][${j}]`)).join('\n')),
      ranges: rangeMap,
      named: indices(named, `${field}.named`, limits.ids),
    };
  };
  const ops = list(record['ops'], `${what}.ops`, limits.ops).map((raw, i): MembershipOp => {
    const field = `${what}.ops[${i}]`;
    const fieldCount = regions && Array.isArray(raw) && raw[0] === 3 ? 6 : 5;
    const [kindCode, actorAt, idField, targets, runs, regionField] = list(raw, field, fieldCount, fieldCount);
    const kind = KINDS[uint(kindCode, `${field}.kind`)];
    if (kind === undefined || (kind === 'region' && !regions)) fail(`${field}.kind`, regions ? '0, 1, 2 or 3' : '0, 1 or 2');
    const actor = idAt(actorAt, `${field}.actor`);
    let id: string;
    if (typeof idField === 'number') {
      id = `${actor}:${uint(idField, `${field}.id`)}`;
    } else {
      if (typeof idField !== 'string' || idField.length === 0 || idField.length > limits.idLength) fail(`${field}.id`, 'a seq or an op id');
      if (seqOf(idField, actor) !== undefined) fail(`${field}.id`, 'its seq alone (non-canonical)');
      id = idField;
    }
    const op = { id, kind, actor, targets: indices(targets, `${field}.targets`, limits.targets), past: fromRuns(runs, `${field}.past`, i) };
    opIds.push(id);
    if (kind === 'region') pendingRegions.push([i, regionField]);
    return op;
  });
  // region data names entries by op index, of ops before or after it: read once every op id is known
  const withRegions = ops.map((op, i) => {
    const pending = pendingRegions.find(([at]) => at === i);
    return pending === undefined ? op : { ...op, region: readRegion(pending[1], `${what}.ops[${i}].region`, op.targets.length) };
  });

  const seen: [MemberId, Uint8Array][] = [];
  let previous = -1;
  for (const [k, pair] of list(record['seen'], `${what}.seen`, limits.ids).entries()) {
    const [member, runs] = list(pair, `${what}.seen[${k}]`, 2, 2);
    if (uint(member, `${what}.seen[${k}]`) <= previous) fail(`${what}.seen`, 'members in table order, each once');
    previous = member as number;
    seen.push([idAt(member, `${what}.seen[${k}]`), fromRuns(runs, `${what}.seen[${k}]`, ops.length)]);
  }
  if (used.size !== ids.length) fail(`${what}.ids`, 'only ids the state uses');
  return { base, ops: withRegions, seen };
}
