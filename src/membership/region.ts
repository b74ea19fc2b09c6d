/**
 * Region compaction: the history stops growing past a stranded member (issue
 * 12, README "A member removed and never told").
 *
 * Stranded: an actor that is not a current member and may still send (removed
 * and never told, added late by such an actor, departed with an add of itself
 * it has not seen). Prefix compaction (compact.ts) stops at its last message.
 *
 * An op c is out of every stranded actor's reach when the DGM over c's causal
 * past (with c) and an entry's own past cancels every add entry of every
 * stranded actor: cancellation only grows with more ops, so a stranded actor
 * holding c would be outside its own view, and so would anyone it adds late.
 * The ops every current member has seen that are out of reach form a region C
 * that a past to come holds whole (a current member's) or not at all (a
 * stranded actor's). C is replaced by one placeholder op P (kind 'region'):
 *   - each add of C that the removes of C left standing is one entry at P
 *     whose supports are its leaves: the entries outside C its chain of
 *     supports (held for it under the removes of C) reaches. Late ops strike
 *     only outside C, and a link inside C breaks only when every link under it
 *     breaks, so the chain falls exactly when every leaf falls;
 *   - the entries outside C that removes of C cancelled list P as a killer
 *     (`killed`), which counts against a support as evaluate.ts `killerSaw` says
 *     (`held` names the supports they left standing for adds held before C).
 */
import { EMPTY_BITS, bitIndices, countBits, hasBit, intersectBits, mapBits, overlaps, unionBits, withBit } from './bitset.js';
import { COMPACT_MINIMUM, splitOpId } from './compact.js';
import { UNSUPPORTED, compareIds, killerSaw, killerTable } from './evaluate.js';
import { lookup, rebuildState } from './state.js';
import { sortedIncludes, viewOver } from './view.js';
import type { MemberId, MembershipOp, MembershipState, OpId, RegionData } from './types.js';

function closure(state: MembershipState, op: number): Uint8Array {
  if (op < 0) return EMPTY_BITS;
  return withBit(state.ops[op]?.past ?? EMPTY_BITS, op);
}

/**
 * The actors that may still send, split into current members and stranded
 * ones, with the add entries through which each stranded actor could act
 * again (a departed actor: only the adds of itself it has not seen).
 */
function senders(state: MembershipState): { live: MemberId[]; strandedEntries: number[] } {
  const all = new Set<MemberId>([...state.seen.keys(), ...Object.keys(state.entriesOf)]);
  const live: MemberId[] = [];
  const strandedEntries: number[] = [];
  for (const id of all) {
    if (sortedIncludes(state.members, id)) {
      live.push(id);
      continue;
    }
    const adds = lookup(state.entriesOf, id) ?? [];
    const bits = state.seen.get(id);
    const departed = bits !== undefined && !sortedIncludes(viewOver(state, bits), id);
    for (const e of adds) {
      const op = state.entries[e]?.op ?? -1;
      if (departed && (op < 0 || hasBit(bits, op))) continue;
      strandedEntries.push(e);
    }
  }
  return { live, strandedEntries };
}

/** The ops every past to come of a current member holds (null when there is none). */
function stableForLive(state: MembershipState, live: readonly MemberId[]): Uint8Array | null {
  let stable: Uint8Array | null = null;
  for (const id of live) {
    let bits = state.seen.get(id);
    if (bits === undefined) {
      // added, not heard from: its first message acks one of its adds, whose past it then holds
      for (const e of lookup(state.entriesOf, id) ?? []) {
        const op = state.entries[e]?.op ?? -1;
        const past = op < 0 ? EMPTY_BITS : state.ops[op]?.past ?? EMPTY_BITS;
        bits = bits === undefined ? past : intersectBits(bits, past);
      }
    }
    stable = stable === null ? bits ?? EMPTY_BITS : intersectBits(stable, bits ?? EMPTY_BITS);
  }
  return stable;
}

/**
 * True when `c` is out of every stranded actor's reach (see the module
 * comment). Quick when a remove in c's past cancels the entry directly (a
 * cancellation no scope undoes); the DGM is evaluated only for an entry that
 * no remove names (an add made late by a stranded actor, cancelled through
 * its supports).
 */
function outOfReach(state: MembershipState, c: number, strandedEntries: readonly number[], directKillers: ReadonlyMap<number, readonly number[]>): boolean {
  const base = closure(state, c);
  for (const e of strandedEntries) {
    const direct = directKillers.get(e) ?? [];
    if (direct.some((r) => hasBit(base, r))) continue;
    if (direct.length > 0) return false; // it may yet fall through its supports: a smaller region is still a region
    const scope = unionBits(base, closure(state, state.entries[e]?.op ?? -1));
    if ((killerTable(state, scope, null)[e] ?? []).length === 0) return false;
  }
  return true;
}

/**
 * Replaces the region of the history out of every stranded actor's reach by
 * one placeholder, when it holds at least `minimum` ops (else returns
 * `state`). Members, views of actors that may send, `canAct`, `hasSeen` and
 * duplicate detection answer as before.
 */
export function compactRegion(state: MembershipState, options: { readonly minimum?: number } = {}): MembershipState {
  const minimum = options.minimum ?? COMPACT_MINIMUM;
  const { ops } = state;
  const { live, strandedEntries } = senders(state);
  // nothing stranded: prefix compaction (compact.ts) already takes what every actor that may send has seen
  if (live.length === 0 || strandedEntries.length === 0) return state;
  const stable = stableForLive(state, live);
  if (stable === null) return state;
  const candidates = bitIndices(stable).filter((i) => ops[i]?.kind !== 'create' && splitOpId((ops[i] as MembershipOp).id) !== undefined);
  if (candidates.filter((i) => ops[i]?.kind !== 'region').length < minimum) return state;
  const strandedSet = new Set(strandedEntries);
  const directKillers = new Map<number, number[]>();
  state.cancels.forEach((list, r) => {
    for (const e of list) if (strandedSet.has(e)) directKillers.set(e, [...(directKillers.get(e) ?? []), r]);
  });
  const inC = new Set<number>();
  let cBits: Uint8Array = EMPTY_BITS;
  for (const i of candidates) {
    const op = ops[i] as MembershipOp;
    // monotone: an op with a member of C in its past is out of reach too
    if (overlaps(op.past, cBits) || outOfReach(state, i, strandedEntries, directKillers)) {
      inC.add(i);
      cBits = withBit(cBits, i);
    }
  }
  // a kept op holds C whole or not at all: drop from C what a kept op holds only in part
  for (let changed = true; changed;) {
    changed = false;
    for (let q = 0; q < ops.length; q++) {
      if (inC.has(q)) continue;
      const held = intersectBits((ops[q] as MembershipOp).past, cBits);
      const count = countBits(held);
      if (count > 0 && count < inC.size) {
        for (const c of bitIndices(held)) inC.delete(c);
        cBits = mapBits(cBits, (i) => (inC.has(i) ? i : undefined));
        changed = true;
      }
    }
  }
  const real = [...inC].filter((c) => ops[c]?.kind !== 'region');
  if (real.length < minimum) return state;
  // every region kept must be in the past of every op of C (evaluate.ts `killerSaw` relies on it)
  for (let p = 0; p < ops.length; p++) {
    if (ops[p]?.kind !== 'region' || inC.has(p)) continue;
    if ([...inC].some((c) => !hasBit((ops[c] as MembershipOp).past, p))) return state;
  }
  // seen sets: a current member's holds C whole; a stranded actor's holds none of it unless it departed
  for (const [actor, bits] of state.seen) {
    const held = countBits(intersectBits(bits, cBits));
    if (held === 0 || held === inC.size) continue;
    if (sortedIncludes(viewOver(state, bits), actor)) return state; // not departed: cannot happen (module comment)
  }
  return replaceRegion(state, inC);
}

/** Builds the state with the ops of `inC` replaced by one region placeholder. */
function replaceRegion(state: MembershipState, inC: ReadonlySet<number>): MembershipState {
  const { ops, entries } = state;
  const killers = killerTable(state, null, (r) => inC.has(r));
  const cKillers = (v: number): number[] => (killers[v] ?? []).filter((r) => r !== UNSUPPORTED);
  const relevantTo = (v: number, w: number): boolean => (killers[v] ?? []).some((r) => r === UNSUPPORTED || !killerSaw(state, r, w, v));
  const atC = (e: number): boolean => inC.has(entries[e]?.op ?? -1);
  // leaves of each entry of C through the supports that held for it under the removes of C
  const leaves = new Map<number, readonly number[]>();
  const leavesOf = (e: number): readonly number[] => {
    const known = leaves.get(e);
    if (known !== undefined) return known;
    const out = new Set<number>();
    for (const v of entries[e]?.supports ?? []) {
      if (relevantTo(v, e)) continue;
      if (atC(v)) for (const l of leavesOf(v)) out.add(l);
      else out.add(v);
    }
    const list = [...out].sort((a, b) => a - b);
    leaves.set(e, list);
    return list;
  };
  const kept: { member: MemberId; leaves: readonly number[] }[] = [];
  entries.forEach((entry, e) => {
    if (!atC(e) || (killers[e] ?? []).length > 0) return;
    kept.push({ member: entry.member, leaves: leavesOf(e) });
  });
  const keyOf = (e: number): string => entries[e]?.key ?? '';
  const killed: string[] = [];
  const held: string[] = [];
  const inRegion = [...inC].sort((a, b) => a - b);
  // an op holds C whole or not at all (compactRegion): one of its ops tells
  const afterC = (op: number): boolean => op >= 0 && hasBit(ops[op]?.past ?? EMPTY_BITS, inRegion[0] as number);
  entries.forEach((entry, w) => {
    if (atC(w)) return;
    if (cKillers(w).length > 0) killed.push(keyOf(w));
    if (entry.supports === null || afterC(entry.op)) return;
    for (const v of entry.supports) {
      const list = cKillers(v);
      if (list.length > 0 && list.every((r) => killerSaw(state, r, w, v))) held.push(`${keyOf(w)}\n${keyOf(v)}`);
    }
  });
  // ranges and names of the ops replaced
  const ranges: Record<MemberId, [number, number]> = {};
  const named = new Set<MemberId>();
  const widen = (actor: MemberId, lo: number, hi: number): void => {
    const now = lookup(ranges, actor);
    Object.defineProperty(ranges, actor, { value: now === undefined ? [lo, hi] : [Math.min(now[0], lo), Math.max(now[1], hi)], enumerable: true, writable: true, configurable: true });
  };
  let last = -1;
  let lastReal: OpId = '';
  let past: Uint8Array = EMPTY_BITS;
  for (const c of inRegion) {
    const op = ops[c] as MembershipOp;
    last = c;
    past = unionBits(past, op.past);
    if (op.region !== undefined) {
      for (const [actor, [lo, hi]] of Object.entries(op.region.ranges)) widen(actor, lo, hi);
      for (const id of op.region.named) named.add(id);
      continue;
    }
    lastReal = op.id;
    const parts = splitOpId(op.id) as readonly [MemberId, number];
    widen(parts[0], parts[1], parts[1]);
    named.add(op.actor);
    for (const t of op.targets) named.add(t);
  }
  // new positions: the kept ops in order, the placeholder right after the last op of C
  const position: number[] = [];
  let count = 0;
  let p = -1;
  for (let i = 0; i < ops.length; i++) {
    if (!inC.has(i)) position[i] = count++;
    if (i === last) p = count++;
  }
  const newOps: MembershipOp[] = new Array<MembershipOp>(count);
  const translate = (bits: Uint8Array): Uint8Array => mapBits(bits, (i) => (inC.has(i) ? p : position[i]));
  // keys of entries outside C stay valid; the region's own entries are `${id}#${n}`
  const region: RegionData = {
    leaves: kept.map((k) => k.leaves.map(keyOf)),
    killed,
    held,
    ranges,
    named: [...named].sort(compareIds),
  };
  const regionOp: MembershipOp = {
    id: `~region:${lastReal}`, kind: 'region', actor: '~region', targets: kept.map((k) => k.member),
    past: mapBits(past, (i) => (inC.has(i) ? undefined : position[i])), region,
  };
  ops.forEach((op, i) => {
    if (!inC.has(i)) newOps[position[i] as number] = { ...op, past: translate(op.past) };
  });
  newOps[p] = regionOp;
  // a departed actor may have seen part of C: it holds P, with P's past, from now on (more seen ops leave it
  // outside its own view all the same, and nothing asks its view: compact.ts)
  let seen = state.seen;
  for (const [actor, bits] of state.seen) {
    const moved = translate(bits);
    seen = seen.set(actor, hasBit(moved, p) ? unionBits(moved, withBit(regionOp.past, p)) : moved);
  }
  return rebuildState(newOps, seen, state.base);
}
