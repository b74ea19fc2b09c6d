/**
 * Deterministic CBOR (RFC 8949 §4.2) for every wire format and stored state.
 *
 * `decodeCanonical` is the only way CBOR bytes become values: it caps the
 * size, rejects trailing bytes, and re-encodes the result to reject any
 * non-canonical form, so a signature over received bytes is a signature over
 * the one encoding of the value.
 */
import { decode, encode } from 'cborg';
import { DecodeError } from '../errors.js';
import { bytesEqual } from './bytes.js';

/** Default size cap for one decoded value (16 MiB). */
export const MAX_CBOR_BYTES = 16 * 1024 * 1024;

/** A value CBOR can carry here: no undefined, no floats outside numbers, no Maps. */
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly CborValue[]
  | { readonly [key: string]: CborValue };

const ENCODE_OPTIONS = { float64: false } as const;

/** Encodes a value canonically (sorted map keys, shortest integers). */
export function encodeCanonical(value: unknown): Uint8Array {
  return encode(value, ENCODE_OPTIONS);
}

/**
 * Decodes canonical CBOR.
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`, `DECODE_NON_CANONICAL`.
 */
export function decodeCanonical(bytes: Uint8Array, what: string, maxBytes = MAX_CBOR_BYTES): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('DECODE_MALFORMED', `${what}: expected bytes`);
  if (bytes.length > maxBytes) {
    throw new DecodeError('DECODE_TOO_LARGE', `${what}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  }
  let value: unknown;
  try {
    value = decode(bytes, { strict: true, rejectDuplicateMapKeys: true, useMaps: false, allowUndefined: false, allowIndefinite: false });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/too many terminals|trailing|extra/i.test(message)) {
      throw new DecodeError('DECODE_TRAILING_BYTES', `${what}: trailing bytes after the value`, { cause });
    }
    throw new DecodeError('DECODE_MALFORMED', `${what}: invalid CBOR (${message})`, { cause });
  }
  let again: Uint8Array;
  try {
    again = encodeCanonical(value);
  } catch (cause) {
    throw new DecodeError('DECODE_MALFORMED', `${what}: value cannot be re-encoded`, { cause });
  }
  if (!bytesEqual(again, bytes)) throw new DecodeError('DECODE_NON_CANONICAL', `${what}: not in canonical form`);
  return value;
}
