/**
 * crypto — one `CryptoProvider` interface with a node:crypto provider (fast
 * path, cached key objects) and a portable @noble provider (browsers, any
 * runtime), plus the byte, CBOR and field-decoding helpers every layer uses.
 *
 * Layout:
 * - `provider.ts`  the interface and constants; `checks.ts` entry assertions
 *   shared by both providers (same UsageError codes whichever runs).
 * - `node/`        `NodeCryptoProvider` (node:crypto via
 *   `process.getBuiltinModule`, never a static import; JWK key imports and
 *   KeyObject caches in `key-cache.ts`).
 * - `noble/`       `PortableCryptoProvider` (@noble/hashes, curves, ciphers).
 * - `hpke.ts`      RFC 9180 over provider primitives (all four modes,
 *   multi-message contexts, export, DeriveKeyPair); both providers use it.
 *   KEMs: DHKEM(X25519) and X-Wing (`xwing.ts`, ML-KEM-768 + X25519).
 * - `mlkem.ts`     ML-KEM-768 checks and the portable implementation; the
 *   Node provider runs node:crypto's ML-KEM where the runtime has it.
 * - `xeddsa.ts`    Signal's XEdDSA and the strict Ed25519 rule both providers
 *   share; `hchacha20.ts` the XChaCha20 sub-key for the Node provider.
 *
 * Conformance: both providers pass every Wycheproof file and the RFC 9180
 * vectors in ../shared/vectors (test/crypto/). Honest limits: JS cannot
 * promise constant time or that wiped memory has no copies; `zeroize` and
 * `constantTimeEqual` do what the language allows. AES-GCM takes 12-byte
 * nonces only; AES-192 is not offered.
 */
export type { AeadAlgorithm, CryptoProvider, Deps, Ed25519KeyPair, HpkeAeadId, HpkeKemId, HpkeSealed, HpkeSuite, MlKemEncapsulation, MlKemKeyPair, X25519KeyPair } from './provider.js';
export { AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, HPKE_DEFAULT_SUITE, HPKE_KEM_X25519, HPKE_KEM_XWING, HPKE_XWING_SUITE } from './provider.js';
export { MLKEM768_CIPHERTEXT_LENGTH, MLKEM768_PUBLIC_KEY_LENGTH, MLKEM768_RANDOM_LENGTH, MLKEM768_SEED_LENGTH } from './mlkem.js';
export { bytesEqual, compareBytes, concatBytes, constantTimeEqual, copyBytes, fromHex, hexInto, toHex, toHexRange, uintToBytes, utf8, zeroize } from './bytes.js';
export { decodeCanonical, encodeCanonical, MAX_CBOR_BYTES } from './cbor.js';
export type { CborValue } from './cbor.js';
export { asRecord, checkVersion, decodeVersionedRecord, readArray, readBool, readBytes, readText, readUint } from './codec.js';
export type { CborRecord } from './codec.js';
export { defaultCryptoProvider, defaultDeps } from './default-provider.js';
export { NodeCryptoProvider } from './node/node-provider.js';
export { PortableCryptoProvider } from './noble/portable-provider.js';
export { nodeCryptoAvailable } from './node/node-provider.js';
export {
  HPKE_MODE,
  hpkeContextExport,
  hpkeContextOpen,
  hpkeContextSeal,
  hpkeContextZeroize,
  hpkeDeriveKeyPair,
  hpkeSetupRecipient,
  hpkeSetupSender,
} from './hpke.js';
export type { HpkeContext, HpkeMode, HpkePrimitives, HpkeSetupOptions } from './hpke.js';
export {
  XWING_CIPHERTEXT_LENGTH,
  XWING_ENCAPSULATION_SEED_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  XWING_SECRET_KEY_LENGTH,
  xwingDecapsulate,
  xwingDeriveKeyPair,
  xwingEncapsulate,
  xwingGenerate,
  xwingKeyPairFromSecret,
} from './xwing.js';
export type { XWingKeyPair, XWingPrimitives } from './xwing.js';
export { x25519SecretFromEd25519Seed, xeddsaEdwardsPublicKey } from './xeddsa.js';
export { PersistentMap } from './persistent-map.js';
