/**
 * Who may know my own chain (`ratchets[me]`), so that ack-with-update heals
 * only when a removed member can really follow my chain (issue 12: under
 * concurrent removes, healing on every seed that reached a removed member
 * made each of that member's updates cost an update of every other member,
 * and a removed member coming back online set off a storm).
 *
 * My chain is a KDF chain: to know its next state one needs the previous
 * state and the step's input. So:
 * - a restart (my own seed, a welcome) is known exactly to whoever holds its input;
 * - a step is known to those who knew the chain before AND hold the input
 *   (a seed's member secret: its sender, its recipients, and whoever I
 *   forwarded it to);
 * - giving my chain away (a welcome I send, an add-ack) adds its recipient.
 * Not tracked (a state from before this, or after a restart whose holders I
 * cannot list): anyone may know it, and I heal as before.
 */
import { isMember } from '../membership/index.js';
import type { Draft } from './draft.js';
import type { MemberId } from './types.js';

function others(draft: Draft, members: Iterable<MemberId>): MemberId[] {
  return [...new Set(members)].filter((m) => m !== draft.me).sort();
}

/** My chain restarted from an input that exactly `holders` hold. */
export function chainRestarted(draft: Draft, holders: Iterable<MemberId>): void {
  draft.chainKnownBy = others(draft, holders);
}

/** My chain stepped with an input that only `holders` hold. */
export function chainStepped(draft: Draft, holders: Iterable<MemberId>): void {
  const before = draft.chainKnownBy;
  const input = new Set(holders);
  draft.chainKnownBy = before === undefined ? others(draft, input) : before.filter((m) => input.has(m));
}

/** I gave my current chain to `member`. */
export function chainGiven(draft: Draft, member: MemberId): void {
  const before = draft.chainKnownBy;
  if (before !== undefined && member !== draft.me && !before.includes(member)) draft.chainKnownBy = [...before, member].sort();
}

/**
 * Whether a member I consider removed may know my chain (so I must heal with
 * an update). `suspects`: when my chain is not tracked, the removed members
 * that may know it (today's rule: those the message at hand reached).
 */
export function chainExposed(draft: Draft, suspects: Iterable<MemberId>): boolean {
  const known = draft.chainKnownBy ?? [...suspects];
  return known.some((m) => m !== draft.me && !isMember(draft.membership, m));
}
