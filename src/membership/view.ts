/**
 * Queries: current members, an actor's view, what an actor has seen.
 */
import { EMPTY_BITS, countBits, hasBit, holdsOp, unionBits, withBit } from './bitset.js';
import { compactedInto } from './compact.js';
import { evaluateMembers } from './evaluate.js';
import { lookup } from './state.js';
import type { MemberId, MembershipCore, MembershipOp, MembershipState, OpId, OpKind } from './types.js';

/**
 * The ops an actor counts as seen, and its view over them.
 *
 * Normally its exact seen set: the causal past of its latest processed
 * message. A joiner that has not acked a welcome yet (its seen set holds no
 * add of itself) has seen every add of itself with that add's past: its first
 * message can only be the ack of a welcome, which carries that history.
 * (Which of two concurrent welcomes it accepted shows in that ack.)
 */
export function effectiveSeen(state: MembershipState, actor: MemberId): { readonly bits: Uint8Array; readonly view: readonly MemberId[] } {
  const bits = effectiveBits(state, actor);
  return bits === undefined ? { bits: EMPTY_BITS, view: [] } : { bits, view: viewOver(state, bits) };
}

/**
 * The bits of `effectiveSeen`, or undefined for a stranger (its view holds no
 * base either). Without the view: `canAct` asks this for every message (issue 13).
 */
function effectiveBits(state: MembershipState, actor: MemberId): Uint8Array | undefined {
  const exact = state.seen.get(actor);
  const adds = lookup(state.entriesOf, actor);
  if (adds === undefined || adds.length === 0) return exact;
  // A compacted history may have dropped the add of itself an actor's seen set held (every compacted op was in the
  // past of every actor that may still send): an actor with a seen set there has acked one.
  if (exact !== undefined && (state.base !== null || holdsAnyAdd(state, exact, adds))) return exact;
  let bits = exact ?? EMPTY_BITS;
  for (const e of adds) {
    const op = opOfEntry(state, e);
    bits = unionBits(bits, withBit(state.ops[op]?.past ?? EMPTY_BITS, op));
  }
  return bits;
}

function opOfEntry(state: MembershipState, entry: number): number {
  return state.entries[entry]?.op ?? 0;
}

function holdsAnyAdd(state: MembershipState, bits: Uint8Array, adds: readonly number[]): boolean {
  for (const e of adds) if (holdsOp(bits, opOfEntry(state, e))) return true;
  return false;
}

/**
 * Views already evaluated, per op table: an ack changes a seen set but not
 * the ops, so the many messages between two membership ops ask for the same
 * few views (members that acked up to the same op). Each evaluation is
 * O(history), which a member gone for good keeps long (issue 12).
 */
const VIEWS = new WeakMap<readonly MembershipOp[], { readonly entries: MembershipCore['entries']; readonly cancels: MembershipCore['cancels']; readonly views: Map<string, readonly MemberId[]> }>();
const MAX_CACHED_VIEWS = 64;

/** The DGM over the ops in `bits` (the cached members when `bits` holds every op). */
export function viewOver(state: MembershipState, bits: Uint8Array): readonly MemberId[] {
  if (countBits(bits) === state.ops.length) return state.members;
  let cache = VIEWS.get(state.ops);
  // The same ops array always comes with the same entries and cancels (state.ts copies all three together).
  if (cache === undefined || cache.entries !== state.entries || cache.cancels !== state.cancels) {
    cache = { entries: state.entries, cancels: state.cancels, views: new Map() };
    VIEWS.set(state.ops, cache);
  }
  const key = bitsKey(bits);
  const known = cache.views.get(key);
  if (known !== undefined) return known;
  const view = evaluateMembers(state, bits);
  if (cache.views.size >= MAX_CACHED_VIEWS) cache.views.clear();
  cache.views.set(key, view);
  return view;
}

/** A map key for a bit set (trimmed sets: equal sets, equal keys). */
function bitsKey(bits: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bits.length; i += 4096) key += String.fromCharCode(...bits.subarray(i, i + 4096));
  return key;
}

/**
 * The current members, sorted: the DGM over every op this replica processed.
 * @param state a membership state.
 * @returns member ids, sorted by code unit, each once.
 * @example members(createMembership({ id: 'op0', creator: 'aa', members: ['bb'] })) // ['aa', 'bb']
 */
export function members(state: MembershipState): readonly MemberId[] {
  return state.members;
}

/**
 * The membership as `actor` saw it when sending its latest processed message:
 * the DGM over the ops in its causal past (DCGKA paper `member-view`; DCGKA.md
 * §9.4). For the local user, who has seen everything, equal to `members`.
 * A joiner that has not acked its welcome yet sees its adders' histories.
 * @param state a membership state.
 * @param actor any member id (unknown ids have an empty view).
 * @returns member ids, sorted.
 */
export function memberView(state: MembershipState, actor: MemberId): readonly MemberId[] {
  return effectiveSeen(state, actor).view;
}

/**
 * True when `actor` is a member of its own view: it has not seen its own
 * removal. DCGKA refuses messages from actors for which this is false.
 */
export function canAct(state: MembershipState, actor: MemberId): boolean {
  const bits = effectiveBits(state, actor);
  return bits !== undefined && sortedIncludes(viewOver(state, bits), actor);
}

/** True when `id` is a current member. */
export function isMember(state: MembershipState, id: MemberId): boolean {
  return sortedIncludes(state.members, id);
}

/**
 * Whether the sorted (code-unit order) `list` holds `id`: a binary search, as
 * DCGKA asks this for every message and groups reach thousands of members.
 */
export function sortedIncludes(list: readonly MemberId[], id: MemberId): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = list[mid] as MemberId;
    if (value === id) return true;
    if (value < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Operation `id`, or undefined when this state never processed it or compacted it (compact.ts). */
export function findOp(state: MembershipState, id: OpId): MembershipOp | undefined {
  const i = lookup(state.index, id);
  return i === undefined ? undefined : state.ops[i];
}

/** The kind of operation `id`, or undefined when this state never processed it; a compacted op is known as the create, as 'region' (replaced by a region), or not at all. */
export function opKind(state: MembershipState, id: OpId): OpKind | undefined {
  if (state.base?.create === id) return 'create';
  const into = compactedInto(state, id);
  // replaced by a region placeholder (region.ts): known, as the region (a stranded actor's farewell acks it)
  if (typeof into === 'number') return 'region';
  return findOp(state, id)?.kind;
}

/** True when operation `id` is in the causal past of `actor`'s latest message (see `memberView`). */
export function hasSeen(state: MembershipState, actor: MemberId, id: OpId): boolean {
  const into = compactedInto(state, id);
  if (into === 'base') return state.seen.has(actor) || lookup(state.entriesOf, actor) !== undefined;
  const i = into ?? lookup(state.index, id);
  if (i === undefined) return false;
  // The bits alone: the view over them (an evaluation, O(history)) is not needed here.
  const bits = effectiveBits(state, actor);
  return bits !== undefined && hasBit(bits, i);
}
