/**
 * Versioned, deterministic CBOR of a `GroupState` (STYLE.md §4): the DCGKA
 * state and the scheme state as nested encodings, plus the buffers.
 *
 *   { v: 1, scheme, dcgka, message | null, data | null,
 *     pendingControl: [[sender(32), seq, ackedSender(32) | null, ackedSeq | null, broadcast, direct | null]],
 *     pendingApplication: [[bytes, ad | null, sender(32) | null, epoch]] }
 */
import type { Deps } from '../crypto/index.js';
import { decodeVersionedRecord, encodeCanonical, fromHex, readArray, readBytes, readText, toHex } from '../crypto/index.js';
import { decodeDataState, encodeDataState } from '../data/index.js';
import { decodeDcgkaState, encodeDcgkaState } from '../dcgka/index.js';
import { DecodeError } from '../errors.js';
import { decodeMessageState, encodeMessageState } from '../message/index.js';
import { MAX_PENDING_APPLICATION, MAX_PENDING_CONTROL } from './limits.js';
import type { GroupScheme, GroupState, PendingApplication, PendingControl } from './types.js';

const VERSION = 1;
const KEYS = ['v', 'scheme', 'dcgka', 'message', 'data', 'pendingControl', 'pendingApplication'] as const;

/** Encodes a group state. */
export function encodeGroupState(state: GroupState): Uint8Array {
  return encodeCanonical({
    v: VERSION,
    scheme: state.scheme,
    dcgka: encodeDcgkaState(state.dcgka),
    message: state.message ? encodeMessageState(state.message) : null,
    data: state.data ? encodeDataState(state.data) : null,
    pendingControl: state.pendingControl.map((p) => [fromHex(p.sender), p.seq, p.acked ? fromHex(p.acked.sender) : null, p.acked ? p.acked.seq : null, p.broadcast, p.direct]),
    pendingApplication: state.pendingApplication.map((p) => [p.bytes, p.ad, p.sender ? fromHex(p.sender) : null, p.epoch]),
  });
}

function fail(field: string): never {
  throw new DecodeError('DECODE_FIELD', `group-state.${field}: malformed`);
}

function uint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field);
  return value;
}

function id(value: unknown, field: string): string {
  if (!(value instanceof Uint8Array) || value.length !== 32) fail(field);
  return toHex(value);
}

function optionalBytes(value: unknown, field: string): Uint8Array | null {
  if (value === null) return null;
  if (!(value instanceof Uint8Array)) fail(field);
  return value;
}

function decodePendingControl(value: unknown): PendingControl {
  if (!Array.isArray(value) || value.length !== 6 || !(value[4] instanceof Uint8Array)) fail('pendingControl');
  const acked = value[2] === null && value[3] === null ? null : { sender: id(value[2], 'pendingControl.acked'), seq: uint(value[3], 'pendingControl.acked') };
  return { sender: id(value[0], 'pendingControl.sender'), seq: uint(value[1], 'pendingControl.seq'), acked, broadcast: value[4], direct: optionalBytes(value[5], 'pendingControl.direct') };
}

function decodePendingApplication(value: unknown): PendingApplication {
  if (!Array.isArray(value) || value.length !== 4 || !(value[0] instanceof Uint8Array)) fail('pendingApplication');
  return { bytes: value[0], ad: optionalBytes(value[1], 'pendingApplication.ad'), sender: value[2] === null ? null : id(value[2], 'pendingApplication.sender'), epoch: uint(value[3], 'pendingApplication.epoch') };
}

/**
 * Decodes a group state (the data scheme recomputes secret ids with `deps`).
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for an unknown version, `DECODE_*` for damage.
 */
export function decodeGroupState(bytes: Uint8Array, deps: Deps): GroupState {
  const r = decodeVersionedRecord(bytes, 'group-state', VERSION, KEYS);
  const scheme = readText<GroupScheme>(r, 'scheme', 'group-state', ['data', 'message']);
  const message = r['message'] === null ? null : decodeMessageState(readBytes(r, 'message', 'group-state'));
  const data = r['data'] === null ? null : decodeDataState(readBytes(r, 'data', 'group-state'), deps);
  if ((scheme === 'message') !== (message !== null) || (scheme === 'data') !== (data !== null)) fail('scheme');
  return {
    v: 1, scheme,
    dcgka: decodeDcgkaState(readBytes(r, 'dcgka', 'group-state')),
    message, data,
    pendingControl: readArray(r, 'pendingControl', 'group-state', MAX_PENDING_CONTROL).map(decodePendingControl),
    pendingApplication: readArray(r, 'pendingApplication', 'group-state', MAX_PENDING_APPLICATION).map(decodePendingApplication),
  };
}
