/**
 * twoparty — two-party secure messaging (2SM, DCGKA paper): the first message
 * to a peer runs X3DH against its key bundle; every later one is sealed by
 * HPKE (RFC 9180 base mode) to a single-use key of the peer and announces the
 * sender's next key. Used keys are deleted (forward secrecy); crossing
 * messages work; per-direction FIFO is required.
 */
export type { TwoPartyReceiveContext, TwoPartySendContext } from './two-party.js';
export { twoPartyReceive, twoPartySend } from './two-party.js';
export type { IndexedSecretKey, OtherPublicKey, TwoPartySession } from './session.js';
export { SESSION_VERSION, createSession, decodeSession, encodeSession, sessionNeedsBundle } from './session.js';
export type { HpkeMessage, PqxdhPart, TwoPartyMessage, X3dhMessage } from './message.js';
export { TWO_PARTY_MESSAGE_VERSION, decodeTwoPartyMessage, encodeTwoPartyMessage, isPostQuantumMessage } from './message.js';
export type { X3dhInitiation, X3dhRespondInput, X3dhResponse } from './x3dh.js';
export { x3dhInitiate, x3dhRespond } from './x3dh.js';
export {
  MAX_SESSION_BYTES,
  MAX_TWO_PARTY_MESSAGE_BYTES,
  TWO_PARTY_AEAD_LABEL,
  TWO_PARTY_EXPORT_CONTEXT,
  TWO_PARTY_HPKE_INFO,
  TWO_PARTY_NEXT_KEY_LABEL,
  X3DH_INFO,
} from './limits.js';
