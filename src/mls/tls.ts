/**
 * A small TLS presentation-language codec (RFC 8446 §3): big-endian
 * integers and length-prefixed opaque vectors. Used for the seed's
 * "TLS-encoded" long-term secret array, nothing else.
 */
import { DecodeError } from '../errors.js';

/** Appends TLS-encoded fields to a growing buffer. */
export interface TlsWriter {
  readonly parts: Uint8Array[];
}

/** A new empty writer. */
export function tlsWriter(): TlsWriter {
  return { parts: [] };
}

/** Writes an unsigned integer of `width` bytes (1, 2, 4 or 8), big-endian. */
export function writeUint(writer: TlsWriter, value: number, width: 1 | 2 | 4 | 8): void {
  const out = new Uint8Array(width);
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  if (rest !== 0 || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`tls: ${value} does not fit in ${width} bytes`);
  }
  writer.parts.push(out);
}

/** Writes `opaque data<0..2^(8·width)-1>`: a `width`-byte length then the bytes. */
export function writeOpaque(writer: TlsWriter, data: Uint8Array, width: 1 | 2 | 4): void {
  writeUint(writer, data.length, width);
  writer.parts.push(data);
}

/** Concatenates everything written so far. */
export function tlsBytes(writer: TlsWriter): Uint8Array {
  let length = 0;
  for (const part of writer.parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of writer.parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A cursor over TLS-encoded bytes; every read checks the remaining length. */
export interface TlsReader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly what: string;
}

/** A reader over `bytes`; `what` names the structure in errors. */
export function tlsReader(bytes: Uint8Array, what: string): TlsReader {
  return { bytes, offset: 0, what };
}

/**
 * Reads an unsigned integer of `width` bytes.
 * @throws DecodeError `DECODE_MALFORMED` when truncated or beyond 2^53.
 */
export function readUint(reader: TlsReader, width: 1 | 2 | 4 | 8): number {
  if (reader.offset + width > reader.bytes.length) {
    throw new DecodeError('DECODE_MALFORMED', `${reader.what}: truncated at byte ${reader.offset}`);
  }
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + (reader.bytes[reader.offset + i] ?? 0);
  if (!Number.isSafeInteger(value)) throw new DecodeError('DECODE_MALFORMED', `${reader.what}: integer too large`);
  reader.offset += width;
  return value;
}

/**
 * Reads a `width`-byte length then that many bytes (a copy).
 * @throws DecodeError `DECODE_MALFORMED` when truncated.
 */
export function readOpaque(reader: TlsReader, width: 1 | 2 | 4): Uint8Array {
  const length = readUint(reader, width);
  if (reader.offset + length > reader.bytes.length) {
    throw new DecodeError('DECODE_MALFORMED', `${reader.what}: vector of ${length} bytes is truncated`);
  }
  const out = reader.bytes.slice(reader.offset, reader.offset + length);
  reader.offset += length;
  return out;
}

/**
 * Asserts the reader consumed everything.
 * @throws DecodeError `DECODE_TRAILING_BYTES` otherwise.
 */
export function finishReader(reader: TlsReader): void {
  if (reader.offset !== reader.bytes.length) {
    throw new DecodeError('DECODE_TRAILING_BYTES', `${reader.what}: ${reader.bytes.length - reader.offset} trailing bytes`);
  }
}
