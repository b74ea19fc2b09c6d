/**
 * keys — identity keys (X25519, signing with XEdDSA), signed pre-keys whose
 * signature covers key AND lifetime, one-time pre-keys, key bundles
 * (long-term / one-time) with a deterministic versioned CBOR codec, the
 * KeyManager (own secrets; a one-time secret is consumed exactly once) and
 * the KeyRegistry (others' bundles; a one-time bundle is handed out exactly once).
 */
export type { IdentityKeyPair } from './identity.js';
export { KEY_LENGTH, SIGNATURE_LENGTH, generateIdentity, identityFromSecretKey, signWithIdentity, verifyWithIdentity } from './identity.js';
export type { Lifetime } from './lifetime.js';
export { checkLifetime, isLifetimeValid } from './lifetime.js';
export type { KeyBundle, LongTermKeyBundle, OneTimeKeyBundle, OneTimePreKey, SignedPreKey } from './key-bundle.js';
export { KEY_BUNDLE_VERSION, SIGNED_PREKEY_LABEL, decodeKeyBundle, encodeKeyBundle, signedPreKeyMessage, verifyKeyBundle } from './key-bundle.js';
export type { KeyManagerOptions, KeyManagerState, OneTimePreKeySecret, SignedPreKeySecret } from './key-manager.js';
export {
  KEY_MANAGER_VERSION,
  consumeOneTimePreKey,
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
export { KEY_REGISTRY_VERSION, createKeyRegistry, decodeKeyRegistry, encodeKeyRegistry, oneTimeBundleCount, registerBundle, takeBundle } from './key-registry.js';
export { DEFAULT_PREKEY_LIFETIME_SECONDS, MAX_KEY_BUNDLE_BYTES, MAX_ONE_TIME_PREKEYS_PER_CALL, MAX_TAKEN_ONE_TIME_IDS, PREKEY_BACKDATE_SECONDS } from './limits.js';
