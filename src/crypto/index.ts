/**
 * crypto — one `CryptoProvider` interface with a node:crypto provider (fast
 * path, cached key objects) and a portable @noble provider (browsers, any
 * runtime), plus the byte, CBOR and field-decoding helpers every layer uses.
 */
export type { AeadAlgorithm, CryptoProvider, Deps, Ed25519KeyPair, HpkeAeadId, HpkeSealed, HpkeSuite, X25519KeyPair } from './provider.js';
export { AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, HPKE_DEFAULT_SUITE } from './provider.js';
export { bytesEqual, compareBytes, concatBytes, constantTimeEqual, copyBytes, fromHex, toHex, uintToBytes, utf8, zeroize } from './bytes.js';
export { decodeCanonical, encodeCanonical, MAX_CBOR_BYTES } from './cbor.js';
export type { CborValue } from './cbor.js';
export { asRecord, checkVersion, decodeVersionedRecord, readArray, readBool, readBytes, readText, readUint } from './codec.js';
export type { CborRecord } from './codec.js';
export { defaultCryptoProvider, defaultDeps } from './default-provider.js';
export { NodeCryptoProvider } from './node/node-provider.js';
export { PortableCryptoProvider } from './noble/portable-provider.js';
