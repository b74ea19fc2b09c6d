/**
 * group — the high-level Group API, one for both schemes (`'data'` |
 * `'message'`): create, join, add, remove, update, send, receive (any order;
 * control messages are causally ordered inside), members; a signed compact
 * application envelope; a self-contained wire bundle for transports without
 * routing; a versioned state codec; a pre-join inbox that holds what
 * arrives before my invitation and joins through the earliest one.
 */
export type { GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, IncomingMessage, OutgoingMessage, PendingApplication, PendingControl } from './types.js';
export { addMember, createGroup, groupMembers, isPostQuantumGroup, joinGroup, myId, removeMember, send, updateGroup } from './group.js';
export { missingControl, receive } from './receive.js';
export type { GroupInbox, HeldMessage, PreJoinResult } from './inbox.js';
export { createGroupInbox, decodeGroupInbox, encodeGroupInbox, receivePreJoin } from './inbox.js';
export { deleteGroupSecrets, groupSecrets } from './secrets.js';
export { encodeWireBundle, openWireBundle } from './wire.js';
export { applicationPosition } from './envelope.js';
export { decodeGroupState, encodeGroupState } from './state-codec.js';
export {
  APPLICATION_SIGNATURE_CONTEXT, ENVELOPE_VERSION, MAX_APPLICATION_BYTES, MAX_HELD_BYTES, MAX_HELD_MESSAGES, MAX_PENDING_APPLICATION, MAX_PENDING_CONTROL,
  SENDER_TAG_LENGTH,
} from './limits.js';
