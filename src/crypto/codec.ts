/**
 * Field readers for decoders: each checks one field's type and exact length
 * and names it in the error, so `decodeX` functions stay short and uniform.
 */
import { DecodeError } from '../errors.js';
import { decodeCanonical, encodeCanonical } from './cbor.js';

/** A decoded CBOR map with string keys. */
export type CborRecord = Readonly<Record<string, unknown>>;

/** Asserts a CBOR map with exactly the given keys (no missing, no extra). */
export function asRecord(value: unknown, what: string, keys?: readonly string[]): CborRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new DecodeError('DECODE_FIELD', `${what}: expected a map`);
  }
  const record = value as CborRecord;
  if (keys !== undefined) {
    for (const key of Object.keys(record)) {
      if (!keys.includes(key)) throw new DecodeError('DECODE_FIELD', `${what}: unexpected field "${key}"`);
    }
    for (const key of keys) {
      if (!(key in record)) throw new DecodeError('DECODE_FIELD', `${what}: missing field "${key}"`);
    }
  }
  return record;
}

/** Reads a byte string, optionally of an exact length or a length range. */
export function readBytes(record: CborRecord, key: string, what: string, length?: number | { min?: number; max?: number }): Uint8Array {
  const value = record[key];
  if (!(value instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected bytes`);
  if (typeof length === 'number' && value.length !== length) {
    throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected ${length} bytes, got ${value.length}`);
  }
  if (typeof length === 'object') {
    if (length.min !== undefined && value.length < length.min) {
      throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected at least ${length.min} bytes, got ${value.length}`);
    }
    if (length.max !== undefined && value.length > length.max) {
      throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected at most ${length.max} bytes, got ${value.length}`);
    }
  }
  return value;
}

/** Reads a non-negative safe integer, optionally bounded. */
export function readUint(record: CborRecord, key: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected an integer in 0..${max}`);
  }
  return value;
}

/** Reads a string, optionally one of a fixed set. */
export function readText<T extends string = string>(record: CborRecord, key: string, what: string, allowed?: readonly T[]): T {
  const value = record[key];
  if (typeof value !== 'string') throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected text`);
  if (allowed !== undefined && !allowed.includes(value as T)) {
    throw new DecodeError('DECODE_FIELD', `${what}.${key}: unexpected value "${value.slice(0, 32)}"`);
  }
  return value as T;
}

/** Reads a boolean. */
export function readBool(record: CborRecord, key: string, what: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected a boolean`);
  return value;
}

/** Reads an array, optionally capped in length. */
export function readArray(record: CborRecord, key: string, what: string, maxLength = 1_000_000): readonly unknown[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected an array`);
  if (value.length > maxLength) throw new DecodeError('DECODE_FIELD', `${what}.${key}: more than ${maxLength} entries`);
  return value;
}

/**
 * Checks the `v` field of a versioned record.
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for any other version.
 */
export function checkVersion(record: CborRecord, what: string, supported: number): void {
  const version = record['v'];
  if (version !== supported) {
    throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${what}: version ${String(version)} is not supported (expected ${supported})`);
  }
}

/** Decodes canonical CBOR bytes into a record with exactly `keys` and version `version`. */
export function decodeVersionedRecord(bytes: Uint8Array, what: string, version: number, keys: readonly string[], maxBytes?: number): CborRecord {
  const record = asRecord(decodeCanonical(bytes, what, maxBytes), what);
  checkVersion(record, what, version);
  return asRecord(record, what, keys);
}

export { encodeCanonical };
