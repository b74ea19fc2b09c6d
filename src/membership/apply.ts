/**
 * Processing of membership operations: create, add, remove, ack, and the
 * merge a re-added user does with a welcome's state. Each call validates
 * everything first and returns a new state; the input state is never changed.
 *
 * Preconditions (DCGKA.md §1, ACB): ops arrive in a causal order (per-sender
 * FIFO, an ack after what it acks) and every member acks each membership op
 * right when it processes it. The past of an op is the seen set of its actor.
 */
import { StateError, UsageError } from '../errors.js';
import { bitIndices, equalBits, holdsOp, unionBits, withBit } from './bitset.js';
import { compactedInto, compactionHolders, isCompacted } from './compact.js';
import { compareIds } from './evaluate.js';
import { MAX_ID_LENGTH, MAX_INITIAL_MEMBERS, MAX_MEMBERSHIP_OPS } from './limits.js';
import { appendOp, appendOpDeferred, initialState, lookup, setSeen, withMembers } from './state.js';
import type { MemberId, MembershipState, OpId } from './types.js';
import { effectiveSeen, sortedIncludes, viewOver } from './view.js';

/** @throws UsageError `USAGE_ARGUMENT` unless a non-empty string of at most MAX_ID_LENGTH. */
function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new UsageError('USAGE_ARGUMENT', `${field}: expected a string of 1..${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/**
 * A joiner's first message must ack one of its adds: DCGKA's is the ack of
 * its welcome, whose history it then holds. Compaction counts on it
 * (compact.ts: a stable op is in the past of every add of a member not
 * heard from yet), so anything else from such an actor is refused, on every
 * replica alike.
 * @throws StateError `STATE_CAUSALITY` when `actor` has add entries, no seen set, and `acked` is not one of its adds.
 */
function checkJoinerFirst(state: MembershipState, actor: MemberId, acked: OpId | undefined): void {
  if (state.seen.has(actor)) return;
  const adds = lookup(state.entriesOf, actor);
  if (adds === undefined || adds.length === 0) return; // a stranger: DCGKA refuses it by its view
  const i = acked === undefined ? undefined : lookup(state.index, acked);
  if (i !== undefined && adds.some((e) => state.entries[e]?.op === i)) return;
  throw new StateError('STATE_CAUSALITY', `${actor.slice(0, 80)} was added and not heard from: its first message must ack its add`);
}

function checkNewOp(state: MembershipState, id: OpId): void {
  if (lookup(state.index, id) !== undefined || isCompacted(state, id)) throw new StateError('STATE_DUPLICATE', `operation ${id.slice(0, 80)} was already applied`);
  if (state.ops.length >= MAX_MEMBERSHIP_OPS) {
    const holders = compactionHolders(state);
    const why = holders.length === 0 ? '' : `; it cannot be compacted while ${holders.length} actor(s) have not acknowledged its oldest operations `
      + `(a member removed and never heard from again, an invitation never accepted, or a silent member): ${holders.slice(0, 4).map((h) => h.slice(0, 16)).join(', ')}`;
    throw new StateError('STATE_LIMIT', `membership holds ${state.ops.length} operations (limit ${MAX_MEMBERSHIP_OPS})${why}`);
  }
}

/**
 * Starts a membership with its create op: every initial member, creator
 * included, is added by it and has seen it.
 * @param input.id the create op id; input.creator its author; input.members the others (duplicates ignored).
 * @throws UsageError `USAGE_ARGUMENT` for a bad id; StateError `STATE_LIMIT` beyond MAX_INITIAL_MEMBERS.
 * @example const state = createMembership({ id: 'aa:0', creator: 'aa', members: ['bb', 'cc'] });
 */
export function createMembership(input: { readonly id: OpId; readonly creator: MemberId; readonly members: readonly MemberId[] }): MembershipState {
  const id = checkId(input.id, 'id');
  const creator = checkId(input.creator, 'creator');
  if (!Array.isArray(input.members)) throw new UsageError('USAGE_ARGUMENT', 'members: expected an array');
  const all = [...new Set([creator, ...input.members.map((m, i) => checkId(m, `members[${i}]`))])].sort(compareIds);
  if (all.length > MAX_INITIAL_MEMBERS) throw new StateError('STATE_LIMIT', `create lists ${all.length} members (limit ${MAX_INITIAL_MEMBERS})`);
  return initialState({ id, actor: creator, targets: all });
}

/**
 * Applies add op `id` by `actor` of `added`. The add is live unless a remove
 * cancels it; an add by an actor that was concurrently removed is cancelled
 * (strong removal). Adding a current member again is allowed (one more live add).
 * @throws StateError `STATE_DUPLICATE` (id already applied), `STATE_LIMIT`, `STATE_CAUSALITY` (see
 *   `checkJoinerFirst`); UsageError `USAGE_ARGUMENT`.
 */
export function applyAdd(state: MembershipState, input: { readonly id: OpId; readonly actor: MemberId; readonly added: MemberId }): MembershipState {
  const id = checkId(input.id, 'id');
  const actor = checkId(input.actor, 'actor');
  const added = checkId(input.added, 'added');
  checkNewOp(state, id);
  checkJoinerFirst(state, actor, undefined);
  const past = state.seen.get(actor) ?? new Uint8Array(0);
  const next = appendOp(state, { id, kind: 'add', actor, targets: [added] }, past);
  return setSeen(next, actor, withBit(past, state.ops.length));
}

/**
 * Applies remove op `id` by `actor` of `removed`: cancels the adds of
 * `removed` the actor had seen, then (strong removal) every add made by a
 * user so removed that the actor had not seen, transitively.
 * @throws StateError `STATE_DUPLICATE`, `STATE_UNKNOWN_MEMBER` (the actor never saw an add of `removed`), `STATE_LIMIT`,
 *   `STATE_CAUSALITY` (see `checkJoinerFirst`); UsageError `USAGE_ARGUMENT`.
 */
export function applyRemove(state: MembershipState, input: { readonly id: OpId; readonly actor: MemberId; readonly removed: MemberId }): MembershipState {
  const id = checkId(input.id, 'id');
  const actor = checkId(input.actor, 'actor');
  const removed = checkId(input.removed, 'removed');
  checkNewOp(state, id);
  checkJoinerFirst(state, actor, undefined);
  const past = state.seen.get(actor) ?? new Uint8Array(0);
  const known = (lookup(state.entriesOf, removed) ?? []).some((e) => holdsOp(past, state.entries[e]?.op ?? state.ops.length));
  if (!known) throw new StateError('STATE_UNKNOWN_MEMBER', `remove ${id.slice(0, 80)}: its author never saw an add of the removed member`);
  const next = appendOp(state, { id, kind: 'remove', actor, targets: [removed] }, past);
  return setSeen(next, actor, withBit(past, state.ops.length));
}

/**
 * Records that `actor` acked (processed) membership op `acked`: the op and
 * its causal past join the actor's seen set. Acking an op already seen is a
 * no-op (the same state is returned).
 * An ack of a remove after which the actor is outside its own view is its farewell (it learnt of its removal):
 * accepted once, while the actor was still inside its view.
 * @throws StateError `STATE_UNKNOWN_OPERATION` (not a membership op of this state), `STATE_REMOVED` (acking a
 *   remove while already outside its own view), `STATE_CAUSALITY` (see `checkJoinerFirst`);
 *   UsageError `USAGE_ARGUMENT`.
 */
export function applyAck(state: MembershipState, input: { readonly actor: MemberId; readonly acked: OpId }): MembershipState {
  const actor = checkId(input.actor, 'actor');
  const acked = checkId(input.acked, 'acked');
  checkJoinerFirst(state, actor, acked);
  const into = compactedInto(state, acked);
  if (into === 'base') return state; // every actor had seen it already
  // an op replaced by a region placeholder: only a stranded actor has not seen it, and acking it is its farewell
  const i = into ?? lookup(state.index, acked);
  const op = i === undefined ? undefined : state.ops[i];
  if (i === undefined || op === undefined) throw new StateError('STATE_UNKNOWN_OPERATION', `ack of unknown operation ${acked.slice(0, 80)}`);
  const before = state.seen.get(actor) ?? new Uint8Array(0);
  const after = unionBits(before, withBit(op.past, i));
  if (equalBits(before, after)) return state;
  // Its farewell: a member that learns of its own removal acks that remove once (DCGKA sends it), and
  // from then on holds no history back (compact.ts). Already outside its own view, it may not ack one again.
  if (op.kind === 'remove' && !sortedIncludes(viewOver(state, after), actor) && !sortedIncludes(effectiveSeen(state, actor).view, actor)) {
    throw new StateError('STATE_REMOVED', `${actor.slice(0, 80)} acked a remove while already outside its own view`);
  }
  return setSeen(state, actor, after);
}

/**
 * Merges `other` into `base`: the ops of `other` that `base` lacks are
 * appended in `other`'s order, and the seen sets are united. For a user being
 * re-added: merge its old state into the welcome's state so its own view
 * keeps what it did before its removal. Both states must come from the same
 * create op.
 * @throws StateError `STATE_UNKNOWN_GROUP` (different create ops), `STATE_DUPLICATE` (an op id with different
 *   content in the two states), `STATE_LIMIT`; UsageError `USAGE_ARGUMENT` for a compacted state.
 */
export function mergeMembership(base: MembershipState, other: MembershipState): MembershipState {
  const compacted = (s: MembershipState): boolean => s.base !== null || s.ops.some((op) => op.kind === 'region');
  if (compacted(base) || compacted(other)) throw new UsageError('USAGE_ARGUMENT', 'merge: a compacted state cannot be merged (its pasts no longer name the compacted ops)');
  if (base.ops[0]?.id !== other.ops[0]?.id) throw new StateError('STATE_UNKNOWN_GROUP', 'merge: the states have different create operations');
  let state = base;
  const map: number[] = [];
  for (let j = 0; j < other.ops.length; j++) {
    const op = other.ops[j];
    if (op === undefined) continue;
    const existing = lookup(state.index, op.id);
    if (existing !== undefined) {
      const mine = state.ops[existing];
      if (mine?.kind !== op.kind || mine.actor !== op.actor || mine.targets.join('\n') !== op.targets.join('\n')) {
        throw new StateError('STATE_DUPLICATE', `merge: operation ${op.id.slice(0, 80)} differs between the states`);
      }
      map[j] = existing;
      continue;
    }
    checkNewOp(state, op.id);
    map[j] = state.ops.length;
    state = appendOpDeferred(state, op, translate(op.past, map));
  }
  // Members evaluated once for all the ops the merge appended (see `withMembers`).
  if (state !== base) state = withMembers(state);
  let seen = state.seen;
  for (const [actor, otherBits] of other.seen) {
    const bits = translate(otherBits, map);
    seen = seen.set(actor, unionBits(seen.get(actor) ?? new Uint8Array(0), bits));
  }
  return { ...state, seen };
}

function translate(bits: Uint8Array, map: readonly number[]): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  for (const j of bitIndices(bits)) out = withBit(out, map[j] ?? 0);
  return out;
}
