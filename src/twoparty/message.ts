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
 *
 * Post-quantum sessions use two more kinds (same version; a decoder that
 * predates them refuses them as an unknown kind):
 * ```
 * PQXDH (first message): [1, 2, index, identityKey, ephemeralKey, signedPreKeyId, oneTimePreKeyId | null, pqKind (0 long-term, 1 one-time), pqPreKeyId, pqCiphertext (1088), ciphertext]
 * HPKE X-Wing:           [1, 3, keyIndex, index, enc (1120), ciphertext]
 * ```
 * where `senderNewPublicKey` is then an X-Wing public key (1216 bytes).
 */
import { decodeCanonical, encodeCanonical, MLKEM768_CIPHERTEXT_LENGTH, XWING_CIPHERTEXT_LENGTH, XWING_PUBLIC_KEY_LENGTH } from '../crypto/index.js';
import { KEY_LENGTH } from '../keys/index.js';
import { DecodeError } from '../errors.js';
import { MAX_TWO_PARTY_MESSAGE_BYTES } from './limits.js';

/** Wire version of 2SM messages. */
export const TWO_PARTY_MESSAGE_VERSION = 1;

/** Smallest ciphertext: the sender's next public key plus the AEAD tag. */
const MIN_CIPHERTEXT = KEY_LENGTH + 16;
/** Smallest post-quantum ciphertext: the sender's next X-Wing public key plus the tag. */
const MIN_PQ_CIPHERTEXT = XWING_PUBLIC_KEY_LENGTH + 16;

/** The ML-KEM part of a PQXDH first message. */
export interface PqxdhPart {
  readonly kind: 'long-term' | 'one-time';
  readonly id: number;
  readonly ciphertext: Uint8Array;
}

/** The first message to a peer: X3DH header and a ciphertext under SK. */
export interface X3dhMessage {
  readonly kind: 'x3dh';
  readonly index: number;
  readonly identityKey: Uint8Array;
  readonly ephemeralKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | null;
  /** Post-quantum sessions: the ML-KEM encapsulation to the peer's PQ pre-key. */
  readonly pq?: PqxdhPart;
  readonly ciphertext: Uint8Array;
}

/** A later message, sealed by HPKE to a single-use key of the recipient. */
export interface HpkeMessage {
  readonly kind: 'hpke';
  readonly keyIndex: number;
  readonly index: number;
  readonly enc: Uint8Array;
  /** Post-quantum sessions: sealed with the X-Wing KEM (enc is 1120 bytes). */
  readonly pq?: true;
  readonly ciphertext: Uint8Array;
}

/** A decoded 2SM message. */
export type TwoPartyMessage = X3dhMessage | HpkeMessage;

/** Header fields (everything but the ciphertext) in wire order; bound as AEAD associated data. */
export function messageHeader(message: TwoPartyMessage): unknown[] {
  const v = TWO_PARTY_MESSAGE_VERSION;
  if (message.kind === 'x3dh') {
    const classic = [message.index, message.identityKey, message.ephemeralKey, message.signedPreKeyId, message.oneTimePreKeyId];
    if (message.pq === undefined) return [v, 0, ...classic];
    return [v, 2, ...classic, message.pq.kind === 'one-time' ? 1 : 0, message.pq.id, message.pq.ciphertext];
  }
  return [v, message.pq === true ? 3 : 1, message.keyIndex, message.index, message.enc];
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
  if (fields[1] === 2) {
    if (fields.length !== 11) throw new DecodeError('DECODE_FIELD', `${what}: pqxdh message needs 11 fields, got ${fields.length}`);
    const oneTimePreKeyId = fields[6] === null ? null : uint(fields[6], `${what}.oneTimePreKeyId`, 0);
    const pqKind = uint(fields[7], `${what}.pqKind`, 0);
    if (pqKind > 1) throw new DecodeError('DECODE_FIELD', `${what}.pqKind: ${pqKind} is not 0 or 1`);
    const pqId = uint(fields[8], `${what}.pqPreKeyId`, 0);
    // A one-time ML-KEM pre-key only comes in a one-time bundle, beside the X25519 one of the same id.
    if (pqKind === 1 && oneTimePreKeyId !== pqId) throw new DecodeError('DECODE_FIELD', `${what}: one-time ML-KEM pre-key ${pqId} without its one-time pre-key`);
    return {
      kind: 'x3dh',
      index: uint(fields[2], `${what}.index`, 1),
      identityKey: bytesField(fields[3], `${what}.identityKey`, KEY_LENGTH),
      ephemeralKey: bytesField(fields[4], `${what}.ephemeralKey`, KEY_LENGTH),
      signedPreKeyId: uint(fields[5], `${what}.signedPreKeyId`, 0),
      oneTimePreKeyId,
      pq: { kind: pqKind === 1 ? 'one-time' : 'long-term', id: pqId, ciphertext: bytesField(fields[9], `${what}.pqCiphertext`, MLKEM768_CIPHERTEXT_LENGTH) },
      ciphertext: bytesField(fields[10], `${what}.ciphertext`, MIN_PQ_CIPHERTEXT, true),
    };
  }
  if (fields[1] === 3) {
    if (fields.length !== 6) throw new DecodeError('DECODE_FIELD', `${what}: hpke x-wing message needs 6 fields, got ${fields.length}`);
    return {
      kind: 'hpke',
      keyIndex: uint(fields[2], `${what}.keyIndex`, 0),
      index: uint(fields[3], `${what}.index`, 1),
      enc: bytesField(fields[4], `${what}.enc`, XWING_CIPHERTEXT_LENGTH),
      pq: true,
      ciphertext: bytesField(fields[5], `${what}.ciphertext`, MIN_PQ_CIPHERTEXT, true),
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

/** True when `bytes` decode as a post-quantum 2SM message (PQXDH or X-Wing HPKE); false for classic or undecodable ones. */
export function isPostQuantumMessage(bytes: Uint8Array): boolean {
  try {
    return decodeTwoPartyMessage(bytes).pq !== undefined;
  } catch {
    return false;
  }
}
