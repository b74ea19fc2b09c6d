/**
 * The one interface every cryptographic primitive goes through.
 *
 * Two implementations give byte-identical results: `NodeCryptoProvider`
 * (node:crypto, key objects cached) and `PortableCryptoProvider` (@noble/*,
 * any runtime). All operations are synchronous so protocol code stays pure
 * and synchronous. Failures are typed: a bad key length is a `UsageError`,
 * a failed tag or signature check a `VerifyError`.
 */
import type { MlKemEncapsulation, MlKemKeyPair } from './mlkem.js';

export type { MlKemEncapsulation, MlKemKeyPair } from './mlkem.js';

/** AEAD algorithms groupcrypt uses. */
export type AeadAlgorithm = 'chacha20-poly1305' | 'xchacha20-poly1305' | 'aes-128-gcm' | 'aes-256-gcm';

/** Key length in bytes of each AEAD. */
export const AEAD_KEY_LENGTH: Readonly<Record<AeadAlgorithm, number>> = {
  'chacha20-poly1305': 32,
  'xchacha20-poly1305': 32,
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
};

/** Nonce length in bytes of each AEAD. */
export const AEAD_NONCE_LENGTH: Readonly<Record<AeadAlgorithm, number>> = {
  'chacha20-poly1305': 12,
  'xchacha20-poly1305': 24,
  'aes-128-gcm': 12,
  'aes-256-gcm': 12,
};

/** Tag length of every AEAD used here. */
export const AEAD_TAG_LENGTH = 16;

/** An X25519 key pair (raw 32-byte keys, RFC 7748). */
export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** An Ed25519 key pair: 32-byte seed as secret, 32-byte public key (RFC 8032). */
export interface Ed25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** HPKE AEAD ids of RFC 9180 §7.3 that groupcrypt supports. */
export type HpkeAeadId = 0x0001 | 0x0002 | 0x0003;

/** HPKE KEM ids groupcrypt supports: DHKEM(X25519, HKDF-SHA256) and X-Wing (ML-KEM-768 + X25519). */
export type HpkeKemId = 0x0020 | 0x647a;

/** KEM id of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1). */
export const HPKE_KEM_X25519 = 0x0020;
/** KEM id of X-Wing (draft-connolly-cfrg-xwing-kem, IANA HPKE registry). */
export const HPKE_KEM_XWING = 0x647a;

/**
 * An HPKE suite: the KEM is DHKEM(X25519, HKDF-SHA256) = 0x0020 or X-Wing =
 * 0x647a; KDF HKDF-SHA256 = 0x0001 is fixed; the AEAD is one of AES-128-GCM
 * (0x0001), AES-256-GCM (0x0002), ChaCha20-Poly1305 (0x0003).
 */
export interface HpkeSuite {
  readonly kem: HpkeKemId;
  readonly kdf: 0x0001;
  readonly aead: HpkeAeadId;
}

/** groupcrypt's default HPKE suite (ARCHITECTURE.md "Fixed constructions"). */
export const HPKE_DEFAULT_SUITE: HpkeSuite = { kem: 0x0020, kdf: 0x0001, aead: 0x0003 };

/** The post-quantum hybrid suite: X-Wing, HKDF-SHA256, ChaCha20-Poly1305. */
export const HPKE_XWING_SUITE: HpkeSuite = { kem: 0x647a, kdf: 0x0001, aead: 0x0003 };

/** Result of a single-shot HPKE seal: the encapsulated key and the ciphertext (tag included). */
export interface HpkeSealed {
  readonly enc: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** The primitive operations; see the module comment. */
export interface CryptoProvider {
  /** `"node"` or `"portable"`. */
  readonly name: string;

  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;

  /** SHA-256 digest. */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 (RFC 2104). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract with SHA-256 (RFC 5869 §2.2); an empty salt means 32 zero bytes. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /**
   * HKDF-Expand with SHA-256 (RFC 5869 §2.3).
   * @throws UsageError `USAGE_ARGUMENT` when `length` > 255 × 32.
   */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** Extract then expand. */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** X25519 public key of a 32-byte secret key (RFC 7748 §6.1). */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** A fresh X25519 key pair from `randomBytes`. */
  x25519Generate(): X25519KeyPair;
  /**
   * X25519 Diffie-Hellman.
   * @throws VerifyError `VERIFY_ZERO_SHARED_SECRET` when the result is all zero (low-order peer key).
   */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** A fresh Ed25519 key pair. */
  ed25519Generate(): Ed25519KeyPair;
  /** Ed25519 signature (RFC 8032, deterministic). */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** Strict Ed25519 verification; false on any failure, never throws for bad input bytes. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /**
   * XEdDSA signature with an X25519 secret key (Signal's XEdDSA spec §2.3).
   * @param random 64 random bytes (Z); drawn from `randomBytes` when omitted.
   */
  xeddsaSign(x25519SecretKey: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array;
  /** XEdDSA verification under an X25519 public key; false on any failure. */
  xeddsaVerify(x25519PublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /** AEAD encryption; returns ciphertext ‖ 16-byte tag. */
  aeadSeal(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /**
   * AEAD decryption of ciphertext ‖ tag; authenticates before releasing plaintext.
   * @throws VerifyError `VERIFY_AEAD` on a bad tag or a too-short input.
   */
  aeadOpen(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;

  /** A fresh ML-KEM-768 key pair (secret = 64-byte seed). */
  mlkem768Generate(): MlKemKeyPair;
  /**
   * The ML-KEM-768 key pair of a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal).
   * @throws UsageError `USAGE_KEY_LENGTH` when the seed is not 64 bytes.
   */
  mlkem768KeyPairFromSeed(seed: Uint8Array): MlKemKeyPair;
  /**
   * ML-KEM-768 encapsulation (FIPS 203 §7.2).
   * @param random the 32-byte message m (deterministic, for tests and vectors); drawn fresh when omitted.
   * @throws UsageError `USAGE_KEY_LENGTH` on a wrong key length, `USAGE_ARGUMENT` on wrong randomness.
   * @throws VerifyError `VERIFY_KEY` when the key fails the modulus check.
   */
  mlkem768Encapsulate(publicKey: Uint8Array, random?: Uint8Array): MlKemEncapsulation;
  /**
   * ML-KEM-768 decapsulation with implicit rejection (FIPS 203 §7.3): a
   * forged ciphertext yields an unrelated secret, never an error.
   * @throws UsageError `USAGE_KEY_LENGTH` on a seed that is not 64 bytes, `USAGE_ARGUMENT` on a ciphertext that is not 1088 bytes.
   */
  mlkem768Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  /** HPKE single-shot seal, base mode (RFC 9180 §6.1). */
  hpkeSeal(suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeSealed;
  /**
   * HPKE single-shot open, base mode (RFC 9180 §6.1).
   * @throws VerifyError `VERIFY_AEAD` when the ciphertext does not authenticate.
   */
  hpkeOpen(suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** HPKE secret export on the sender side, base mode (RFC 9180 §6.2). */
  hpkeSendExport(suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): { readonly enc: Uint8Array; readonly secret: Uint8Array };
  /** HPKE secret export on the recipient side, base mode (RFC 9180 §6.2). */
  hpkeReceiveExport(suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array;
}

/**
 * What every pure protocol operation may depend on: no operation reads the
 * clock or a global random source by itself.
 */
export interface Deps {
  /** The crypto provider (its `randomBytes` is the only randomness used). */
  readonly crypto: CryptoProvider;
  /** Current time in UNIX seconds. */
  readonly now: () => number;
}
