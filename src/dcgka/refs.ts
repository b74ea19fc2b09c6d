/**
 * Short member references of wire version 4 (issue 13): an ack names its
 * sender and the sender of the acked message by a 4-byte prefix of their ids
 * instead of the full 32 bytes, resolved among the ids the receiving group
 * state knows. A reference is only a hint: every candidate it may name is
 * tried against the signature, which covers the full ids (codec.ts), so a
 * prefix shared by two ids can cost a second signature check but can never
 * make a message count for another sender or another acked message. A sender
 * whose own view holds another id with its prefix sends the full id instead.
 */
import { fromHex } from '../crypto/index.js';
import { namedIds } from '../membership/index.js';
import type { DcgkaState, MemberId } from './types.js';

/** Bytes of a short member reference (a prefix of the 32-byte id). */
export const MEMBER_REF_LENGTH = 4;

/** What reading a version-4 control message needs from the group state. */
export interface MemberResolver {
  /** The group the message must belong to (signed, never sent). */
  readonly groupId: string;
  /** Every known id that a reference (lowercase hex, 8 or 64 digits) may name. */
  candidates(refHex: string): readonly MemberId[];
}

type PrefixIndex = ReadonlyMap<string, readonly MemberId[]>;

/** The parts of a group state (or of a call's draft of it) that resolve references. */
export type ResolvableState = Pick<DcgkaState, 'groupId' | 'membership' | 'clock'>;

/**
 * Prefix indexes cached per membership `entriesOf` table: that table changes
 * only when an op adds a member, so every ack of an update (or of anything)
 * reuses the index of the state before it (no O(n) rebuild per message).
 */
const INDEXES = new WeakMap<object, { readonly base: unknown; readonly index: PrefixIndex }>();

function prefixIndex(ids: Iterable<MemberId>): PrefixIndex {
  const index = new Map<string, MemberId[]>();
  for (const id of ids) {
    const key = id.slice(0, 2 * MEMBER_REF_LENGTH);
    const list = index.get(key);
    if (list === undefined) index.set(key, [id]);
    else if (!list.includes(id)) list.push(id);
  }
  return index;
}

/** The prefix index of the ids the membership names (added members, compacted names). */
function membershipIndex(state: ResolvableState): PrefixIndex {
  const { membership } = state;
  const cached = INDEXES.get(membership.entriesOf);
  if (cached !== undefined && cached.base === membership.base) return cached.index;
  const index = prefixIndex(namedIds(membership));
  INDEXES.set(membership.entriesOf, { base: membership.base, index });
  return index;
}

/**
 * The resolver of a group state: the ids its membership names, then (only
 * when none matches) every sender it processed a message from.
 */
export function stateResolver(state: ResolvableState): MemberResolver {
  return {
    groupId: state.groupId,
    candidates(refHex: string): readonly MemberId[] {
      if (refHex.length === 64) return [refHex];
      const found = membershipIndex(state).get(refHex) ?? [];
      // The index is keyed by exactly this prefix length: every id found starts with a reference of that length.
      const named = refHex.length === 2 * MEMBER_REF_LENGTH ? found : found.filter((id) => id.startsWith(refHex));
      if (named.length > 0) return named;
      return [...state.clock.keys()].filter((id) => id.startsWith(refHex));
    },
  };
}

/** The reference to put on the wire for `id`: its prefix, or the full id when another known id shares the prefix. */
export function memberRef(resolver: MemberResolver, id: MemberId): Uint8Array {
  const prefix = id.slice(0, 2 * MEMBER_REF_LENGTH);
  const clash = resolver.candidates(prefix).some((other) => other !== id);
  return fromHex(clash ? id : prefix);
}
