/**
 * membership — decentralised group membership with strong removal (SR-DGM).
 *
 * From the membership ops a replica has processed (create, add, remove and
 * the acks of them) it computes the member set every replica agrees on,
 * whatever the causal delivery order, and each actor's view (`member-view`
 * of the DCGKA paper). Membership is keyed by add operation (DCGKA.md §9.1):
 * a remove cancels the adds of its target its author had seen; a member is
 * present while one of its adds is live; an add by a concurrently removed user
 * is cancelled with everything it led to. Pure functions over plain data.
 */
export type { AddEntry, MemberId, MembershipBase, MembershipCore, MembershipOp, MembershipState, OpId, OpKind, RegionData } from './types.js';
export { applyAck, applyAdd, applyRemove, createMembership, mergeMembership } from './apply.js';
export { canAct, findOp, hasSeen, isMember, memberView, members, opKind } from './view.js';
export { decodeMembership, encodeMembership } from './codec.js';
export { COMPACT_MINIMUM, compactedInto, compactionHolders, compactMembership, createOpId, isCompacted, namedIds, stablePrefix } from './compact.js';
export { compactRegion } from './region.js';
export { MAX_BASE_IDS, MAX_ID_LENGTH, MAX_INITIAL_MEMBERS, MAX_MEMBERSHIP_BYTES, MAX_MEMBERSHIP_OPS } from './limits.js';
