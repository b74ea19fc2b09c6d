/**
 * Internal construction of membership states: appending one op with its
 * past, and rebuilding the derived caches. Callers validate first.
 */
import { PersistentMap } from '../crypto/index.js';
import { BASE_OP, holdsOp, withBit } from './bitset.js';
import { evaluateMembers } from './evaluate.js';
import type { AddEntry, MemberId, MembershipBase, MembershipOp, MembershipState, OpId, OpKind, RegionData } from './types.js';

/** Own-property lookup, safe for any string key (`constructor`, `__proto__`). */
export function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `key` on a record this module just allocated, safe for any string key. */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

const EMPTY: MembershipState = {
  v: 1, ops: [], seen: PersistentMap.empty(), base: null, index: {}, entries: [], entriesOf: {}, cancels: [], members: [],
};

/** An op to append: what `appendOp` records of it beside its past. */
type NewOp = { readonly id: OpId; readonly kind: OpKind; readonly actor: MemberId; readonly targets: readonly MemberId[]; readonly region?: RegionData };

/**
 * Appends one op whose past is `past`, without touching any seen set, and
 * recomputes the cached members.
 */
export function appendOp(state: MembershipState, op: NewOp, past: Uint8Array): MembershipState {
  return withMembers(appendOpDeferred(state, op, past));
}

/**
 * `state` with its cached members evaluated over all its ops: after a run of
 * `appendOpDeferred`, so that a welcome's history of h ops costs one
 * evaluation, not h (each O(h): a history kept long by a removed member gone
 * for good made every join quadratic in it, issue 12).
 */
export function withMembers(state: MembershipState): MembershipState {
  return { ...state, members: evaluateMembers(state, null) };
}

/** The derived tables an append extends, as arrays and records this module owns while it fills them. */
interface Tables {
  ops: MembershipOp[];
  entries: AddEntry[];
  cancels: (readonly number[])[];
  index: Record<OpId, number>;
  entriesOf: Record<MemberId, readonly number[]>;
}

function copyTables(state: MembershipState): Tables {
  return { ops: [...state.ops], entries: [...state.entries], cancels: [...state.cancels], index: { ...state.index }, entriesOf: { ...state.entriesOf } };
}

/** Entry index by key, over the entries of `tables`. */
function entryIndex(tables: Pick<Tables, 'entries'>): Map<string, number> {
  const byKey = new Map<string, number>();
  tables.entries.forEach((entry, e) => byKey.set(entry.key, e));
  return byKey;
}

/** Appends one op to tables this module owns (in place: a rebuild of h ops copies nothing h times). */
function appendInto(tables: Tables, op: NewOp, past: Uint8Array): void {
  const i = tables.ops.length;
  const inPast = (e: number): boolean => holdsOp(past, tables.entries[e]?.op ?? 0);
  let cancelled: number[] = [];
  if (op.kind === 'region') {
    const region = op.region as RegionData;
    const byKey = entryIndex(tables);
    const resolve = (keys: readonly string[]): number[] => keys.map((k) => byKey.get(k)).filter((e): e is number => e !== undefined);
    cancelled = resolve(region.killed);
    op.targets.forEach((member, position) => {
      define(tables.entriesOf, member, [...(lookup(tables.entriesOf, member) ?? []), tables.entries.length]);
      tables.entries.push({ op: i, member, supports: resolve(region.leaves[position] ?? []), key: `${op.id}#${position}` });
    });
  } else if (op.kind === 'remove') {
    cancelled = (lookup(tables.entriesOf, op.targets[0] ?? '') ?? []).filter(inPast);
  } else {
    const supports = op.kind === 'create' ? null : (lookup(tables.entriesOf, op.actor) ?? []).filter(inPast);
    op.targets.forEach((member, position) => {
      define(tables.entriesOf, member, [...(lookup(tables.entriesOf, member) ?? []), tables.entries.length]);
      tables.entries.push({ op: i, member, supports, key: `${op.id}#${position}` });
    });
  }
  tables.ops.push(op.region === undefined ? { id: op.id, kind: op.kind, actor: op.actor, targets: [...op.targets], past } : { id: op.id, kind: op.kind, actor: op.actor, targets: [...op.targets], past, region: op.region });
  tables.cancels.push(cancelled);
  define(tables.index, op.id, i);
}

/** `appendOp` without the evaluation: the cached members are stale until `withMembers`. */
export function appendOpDeferred(state: MembershipState, op: NewOp, past: Uint8Array): MembershipState {
  const tables = copyTables(state);
  appendInto(tables, op, past);
  return { ...state, ...tables };
}

/** Sets the seen set of `actor`. */
export function setSeen(state: MembershipState, actor: MemberId, bits: Uint8Array): MembershipState {
  return { ...state, seen: state.seen.set(actor, bits) };
}

/** A state holding only the create op, every initial member having seen it. */
export function initialState(op: { readonly id: OpId; readonly actor: MemberId; readonly targets: readonly MemberId[] }): MembershipState {
  const state = appendOp(EMPTY, { ...op, kind: 'create' }, new Uint8Array(0));
  const seenCreate = withBit(new Uint8Array(0), 0);
  let seen = PersistentMap.empty<Uint8Array>();
  for (const member of op.targets) seen = seen.set(member, seenCreate);
  return { ...state, seen };
}

/** Rebuilds a state from its base, its ops (in order, each with its past) and seen sets. */
export function rebuildState(ops: readonly MembershipOp[], seen: PersistentMap<Uint8Array>, base: MembershipBase | null = null): MembershipState {
  const start = base === null ? EMPTY : baseState(base);
  const tables = copyTables(start);
  for (const op of ops) appendInto(tables, op, op.past);
  return { ...withMembers({ ...start, ...tables, held: regionHeld(tables) }), seen };
}

/** The `held` pairs of every region op, as entry indices (they name adds that may come after the region op). */
function regionHeld(tables: Tables): ReadonlyMap<number, ReadonlySet<string>> | undefined {
  let out: Map<number, Set<string>> | undefined;
  let byKey: Map<string, number> | undefined;
  tables.ops.forEach((op, p) => {
    if (op.region === undefined) return;
    byKey ??= entryIndex(tables);
    const pairs = new Set<string>();
    for (const pair of op.region.held) {
      const cut = pair.indexOf('\n');
      const add = byKey.get(pair.slice(0, cut));
      const support = byKey.get(pair.slice(cut + 1));
      if (add !== undefined && support !== undefined) pairs.add(`${add}:${support}`);
    }
    (out ??= new Map()).set(p, pairs);
  });
  return out;
}

/** A state holding only a base: one entry per base member, in every past (BASE_OP). */
function baseState(base: MembershipBase): MembershipState {
  const entriesOf: Record<string, readonly number[]> = {};
  base.members.forEach((member, e) => define(entriesOf, member, [e]));
  const entries: AddEntry[] = base.members.map((member) => ({ op: BASE_OP, member, supports: null, key: `#${member}` }));
  return { ...EMPTY, base, entries, entriesOf, members: base.members };
}
