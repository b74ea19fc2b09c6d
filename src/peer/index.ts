/**
 * peer — the live peer applications use: identity + store + groups of both
 * schemes, causal delivery, a transport, events. Every state change is one
 * store commit with its outbox, published after the commit. The only place
 * that wires the group layer to a transport; front ends (the command, the
 * browser example, the demo) choose a store and a transport and use `Peer`.
 */
export { Peer, resolvePrefix } from './peer.js';
export type { GroupInfo, HistoryInfo, PeerEvent, PeerInfo, PeerListener, PeerOptions, ReadEntry, Skipped, SyncReport } from './types.js';
export type { GroupScheme } from '../group/index.js';
export { DEFAULT_PREKEY_GRACE_SECONDS, DEFAULT_PREKEY_ROTATION_SECONDS, maintainPreKeys } from './prekeys.js';
export type { PreKeyMaintenance, PreKeyPolicy } from './prekeys.js';
export { MAX_NAME_LENGTH, PROFILE_LABEL, PROFILE_VERSION, decodeProfile, encodeProfile } from './profile.js';
export type { Profile } from './profile.js';
export { MAX_AD_BYTES, decodeMessageItem, encodeMessageItem } from './wire.js';
export type { MessageItem } from './wire.js';
