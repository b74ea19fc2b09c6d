/**
 * Internal construction of membership states: appending one op with its
 * past, and rebuilding the derived caches. Callers validate first.
 */
import { PersistentMap } from '../crypto/index.js';
import { BASE_OP, holdsOp, withBit } from './bitset.js';
import { evaluateMembers } from './evaluate.js';
import type { AddEntry, MemberId, MembershipBase, MembershipOp, MembershipState, OpId, OpKind } from './types.js';

/** Own-property lookup, safe for any string key (`constructor`, `__proto__`). */
export function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` with `key` set, safe for any string key. */
export function assign<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  const out: Record<string, T> = { ...record };
  define(out, key, value);
  return out;
}

/** Sets `key` on a record this module just allocated, safe for any string key. */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

const EMPTY: MembershipState = {
  v: 1, ops: [], seen: PersistentMap.empty(), base: null, index: {}, entries: [], entriesOf: {}, cancels: [], members: [],
};

/** An op to append: what `appendOp` records of it beside its past. */
type NewOp = { readonly id: OpId; readonly kind: OpKind; readonly actor: MemberId; readonly targets: readonly MemberId[] };

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

/** `appendOp` without the evaluation: the cached members are stale until `withMembers`. */
export function appendOpDeferred(state: MembershipState, op: NewOp, past: Uint8Array): MembershipState {
  const i = state.ops.length;
  const record: MembershipOp = { id: op.id, kind: op.kind, actor: op.actor, targets: [...op.targets], past };
  const entries: AddEntry[] = [...state.entries];
  let entriesOf = state.entriesOf;
  let cancelled: number[] = [];
  const inPast = (e: number): boolean => holdsOp(past, state.entries[e]?.op ?? 0);
  if (op.kind === 'remove') {
    cancelled = (lookup(entriesOf, op.targets[0] ?? '') ?? []).filter(inPast);
  } else {
    const supports = op.kind === 'create' ? null : (lookup(entriesOf, op.actor) ?? []).filter(inPast);
    const added: Record<string, readonly number[]> = { ...entriesOf };
    for (const member of op.targets) {
      define(added, member, [...(lookup(added, member) ?? []), entries.length]);
      entries.push({ op: i, member, supports });
    }
    entriesOf = added;
  }
  return {
    ...state,
    ops: [...state.ops, record],
    entries,
    cancels: [...state.cancels, cancelled],
    index: assign(state.index, op.id, i),
    entriesOf,
  };
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
  let state = base === null ? EMPTY : baseState(base);
  for (const op of ops) state = appendOpDeferred(state, op, op.past);
  return { ...withMembers(state), seen };
}

/** A state holding only a base: one entry per base member, in every past (BASE_OP). */
function baseState(base: MembershipBase): MembershipState {
  const entriesOf: Record<string, readonly number[]> = {};
  base.members.forEach((member, e) => define(entriesOf, member, [e]));
  const entries: AddEntry[] = base.members.map((member) => ({ op: BASE_OP, member, supports: null }));
  return { ...EMPTY, base, entries, entriesOf, members: base.members };
}
