/**
 * ML-KEM-768 (FIPS 203) pieces both providers share: sizes, the entry
 * checks, and the portable implementation on @noble/post-quantum (the
 * version ts-mls pins, so bundles hold one copy).
 *
 * A secret key is always the 64-byte seed d ‖ z (FIPS 203 §6.1
 * ML-KEM.KeyGen_internal): compact, and every valid seed is a valid key, so
 * decapsulation has no malformed-secret-key case. Public keys are checked
 * as FIPS 203 §7.2 asks (length, then every coefficient below q) before use.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { UsageError, VerifyError } from '../errors.js';
import { assertBytes } from './checks.js';
import { SecretKeyCache } from './node/key-cache.js';

/** Bytes of an ML-KEM-768 secret key as groupcrypt stores it: the seed d ‖ z. */
export const MLKEM768_SEED_LENGTH = 64;
/** Bytes of an ML-KEM-768 encapsulation (public) key. */
export const MLKEM768_PUBLIC_KEY_LENGTH = 1184;
/** Bytes of an ML-KEM-768 ciphertext. */
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
/** Bytes of the encapsulation randomness m. */
export const MLKEM768_RANDOM_LENGTH = 32;
/** Bytes of the shared secret. */
export const MLKEM_SHARED_SECRET_LENGTH = 32;

const Q = 3329;
/** The polynomial vector part of the public key (k = 3 polynomials × 384 bytes). */
const ENCODED_VECTOR_LENGTH = 1152;

/** An ML-KEM-768 key pair: `secretKey` is the 64-byte seed, `publicKey` the 1184-byte encapsulation key. */
export interface MlKemKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Result of an encapsulation. */
export interface MlKemEncapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/** Asserts a 64-byte seed. @throws UsageError `USAGE_KEY_LENGTH`. */
export function assertMlKemSeed(seed: Uint8Array): Uint8Array {
  return assertBytes(seed, 'ml-kem-768 seed', MLKEM768_SEED_LENGTH);
}

/**
 * FIPS 203 §7.2 encapsulation-key check: exact length, and ByteEncode12(ByteDecode12(ek)) = ek,
 * i.e. every 12-bit coefficient is below q.
 * @throws UsageError `USAGE_KEY_LENGTH` on a wrong length.
 * @throws VerifyError `VERIFY_KEY` on a coefficient ≥ q.
 */
export function assertMlKemPublicKey(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'ml-kem-768 publicKey', MLKEM768_PUBLIC_KEY_LENGTH);
  for (let i = 0; i < ENCODED_VECTOR_LENGTH; i += 3) {
    const b0 = publicKey[i] as number;
    const b1 = publicKey[i + 1] as number;
    const b2 = publicKey[i + 2] as number;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) {
      throw new VerifyError('VERIFY_KEY', 'ml-kem-768 publicKey: coefficient not reduced modulo q (FIPS 203 §7.2)');
    }
  }
  return publicKey;
}

/** Asserts a 1088-byte ciphertext. @throws UsageError `USAGE_ARGUMENT`. */
export function assertMlKemCiphertext(ciphertext: Uint8Array): Uint8Array {
  return assertBytes(ciphertext, 'ml-kem-768 ciphertext', MLKEM768_CIPHERTEXT_LENGTH, 'USAGE_ARGUMENT');
}

/** Asserts 32 bytes of encapsulation randomness. @throws UsageError `USAGE_ARGUMENT`. */
export function assertMlKemRandom(random: Uint8Array): Uint8Array {
  return assertBytes(random, 'ml-kem-768 random', MLKEM768_RANDOM_LENGTH, 'USAGE_ARGUMENT');
}

/**
 * Portable ML-KEM-768 on @noble/post-quantum. Expanded secret keys (2400 B)
 * are cached per seed array, since expanding costs a key generation.
 */
export class PortableMlKem {
  private readonly expanded = new SecretKeyCache<Uint8Array>();

  /** Deterministic key pair from a 64-byte seed (ML-KEM.KeyGen_internal(d, z)). */
  keyPairFromSeed(seed: Uint8Array): MlKemKeyPair {
    assertMlKemSeed(seed);
    return { secretKey: Uint8Array.from(seed), publicKey: ml_kem768.keygen(seed).publicKey };
  }

  /** Encapsulation with explicit randomness m (ML-KEM.Encaps_internal). Checks the key first. */
  encapsulate(publicKey: Uint8Array, random: Uint8Array): MlKemEncapsulation {
    assertMlKemPublicKey(publicKey);
    assertMlKemRandom(random);
    try {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, random);
      return { ciphertext: cipherText, sharedSecret: Uint8Array.from(sharedSecret) };
    } catch (cause) {
      // Unreachable after the checks above; kept typed all the same.
      throw new UsageError('USAGE_ARGUMENT', 'ml-kem-768: encapsulation refused its input', { cause });
    }
  }

  /** Decapsulation (implicit rejection: a bad ciphertext gives a pseudo-random secret, never an error). */
  decapsulate(seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    assertMlKemSeed(seed);
    assertMlKemCiphertext(ciphertext);
    const secretKey = this.expanded.get(seed, (s) => ml_kem768.keygen(s).secretKey);
    return ml_kem768.decapsulate(ciphertext, secretKey);
  }
}
