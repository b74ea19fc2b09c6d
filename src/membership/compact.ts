/**
 * Compaction: the membership history stops growing (issue 12, bounded state).
 *
 * An op can leave the history once it is causally stable: every actor that
 * may still send a message others accept has it in the causal past of its
 * latest processed message (its seen set). Later ops of such an actor have a
 * past at least as large (per-sender FIFO), so no op to come is concurrent
 * with it. Its effects are then fixed except for later removes, and those
 * cancel every add they saw — which is every stable add. So the stable prefix
 * of the processing order reduces to the members it left live, each as one
 * add in every past and scope (BASE_OP), and the DGM over the rest gives the
 * same members and views (evaluate.ts; test/membership/compact.test.ts
 * checks it against uncompacted replicas on random schedules):
 *   - an add the prefix had killed cannot support a later add: its killers
 *     did not see that add, so dropping it changes no verdict;
 *   - a live one gets killers only from later removes, all of which saw it.
 *
 * Who may still send: every actor with a seen set, a removed one included
 * (it may not have learned of its removal yet; DCGKA accepts what it sent
 * before), and every member added but not yet heard from. The first message
 * of such a joiner must ack one of its adds (apply.ts refuses anything
 * else), so its past holds that add's past at least: the stable point stops
 * before the earliest op missing from one of its adds' pasts, which keeps
 * its adds themselves (an invitation never accepted holds the history after
 * it, not before). So an actor that never sends again (removed and never
 * told, or invited and never joining) holds the stable point at its last
 * message or its add: the history after it is kept. That is the price of
 * never mis-evaluating a late op. (Past a removed member never told, region.ts
 * replaces what it can no longer see by a placeholder.)
 *
 * Except an actor that departed: its seen set leaves it outside its own view
 * (it acked its own removal: its farewell, apply.ts). It sends nothing more
 * until it acks an add of itself it has not seen, so it holds the stable
 * point only at the past of such an add. Once compaction passes its last
 * message, its view and `hasSeen` are answered over what was kept (`canAct`
 * stays false): nothing asks them while it is out.
 *
 * Replays stay refused: the base keeps, per actor, the highest sequence
 * number of its compacted ops (op ids are `actor:seq`, as DCGKA makes them),
 * and an op at or below it is a duplicate.
 */
import { UsageError } from '../errors.js';
import { BASE_OP, EMPTY_BITS, firstClear, holdsOp, shiftDown } from './bitset.js';
import { compareIds, evaluateMembers } from './evaluate.js';
import { lookup, rebuildState } from './state.js';
import { sortedIncludes, viewOver } from './view.js';
import type { MemberId, MembershipBase, MembershipOp, MembershipState, OpId, RegionData } from './types.js';

/** Default least number of ops a compaction must drop to be worth a rebuild. */
export const COMPACT_MINIMUM = 32;

/** `actor:seq` → [actor, seq], or undefined for any other shape. */
export function splitOpId(id: OpId): readonly [MemberId, number] | undefined {
  const at = id.lastIndexOf(':');
  if (at <= 0) return undefined;
  const digits = id.slice(at + 1);
  if (!/^(0|[1-9][0-9]{0,14})$/.test(digits)) return undefined;
  return [id.slice(0, at), Number(digits)];
}

/**
 * Where op `id` was compacted to: 'base' (the prefix), the index of the region
 * placeholder that replaced it (region.ts), or undefined when it is held or
 * unknown. An op still held is never compacted, even below a mark: a stranded
 * actor's ops stay while later ones of the same actor go into a region.
 */
export function compactedInto(state: MembershipState, id: OpId): 'base' | number | undefined {
  if (lookup(state.index, id) !== undefined) return undefined;
  const base = state.base;
  if (base !== null && id === base.create) return 'base';
  const parts = splitOpId(id);
  if (parts === undefined) return undefined;
  const mark = base === null ? undefined : lookup(base.marks, parts[0]);
  if (mark !== undefined && parts[1] <= mark) return 'base';
  for (let p = 0; p < state.ops.length; p++) {
    const range = state.ops[p]?.region === undefined ? undefined : lookup((state.ops[p] as MembershipOp & { region: RegionData }).region.ranges, parts[0]);
    if (range !== undefined && parts[1] >= range[0] && parts[1] <= range[1]) return p;
  }
  return undefined;
}

/** True when op `id` was compacted away (it was processed, and every actor that may still send had seen it, or none could). */
export function isCompacted(state: MembershipState, id: OpId): boolean {
  return compactedInto(state, id) !== undefined;
}

/** The create op's id (kept by the base once the create is compacted). */
export function createOpId(state: MembershipState): OpId | undefined {
  return state.base?.create ?? state.ops[0]?.id;
}

/** Every id the history names, compacted or not (actors of seen sets, targets), sorted. */
export function namedIds(state: MembershipState): MemberId[] {
  const ids = new Set<MemberId>([...(state.base?.named ?? []), ...state.seen.keys(), ...Object.keys(state.entriesOf)]);
  for (const op of state.ops) {
    for (const t of op.targets) ids.add(t);
    for (const id of op.region?.named ?? []) ids.add(id);
  }
  return [...ids].sort(compareIds);
}

/** The past of the op of add entry `e` (empty for a base or unknown entry: nothing after the base is in it). */
function pastOfAdd(state: MembershipState, e: number): Uint8Array {
  const op = state.entries[e]?.op ?? BASE_OP;
  return op === BASE_OP ? EMPTY_BITS : state.ops[op]?.past ?? EMPTY_BITS;
}

/**
 * True when `actor`'s seen set `bits` leaves it outside its own view: it sent
 * its farewell (the ack of its own removal), and it can only send again by
 * acking an add of itself it has not seen (a re-add).
 */
function departed(state: MembershipState, actor: MemberId, bits: Uint8Array): boolean {
  return !sortedIncludes(viewOver(state, bits), actor);
}

/**
 * How far `actor` (seen set `bits`) lets the stable prefix reach, at most `k`:
 * to its first unseen op, or, once it departed, to the first op missing from
 * the past of an add of it that it has not seen (its way back).
 */
function holdOf(state: MembershipState, actor: MemberId, bits: Uint8Array, k: number): number {
  const own = firstClear(bits, k);
  if (own >= k || !departed(state, actor, bits)) return own;
  let limit = k;
  for (const e of lookup(state.entriesOf, actor) ?? []) {
    const op = state.entries[e]?.op ?? BASE_OP;
    if (op !== BASE_OP && !holdsOp(bits, op)) limit = firstClear(pastOfAdd(state, e), limit);
  }
  return limit;
}

/**
 * How many ops, from the start of the processing order, are stable and in the
 * past of every later op (0 when none).
 */
export function stablePrefix(state: MembershipState): number {
  const { ops } = state;
  let k = ops.length;
  for (const [actor, bits] of state.seen) k = holdOf(state, actor, bits, k);
  for (const [member, adds] of Object.entries(state.entriesOf)) {
    if (state.seen.has(member)) continue;
    // Added, not heard from yet: its first message acks one of these adds, so its past holds at least one add's past.
    for (const e of adds) k = firstClear(pastOfAdd(state, e), k);
  }
  for (let i = state.base === null ? 1 : 0; i < k; i++) {
    if (splitOpId((ops[i] as MembershipOp).id) === undefined) k = i; // replays of it could not be refused after
  }
  // Ops already processed after the prefix but concurrent with part of it would be mis-evaluated: stop before.
  // A region held past the prefix names entries (leaves, killed, held) that must stay entries: stop before them too.
  const referenced = regionReferences(state);
  for (let changed = true; changed;) {
    changed = false;
    for (const [p, lowest] of referenced) {
      if (p >= k && lowest < k) {
        k = lowest;
        changed = true;
      }
    }
    for (let j = k; j < ops.length; j++) {
      const clear = firstClear((ops[j] as MembershipOp).past, k);
      if (clear < k) {
        k = clear;
        changed = true;
      }
    }
  }
  return k;
}

/** Per region placeholder, the lowest op index of the entries its data names (BASE entries aside). */
function regionReferences(state: MembershipState): Map<number, number> {
  const out = new Map<number, number>();
  const byKey = new Map<string, number>();
  state.entries.forEach((entry, e) => byKey.set(entry.key, e));
  state.ops.forEach((op, p) => {
    if (op.region === undefined) return;
    let lowest = p;
    const note = (key: string): void => {
      const op = state.entries[byKey.get(key) ?? -1]?.op ?? -1;
      if (op >= 0 && op < lowest) lowest = op;
    };
    for (const list of op.region.leaves) list.forEach(note);
    op.region.killed.forEach(note);
    for (const pair of op.region.held) for (const key of pair.split('\n')) note(key);
    out.set(p, lowest);
  });
  return out;
}

/**
 * Who keeps the history from being compacted: the actors (a removed member
 * that may still send, an added member not heard from yet, or a member that
 * has not acknowledged) whose acknowledged set stops the stable prefix at
 * its lowest point, sorted. Empty when nothing holds it (or nothing to hold).
 * For diagnostics: `STATE_LIMIT` names them.
 */
export function compactionHolders(state: MembershipState): MemberId[] {
  const { ops } = state;
  const limits = new Map<MemberId, number>();
  for (const [actor, bits] of state.seen) limits.set(actor, holdOf(state, actor, bits, ops.length));
  for (const [member, adds] of Object.entries(state.entriesOf)) {
    if (state.seen.has(member)) continue;
    for (const e of adds) limits.set(member, Math.min(limits.get(member) ?? ops.length, firstClear(pastOfAdd(state, e), ops.length)));
  }
  const lowest = Math.min(ops.length, ...limits.values());
  if (lowest >= ops.length) return [];
  return [...limits].filter(([, limit]) => limit === lowest).map(([actor]) => actor).sort(compareIds);
}

/**
 * Drops the stable prefix of the history when it holds at least `minimum`
 * ops (else returns `state` itself). Members, views, `canAct`, `hasSeen` of
 * any op and duplicate detection answer as before (for an actor that said
 * farewell only `canAct`: its view and `hasSeen` are answered over what was kept).
 * @example const smaller = compactMembership(state); // same members(smaller) as members(state)
 */
export function compactMembership(state: MembershipState, options: { readonly minimum?: number } = {}): MembershipState {
  const minimum = options.minimum ?? COMPACT_MINIMUM;
  if (!Number.isInteger(minimum) || minimum < 1) throw new UsageError('USAGE_ARGUMENT', 'compactMembership: minimum must be a positive integer');
  if (state.ops.length < minimum) return state;
  // cheap test first (called after every message): an actor that has not seen the first `minimum` ops, unless it departed
  for (const [actor, bits] of state.seen) if (firstClear(bits, minimum) < minimum && holdOf(state, actor, bits, minimum) < minimum) return state;
  const k = stablePrefix(state);
  if (k < minimum) return state;
  const dropped = state.ops.slice(0, k);
  const prefix = new Uint8Array(Math.ceil(k / 8)).fill(0xff);
  if (k % 8 !== 0) prefix[prefix.length - 1] = (1 << (k % 8)) - 1;
  const marks: Record<MemberId, number> = { ...state.base?.marks };
  const named = new Set<MemberId>(state.base?.named ?? []);
  const raise = (actor: MemberId, seq: number): void => {
    Object.defineProperty(marks, actor, { value: Math.max(lookup(marks, actor) ?? -1, seq), enumerable: true, writable: true, configurable: true });
  };
  for (const op of dropped) {
    if (op.region !== undefined) {
      for (const [actor, range] of Object.entries(op.region.ranges)) raise(actor, range[1]);
      for (const id of op.region.named) named.add(id);
      continue;
    }
    named.add(op.actor);
    for (const t of op.targets) named.add(t);
    const parts = splitOpId(op.id);
    if (parts === undefined) continue; // only the create: kept as base.create
    raise(parts[0], parts[1]);
  }
  const base: MembershipBase = {
    count: (state.base?.count ?? 0) + k,
    create: createOpId(state) as OpId,
    marks,
    members: evaluateMembers(state, prefix),
    named: [...named].sort(compareIds),
  };
  const ops = state.ops.slice(k).map((op) => ({ ...op, past: shiftDown(op.past, k) }));
  let seen = state.seen;
  for (const [actor, bits] of state.seen) seen = seen.set(actor, shiftDown(bits, k));
  return rebuildState(ops, seen, base);
}
