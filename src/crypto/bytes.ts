/**
 * Byte helpers shared by every layer: concatenation, constant-time equality,
 * hex, and best-effort zeroization.
 *
 * JavaScript cannot promise constant time or that memory is really wiped
 * (the engine may copy buffers); these helpers do what the language allows.
 */
import { DecodeError } from '../errors.js';

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Compares two arrays without an early exit on the first difference. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Plain (variable-time) equality, for public data only (ids, public keys). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order of public byte strings (for deterministic sorting). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of public bytes (never of secrets). */
export function toHex(bytes: Uint8Array): string {
  return toHexRange(bytes, 0, bytes.length);
}

/** Lowercase hex of `bytes[start..end)` (public bytes), without a view of the range. */
export function toHexRange(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX[bytes[i] as number];
  return out;
}

/** Value of each hex digit by char code (-1: not a digit); codes past the table are no digits either. */
const HEX_VALUES = Int8Array.from({ length: 128 }, (_, code) => {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
});

/**
 * Parses lowercase or uppercase hex.
 * @throws DecodeError `DECODE_MALFORMED` on odd length or a non-hex character.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new DecodeError('DECODE_MALFORMED', `hex: invalid string of length ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  hexInto(hex, out, 0);
  return out;
}

/**
 * Parses `hex` (even length) into `out` at `offset`, without an array of its own
 * (ids are parsed for every signature check: issue 13).
 * @throws DecodeError `DECODE_MALFORMED` on odd length or a non-hex character; RangeError when `out` is too short.
 */
export function hexInto(hex: string, out: Uint8Array, offset: number): void {
  if (hex.length % 2 !== 0) throw new DecodeError('DECODE_MALFORMED', `hex: invalid string of length ${hex.length}`);
  const count = hex.length / 2;
  if (offset + count > out.length) throw new RangeError('hexInto: output too short');
  for (let i = 0; i < count; i++) {
    const high = HEX_VALUES[hex.charCodeAt(2 * i)] ?? -1;
    const low = HEX_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (high < 0 || low < 0) throw new DecodeError('DECODE_MALFORMED', `hex: invalid string of length ${hex.length}`);
    out[offset + i] = (high << 4) | low;
  }
}

const UTF8_ENCODER = new TextEncoder();

/** UTF-8 encoding of a string. */
export function utf8(text: string): Uint8Array {
  return UTF8_ENCODER.encode(text);
}

/** Best-effort wipe of secret bytes (JS cannot guarantee no copies remain). */
export function zeroize(...secrets: readonly (Uint8Array | undefined)[]): void {
  for (const secret of secrets) secret?.fill(0);
}

/** A copy that shares no memory with the input (bytes entering state are copied). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Big-endian encoding of a non-negative safe integer in `length` bytes. */
export function uintToBytes(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}
