/**
 * Wire format of 2SM messages: deterministic CBOR arrays (positional, to keep
 * the bytes few), version 1.
 *
 * ```
 * X3DH (first message to a peer): [1, 0, index, identityKey, ephemeralKey, signedPreKeyId, oneTimePreKeyId | null, ciphertext]
 * HPKE (every later message):     [1, 1, keyIndex, index, enc, ciphertext]
 * ```
 * `index` is the sender's key index (the paper's `nextIndex`, 1, 2, ... per
 * direction). `keyIndex` names the recipient key sealed to (the paper's
 * header `(otherPkSender, otherPkIndex)`): 0 = the key the sender made for the
 * recipient ("me"), i ≥ 1 = the recipient's own key number i ("other").
 * The ciphertext is ChaCha20-Poly1305 over `senderNewPublicKey ‖ payload`;
 * its AAD covers the header (all fields before the ciphertext).
 */
import { decodeCanonical, encodeCanonical } from '../crypto/index.js';
import { KEY_LENGTH } from '../keys/index.js';
import { DecodeError } from '../errors.js';
import { MAX_TWO_PARTY_MESSAGE_BYTES } from './limits.js';

/** Wire version of 2SM messages. */
export const TWO_PARTY_MESSAGE_VERSION = 1;

/** Smallest ciphertext: the sender's next public key plus the AEAD tag. */
const MIN_CIPHERTEXT = KEY_LENGTH + 16;

/** The first message to a peer: X3DH header and a ciphertext under SK. */
export interface X3dhMessage {
  readonly kind: 'x3dh';
  readonly index: number;
  readonly identityKey: Uint8Array;
  readonly ephemeralKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | null;
  readonly ciphertext: Uint8Array;
}

/** A later message, sealed by HPKE to a single-use key of the recipient. */
export interface HpkeMessage {
  readonly kind: 'hpke';
  readonly keyIndex: number;
  readonly index: number;
  readonly enc: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** A decoded 2SM message. */
export type TwoPartyMessage = X3dhMessage | HpkeMessage;

/** Header fields (everything but the ciphertext) in wire order; bound as AEAD associated data. */
export function messageHeader(message: TwoPartyMessage): unknown[] {
  const v = TWO_PARTY_MESSAGE_VERSION;
  if (message.kind === 'x3dh') {
    return [v, 0, message.index, message.identityKey, message.ephemeralKey, message.signedPreKeyId, message.oneTimePreKeyId];
  }
  return [v, 1, message.keyIndex, message.index, message.enc];
}

/** Canonical bytes of the header, used as AEAD associated data. */
export function encodeMessageHeader(message: TwoPartyMessage): Uint8Array {
  return encodeCanonical(messageHeader(message));
}

/** Encodes a 2SM message. */
export function encodeTwoPartyMessage(message: TwoPartyMessage): Uint8Array {
  return encodeCanonical([...messageHeader(message), message.ciphertext]);
}

/**
 * Decodes a 2SM message, checking size, canonical form, version, field types and lengths.
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`,
 *   `DECODE_NON_CANONICAL`, `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD`.
 */
export function decodeTwoPartyMessage(bytes: Uint8Array): TwoPartyMessage {
  const what = 'twoPartyMessage';
  const value = decodeCanonical(bytes, what, MAX_TWO_PARTY_MESSAGE_BYTES);
  if (!Array.isArray(value) || value.length < 2) throw new DecodeError('DECODE_FIELD', `${what}: expected an array`);
  const fields = value as readonly unknown[];
  if (fields[0] !== TWO_PARTY_MESSAGE_VERSION) {
    throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${what}: version ${String(fields[0])} is not supported`);
  }
  if (fields[1] === 0) {
    if (fields.length !== 8) throw new DecodeError('DECODE_FIELD', `${what}: x3dh message needs 8 fields, got ${fields.length}`);
    return {
      kind: 'x3dh',
      index: uint(fields[2], `${what}.index`, 1),
      identityKey: bytesField(fields[3], `${what}.identityKey`, KEY_LENGTH),
      ephemeralKey: bytesField(fields[4], `${what}.ephemeralKey`, KEY_LENGTH),
      signedPreKeyId: uint(fields[5], `${what}.signedPreKeyId`, 0),
      oneTimePreKeyId: fields[6] === null ? null : uint(fields[6], `${what}.oneTimePreKeyId`, 0),
      ciphertext: bytesField(fields[7], `${what}.ciphertext`, MIN_CIPHERTEXT, true),
    };
  }
  if (fields[1] === 1) {
    if (fields.length !== 6) throw new DecodeError('DECODE_FIELD', `${what}: hpke message needs 6 fields, got ${fields.length}`);
    return {
      kind: 'hpke',
      keyIndex: uint(fields[2], `${what}.keyIndex`, 0),
      index: uint(fields[3], `${what}.index`, 1),
      enc: bytesField(fields[4], `${what}.enc`, KEY_LENGTH),
      ciphertext: bytesField(fields[5], `${what}.ciphertext`, MIN_CIPHERTEXT, true),
    };
  }
  throw new DecodeError('DECODE_FIELD', `${what}: unknown message kind`);
}

function uint(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new DecodeError('DECODE_FIELD', `${what}: expected an integer >= ${min}`);
  }
  return value;
}

function bytesField(value: unknown, what: string, length: number, atLeast = false): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', `${what}: expected bytes`);
  if (atLeast ? value.length < length : value.length !== length) {
    throw new DecodeError('DECODE_FIELD', `${what}: expected ${atLeast ? 'at least ' : ''}${length} bytes, got ${value.length}`);
  }
  return value;
}
