/**
 * keys — identity keys (X25519, signing with XEdDSA), signed pre-keys whose
 * signature covers key AND lifetime, one-time pre-keys, key bundles
 * (long-term / one-time) with a deterministic versioned CBOR codec, the
 * KeyManager (own secrets; a one-time secret is consumed exactly once) and
 * the KeyRegistry (others' bundles; a one-time bundle is handed out exactly once).
 * Optional post-quantum pre-keys: a signed long-term ML-KEM-768 pre-key and
 * signed one-time ML-KEM-768 pre-keys (signature over key, kind, lifetime).
 */
export type { IdentityKeyPair } from './identity.js';
export { KEY_LENGTH, SIGNATURE_LENGTH, generateIdentity, identityFromSecretKey, signWithIdentity, verifyWithIdentity } from './identity.js';
export type { Lifetime } from './lifetime.js';
export { checkLifetime, isLifetimeValid } from './lifetime.js';
export type { KeyBundle, LongTermKeyBundle, OneTimeKeyBundle, OneTimePreKey, PqPreKey, SignedPreKey } from './key-bundle.js';
export {
  KEY_BUNDLE_VERSION,
  PQ_KEY_BUNDLE_VERSION,
  PQ_PREKEY_LABEL,
  SIGNED_PREKEY_LABEL,
  decodeKeyBundle,
  encodeKeyBundle,
  hasPqPreKey,
  pqPreKeyMessage,
  pqPreKeyOf,
  signedPreKeyMessage,
  verifyKeyBundle,
  verifyPqPreKey,
} from './key-bundle.js';
export type { KeyManagerOptions, KeyManagerState, OneTimePreKeySecret, PqPreKeySecret, SignedPreKeySecret } from './key-manager.js';
export {
  KEY_MANAGER_VERSION,
  PQ_KEY_MANAGER_VERSION,
  consumeOneTimePreKey,
  consumePqOneTimePreKey,
  enablePqPreKeys,
  findPqPreKeySecret,
  hasPqPreKeys,
  createKeyManager,
  decodeKeyManager,
  encodeKeyManager,
  findOneTimePreKeySecret,
  findSignedPreKeySecret,
  generateOneTimePreKeys,
  identityOf,
  longTermBundle,
  pruneExpiredPreKeys,
  rotateSignedPreKey,
} from './key-manager.js';
export type { KeyRegistryState, PeerBundles } from './key-registry.js';
export { KEY_REGISTRY_VERSION, createKeyRegistry, decodeKeyRegistry, dropSupersededOneTimeBundles, encodeKeyRegistry, oneTimeBundleCount, registerBundle, takeBundle } from './key-registry.js';
export { DEFAULT_PREKEY_LIFETIME_SECONDS, MAX_KEY_BUNDLE_BYTES, MAX_PQ_KEY_BUNDLE_BYTES, MAX_ONE_TIME_PREKEYS_PER_CALL, MAX_TAKEN_ONE_TIME_IDS, PREKEY_BACKDATE_SECONDS } from './limits.js';
