/**
 * group — the high-level Group API, one for both schemes (`'data'` |
 * `'message'`): create, join, add, remove, update, send, receive (any order;
 * control messages are causally ordered inside), members; a signed compact
 * application envelope; a self-contained wire bundle for transports without
 * routing; a versioned state codec; a pre-join inbox that holds what
 * arrives before my invitation and joins through the earliest one.
 *
 * Read order (CLI.md "Order of read"): every application message carries a
 * signed Lamport time. An `application` output (and, for my own message, the
 * `position` of a `send` output) gives `{ id, sender, lamport, epoch, counter }`;
 * sorting by `compareReadOrder` (or by the string `readOrderKey`) gives one
 * total order that extends causality and depends only on the messages.
 *
 * Removed members (CLI.md "Removed peers"): a message of a removed member is
 * accepted only if the author of its removal had read it (or it came before
 * such a message from that member); others are refused with `STATE_REMOVED`
 * (a `rejected` output when buffered). A message delivered before its
 * sender's removal was known stops standing: `read` shows only messages for
 * which `applicationStands(state, position)` holds.
 *
 * @example
 * const shown = delivered.filter((p) => applicationStands(state, p)).sort(compareReadOrder);
 */
export type {
  GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, IncomingMessage, OutgoingMessage, PendingApplication, PendingControl, Position,
  RejoinRecord, RemovalRecord, StrangerMessage,
} from './types.js';
export type { ReadPosition } from './order.js';
export { compareReadOrder, readOrderKey } from './order.js';
export { applicationStands } from './removal.js';
export {
  addMember, createGroup, groupIdOf, groupMembers, isPostQuantumGroup, isRemoved, joinGroup, myId, removeMember, schemeOf, send, updateGroup,
} from './group.js';
export { missingControl, receive } from './receive.js';
export type { GroupInbox, HeldMessage, PreJoinResult } from './inbox.js';
export { createGroupInbox, decodeGroupInbox, encodeGroupInbox, receivePreJoin } from './inbox.js';
export { deleteGroupSecrets, groupSecrets } from './secrets.js';
export { encodeWireBundle, openWireBundle } from './wire.js';
export { applicationPosition } from './envelope.js';
export { decodeGroupState, encodeGroupState } from './state-codec.js';
export {
  APPLICATION_SIGNATURE_CONTEXT, ENVELOPE_VERSION, HELD_TTL_SECONDS, MAX_APPLICATION_BYTES, MAX_BUFFERED_APPLICATION_BYTES, MAX_BUFFERED_DIRECT_BYTES,
  MAX_HELD_BYTES, MAX_HELD_MESSAGES, MAX_HELD_MESSAGE_BYTES, MAX_PENDING_APPLICATION, MAX_PENDING_APPLICATION_BYTES, MAX_PENDING_CONTROL,
  MAX_PENDING_CONTROL_BYTES, MAX_STRANGERS, MAX_STRANGER_BYTES, MAX_STRANGER_MESSAGE_BYTES, SENDER_TAG_LENGTH, STRANGER_TTL_SECONDS,
} from './limits.js';
