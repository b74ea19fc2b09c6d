/**
 * Wire formats of the DCGKA layer (versioned, deterministic CBOR):
 *
 *   control  = [signed, signature]           signature: XEdDSA by the sender's identity key
 *   signed   = [3, group(32), sender(32), seq, type, manifest, ...fields]
 *   manifest = bytes: (recipient id[0..8] ‖ SHA-256(direct)[0..16]) per part, sorted
 *   direct   = 2SM ciphertext of kind(1) ‖ payload, with associated data
 *              "groupcrypt/dcgka/direct/3" ‖ group(32) ‖ seq(8, big-endian)
 *   v2 (still read): manifest = [[tag(8), digest(16)], ...]; direct = 2SM of CBOR [group(32), seq, kind, payload], no associated data
 *   v1 (still read): signed = [1, group, sender, seq, type, ...fields] (no manifest), direct with an 8-byte group tag
 *   v4 (acks and add-acks, issue 13):
 *     signed   = [4, senderRef, seq, code, ackedRef, ackedSeq, manifest?]
 *                code: 4 ack, 5 add-ack, 6 ack (rejoin), 7 ack (catch-up); manifest only when not empty
 *     signature over "groupcrypt/dcgka/control/v4" ‖ group(32) ‖ sender(32) ‖ ackedSender(32) ‖ signed
 *     refs: a 4-byte prefix of the id, or the full id (refs.ts)
 *
 * Version 3 (issue 13) only makes the bytes fewer: a direct part no longer
 * carries the group id and seq (33–40 bytes per part, n − 1 parts per
 * update) but binds them as AEAD associated data, which authenticates them
 * just as well (a part opened in another group or for another message fails
 * its tag), and the manifest is one byte string instead of n − 1 CBOR pairs.
 * The sender is bound by the 2SM session itself (both identity keys are in
 * its HPKE info). A member decodes all three versions; it sends version 3.
 *
 * Version 4 makes an ack about half as big (it is sent n − 1 times per
 * update): no group id, and the two member ids as short references resolved
 * in the receiving group state. The signature covers the full group id and
 * both full ids besides the wire bytes, so a reference can't redirect an ack
 * to another group, sender or acked message, and a relay can't re-encode one.
 * Reading one needs the group state (`decodeControl`'s resolver); the other
 * types stay version 3, self-contained (a joiner reads a create or add with
 * no state).
 *
 * The signature covers the canonical `signed` bytes prefixed with a context
 * string, so a control message can't be replayed into another protocol. The
 * manifest binds every direct part to the signed broadcast: whoever relays a
 * copy can neither strip a direct part (a recipient named in the manifest
 * without its part refuses the message, retryably, instead of taking the
 * loss as "none sent") nor swap in another one. The full group id and the
 * sender's seq inside every direct part bind it to one control message too.
 */
import { concatBytes, constantTimeEqual, decodeCanonical, encodeCanonical, fromHex, hexInto, toHex, toHexRange, uintToBytes, utf8 } from '../crypto/index.js';
import { DecodeError, StateError, VerifyError } from '../errors.js';
import type { Deps } from '../crypto/index.js';
import { signWithIdentity, verifyWithIdentity } from '../keys/index.js';
import type { IdentityKeyPair } from '../keys/index.js';
import { CONTROL_SIGNATURE_CONTEXT, CONTROL_V4_SIGNATURE_CONTEXT, MAX_CONTROL_BYTES, MAX_CREATE_MEMBERS, MAX_DIRECT_BYTES, MAX_MANIFEST_ENTRIES, MAX_REMOVE_NOTE_BYTES } from './limits.js';
import type { AckMode, ControlBody, ControlMessage, ManifestEntry, MemberId } from './types.js';
import { MEMBER_REF_LENGTH, memberRef } from './refs.js';
import type { MemberResolver } from './refs.js';

const WIRE_VERSION = 3;
const WIRE_V4 = 4;
const WIRE_V2 = 2;
const WIRE_V1 = 1;
/** Bytes of one manifest entry in version 3: recipient tag then digest. */
const MANIFEST_ENTRY_LENGTH = 24;
/** Bytes of SHA-256 kept per direct part in the manifest. */
const MANIFEST_DIGEST_LENGTH = 16;
/**
 * Bytes of the recipient's id in a manifest entry: a prefix names it among
 * the group's members (ids are hashes of keys; two members sharing 64 bits
 * would only make both entries apply to both, and the digest still decides).
 */
const MANIFEST_TAG_LENGTH = 8;
const TYPE_CODES = { create: 0, update: 1, remove: 2, add: 3, ack: 4, 'add-ack': 5 } as const;
const TYPE_NAMES = ['create', 'update', 'remove', 'add', 'ack', 'add-ack'] as const;
const SIGNATURE_PREFIX = utf8(CONTROL_SIGNATURE_CONTEXT);
const ACK_MODES: readonly AckMode[] = ['normal', 'rejoin', 'catch-up'];
const SIGNATURE_PREFIX_V4 = utf8(CONTROL_V4_SIGNATURE_CONTEXT);
/** Bytes of a group or member id (64 hex digits). */
const ID_BYTES = 32;
/** Version-4 type codes: the ack mode folded into the type (one byte less per ack). */
const V4_CODES = { normal: 4, 'add-ack': 5, rejoin: 6, 'catch-up': 7 } as const;
/** Most (sender, acked sender) pairs a version-4 message's references may leave to try against its signature. */
const MAX_REF_CANDIDATES = 16;

function bodyFields(body: ControlBody): unknown[] {
  switch (body.type) {
    case 'create': return [body.members.map(fromHex), body.commitment];
    case 'update': return [body.commitment];
    case 'remove': return body.note.length > 0 ? [fromHex(body.removed), body.commitment, body.note] : [fromHex(body.removed), body.commitment];
    case 'add': return [fromHex(body.added)];
    case 'ack': return [fromHex(body.ackedSender), body.ackedSeq, ACK_MODES.indexOf(body.mode)];
    case 'add-ack': return [fromHex(body.ackedSender), body.ackedSeq];
  }
}

/** The manifest entries of `direct` parts (sorted by recipient). */
export function manifestOf(deps: Deps, direct: readonly { readonly recipient: string; readonly bytes: Uint8Array }[]): ManifestEntry[] {
  return direct.map((d) => ({ recipient: d.recipient.slice(0, 2 * MANIFEST_TAG_LENGTH), digest: deps.crypto.sha256(d.bytes).subarray(0, MANIFEST_DIGEST_LENGTH) }))
    .sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
}

/** The wire version of a control message (v1 without a manifest; v3 unless decoded or built as v2 or v4). */
export function wireVersionOf(message: ControlMessage): 1 | 2 | 3 | 4 {
  if (message.manifest === null) return WIRE_V1;
  return message.version ?? WIRE_VERSION;
}

/** Canonical bytes that the sender signs (v3; v2 or v1 for a message decoded as such). */
export function encodeSignedPart(message: ControlMessage): Uint8Array {
  const head = [fromHex(message.groupId), fromHex(message.sender), message.seq, TYPE_CODES[message.body.type]];
  const version = wireVersionOf(message);
  if (message.manifest === null) return encodeCanonical([WIRE_V1, ...head, ...bodyFields(message.body)]);
  if (version === WIRE_V2) return encodeCanonical([WIRE_V2, ...head, message.manifest.map((e) => [fromHex(e.recipient), e.digest]), ...bodyFields(message.body)]);
  if (version === WIRE_V4) return encodeCanonical(v4Fields(message, message.manifest));
  return encodeCanonical([WIRE_VERSION, ...head, manifestBytes(message.manifest), ...bodyFields(message.body)]);
}

function manifestBytes(entries: readonly ManifestEntry[]): Uint8Array {
  const manifest = new Uint8Array(entries.length * MANIFEST_ENTRY_LENGTH);
  entries.forEach((e, i) => {
    manifest.set(fromHex(e.recipient), i * MANIFEST_ENTRY_LENGTH);
    manifest.set(e.digest, i * MANIFEST_ENTRY_LENGTH + MANIFEST_TAG_LENGTH);
  });
  return manifest;
}

/** The acked sender and seq of an ack or add-ack (the only types sent as version 4). */
function ackedOf(body: ControlBody): { readonly sender: MemberId; readonly seq: number; readonly code: number } {
  if (body.type === 'ack') return { sender: body.ackedSender, seq: body.ackedSeq, code: V4_CODES[body.mode] };
  if (body.type === 'add-ack') return { sender: body.ackedSender, seq: body.ackedSeq, code: V4_CODES['add-ack'] };
  throw new StateError('STATE_UNKNOWN_OPERATION', `control: a ${body.type} is not sent as version 4`);
}

function v4Fields(message: ControlMessage, manifest: readonly ManifestEntry[]): unknown[] {
  const refs = message.refs;
  if (refs === undefined) throw new StateError('STATE_UNKNOWN_OPERATION', 'control: a version-4 message needs its member references');
  const acked = ackedOf(message.body);
  const fields: unknown[] = [WIRE_V4, refs.sender, message.seq, acked.code, refs.acked, acked.seq];
  if (manifest.length > 0) fields.push(manifestBytes(manifest));
  return fields;
}

/** What a version-4 signature covers: the full group and member ids the references stand for, then the wire bytes. */
function v4SignatureInput(groupId: string, sender: MemberId, ackedSender: MemberId, signed: Uint8Array): Uint8Array {
  if (groupId.length !== 2 * ID_BYTES || sender.length !== 2 * ID_BYTES || ackedSender.length !== 2 * ID_BYTES) {
    return concatBytes(SIGNATURE_PREFIX_V4, fromHex(groupId), fromHex(sender), fromHex(ackedSender), signed);
  }
  // One array, the ids parsed into place (this runs for every ack a member reads: issue 13).
  const prefix = SIGNATURE_PREFIX_V4.length;
  const out = new Uint8Array(prefix + 3 * ID_BYTES + signed.length);
  out.set(SIGNATURE_PREFIX_V4, 0);
  hexInto(groupId, out, prefix);
  hexInto(sender, out, prefix + ID_BYTES);
  hexInto(ackedSender, out, prefix + 2 * ID_BYTES);
  out.set(signed, prefix + 3 * ID_BYTES);
  return out;
}

/** The sender's identity key inside a version-4 signature input (a view: no second parse of the id). */
function v4SignerKey(input: Uint8Array, sender: MemberId): Uint8Array {
  if (sender.length !== 2 * ID_BYTES) return fromHex(sender);
  const start = SIGNATURE_PREFIX_V4.length + ID_BYTES;
  return input.subarray(start, start + ID_BYTES);
}

/**
 * Whether `body` goes out as version 4 (short references): acks and add-acks,
 * which only members holding the group state read.
 */
export function isCompactType(body: ControlBody): boolean {
  return body.type === 'ack' || body.type === 'add-ack';
}

/** `message` as a version-4 message: its references chosen against the sender's own view (`resolver`). */
export function asVersion4(message: ControlMessage, resolver: MemberResolver): ControlMessage {
  const acked = ackedOf(message.body);
  return { ...message, version: WIRE_V4, refs: { sender: memberRef(resolver, message.sender), acked: memberRef(resolver, acked.sender) } };
}

/**
 * The direct part for `me` that a control message needs, checked against its manifest.
 * @returns the part to process (undefined: none was sent to me).
 * @throws DecodeError `DECODE_TOO_LARGE` over MAX_DIRECT_BYTES; StateError `STATE_MISSING_KEY` (transient) when the manifest names me and no part came;
 *   VerifyError `VERIFY_COMMITMENT` when the part is not the one the sender signed.
 */
export function checkedDirect(deps: Deps, message: ControlMessage, me: string, direct: Uint8Array | undefined): Uint8Array | undefined {
  if (direct !== undefined && direct.length > MAX_DIRECT_BYTES) throw new DecodeError('DECODE_TOO_LARGE', `direct: ${direct.length} bytes exceeds ${MAX_DIRECT_BYTES}`);
  if (message.manifest === null) return direct;
  const entries = message.manifest.filter((e) => me.startsWith(e.recipient));
  if (entries.length === 0) return undefined;
  if (direct === undefined) {
    throw new StateError('STATE_MISSING_KEY', `control ${message.sender.slice(0, 16)} seq ${message.seq}: its signed manifest names a direct part for me that did not come with it`);
  }
  const digest = deps.crypto.sha256(direct).subarray(0, MANIFEST_DIGEST_LENGTH);
  if (!entries.some((e) => constantTimeEqual(digest, e.digest))) {
    throw new VerifyError('VERIFY_COMMITMENT', `control ${message.sender.slice(0, 16)} seq ${message.seq}: the direct part is not the one its sender signed`);
  }
  return direct;
}

function decodeManifestBytes(value: unknown): ManifestEntry[] {
  if (!(value instanceof Uint8Array) || value.length % MANIFEST_ENTRY_LENGTH !== 0 || value.length / MANIFEST_ENTRY_LENGTH > MAX_MANIFEST_ENTRIES) {
    throw new DecodeError('DECODE_FIELD', `control.manifest: expected bytes of ${MANIFEST_ENTRY_LENGTH}-byte entries`);
  }
  const out: ManifestEntry[] = [];
  for (let at = 0; at < value.length; at += MANIFEST_ENTRY_LENGTH) {
    out.push({ recipient: toHexRange(value, at, at + MANIFEST_TAG_LENGTH), digest: value.slice(at + MANIFEST_TAG_LENGTH, at + MANIFEST_ENTRY_LENGTH) });
  }
  return sortedManifest(out);
}

function sortedManifest(out: ManifestEntry[]): ManifestEntry[] {
  for (let i = 1; i < out.length; i++) if ((out[i - 1] as ManifestEntry).recipient > (out[i] as ManifestEntry).recipient) throw new DecodeError('DECODE_FIELD', 'control.manifest: recipient tags must be sorted');
  return out;
}

function decodeManifest(value: unknown): ManifestEntry[] {
  if (!Array.isArray(value) || value.length > MAX_MANIFEST_ENTRIES) throw new DecodeError('DECODE_FIELD', 'control.manifest: expected a list');
  const out = value.map((e): ManifestEntry => {
    if (!Array.isArray(e) || e.length !== 2 || !(e[0] instanceof Uint8Array) || e[0].length !== MANIFEST_TAG_LENGTH || !(e[1] instanceof Uint8Array) || e[1].length !== MANIFEST_DIGEST_LENGTH) {
      throw new DecodeError('DECODE_FIELD', 'control.manifest: expected [recipient tag(8), digest(16)] entries');
    }
    return { recipient: toHex(e[0]), digest: e[1] };
  });
  return sortedManifest(out);
}

/** Signs and encodes a control message. */
export function encodeControl(message: ControlMessage, identity: IdentityKeyPair, deps: Deps): Uint8Array {
  const signed = encodeSignedPart(message);
  const input = wireVersionOf(message) === WIRE_V4
    ? v4SignatureInput(message.groupId, message.sender, ackedOf(message.body).sender, signed)
    : concatBytes(SIGNATURE_PREFIX, signed);
  const signature = signWithIdentity(deps, identity, input);
  return encodeCanonical([signed, signature]);
}

function memberId(value: unknown, field: string): string {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new DecodeError('DECODE_FIELD', `control.${field}: expected 32 bytes`);
  return toHex(value);
}

function commitmentOf(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new DecodeError('DECODE_FIELD', 'control.commitment: expected 32 bytes');
  return value;
}

function seqNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `control.${field}: expected a sequence number`);
  return value;
}

function expectFields(type: string, fields: readonly unknown[], count: number): void {
  if (fields.length !== count) throw new DecodeError('DECODE_FIELD', `control: ${type} takes ${count} fields, got ${fields.length}`);
}

function decodeBody(type: string, fields: readonly unknown[]): ControlBody {
  switch (type) {
    case 'create': {
      expectFields(type, fields, 2);
      const list = fields[0];
      if (!Array.isArray(list) || list.length > MAX_CREATE_MEMBERS) throw new DecodeError('DECODE_FIELD', 'control.members: expected a list');
      return { type, members: list.map((m, i) => memberId(m, `members[${i}]`)), commitment: commitmentOf(fields[1]) };
    }
    case 'update': expectFields(type, fields, 1); return { type, commitment: commitmentOf(fields[0]) };
    case 'remove': {
      // A note is optional (absent when empty, so a remove without one keeps its v1 bytes).
      if (fields.length === 3) {
        const note = fields[2];
        if (!(note instanceof Uint8Array) || note.length === 0 || note.length > MAX_REMOVE_NOTE_BYTES) throw new DecodeError('DECODE_FIELD', 'control.note: expected 1..256 bytes');
        return { type, removed: memberId(fields[0], 'removed'), commitment: commitmentOf(fields[1]), note };
      }
      expectFields(type, fields, 2);
      return { type, removed: memberId(fields[0], 'removed'), commitment: commitmentOf(fields[1]), note: new Uint8Array(0) };
    }
    case 'add': expectFields(type, fields, 1); return { type, added: memberId(fields[0], 'added') };
    case 'ack': {
      expectFields(type, fields, 3);
      const mode = typeof fields[2] === 'number' ? ACK_MODES[fields[2]] : undefined;
      if (mode === undefined) throw new DecodeError('DECODE_FIELD', 'control.mode: unknown ack mode');
      return { type, ackedSender: memberId(fields[0], 'ackedSender'), ackedSeq: seqNumber(fields[1], 'ackedSeq'), mode };
    }
    case 'add-ack': expectFields(type, fields, 2); return { type, ackedSender: memberId(fields[0], 'ackedSender'), ackedSeq: seqNumber(fields[1], 'ackedSeq') };
    default: throw new DecodeError('DECODE_FIELD', 'control: unknown type');
  }
}

/**
 * Decodes a control message and verifies its signature (before anything else
 * looks at it).
 * @param resolver the group state's ids (refs.ts `stateResolver`): needed for version 4.
 * @throws DecodeError `DECODE_*` on malformed bytes; VerifyError `VERIFY_SIGNATURE` on a bad signature;
 *   StateError `STATE_UNKNOWN_GROUP` for a version-4 message read without a group state,
 *   `STATE_UNKNOWN_MEMBER` when one of its references names no id the state knows (yet).
 */
export function decodeControl(bytes: Uint8Array, deps: Deps, resolver?: MemberResolver): ControlMessage {
  const outer = decodeCanonical(bytes, 'control', MAX_CONTROL_BYTES);
  if (!Array.isArray(outer) || outer.length !== 2 || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array) || outer[1].length !== 64) {
    throw new DecodeError('DECODE_FIELD', 'control: expected [signed, signature(64)]');
  }
  const signed = outer[0];
  const signature = outer[1];
  const inner = decodeCanonical(signed, 'control.signed', MAX_CONTROL_BYTES);
  if (!Array.isArray(inner) || inner.length < 5) throw new DecodeError('DECODE_FIELD', 'control.signed: expected an array of at least 5 fields');
  const version = inner[0];
  if (version === WIRE_V4) return decodeV4(inner, signed, signature, deps, resolver);
  if (version !== WIRE_VERSION && version !== WIRE_V2 && version !== WIRE_V1) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `control: version ${String(version)} is not supported`);
  const v1 = version === WIRE_V1;
  const groupId = memberId(inner[1], 'group');
  const sender = memberId(inner[2], 'sender');
  const seq = seqNumber(inner[3], 'seq');
  const typeCode = inner[4];
  const type = typeof typeCode === 'number' ? TYPE_NAMES[typeCode] : undefined;
  if (type === undefined) throw new DecodeError('DECODE_FIELD', 'control.type: unknown');
  if (!v1 && inner.length < 6) throw new DecodeError('DECODE_FIELD', 'control.signed: expected a manifest');
  const manifest = v1 ? null : version === WIRE_V2 ? decodeManifest(inner[5]) : decodeManifestBytes(inner[5]);
  const body = decodeBody(type, inner.slice(v1 ? 5 : 6));
  if (!verifyWithIdentity(deps, inner[2] as Uint8Array, concatBytes(SIGNATURE_PREFIX, signed), signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `control: bad signature from ${sender.slice(0, 16)} seq ${seq}`);
  }
  return { groupId, sender, seq, body, manifest, ...(version === WIRE_V2 ? { version } : {}) };
}

const V4_BODY: Readonly<Record<number, (acked: { sender: MemberId; seq: number }) => ControlBody>> = {
  [V4_CODES.normal]: (a) => ({ type: 'ack', ackedSender: a.sender, ackedSeq: a.seq, mode: 'normal' }),
  [V4_CODES.rejoin]: (a) => ({ type: 'ack', ackedSender: a.sender, ackedSeq: a.seq, mode: 'rejoin' }),
  [V4_CODES['catch-up']]: (a) => ({ type: 'ack', ackedSender: a.sender, ackedSeq: a.seq, mode: 'catch-up' }),
  [V4_CODES['add-ack']]: (a) => ({ type: 'add-ack', ackedSender: a.sender, ackedSeq: a.seq }),
};

function memberRefField(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || (value.length !== MEMBER_REF_LENGTH && value.length !== 32)) {
    throw new DecodeError('DECODE_FIELD', `control.${field}: expected a ${MEMBER_REF_LENGTH}- or 32-byte member reference`);
  }
  return value;
}

function resolveRef(resolver: MemberResolver, ref: Uint8Array, field: string): readonly MemberId[] {
  const found = resolver.candidates(toHex(ref));
  if (found.length === 0) throw new StateError('STATE_UNKNOWN_MEMBER', `control.${field}: ${toHex(ref)} names no member known here (yet)`);
  return found;
}

/** A version-4 message: fields, then the references resolved and tried against the signature. */
function decodeV4(inner: readonly unknown[], signed: Uint8Array, signature: Uint8Array, deps: Deps, resolver: MemberResolver | undefined): ControlMessage {
  if (inner.length !== 6 && inner.length !== 7) throw new DecodeError('DECODE_FIELD', 'control.signed: a version-4 message has 6 or 7 fields');
  const senderRef = memberRefField(inner[1], 'sender');
  const seq = seqNumber(inner[2], 'seq');
  const makeBody = typeof inner[3] === 'number' ? V4_BODY[inner[3]] : undefined;
  if (makeBody === undefined) throw new DecodeError('DECODE_FIELD', 'control.type: unknown version-4 type');
  const ackedRef = memberRefField(inner[4], 'ackedSender');
  const ackedSeq = seqNumber(inner[5], 'ackedSeq');
  const manifest = inner.length === 7 ? decodeManifestBytes(inner[6]) : [];
  if (inner.length === 7 && manifest.length === 0) throw new DecodeError('DECODE_FIELD', 'control.manifest: an empty manifest is left out');
  if (resolver === undefined) throw new StateError('STATE_UNKNOWN_GROUP', 'control: a version-4 message is read against the group state it belongs to');
  const senders = resolveRef(resolver, senderRef, 'sender');
  const ackedSenders = resolveRef(resolver, ackedRef, 'ackedSender');
  if (senders.length * ackedSenders.length > MAX_REF_CANDIDATES) throw new DecodeError('DECODE_FIELD', 'control: member references too ambiguous to check');
  for (const sender of senders) {
    for (const ackedSender of ackedSenders) {
      const input = v4SignatureInput(resolver.groupId, sender, ackedSender, signed);
      if (!verifyWithIdentity(deps, v4SignerKey(input, sender), input, signature)) continue;
      return {
        groupId: resolver.groupId, sender, seq, body: makeBody({ sender: ackedSender, seq: ackedSeq }), manifest,
        version: WIRE_V4, refs: { sender: senderRef, acked: ackedRef },
      };
    }
  }
  throw new VerifyError('VERIFY_SIGNATURE', `control: bad signature on a version-4 message from ${toHex(senderRef)} seq ${seq}`);
}

/** The op id of `(sender, seq)`. */
export function opIdOf(sender: string, seq: number): string {
  return `${sender}:${seq}`;
}

/** Kinds of direct payload. */
export type DirectKind = 'seed' | 'forward' | 'chain' | 'welcome' | 'refresh';
/** `refresh`: an empty 2SM message whose only job is to carry my fresh 2SM key (see draft.ts `emitRefreshes`). */
export const DIRECT_KINDS: readonly DirectKind[] = ['seed', 'forward', 'chain', 'welcome', 'refresh'];

/**
 * Length of the group tag in a version-1 direct part (still read). Group ids
 * may be chosen by the caller, so a creator could collide an 8-byte prefix:
 * version 2 binds the full id (and the manifest binds the part itself).
 */
const GROUP_TAG_V1_LENGTH = 8;

/** Plaintext of a direct part: binds the payload to one control message of one group. */
export function encodeDirectPlaintext(groupId: string, seq: number, kind: DirectKind, payload: Uint8Array): Uint8Array {
  return encodeCanonical([fromHex(groupId), seq, DIRECT_KINDS.indexOf(kind), payload]);
}

/**
 * Decodes a direct plaintext and checks it belongs to `(groupId, seq)` and is of `kind`.
 * @throws DecodeError on malformed bytes; VerifyError `VERIFY_GROUP` on a binding mismatch.
 */
export function decodeDirectPlaintext(bytes: Uint8Array, groupId: string, seq: number, kind: DirectKind): Uint8Array {
  const value = decodeCanonical(bytes, 'direct', Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(value) || value.length !== 4 || !(value[0] instanceof Uint8Array) || !(value[3] instanceof Uint8Array)) {
    throw new DecodeError('DECODE_FIELD', 'direct: expected [group, seq, kind, payload]');
  }
  const tag = toHex(value[0]);
  const sameGroup = value[0].length === 32 ? tag === groupId : value[0].length === GROUP_TAG_V1_LENGTH && tag === groupId.slice(0, 2 * GROUP_TAG_V1_LENGTH);
  if (!sameGroup || value[1] !== seq || value[2] !== DIRECT_KINDS.indexOf(kind)) {
    throw new VerifyError('VERIFY_GROUP', `direct: part does not belong to this ${kind} message`);
  }
  return value[3];
}

const DIRECT_AD_LABEL = utf8('groupcrypt/dcgka/direct/3');

/** The 2SM associated data of a version-3 direct part: binds it to one control message of one group. */
export function directAssociatedData(groupId: string, seq: number): Uint8Array {
  return concatBytes(DIRECT_AD_LABEL, fromHex(groupId), uintToBytes(seq, 8));
}

/** Plaintext of a version-3 direct part: the kind, then the payload (group and seq are in the associated data). */
export function encodeDirectPart(kind: DirectKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = DIRECT_KINDS.indexOf(kind);
  out.set(payload, 1);
  return out;
}

/**
 * The kind and payload of a version-3 direct plaintext (opened with `directAssociatedData`).
 * @throws DecodeError `DECODE_FIELD` on an empty plaintext or an unknown kind.
 */
export function decodeDirectPart(bytes: Uint8Array): { readonly kind: DirectKind; readonly payload: Uint8Array } {
  const kind = bytes.length > 0 ? DIRECT_KINDS[bytes[0] as number] : undefined;
  if (kind === undefined) throw new DecodeError('DECODE_FIELD', 'direct: expected a known kind byte before the payload');
  return { kind, payload: bytes.subarray(1) };
}
