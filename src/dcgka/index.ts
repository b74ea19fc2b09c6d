/**
 * dcgka — decentralised continuous group key agreement (Weidner, Kleppmann,
 * Hugenroth, Beresford, CCS 2021 / ePrint 2020/1281) on 2SM, with
 * strong-removal membership keyed by add operation (DCGKA.md §9).
 *
 * Every call is pure: `(state, ctx, input) -> { state, keys, registry, outputs }`.
 * Outputs are control messages to route (broadcast + per-recipient direct
 * parts) and update secrets per member for the encryption schemes.
 */
export type {
  ControlBody, ControlMessage, DcgkaContext, DcgkaOutput, DcgkaResult, DcgkaState, DirectMessage, IncomingControl,
  ManifestEntry, MemberId, OpId, OutgoingControl, PendingSeed,
} from './types.js';
export { add, compactHistory, createGroup, groupMembers, joinGroup, processControl, readControl, remove, resetSessions, update } from './process.js';
export { encodeDcgkaState, decodeDcgkaState } from './state-codec.js';
export { checkedDirect, opIdOf } from './codec.js';
export { PersistentMap } from '../crypto/index.js';
export { MAX_CONTROL_BYTES, MAX_DIRECT_BYTES, MAX_MANIFEST_ENTRIES, MAX_REMOVE_NOTE_BYTES } from './limits.js';
