/**
 * A minimal canonical CBOR (RFC 8949 §4.2.1) writer and reader for the one
 * shape of the application envelope: an array of unsigned integers and byte
 * strings. Generic CBOR decoding re-encodes the value to check canonical
 * form, which costs several copies of a large ciphertext; this reader checks
 * minimal headers directly and returns views into the input. Its output is
 * byte-identical to `encodeCanonical` (tested).
 */
import { DecodeError } from '../errors.js';

/** An envelope item: an unsigned integer or a byte string. */
export type EnvelopeItem = number | Uint8Array;

const MAJOR_UINT = 0;
const MAJOR_BYTES = 2;
const MAJOR_ARRAY = 4;

function headerLength(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x10000) return 3;
  if (value < 0x100000000) return 5;
  return 9;
}

function writeHeader(out: Uint8Array, at: number, major: number, value: number): number {
  const m = major << 5;
  if (value < 24) {
    out[at] = m | value;
    return at + 1;
  }
  const n = headerLength(value) - 1;
  out[at] = m | (n === 1 ? 24 : n === 2 ? 25 : n === 4 ? 26 : 27);
  let v = value;
  for (let i = n; i >= 1; i--) {
    out[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return at + 1 + n;
}

/**
 * Encodes an array of items canonically.
 * @param prefix bytes written before the encoding (a signature context), saving a concatenation.
 */
export function encodeItems(items: readonly EnvelopeItem[], prefix?: Uint8Array): Uint8Array {
  const start = prefix?.length ?? 0;
  let length = start + headerLength(items.length);
  for (const item of items) length += typeof item === 'number' ? headerLength(item) : headerLength(item.length) + item.length;
  const out = new Uint8Array(length);
  if (prefix) out.set(prefix, 0);
  let at = writeHeader(out, start, MAJOR_ARRAY, items.length);
  for (const item of items) {
    if (typeof item === 'number') {
      at = writeHeader(out, at, MAJOR_UINT, item);
    } else {
      at = writeHeader(out, at, MAJOR_BYTES, item.length);
      out.set(item, at);
      at += item.length;
    }
  }
  return out;
}

function fail(what: string): never {
  throw new DecodeError('DECODE_MALFORMED', `envelope: ${what}`);
}

function readHeader(bytes: Uint8Array, at: number): { major: number; value: number; next: number } {
  const first = bytes[at];
  if (first === undefined) fail('truncated');
  const major = first >> 5;
  const info = first & 0x1f;
  if (info < 24) return { major, value: info, next: at + 1 };
  const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (n === 0) fail('unsupported or indefinite length');
  if (at + 1 + n > bytes.length) fail('truncated');
  let value = 0;
  for (let i = 1; i <= n; i++) value = value * 256 + (bytes[at + i] as number);
  if (!Number.isSafeInteger(value)) fail('integer too large');
  if (headerLength(value) !== n + 1) throw new DecodeError('DECODE_NON_CANONICAL', 'envelope: non-minimal length or integer');
  return { major, value, next: at + 1 + n };
}

/**
 * Decodes a canonical CBOR array of unsigned integers and byte strings;
 * byte strings are views into `bytes`.
 * @throws DecodeError `DECODE_MALFORMED`, `DECODE_NON_CANONICAL`, `DECODE_TRAILING_BYTES`, `DECODE_FIELD`.
 */
export function decodeItems(bytes: Uint8Array, maxItems: number): EnvelopeItem[] {
  const head = readHeader(bytes, 0);
  if (head.major !== MAJOR_ARRAY) throw new DecodeError('DECODE_FIELD', 'envelope: expected an array');
  if (head.value > maxItems) throw new DecodeError('DECODE_FIELD', `envelope: more than ${maxItems} fields`);
  const items: EnvelopeItem[] = [];
  let at = head.next;
  for (let i = 0; i < head.value; i++) {
    const h = readHeader(bytes, at);
    if (h.major === MAJOR_UINT) {
      items.push(h.value);
      at = h.next;
    } else if (h.major === MAJOR_BYTES) {
      if (h.next + h.value > bytes.length) fail('truncated');
      items.push(bytes.subarray(h.next, h.next + h.value));
      at = h.next + h.value;
    } else {
      throw new DecodeError('DECODE_FIELD', 'envelope: fields must be integers or byte strings');
    }
  }
  if (at !== bytes.length) throw new DecodeError('DECODE_TRAILING_BYTES', 'envelope: trailing bytes after the value');
  return items;
}
