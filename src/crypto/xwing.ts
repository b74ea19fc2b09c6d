/**
 * X-Wing (draft-connolly-cfrg-xwing-kem-06, HPKE KEM id 0x647a): ML-KEM-768
 * and X25519 combined with SHA3-256, over the provider's ML-KEM and X25519
 * (native on Node where present) and @noble/hashes' SHA-3.
 *
 * - Secret key: 32 bytes; SHAKE256(sk, 96) = d ‖ z ‖ sk_X. groupcrypt's
 *   ML-KEM secret key is the seed d ‖ z, so the first 64 bytes are used as is.
 * - Public key: pk_M (1184) ‖ pk_X (32) = 1216 bytes.
 * - Ciphertext: ct_M (1088) ‖ ct_X (32) = 1120 bytes.
 * - Shared secret: SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel).
 *
 * One deviation, on hostile input only: an X25519 share that makes the
 * Diffie-Hellman output all zero is refused (VERIFY_ZERO_SHARED_SECRET, as
 * everywhere in groupcrypt) instead of being combined.
 */
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { concatBytes, zeroize } from './bytes.js';
import { assertBytes, KEY_LENGTH } from './checks.js';
import { MLKEM768_CIPHERTEXT_LENGTH, MLKEM768_PUBLIC_KEY_LENGTH, MLKEM768_RANDOM_LENGTH, MLKEM768_SEED_LENGTH } from './mlkem.js';
import { SecretKeyCache } from './node/key-cache.js';
import type { CryptoProvider } from './provider.js';

/** Bytes of an X-Wing secret key. */
export const XWING_SECRET_KEY_LENGTH = 32;
/** Bytes of an X-Wing public key. */
export const XWING_PUBLIC_KEY_LENGTH = MLKEM768_PUBLIC_KEY_LENGTH + KEY_LENGTH;
/** Bytes of an X-Wing ciphertext (HPKE `enc`). */
export const XWING_CIPHERTEXT_LENGTH = MLKEM768_CIPHERTEXT_LENGTH + KEY_LENGTH;
/** Bytes of the encapsulation seed: ML-KEM's m ‖ the X25519 ephemeral secret. */
export const XWING_ENCAPSULATION_SEED_LENGTH = MLKEM768_RANDOM_LENGTH + KEY_LENGTH;

/** The label closing the combiner input: the ASCII art "\./" "/^\". */
const XWING_LABEL = Uint8Array.from([0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c]);

/** The primitives X-Wing needs from a provider. */
export type XWingPrimitives = Pick<CryptoProvider, 'randomBytes' | 'x25519' | 'x25519PublicKey' | 'mlkem768KeyPairFromSeed' | 'mlkem768Encapsulate' | 'mlkem768Decapsulate'>;

/** An X-Wing key pair. */
export interface XWingKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

interface ExpandedKey {
  /** The ML-KEM seed d ‖ z (stable array, so providers' per-array caches hit). */
  readonly mlkemSeed: Uint8Array;
  readonly x25519Secret: Uint8Array;
}

/** SHAKE256 expansions per secret key array; pure data, valid for any provider. */
const expansions = new SecretKeyCache<ExpandedKey>();

function expand(secretKey: Uint8Array): ExpandedKey {
  assertBytes(secretKey, 'x-wing secretKey', XWING_SECRET_KEY_LENGTH);
  return expansions.get(secretKey, (sk) => {
    const expanded = shake256(sk, { dkLen: MLKEM768_SEED_LENGTH + KEY_LENGTH });
    return { mlkemSeed: expanded.slice(0, MLKEM768_SEED_LENGTH), x25519Secret: expanded.slice(MLKEM768_SEED_LENGTH) };
  });
}

function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  const input = concatBytes(ssM, ssX, ctX, pkX, XWING_LABEL);
  try {
    return sha3_256(input);
  } finally {
    zeroize(input, ssM, ssX);
  }
}

/** GenerateKeyPairDerand: the public key of a 32-byte secret key. @throws UsageError `USAGE_KEY_LENGTH`. */
export function xwingKeyPairFromSecret(p: XWingPrimitives, secretKey: Uint8Array): XWingKeyPair {
  const { mlkemSeed, x25519Secret } = expand(secretKey);
  const publicKey = concatBytes(p.mlkem768KeyPairFromSeed(mlkemSeed).publicKey, p.x25519PublicKey(x25519Secret));
  return { secretKey: Uint8Array.from(secretKey), publicKey };
}

/** GenerateKeyPair: a fresh X-Wing key pair. */
export function xwingGenerate(p: XWingPrimitives): XWingKeyPair {
  const secretKey = p.randomBytes(XWING_SECRET_KEY_LENGTH);
  return xwingKeyPairFromSecret(p, secretKey);
}

/** HPKE DeriveKeyPair for X-Wing: secret key = SHAKE256(ikm, 32). */
export function xwingDeriveKeyPair(p: XWingPrimitives, ikm: Uint8Array): XWingKeyPair {
  assertBytes(ikm, 'x-wing ikm');
  return xwingKeyPairFromSecret(p, shake256(ikm, { dkLen: XWING_SECRET_KEY_LENGTH }));
}

/**
 * Encapsulate (EncapsulateDerand when `seed` is given: m ‖ ek_X, 64 bytes).
 * @throws UsageError `USAGE_KEY_LENGTH` / `USAGE_ARGUMENT` on bad lengths.
 * @throws VerifyError `VERIFY_KEY` (ML-KEM key check) or `VERIFY_ZERO_SHARED_SECRET` (low-order X25519 key).
 */
export function xwingEncapsulate(p: XWingPrimitives, publicKey: Uint8Array, seed?: Uint8Array): { readonly ciphertext: Uint8Array; readonly sharedSecret: Uint8Array } {
  assertBytes(publicKey, 'x-wing publicKey', XWING_PUBLIC_KEY_LENGTH);
  if (seed !== undefined) assertBytes(seed, 'x-wing encapsulation seed', XWING_ENCAPSULATION_SEED_LENGTH, 'USAGE_ARGUMENT');
  const pkM = publicKey.subarray(0, MLKEM768_PUBLIC_KEY_LENGTH);
  const pkX = publicKey.subarray(MLKEM768_PUBLIC_KEY_LENGTH);
  const ekX = seed === undefined ? p.randomBytes(KEY_LENGTH) : seed.slice(MLKEM768_RANDOM_LENGTH);
  try {
    const ctX = p.x25519PublicKey(ekX);
    const ssX = p.x25519(ekX, pkX);
    const { ciphertext: ctM, sharedSecret: ssM } = seed === undefined ? p.mlkem768Encapsulate(pkM) : p.mlkem768Encapsulate(pkM, seed.subarray(0, MLKEM768_RANDOM_LENGTH));
    return { ciphertext: concatBytes(ctM, ctX), sharedSecret: combine(ssM, ssX, ctX, pkX) };
  } finally {
    zeroize(ekX);
  }
}

/**
 * Decapsulate. ML-KEM rejects implicitly, so a forged ct_M gives an
 * unrelated secret (the AEAD above then fails), never an error here.
 * @throws UsageError on bad lengths; VerifyError `VERIFY_ZERO_SHARED_SECRET` on a low-order ct_X.
 */
export function xwingDecapsulate(p: XWingPrimitives, secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assertBytes(ciphertext, 'x-wing ciphertext', XWING_CIPHERTEXT_LENGTH, 'USAGE_KEY_LENGTH');
  const { mlkemSeed, x25519Secret } = expand(secretKey);
  const ctX = ciphertext.subarray(MLKEM768_CIPHERTEXT_LENGTH);
  const ssX = p.x25519(x25519Secret, ctX);
  const ssM = p.mlkem768Decapsulate(mlkemSeed, ciphertext.subarray(0, MLKEM768_CIPHERTEXT_LENGTH));
  return combine(ssM, ssX, ctX, p.x25519PublicKey(x25519Secret));
}
