/**
 * The application wire envelope (versioned, compact, deterministic CBOR):
 *
 *   v2 message scheme: [2, senderRef, epoch, counter, lamport, ciphertext, signature]
 *   v2 data scheme:    [2, senderRef, epoch, counter, lamport, nonce(24), ciphertext, signature]
 *   v1 (still read):   the same without `lamport` (read as lamport 0)
 *   v3 (data scheme):  the v2 layout, its plaintext a bundle of group secrets shared with
 *                      members added concurrently with an update (see `share.ts`), never shown as data
 *   v4 (data scheme):  the v2 layout, its plaintext a request for group secrets the sender lacks
 *                      (CBOR [[member(32), epoch], …]; see `share.ts`), never shown as data
 *
 * `lamport` is the message's causal context: one more than the highest
 * Lamport time of every application message the sender had delivered or sent
 * before (see `order.ts`). It costs 1–3 bytes.
 *
 * `senderRef` is a 4-byte prefix of the sender's id (resolved among known
 * members, each candidate checked by its signature) or the full 32-byte id
 * when the prefix is ambiguous. The group id is not sent: it is implied by
 * the receiving group and bound into both the signature and the AEAD AD.
 *
 * The signature (XEdDSA, sender's identity key) covers
 *   context ‖ CBOR[2, scheme, group, sender, epoch, counter, lamport, nonce, SHA-256(ciphertext), SHA-256(ad)]
 * (v1: without lamport); SHA-256 of those signed bytes is the message id.
 * so no other member — who knows the sender's symmetric keys — can alter the
 * content or the AD of a message and still claim it came from the sender.
 */
import type { Deps } from '../crypto/index.js';
import { fromHex, toHex, utf8 } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { signWithIdentity, verifyWithIdentity } from '../keys/index.js';
import { decodeItems, encodeItems } from './envelope-cbor.js';
import { isLabelledBundle, openWireBundle } from './wire.js';
import type { EnvelopeItem } from './envelope-cbor.js';
import type { IdentityKeyPair } from '../keys/index.js';
import { APPLICATION_SIGNATURE_CONTEXT, ENVELOPE_VERSION, MAX_APPLICATION_BYTES, SENDER_TAG_LENGTH } from './limits.js';

/** The first envelope version (no causal context); still decoded. */
const ENVELOPE_V1 = 1;
/** The version of an envelope that carries group secrets (data scheme), not application data. */
export const SECRETS_ENVELOPE_VERSION = 3;
/** The version of an envelope that asks for group secrets (data scheme), not application data. */
export const REQUEST_ENVELOPE_VERSION = 4;
import type { GroupScheme } from './types.js';

const CONTEXT = utf8(APPLICATION_SIGNATURE_CONTEXT);
const EMPTY = new Uint8Array(0);
const SCHEME_CODE: Readonly<Record<GroupScheme, number>> = { message: 0, data: 1 };

/** The fields of an application envelope. */
export interface Envelope {
  /** 1 (no causal context) or 2. */
  readonly version: number;
  readonly senderRef: Uint8Array;
  readonly epoch: number;
  readonly counter: number;
  /** Lamport time (causal context); 0 for a v1 envelope. */
  readonly lamport: number;
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

/** What the signature covers besides the context: version, lamport, nonce and ciphertext. */
export interface SignedFields {
  readonly version: number;
  readonly lamport: number;
  readonly nonce?: Uint8Array | undefined;
  readonly ciphertext: Uint8Array;
}

/**
 * Hex ids as bytes, memoised: every message binds the group id and its
 * sender id, and parsing the same hex per message showed in profiles. The
 * arrays are only ever read (copied into encodings), never handed out.
 */
const ID_BYTES = new Map<string, Uint8Array>();
const ID_BYTES_LIMIT = 4096;

function idBytes(hex: string): Uint8Array {
  let bytes = ID_BYTES.get(hex);
  if (bytes === undefined) {
    bytes = fromHex(hex);
    if (ID_BYTES.size >= ID_BYTES_LIMIT) ID_BYTES.clear();
    ID_BYTES.set(hex, bytes);
  }
  return bytes;
}

/** AEAD associated data: scheme, group, sender, epoch, counter and the application's AD. */
export function aeadData(c: EnvelopeContext): Uint8Array {
  // encodeItems writes the same canonical CBOR as encodeCanonical for integers and byte strings (tested), without a generic encoder per message.
  return encodeItems([SCHEME_CODE[c.scheme], idBytes(c.groupId), idBytes(c.sender), c.epoch, c.counter, c.ad ?? EMPTY]);
}

/**
 * The bytes a sender signs (their SHA-256 is the message id).
 * @param ciphertextDigest SHA-256 of `f.ciphertext` when the caller already has it (one hash pass over a large ciphertext per side).
 */
export function signedBytes(deps: Deps, c: EnvelopeContext, f: SignedFields, ciphertextDigest?: Uint8Array): Uint8Array {
  const adHash = c.ad && c.ad.length > 0 ? deps.crypto.sha256(c.ad) : EMPTY;
  const items: EnvelopeItem[] = [f.version, SCHEME_CODE[c.scheme], idBytes(c.groupId), idBytes(c.sender), c.epoch, c.counter];
  if (f.version !== ENVELOPE_V1) items.push(f.lamport);
  items.push(f.nonce ?? EMPTY, ciphertextDigest ?? deps.crypto.sha256(f.ciphertext), adHash);
  return encodeItems(items, CONTEXT);
}

/** Signs and encodes a current-version envelope; returns it with its message id (hex). */
export function encodeEnvelope(deps: Deps, identity: IdentityKeyPair, c: EnvelopeContext, senderRef: Uint8Array, sealed: { readonly lamport: number; readonly nonce: Uint8Array | undefined; readonly ciphertext: Uint8Array }, version: number = ENVELOPE_VERSION): { readonly bytes: Uint8Array; readonly id: string } {
  const signed = signedBytes(deps, c, { version, ...sealed });
  const signature = signWithIdentity(deps, identity, signed);
  const fields: EnvelopeItem[] = [version, senderRef, c.epoch, c.counter, sealed.lamport];
  if (sealed.nonce) fields.push(sealed.nonce);
  fields.push(sealed.ciphertext, signature);
  return { bytes: encodeItems(fields), id: toHex(deps.crypto.sha256(signed)) };
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
  const version = value[0];
  const known = version === ENVELOPE_VERSION || version === ENVELOPE_V1 || ((version === SECRETS_ENVELOPE_VERSION || version === REQUEST_ENVELOPE_VERSION) && scheme === 'data');
  if (!known) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `envelope: version ${String(version)} is not supported`);
  const arity = (scheme === 'data' ? 7 : 6) + (version === ENVELOPE_V1 ? 0 : 1);
  if (value.length !== arity) throw new DecodeError('DECODE_FIELD', `envelope: expected ${arity} fields for the ${scheme} scheme`);
  const senderRef = bytesField(value[1], 'sender', [SENDER_TAG_LENGTH, 32]);
  const epoch = uint(value[2], 'epoch');
  const counter = uint(value[3], 'counter');
  const rest = value.slice(4);
  const lamport = version === ENVELOPE_V1 ? 0 : uint(rest.shift(), 'lamport');
  const nonce = scheme === 'data' ? bytesField(rest.shift(), 'nonce', [24]) : undefined;
  const ciphertext = bytesField(rest[0], 'ciphertext');
  const signature = bytesField(rest[1], 'signature', [64]);
  return { version, senderRef, epoch, counter, lamport, ciphertext, signature, ...(nonce ? { nonce } : {}) };
}

/**
 * Where an application message stands in its sender's sequence — its epoch
 * (the sender's control seq when it wrote it) and counter — read without
 * keys, so a transport can order a backlog before decrypting it. Unverified.
 * @param broadcast the envelope, or a wire bundle carrying it (`encodeWireBundle`).
 * @throws DecodeError `DECODE_*` for a malformed envelope.
 */
export function applicationPosition(broadcast: Uint8Array, scheme: GroupScheme): { readonly epoch: number; readonly counter: number; readonly lamport: number } {
  const envelope = decodeEnvelope(isLabelledBundle(broadcast) ? openWireBundle(broadcast, '').broadcast : broadcast, scheme);
  return { epoch: envelope.epoch, counter: envelope.counter, lamport: envelope.lamport };
}

/**
 * The message id (hex SHA-256 of the signed bytes) when `envelope` is signed by `c.sender`, else null.
 * @param ciphertextDigest SHA-256 of the envelope's ciphertext, when the caller already computed it (several candidate senders).
 */
export function verifyEnvelope(deps: Deps, envelope: Envelope, c: EnvelopeContext, ciphertextDigest?: Uint8Array): string | null {
  const signed = signedBytes(deps, c, envelope, ciphertextDigest);
  return verifyWithIdentity(deps, idBytes(c.sender), signed, envelope.signature) ? toHex(deps.crypto.sha256(signed)) : null;
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
