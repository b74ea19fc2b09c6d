/**
 * Deterministic CBOR (RFC 8949 §4.2) for every wire format and stored state.
 *
 * `decodeCanonical` is the only way CBOR bytes become values: it caps the
 * size, rejects trailing bytes, and re-encodes the result to reject any
 * non-canonical form, so a signature over received bytes is a signature over
 * the one encoding of the value. Wire formats made only of unsigned and
 * negative integers, byte strings, arrays, false, true and null (control and
 * 2SM messages) are read in one pass that also checks every head is in its
 * shortest form, which is all canonical form asks of them (a generic decode
 * plus a re-encoding of a 3 KB update cost more than its signature check).
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
  const plain = decodePlain(bytes);
  if (plain !== NOT_PLAIN) return plain;
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


/** Returned by `decodePlain` for bytes it does not read (the generic path decides). */
export const NOT_PLAIN: unique symbol = Symbol('not plain CBOR');

/** false, true, null: one-byte simple values with a single encoding. */
const SIMPLE_VALUES: ReadonlyMap<number, boolean | null> = new Map([[0xf4, false], [0xf5, true], [0xf6, null]]);

/** An array being filled, and how many items it still needs. */
interface OpenArray {
  readonly items: unknown[];
  missing: number;
}

/** Byte strings this short are copied byte by byte: one array, where a view and its copy made two (issue 13: acks). */
const SMALL_COPY_BYTES = 128;

/** A copy (never a view: the caller may reuse `bytes`) of `length` bytes of `bytes` from `start`. */
function copyRange(bytes: Uint8Array, start: number, length: number): Uint8Array {
  if (length > SMALL_COPY_BYTES) return new Uint8Array(bytes.subarray(start, start + length));
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes[start + i] as number;
  return out;
}

/**
 * Reads `bytes` when they hold exactly one item built only of unsigned and
 * negative integers (arguments below 2^32), byte strings (copied), arrays,
 * false, true and null, every head in its shortest form: then the value is
 * what the generic decoder gives and the bytes are canonical. Anything else —
 * maps, text, floats, tags, 8-byte arguments, indefinite lengths, a longer
 * head than needed, truncated or trailing bytes — returns `NOT_PLAIN`, and
 * the generic decoder with its re-encoding check decides.
 */
export function decodePlain(bytes: Uint8Array): unknown {
  const open: OpenArray[] = [];
  let at = 0;
  let root: unknown = NOT_PLAIN;
  for (;;) {
    if (at >= bytes.length) return NOT_PLAIN;
    const head = bytes[at] as number;
    let value: unknown;
    const simple = SIMPLE_VALUES.get(head);
    if (simple !== undefined) {
      value = simple;
      at++;
    } else {
      const major = head >> 5;
      const info = head & 0x1f;
      let argument: number;
      if (info < 24) {
        argument = info;
        at += 1;
      } else if (info === 24) {
        if (at + 2 > bytes.length) return NOT_PLAIN;
        argument = bytes[at + 1] as number;
        if (argument < 24) return NOT_PLAIN;
        at += 2;
      } else if (info === 25) {
        if (at + 3 > bytes.length) return NOT_PLAIN;
        argument = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
        if (argument < 0x100) return NOT_PLAIN;
        at += 3;
      } else if (info === 26) {
        if (at + 5 > bytes.length) return NOT_PLAIN;
        argument = (bytes[at + 1] as number) * 0x1000000 + (((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 8) | (bytes[at + 4] as number));
        if (argument < 0x10000) return NOT_PLAIN;
        at += 5;
      } else {
        return NOT_PLAIN;
      }
      if (major === 0) value = argument;
      else if (major === 1) value = -1 - argument;
      else if (major === 2) {
        if (at + argument > bytes.length) return NOT_PLAIN;
        value = copyRange(bytes, at, argument);
        at += argument;
      } else if (major === 4) {
        if (argument > bytes.length - at) return NOT_PLAIN; // every item takes at least one byte
        if (argument > 0) {
          open.push({ items: [], missing: argument });
          continue;
        }
        value = [];
      } else {
        return NOT_PLAIN;
      }
    }
    // Place the finished value; close every array it completes.
    for (;;) {
      const top = open[open.length - 1];
      if (top === undefined) {
        root = value;
        break;
      }
      top.items.push(value);
      top.missing--;
      if (top.missing > 0) break;
      open.pop();
      value = top.items;
    }
    if (root !== NOT_PLAIN) return at === bytes.length ? root : NOT_PLAIN;
  }
}
