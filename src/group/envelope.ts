/**
 * The application wire envelope (versioned, compact, deterministic CBOR):
 *
 *   message scheme: [1, senderRef, epoch, counter, ciphertext, signature]
 *   data scheme:    [1, senderRef, epoch, counter, nonce(24), ciphertext, signature]
 *
 * `senderRef` is a 4-byte prefix of the sender's id (resolved among known
 * members, each candidate checked by its signature) or the full 32-byte id
 * when the prefix is ambiguous. The group id is not sent: it is implied by
 * the receiving group and bound into both the signature and the AEAD AD.
 *
 * The signature (XEdDSA, sender's identity key) covers
 *   context ‖ CBOR[1, scheme, group, sender, epoch, counter, nonce, SHA-256(ciphertext), SHA-256(ad)]
 * so no other member — who knows the sender's symmetric keys — can alter the
 * content or the AD of a message and still claim it came from the sender.
 */
import type { Deps } from '../crypto/index.js';
import { concatBytes, encodeCanonical, fromHex, utf8 } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { signWithIdentity, verifyWithIdentity } from '../keys/index.js';
import { decodeItems, encodeItems } from './envelope-cbor.js';
import type { EnvelopeItem } from './envelope-cbor.js';
import type { IdentityKeyPair } from '../keys/index.js';
import { APPLICATION_SIGNATURE_CONTEXT, ENVELOPE_VERSION, MAX_APPLICATION_BYTES, SENDER_TAG_LENGTH } from './limits.js';
import type { GroupScheme } from './types.js';

const CONTEXT = utf8(APPLICATION_SIGNATURE_CONTEXT);
const EMPTY = new Uint8Array(0);
const SCHEME_CODE: Readonly<Record<GroupScheme, number>> = { message: 0, data: 1 };

/** The fields of an application envelope. */
export interface Envelope {
  readonly senderRef: Uint8Array;
  readonly epoch: number;
  readonly counter: number;
  /** Present for the data scheme only. */
  readonly nonce?: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly signature: Uint8Array;
}

/** What both the signature and the AEAD bind, besides the ciphertext. */
export interface EnvelopeContext {
  readonly scheme: GroupScheme;
  readonly groupId: string;
  readonly sender: string;
  readonly epoch: number;
  readonly counter: number;
  readonly ad: Uint8Array | undefined;
}

/** AEAD associated data: scheme, group, sender, epoch, counter and the application's AD. */
export function aeadData(c: EnvelopeContext): Uint8Array {
  return encodeCanonical([SCHEME_CODE[c.scheme], fromHex(c.groupId), fromHex(c.sender), c.epoch, c.counter, c.ad ?? EMPTY]);
}

function signedBytes(deps: Deps, c: EnvelopeContext, nonce: Uint8Array | undefined, ciphertext: Uint8Array): Uint8Array {
  const adHash = c.ad && c.ad.length > 0 ? deps.crypto.sha256(c.ad) : EMPTY;
  const body = encodeCanonical([ENVELOPE_VERSION, SCHEME_CODE[c.scheme], fromHex(c.groupId), fromHex(c.sender), c.epoch, c.counter, nonce ?? EMPTY, deps.crypto.sha256(ciphertext), adHash]);
  return concatBytes(CONTEXT, body);
}

/** Signs and encodes an envelope. */
export function encodeEnvelope(deps: Deps, identity: IdentityKeyPair, c: EnvelopeContext, senderRef: Uint8Array, nonce: Uint8Array | undefined, ciphertext: Uint8Array): Uint8Array {
  const signature = signWithIdentity(deps, identity, signedBytes(deps, c, nonce, ciphertext));
  const fields: EnvelopeItem[] = [ENVELOPE_VERSION, senderRef, c.epoch, c.counter];
  if (nonce) fields.push(nonce);
  fields.push(ciphertext, signature);
  return encodeItems(fields);
}

function uint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `envelope.${field}: expected a non-negative integer`);
  return value;
}

function bytesField(value: unknown, field: string, lengths?: readonly number[]): Uint8Array {
  if (!(value instanceof Uint8Array) || (lengths && !lengths.includes(value.length))) {
    throw new DecodeError('DECODE_FIELD', `envelope.${field}: expected ${lengths ? lengths.join(' or ') + ' ' : ''}bytes`);
  }
  return value;
}

/**
 * Decodes an envelope of `scheme` (no signature check yet: the sender must be resolved first).
 * @throws DecodeError `DECODE_*` (size, canonical form, version, fields).
 */
export function decodeEnvelope(bytes: Uint8Array, scheme: GroupScheme): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('DECODE_MALFORMED', 'envelope: expected bytes');
  if (bytes.length > MAX_APPLICATION_BYTES) throw new DecodeError('DECODE_TOO_LARGE', `envelope: ${bytes.length} bytes exceeds ${MAX_APPLICATION_BYTES}`);
  const value = decodeItems(bytes, 8);
  const arity = scheme === 'data' ? 7 : 6;
  if (value.length !== arity) throw new DecodeError('DECODE_FIELD', `envelope: expected ${arity} fields for the ${scheme} scheme`);
  if (value[0] !== ENVELOPE_VERSION) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `envelope: version ${String(value[0])} is not supported`);
  const senderRef = bytesField(value[1], 'sender', [SENDER_TAG_LENGTH, 32]);
  const epoch = uint(value[2], 'epoch');
  const counter = uint(value[3], 'counter');
  const rest = value.slice(4);
  const nonce = scheme === 'data' ? bytesField(rest.shift(), 'nonce', [24]) : undefined;
  const ciphertext = bytesField(rest[0], 'ciphertext');
  const signature = bytesField(rest[1], 'signature', [64]);
  return { senderRef, epoch, counter, ciphertext, signature, ...(nonce ? { nonce } : {}) };
}

/**
 * Where an application message stands in its sender's sequence — its epoch
 * (the sender's control seq when it wrote it) and counter — read without
 * keys, so a transport can order a backlog before decrypting it. Unverified.
 * @throws DecodeError `DECODE_*` for a malformed envelope.
 */
export function applicationPosition(broadcast: Uint8Array, scheme: GroupScheme): { readonly epoch: number; readonly counter: number } {
  const envelope = decodeEnvelope(broadcast, scheme);
  return { epoch: envelope.epoch, counter: envelope.counter };
}

/** Whether `envelope` is signed by `sender` in this context. */
export function verifyEnvelope(deps: Deps, envelope: Envelope, c: EnvelopeContext): boolean {
  return verifyWithIdentity(deps, fromHex(c.sender), signedBytes(deps, c, envelope.nonce, envelope.ciphertext), envelope.signature);
}

/** Ids among `candidates` that `senderRef` may name (prefix match for a tag, exact for a full id). */
export function matchSender(senderRef: Uint8Array, candidates: readonly string[]): string[] {
  let hex = '';
  for (const b of senderRef) hex += b.toString(16).padStart(2, '0');
  return candidates.filter((id) => (senderRef.length === 32 ? id === hex : id.startsWith(hex)));
}

/** The reference a sender puts in its envelopes: its tag unless another known id shares it. */
export function senderRefFor(me: string, known: readonly string[]): Uint8Array {
  const tag = me.slice(0, 2 * SENDER_TAG_LENGTH);
  const clash = known.some((id) => id !== me && id.startsWith(tag));
  return fromHex(clash ? me : tag);
}
