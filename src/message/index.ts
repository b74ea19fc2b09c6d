/**
 * message — the Message Encryption scheme: one forward-secure KDF chain per
 * member, restarted by every DCGKA update secret of that member; a fresh key
 * and nonce per message (HKDF with distinct labels), keys dropped after use,
 * out-of-order window, authenticate before advancing.
 */
export type { EpochChain, MemberId, MessageResult, MessageState, SkippedKey } from './types.js';
export type { MessageWindow, ReceivedMessage, SealedMessage } from './ratchet.js';
export { DEFAULT_WINDOW, applyUpdateSecret, createMessageState, decryptMessage, encryptMessage, knownSenders } from './ratchet.js';
export { encodeMessageState, decodeMessageState } from './state-codec.js';
export { epochChainKey, stepChain } from './chain.js';
export type { ChainStep } from './chain.js';
export { LABEL_CHAIN, LABEL_EPOCH, LABEL_KEY, LABEL_NONCE, MAX_BEHIND, MAX_COUNTER, MAX_PREVIOUS_EPOCHS, MAX_SKIP_AHEAD } from './limits.js';
