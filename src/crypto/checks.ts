/**
 * Entry assertions shared by both providers (noble style: check type and
 * exact length before any maths, name the field in the error). Both
 * providers call the same checks in the same order, so a bad argument gives
 * the same `UsageError` code whichever provider runs.
 */
import { UsageError, type ErrorCode } from '../errors.js';
import { AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, type AeadAlgorithm, type HpkeSuite } from './provider.js';

/** Byte length of X25519 keys and of Ed25519 seeds and public keys. */
export const KEY_LENGTH = 32;
/** Byte length of Ed25519 and XEdDSA signatures. */
export const SIGNATURE_LENGTH = 64;
/** Byte length of XEdDSA's random input Z. */
export const XEDDSA_RANDOM_LENGTH = 64;
/** Largest HKDF-SHA256 output (RFC 5869 §2.3: 255 × HashLen). */
export const HKDF_MAX_LENGTH = 255 * 32;

/**
 * Asserts a `Uint8Array`, optionally of an exact length.
 * @throws UsageError with `code` (default `USAGE_KEY_LENGTH`) naming `field`.
 */
export function assertBytes(value: unknown, field: string, length?: number, code: ErrorCode = 'USAGE_KEY_LENGTH'): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', `${field}: expected Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new UsageError(code, `${field}: expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * Asserts a non-negative safe integer not above `max`.
 * @throws UsageError `USAGE_ARGUMENT`.
 */
export function assertLength(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new UsageError('USAGE_ARGUMENT', `${field}: expected an integer in [0, ${max}], got ${String(value)}`);
  }
  return value;
}

/**
 * Asserts a supported AEAD with a key and nonce of its exact lengths.
 * @throws UsageError `USAGE_UNSUPPORTED`, `USAGE_KEY_LENGTH`, `USAGE_NONCE_LENGTH` or `USAGE_ARGUMENT`.
 */
export function assertAeadArgs(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, data: Uint8Array, aad: Uint8Array): void {
  if (!Object.prototype.hasOwnProperty.call(AEAD_KEY_LENGTH, algorithm)) {
    throw new UsageError('USAGE_UNSUPPORTED', `aead: unsupported algorithm ${String(algorithm)}`);
  }
  assertBytes(key, `${algorithm} key`, AEAD_KEY_LENGTH[algorithm], 'USAGE_KEY_LENGTH');
  assertBytes(nonce, `${algorithm} nonce`, AEAD_NONCE_LENGTH[algorithm], 'USAGE_NONCE_LENGTH');
  assertBytes(data, `${algorithm} data`);
  assertBytes(aad, `${algorithm} aad`);
}

/**
 * Asserts the HPKE suite is one groupcrypt implements.
 * @throws UsageError `USAGE_UNSUPPORTED`.
 */
export function assertHpkeSuite(suite: HpkeSuite): void {
  if ((suite.kem !== 0x0020 && suite.kem !== 0x647a) || suite.kdf !== 0x0001 || ![0x0001, 0x0002, 0x0003].includes(suite.aead)) {
    throw new UsageError('USAGE_UNSUPPORTED', `hpke: unsupported suite kem=${suite.kem} kdf=${suite.kdf} aead=${suite.aead}`);
  }
}

/** True when every byte is zero (constant time over the length). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}
