/**
 * data — the Data Encryption scheme: one group secret per DCGKA update
 * secret, XChaCha20-Poly1305 with random nonces, a sender encrypts with its
 * own latest secret, late joiners import the adder's whole secret bundle,
 * and the application may delete old secrets for forward secrecy.
 */
export type { DataResult, DataState, GroupSecret, MemberId, ReplayWindow } from './types.js';
export type { ReceivedData, SealedData } from './scheme.js';
export {
  applyUpdateSecret, createDataState, currentSecret, secretDeleted, secretKey, decryptData, deleteSecrets, encryptData, findSecretById, listSecrets,
} from './scheme.js';
export { decodeDataState, encodeDataState, exportSecretBundle, importSecretBundle } from './state-codec.js';
export type { BundleChecks } from './state-codec.js';
export { DATA_NONCE_LENGTH, LABEL_GROUP_SECRET, MAX_BUNDLE_SECRETS, MAX_DATA_COUNTER, MAX_REPLAY_TRACKED } from './limits.js';
