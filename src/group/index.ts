/**
 * group — the high-level Group API, one for both schemes (`'data'` |
 * `'message'`): create, join, add, remove, update, send, receive (any order;
 * control messages are causally ordered inside), members; a signed compact
 * application envelope; a self-contained wire bundle for transports without
 * routing; a versioned state codec.
 */
export type { GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, IncomingMessage, OutgoingMessage, PendingApplication, PendingControl } from './types.js';
export { addMember, createGroup, groupMembers, joinGroup, myId, removeMember, send, updateGroup } from './group.js';
export { receive } from './receive.js';
export { deleteGroupSecrets, groupSecrets } from './secrets.js';
export { encodeWireBundle, openWireBundle } from './wire.js';
export { decodeGroupState, encodeGroupState } from './state-codec.js';
export {
  APPLICATION_SIGNATURE_CONTEXT, ENVELOPE_VERSION, MAX_APPLICATION_BYTES, MAX_PENDING_APPLICATION, MAX_PENDING_CONTROL, SENDER_TAG_LENGTH,
} from './limits.js';
