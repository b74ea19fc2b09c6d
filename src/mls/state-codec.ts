/**
 * ts-mls `GroupState` and `EpochReceiverData` encoders that write exactly
 * the bytes of ts-mls's own `encodeGroupState` / `epochReceiverDataEncoder`
 * (test/mls/state-codec.test.ts compares them), at a fraction of the cost.
 *
 * Why: a commit stores the new epoch's state and the old epoch's receiver
 * data; with ts-mls's encoders that re-encodes two ratchet trees and two
 * secret trees per commit (a fifth of an add at n = 128). Here
 *
 * - a ratchet tree node is encoded once per node object: ts-mls copies the
 *   tree array on every change but keeps unchanged node objects, so a commit
 *   re-encodes only its path;
 * - a whole ratchet or secret tree is encoded once per array object: the
 *   old epoch's receiver data holds the very arrays of the state stored a
 *   commit earlier;
 * - a fresh secret tree node (no skipped generations) is written directly.
 *
 * The caches are `WeakMap`s keyed by object identity, which is sound because
 * ts-mls never mutates a state it returned (it copies arrays before changing
 * them, and zeroes secrets only before it returns), and groupcrypt never
 * mutates one either (mls-store.ts relies on the same for decoding). The
 * other fields go through ts-mls's own field encoders, in ts-mls's order.
 */
import type { ClientState, EpochReceiverData } from 'ts-mls';
import { groupActiveStateEncoder } from 'ts-mls/groupActiveState.js';
import { groupContextEncoder } from 'ts-mls/groupContext.js';
import { keyScheduleEncoder } from 'ts-mls/keySchedule.js';
import { privateKeyPathEncoder } from 'ts-mls/privateKeyPath.js';
import { nodeEncoder, stripBlankNodes, type Node, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { secretTreeNodeEncoder, type GenerationSecret, type SecretTree, type SecretTreeNode } from 'ts-mls/secretTree.js';
import { unappliedProposalsEncoder } from 'ts-mls/unappliedProposals.js';
import { contramapBufferEncoders, encode, type BufferEncoder } from 'ts-mls/codec/tlsEncoder.js';
import { bigintMapEncoder, lengthEncoder, varLenDataEncoder } from 'ts-mls/codec/variableLength.js';

/** Largest secret whose TLS length prefix is one byte (RFC 9000 varint, as ts-mls writes it). */
const ONE_BYTE_LENGTH_LIMIT = 64;
/** Encoded `optional<Node>` of a blank node. */
const BLANK_NODE = Uint8Array.of(0);

const ratchetTreeEncodings = new WeakMap<RatchetTree, Uint8Array>();
const ratchetNodeEncodings = new WeakMap<Node, Uint8Array>();
const secretTreeEncodings = new WeakMap<SecretTree, Uint8Array>();
const encodeNode = encode(nodeEncoder);
const encodeSecretTreeNode = encode(secretTreeNodeEncoder);

/** A BufferEncoder that writes bytes encoded beforehand. */
function written(bytes: Uint8Array): [number, (offset: number, buffer: ArrayBuffer) => void] {
  return [bytes.length, (offset, buffer) => { new Uint8Array(buffer).set(bytes, offset); }];
}

/** Element encodings framed as a TLS vector: varint byte length, then the elements (ts-mls `varLenTypeEncoder`). */
function vector(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const [headerLength, writeHeader] = lengthEncoder(total);
  const buffer = new ArrayBuffer(headerLength + total);
  writeHeader(0, buffer);
  const out = new Uint8Array(buffer);
  let offset = headerLength;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `optional<Node>` of one ratchet tree slot, encoded once per node object. */
function ratchetNodeBytes(node: Node | undefined): Uint8Array {
  if (!node) return BLANK_NODE;
  let bytes = ratchetNodeEncodings.get(node);
  if (bytes === undefined) {
    const inner = encodeNode(node);
    bytes = new Uint8Array(inner.length + 1);
    bytes[0] = 1;
    bytes.set(inner, 1);
    ratchetNodeEncodings.set(node, bytes);
  }
  return bytes;
}

/** The ratchet tree as ts-mls's `ratchetTreeEncoder` writes it (trailing blanks stripped). */
export function encodeRatchetTreeCached(tree: RatchetTree): Uint8Array {
  let bytes = ratchetTreeEncodings.get(tree);
  if (bytes === undefined) {
    bytes = vector(stripBlankNodes(tree).map(ratchetNodeBytes));
    ratchetTreeEncodings.set(tree, bytes);
  }
  return bytes;
}

function hasNoEntries(record: Record<number, Uint8Array>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}

/** True when `secret` is a one-byte-length secret with no skipped generations (every node of a fresh tree). */
function isFresh(secret: GenerationSecret): boolean {
  return secret.secret.length < ONE_BYTE_LENGTH_LIMIT && hasNoEntries(secret.unusedGenerations);
}

/** Writes a fresh GenerationSecret at `offset`: length byte, secret, uint32 generation, empty record; returns the end. */
function writeFreshSecret(view: DataView, out: Uint8Array, offset: number, secret: GenerationSecret): number {
  out[offset] = secret.secret.length;
  out.set(secret.secret, offset + 1);
  const end = offset + 1 + secret.secret.length;
  view.setUint32(end, secret.generation);
  out[end + 4] = 0;
  return end + 5;
}

/** One SecretTreeNode as ts-mls's `secretTreeNodeEncoder` writes it (handshake, then application). */
function secretNodeBytes(node: SecretTreeNode): Uint8Array {
  if (!isFresh(node.handshake) || !isFresh(node.application)) return encodeSecretTreeNode(node);
  const out = new Uint8Array(node.handshake.secret.length + node.application.secret.length + 12);
  const view = new DataView(out.buffer);
  writeFreshSecret(view, out, writeFreshSecret(view, out, 0, node.handshake), node.application);
  return out;
}

/** A tree of fresh nodes only (every tree right after a commit) written into one buffer; undefined when a node is not fresh. */
function freshSecretTreeBytes(tree: SecretTree): Uint8Array | undefined {
  let total = 0;
  for (const node of tree) {
    if (!isFresh(node.handshake) || !isFresh(node.application)) return undefined;
    total += node.handshake.secret.length + node.application.secret.length + 12;
  }
  const [headerLength, writeHeader] = lengthEncoder(total);
  const buffer = new ArrayBuffer(headerLength + total);
  writeHeader(0, buffer);
  const out = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let offset = headerLength;
  for (const node of tree) offset = writeFreshSecret(view, out, writeFreshSecret(view, out, offset, node.handshake), node.application);
  return out;
}

/** The secret tree as ts-mls's `secretTreeEncoder` writes it, encoded once per array object. */
export function encodeSecretTreeCached(tree: SecretTree): Uint8Array {
  let bytes = secretTreeEncodings.get(tree);
  if (bytes === undefined) {
    bytes = freshSecretTreeBytes(tree) ?? vector(tree.map(secretNodeBytes));
    secretTreeEncodings.set(tree, bytes);
  }
  return bytes;
}

const ratchetTreeField: BufferEncoder<RatchetTree> = (tree) => written(encodeRatchetTreeCached(tree));
const secretTreeField: BufferEncoder<SecretTree> = (tree) => written(encodeSecretTreeCached(tree));

/** ts-mls `epochReceiverDataEncoder`, with the cached trees. */
type EpochReceiverFields = [Uint8Array, SecretTree, RatchetTree, Uint8Array, EpochReceiverData['groupContext']];
const epochReceiverDataFields: BufferEncoder<EpochReceiverData> = contramapBufferEncoders<EpochReceiverFields, EpochReceiverData>(
  [varLenDataEncoder, secretTreeField, ratchetTreeField, varLenDataEncoder, groupContextEncoder],
  (erd: EpochReceiverData) => [erd.resumptionPsk, erd.secretTree, erd.ratchetTree, erd.senderDataSecret, erd.groupContext],
);

/** ts-mls `groupStateEncoder` (same fields, same order), with the cached trees. */
type GroupStateFields = [
  ClientState['groupContext'], ClientState['keySchedule'], SecretTree, RatchetTree, ClientState['privatePath'], Uint8Array, ClientState['unappliedProposals'],
  Uint8Array, ClientState['historicalReceiverData'], ClientState['groupActiveState'],
];
const groupStateFields: BufferEncoder<ClientState> = contramapBufferEncoders<GroupStateFields, ClientState>(
  [
    groupContextEncoder, keyScheduleEncoder, secretTreeField, ratchetTreeField, privateKeyPathEncoder, varLenDataEncoder, unappliedProposalsEncoder,
    varLenDataEncoder, bigintMapEncoder(epochReceiverDataFields), groupActiveStateEncoder,
  ],
  (state: ClientState) => [
    state.groupContext, state.keySchedule, state.secretTree, state.ratchetTree, state.privatePath, state.signaturePrivateKey,
    state.unappliedProposals, state.confirmationTag, state.historicalReceiverData, state.groupActiveState,
  ],
);

/** The bytes of ts-mls `encodeGroupState(state)`. */
export const encodeGroupStateFast: (state: ClientState) => Uint8Array = encode(groupStateFields);

/** The bytes of ts-mls `encode(epochReceiverDataEncoder)(data)`. */
export const encodeEpochReceiverDataFast: (data: EpochReceiverData) => Uint8Array = encode(epochReceiverDataFields);
