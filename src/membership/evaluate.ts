/**
 * The DGM itself: which add entries are live, given a set of operations.
 *
 * Semantics (DCGKA.md §9.1, membership keyed by add operation, strong removal).
 * An add entry W (an add op, or one initial member of the create op) made by
 * actor A is killed by a set of remove ops, its killers:
 *   - direct killers: every remove R of W's member with W in past(R) (the
 *     remover saw W: observed-remove);
 *   - if W is an add op and none of its supports holds, also every killer R
 *     of those supports with W not in past(R). A support is an add entry V of
 *     A with V in past(W) (A's membership when it made W); V holds for W when
 *     every killer of V saw W. With no support at all, W is dead outright
 *     (killer -1, which no remove saw).
 * W is live when it has no killer. A member is present while one of its add
 * entries is live. The killers of W depend only on ops causally around W, so
 * the result depends on the op set and its causal order only, never on the
 * processing order (the property the tests check).
 */
import { hasBit, holdsOp } from './bitset.js';
import type { MemberId, MembershipCore } from './types.js';

/** A killer that no remove saw: an add made without any membership. */
export const UNSUPPORTED = -1;

/**
 * Members (sorted, unique) under the ops selected by `scope` (a bit set over
 * op indices, expected to be causally closed), or under all ops when null.
 */
export function evaluateMembers(core: MembershipCore, scope: Uint8Array | null): MemberId[] {
  const killers = killerTable(core, scope, null);
  const live = new Set<MemberId>();
  core.entries.forEach((entry, e) => {
    if ((killers[e] ?? []).length === 0) live.add(entry.member);
  });
  return [...live].sort(compareIds);
}

/**
 * The killers of every entry under the ops in `scope` (null: all), counting
 * only the removes (and region placeholders) `counts` accepts when given.
 * An entry outside the scope gets UNSUPPORTED.
 */
export function killerTable(core: MembershipCore, scope: Uint8Array | null, counts: ((op: number) => boolean) | null): (readonly number[])[] {
  const { ops, entries, cancels } = core;
  const inScope = (op: number): boolean => scope === null || holdsOp(scope, op);
  const killers: (readonly number[])[] = entries.map(() => []);
  const direct: number[][] = entries.map(() => []);
  for (let r = 0; r < ops.length; r++) {
    const list = cancels[r];
    if (list === undefined || list.length === 0 || !inScope(r) || (counts !== null && !counts(r))) continue;
    for (const e of list) direct[e]?.push(r);
  }
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e];
    if (entry === undefined) continue;
    if (!inScope(entry.op)) {
      killers[e] = [UNSUPPORTED];
      continue;
    }
    let own: readonly number[] = direct[e] ?? [];
    if (entry.supports !== null) {
      const inherited = unsupportedKillers(core, killers, entry.supports, e);
      if (inherited !== null) own = own.length === 0 ? inherited : [...new Set([...own, ...inherited])];
    }
    killers[e] = own;
  }
  return killers;
}

/**
 * null when one support of the add entry `w` holds; otherwise the killers it
 * inherits (the supports' killers that did not see it).
 */
function unsupportedKillers(core: MembershipCore, killers: readonly (readonly number[])[], supports: readonly number[], w: number): number[] | null {
  const inherited = new Set<number>();
  for (const v of supports) {
    const relevant = (killers[v] ?? []).filter((r) => r === UNSUPPORTED || !killerSaw(core, r, w, v));
    if (relevant.length === 0) return null;
    for (const r of relevant) inherited.add(r);
  }
  if (inherited.size === 0) inherited.add(UNSUPPORTED);
  return [...inherited].sort((a, b) => a - b);
}

/**
 * Whether killer `r` (an op index) of support entry `v` saw add entry `w`.
 * A region placeholder stands for the removes it replaced (region.ts): they
 * saw every entry at the region (its held chains were taken as they held),
 * none made after it or unknown when it was made, and, of an add held before
 * it, what its `held` pairs say.
 */
export function killerSaw(core: MembershipCore, r: number, w: number, v: number): boolean {
  const op = core.entries[w]?.op ?? 0;
  const killer = core.ops[r];
  if (killer?.kind !== 'region') return hasBit(killer?.past ?? new Uint8Array(0), op);
  if (op === r) return true;
  return core.held?.get(r)?.has(`${w}:${v}`) ?? false;
}

/** Code-unit order, the order of every member list this layer returns. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
