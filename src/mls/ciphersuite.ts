/**
 * A ts-mls `CiphersuiteImpl` (hash, HPKE, signature, KDF, RNG) backed by a
 * groupcrypt `CryptoProvider`, for the two suites a Secret Group uses:
 * MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (1) and
 * MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 (3).
 *
 * Why: stock ts-mls goes through WebCrypto and @hpke/core, importing a key
 * (and normalising the algorithm) on every HMAC, HKDF step, signature and
 * DH. With the Node provider (KeyObjects cached, HMAC-based HKDF, JWK key
 * import) the same MLS operations run several times faster. Byte-for-byte
 * the results are those of RFC 9420 / RFC 9180, so groups mix freely with
 * stock ts-mls members (test/mls/ciphersuite.test.ts).
 *
 * HPKE keys are carried as small wrapper objects holding the raw 32 bytes;
 * ts-mls treats them as opaque (`PublicKey` / `PrivateKey`) and only hands
 * them back to this implementation.
 */
import type { CiphersuiteImpl, CiphersuiteName, Hpke, PrivateKey, PublicKey } from 'ts-mls';
import { constantTimeEqual, defaultCryptoProvider, hpkeDeriveKeyPair, type AeadAlgorithm, type CryptoProvider, type HpkeSuite } from '../crypto/index.js';
import { UsageError } from '../errors.js';

/** Length of an X25519 key and of an Ed25519 seed. */
const KEY_LENGTH = 32;
/** PKCS#8 wrapping of an Ed25519 seed, as stock ts-mls `keygen` emits it: 16-byte prefix + seed. */
const PKCS8_ED25519_LENGTH = 48;

interface RawKey {
  readonly type: 'public' | 'private';
  readonly raw: Uint8Array;
}

function wrapPublic(raw: Uint8Array): PublicKey {
  return { type: 'public', raw } satisfies RawKey as unknown as PublicKey;
}

function wrapPrivate(raw: Uint8Array): PrivateKey {
  return { type: 'private', raw } satisfies RawKey as unknown as PrivateKey;
}

function unwrap(key: PublicKey | PrivateKey, type: RawKey['type']): Uint8Array {
  const raw = (key as unknown as Partial<RawKey>).raw;
  if ((key as unknown as Partial<RawKey>).type !== type || !(raw instanceof Uint8Array)) {
    throw new UsageError('USAGE_ARGUMENT', `mls ciphersuite: expected a ${type} key of this implementation`);
  }
  return raw;
}

function signingSeed(signKey: Uint8Array): Uint8Array {
  if (signKey.length === KEY_LENGTH) return signKey;
  if (signKey.length === PKCS8_ED25519_LENGTH) return signKey.subarray(PKCS8_ED25519_LENGTH - KEY_LENGTH);
  throw new UsageError('USAGE_KEY_LENGTH', `Ed25519 signing key: expected 32 or 48 bytes, got ${signKey.length}`);
}

function makeHpke(crypto: CryptoProvider, aead: AeadAlgorithm, suite: HpkeSuite, keyLength: number): Hpke {
  const empty = new Uint8Array(0);
  return {
    async seal(publicKey, plaintext, info, aad) {
      const sealed = crypto.hpkeSeal(suite, unwrap(publicKey, 'public'), info, aad ?? empty, plaintext);
      return { ct: sealed.ciphertext, enc: sealed.enc };
    },
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      return crypto.hpkeOpen(suite, unwrap(privateKey, 'private'), kemOutput, info, aad ?? empty, ciphertext);
    },
    async exportSecret(publicKey, exporterContext, length, info) {
      return crypto.hpkeSendExport(suite, unwrap(publicKey, 'public'), info, exporterContext, length);
    },
    async importSecret(privateKey, exporterContext, kemOutput, length, info) {
      return crypto.hpkeReceiveExport(suite, unwrap(privateKey, 'private'), kemOutput, info, exporterContext, length);
    },
    async importPrivateKey(k) {
      if (k.length !== KEY_LENGTH) throw new UsageError('USAGE_KEY_LENGTH', `X25519 private key: ${k.length} bytes`);
      return wrapPrivate(k.slice());
    },
    async importPublicKey(k) {
      if (k.length !== KEY_LENGTH) throw new UsageError('USAGE_KEY_LENGTH', `X25519 public key: ${k.length} bytes`);
      return wrapPublic(k.slice());
    },
    async exportPublicKey(k) {
      return unwrap(k, 'public').slice();
    },
    async exportPrivateKey(k) {
      return unwrap(k, 'private').slice();
    },
    async encryptAead(key, nonce, aad, plaintext) {
      return crypto.aeadSeal(aead, key, nonce, plaintext, aad ?? empty);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return crypto.aeadOpen(aead, key, nonce, ciphertext, aad ?? empty);
    },
    async deriveKeyPair(ikm) {
      const pair = hpkeDeriveKeyPair(crypto, ikm);
      return { privateKey: wrapPrivate(pair.secretKey), publicKey: wrapPublic(pair.publicKey) };
    },
    async generateKeyPair() {
      const pair = crypto.x25519Generate();
      return { privateKey: wrapPrivate(pair.secretKey), publicKey: wrapPublic(pair.publicKey) };
    },
    keyLength,
    nonceLength: 12,
  };
}

/**
 * A ts-mls ciphersuite implementation on `crypto` (default: groupcrypt's
 * default provider, node:crypto in Node).
 * @throws UsageError `USAGE_UNSUPPORTED` for any suite but 1 and 3.
 * @example
 *   const deps = { ...defaultDeps(), mls: createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519') };
 */
export function createMlsCiphersuite(name: CiphersuiteName, crypto: CryptoProvider = defaultCryptoProvider()): CiphersuiteImpl {
  let hpke: Hpke;
  if (name === 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519') {
    hpke = makeHpke(crypto, 'aes-128-gcm', { kem: 0x0020, kdf: 0x0001, aead: 0x0001 }, 16);
  } else if (name === 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519') {
    hpke = makeHpke(crypto, 'chacha20-poly1305', { kem: 0x0020, kdf: 0x0001, aead: 0x0003 }, 32);
  } else {
    throw new UsageError('USAGE_UNSUPPORTED', `mls ciphersuite ${name} is not implemented on the groupcrypt provider`);
  }
  return {
    name,
    hpke,
    hash: {
      async digest(data) { return crypto.sha256(data); },
      async mac(key, data) { return crypto.hmacSha256(key, data); },
      async verifyMac(key, mac, data) { return constantTimeEqual(crypto.hmacSha256(key, data), mac); },
    },
    kdf: {
      async extract(salt, ikm) { return crypto.hkdfExtract(salt, ikm); },
      async expand(prk, info, len) { return crypto.hkdfExpand(prk, info, len); },
      size: 32,
    },
    signature: {
      async sign(signKey, message) { return crypto.ed25519Sign(signingSeed(signKey), message); },
      async verify(publicKey, message, signature) { return crypto.ed25519Verify(publicKey, message, signature); },
      async keygen() {
        const pair = crypto.ed25519Generate();
        return { signKey: pair.secretKey, publicKey: pair.publicKey };
      },
    },
    rng: { randomBytes: (n: number) => crypto.randomBytes(n) },
  };
}
