/**
 * Versioned, deterministic CBOR of a `GroupState` (STYLE.md §4): the DCGKA
 * state, the scheme state and the control orderer as nested encodings, plus
 * the buffers. `pendingControl` is a derived view and is not encoded.
 *
 *   v5: v4 with `rejoins` as an id table too (removal-table.ts): [ids: [id(32)], records: [[member, adder, addSeq, seq]]].
 *   v4 (read only): v3 with `removals` as an id table (removal-table.ts): [ids: [id(32)], records: [[remover, seq, member, [epoch, counter] | null, until?]]].
 *   v3 (read only): { v: 3, scheme, dcgka, message | null, data | null, orderer,
 *         directs: [[sender(32), seq, bytes]] (sorted by sender, seq),
 *         pendingApplication: [[bytes, ad | null, sender(32) | null, epoch]],
 *         strangers: [[bytes, direct | null, ad | null, sender(32) | null, at]],
 *         lamport, heard: [[sender(32), epoch, counter]] (sorted), removals: [[op, member(32), [epoch, counter] | null, until?]],
 *         rejoins: [[member(32), add op, seq]] }
 *   v2 (read only): v3 without strangers, lamport, heard, removals, rejoins (read as 0 and empty;
 *         its application messages of unknown senders (sender null) become strangers).
 *   v1 (read only): { v: 1, ..., pendingControl: [[sender(32), seq, ackedSender | null, ackedSeq | null, broadcast, direct | null]],
 *         pendingApplication } — its buffered control messages move into a fresh orderer.
 */
import type { Deps } from '../crypto/index.js';
import { asRecord, checkVersion, decodeCanonical, encodeCanonical, fromHex, readArray, readBytes, readText, readUint, toHex } from '../crypto/index.js';
import type { CborRecord } from '../crypto/index.js';
import { decodeDataState, encodeDataState } from '../data/index.js';
import { decodeDcgkaState, encodeDcgkaState } from '../dcgka/index.js';
import type { DcgkaState } from '../dcgka/index.js';
import { DecodeError, isGroupCryptError } from '../errors.js';
import { decodeMessageState, encodeMessageState } from '../message/index.js';
import { createOrderer, decodeOrderer, encodeOrderer, enqueue } from '../ordering/index.js';
import type { OrdererState } from '../ordering/index.js';
import { MAX_PENDING_APPLICATION, MAX_PENDING_APPLICATION_BYTES, MAX_PENDING_CONTROL, MAX_STRANGERS, MAX_STRANGER_BYTES } from './limits.js';
import { MAX_REMOVAL_RECORDS, decodeRejoinRecord, decodeRemovalRecord, reopenFromRejoins } from './removal.js';
import { decodeRejoinTable, decodeRemovalTable, encodeRejoinTable, encodeRemovalTable } from './removal-table.js';
import type { GroupScheme, GroupState, PendingApplication, Position, StrangerMessage } from './types.js';
import { directKey, makeState } from './work.js';

const VERSION = 5;
const KEYS_V2 = ['v', 'scheme', 'dcgka', 'message', 'data', 'orderer', 'directs', 'pendingApplication'] as const;
const KEYS_V3 = [...KEYS_V2, 'strangers', 'lamport', 'heard', 'removals', 'rejoins'] as const;
const KEYS_V1 = ['v', 'scheme', 'dcgka', 'message', 'data', 'pendingControl', 'pendingApplication'] as const;

/** Direct parts as [sender(32), seq, bytes], sorted by sender then seq. */
function directEntries(directs: Readonly<Record<string, Uint8Array>>): [Uint8Array, number, Uint8Array][] {
  const keys = Object.keys(directs).map((key) => {
    const at = key.lastIndexOf(':');
    return { key, sender: key.slice(0, at), seq: Number(key.slice(at + 1)) };
  });
  keys.sort((a, b) => (a.sender !== b.sender ? (a.sender < b.sender ? -1 : 1) : a.seq - b.seq));
  return keys.map((k) => [fromHex(k.sender), k.seq, directs[k.key] as Uint8Array]);
}

/** Encodes a group state. */
export function encodeGroupState(state: GroupState): Uint8Array {
  return encodeCanonical({
    v: VERSION,
    scheme: state.scheme,
    dcgka: encodeDcgkaState(state.dcgka),
    message: state.message ? encodeMessageState(state.message) : null,
    data: state.data ? encodeDataState(state.data) : null,
    orderer: encodeOrderer(state.orderer),
    directs: directEntries(state.directs),
    pendingApplication: state.pendingApplication.map((p) => [p.bytes, p.ad, fromHex(p.sender), p.epoch]),
    strangers: state.strangers.map((m) => [m.bytes, m.direct, m.ad, m.sender === null ? null : fromHex(m.sender), m.at]),
    lamport: state.lamport,
    heard: Object.keys(state.heard).sort().map((id) => [fromHex(id), state.heard[id]?.epoch, state.heard[id]?.counter]),
    removals: encodeRemovalTable(state.removals),
    rejoins: encodeRejoinTable(state.rejoins),
  });
}

function decodeHeard(r: CborRecord): Record<string, Position> {
  const out: Record<string, Position> = {};
  let previous = '';
  for (const value of readArray(r, 'heard', 'group-state', MAX_REMOVAL_RECORDS)) {
    if (!Array.isArray(value) || value.length !== 3) fail('heard');
    const sender = id(value[0], 'heard.sender');
    if (sender <= previous) fail('heard (order)');
    previous = sender;
    Object.defineProperty(out, sender, { value: { epoch: uint(value[1], 'heard.epoch'), counter: uint(value[2], 'heard.counter') }, enumerable: true, writable: true, configurable: true });
  }
  return out;
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

/** A buffered application message; a v2 one of an unknown sender (null) is returned as null. */
function decodePendingApplication(value: unknown, allowUnknown: boolean): PendingApplication | { bytes: Uint8Array; ad: Uint8Array | null; sender: null } {
  if (!Array.isArray(value) || value.length !== 4 || !(value[0] instanceof Uint8Array)) fail('pendingApplication');
  const ad = optionalBytes(value[1], 'pendingApplication.ad');
  if (value[2] === null && allowUnknown) return { bytes: value[0], ad, sender: null };
  return { bytes: value[0], ad, sender: id(value[2], 'pendingApplication.sender'), epoch: uint(value[3], 'pendingApplication.epoch') };
}

function decodeStranger(value: unknown): StrangerMessage {
  if (!Array.isArray(value) || value.length !== 5 || !(value[0] instanceof Uint8Array)) fail('strangers');
  return {
    bytes: value[0], direct: optionalBytes(value[1], 'strangers.direct'), ad: optionalBytes(value[2], 'strangers.ad'),
    sender: value[3] === null ? null : id(value[3], 'strangers.sender'), at: uint(value[4], 'strangers.at'),
  };
}

function sizeOf(m: { bytes: Uint8Array; direct?: Uint8Array | null; ad: Uint8Array | null }): number {
  return m.bytes.length + (m.direct?.length ?? 0) + (m.ad?.length ?? 0);
}

/** Direct parts, each belonging to a buffered control message, in canonical order. */
function decodeDirects(r: CborRecord, orderer: OrdererState): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  let previous = '';
  for (const value of readArray(r, 'directs', 'group-state', MAX_PENDING_CONTROL)) {
    if (!Array.isArray(value) || value.length !== 3 || !(value[2] instanceof Uint8Array)) fail('directs');
    const sender = id(value[0], 'directs.sender');
    const seq = uint(value[1], 'directs.seq');
    const order = `${sender}:${String(seq).padStart(16, '0')}`;
    if (order <= previous) fail('directs (order)');
    previous = order;
    if (!orderer.pending.some((m) => m.sender === sender && m.seq === seq)) fail('directs (no such buffered message)');
    Object.defineProperty(out, directKey(sender, seq), { value: value[2], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A v1 buffer of control messages, moved into a fresh orderer that starts at DCGKA's clock. */
function upgradeV1(r: CborRecord, dcgka: DcgkaState, deps: Deps): { orderer: OrdererState; directs: Record<string, Uint8Array> } {
  let orderer = createOrderer({ start: dcgka.clock.toRecord(), maxPending: MAX_PENDING_CONTROL });
  const directs: Record<string, Uint8Array> = {};
  for (const value of readArray(r, 'pendingControl', 'group-state', MAX_PENDING_CONTROL)) {
    if (!Array.isArray(value) || value.length !== 6 || !(value[4] instanceof Uint8Array)) fail('pendingControl');
    const sender = id(value[0], 'pendingControl.sender');
    const seq = uint(value[1], 'pendingControl.seq');
    const deps1 = value[2] === null && value[3] === null ? [] : [{ sender: id(value[2], 'pendingControl.acked'), seq: uint(value[3], 'pendingControl.acked') }];
    const direct = optionalBytes(value[5], 'pendingControl.direct');
    try {
      orderer = enqueue(orderer, { sender, seq, deps: deps1, digest: deps.crypto.sha256(value[4]), payload: value[4] }).state;
    } catch (error) {
      if (isGroupCryptError(error)) fail('pendingControl');
      throw error;
    }
    if (direct && orderer.pending.some((m) => m.sender === sender && m.seq === seq)) directs[directKey(sender, seq)] = direct;
  }
  return { orderer, directs };
}

/**
 * Decodes a group state (the data scheme recomputes secret ids with `deps`).
 * Reads the current version 5 and the earlier versions 4, 3, 2 and 1.
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for an unknown version, `DECODE_*` for damage.
 */
export function decodeGroupState(bytes: Uint8Array, deps: Deps): GroupState {
  const top = asRecord(decodeCanonical(bytes, 'group-state'), 'group-state');
  const v1 = top['v'] === 1;
  const v2 = top['v'] === 2;
  // v3 wrote removal records one list entry each, v4 as an id table; v5 writes rejoin records as one too.
  const listedRecords = top['v'] === 3;
  const listedRejoins = listedRecords || top['v'] === 4;
  if (!v1 && !v2 && !listedRejoins) checkVersion(top, 'group-state', VERSION);
  const r = asRecord(top, 'group-state', v1 ? KEYS_V1 : v2 ? KEYS_V2 : KEYS_V3);
  const scheme = readText<GroupScheme>(r, 'scheme', 'group-state', ['data', 'message']);
  const message = r['message'] === null ? null : decodeMessageState(readBytes(r, 'message', 'group-state'));
  const data = r['data'] === null ? null : decodeDataState(readBytes(r, 'data', 'group-state'), deps);
  if ((scheme === 'message') !== (message !== null) || (scheme === 'data') !== (data !== null)) fail('scheme');
  const dcgka = decodeDcgkaState(readBytes(r, 'dcgka', 'group-state'));
  let control: { orderer: OrdererState; directs: Record<string, Uint8Array> };
  if (v1) {
    control = upgradeV1(r, dcgka, deps);
  } else {
    const orderer = decodeOrderer(readBytes(r, 'orderer', 'group-state'));
    for (const [sender, seq] of dcgka.clock) if ((Object.hasOwn(orderer.next, sender) ? orderer.next[sender] : 0) !== seq) fail('orderer (not at the DCGKA clock)');
    if (Object.keys(orderer.next).some((sender) => !dcgka.clock.has(sender))) fail('orderer (a sender the DCGKA clock lacks)');
    control = { orderer, directs: decodeDirects(r, orderer) };
  }
  // Versions 3 and 4 have the strangers, lamport, heard and record fields.
  const sinceV3 = !v1 && !v2;
  const pendingApplication: PendingApplication[] = [];
  const strangers: StrangerMessage[] = sinceV3 ? readArray(r, 'strangers', 'group-state', MAX_STRANGERS).map(decodeStranger) : [];
  for (const value of readArray(r, 'pendingApplication', 'group-state', MAX_PENDING_APPLICATION)) {
    const p = decodePendingApplication(value, !sinceV3);
    if (p.sender !== null) pendingApplication.push(p);
    else if (strangers.length < MAX_STRANGERS) strangers.push({ bytes: p.bytes, direct: null, ad: p.ad, sender: null, at: 0 });
  }
  if (sinceV3 && pendingApplication.reduce((n, p) => n + sizeOf(p), 0) > MAX_PENDING_APPLICATION_BYTES) fail('pendingApplication (bytes)');
  if (sinceV3 && strangers.reduce((n, m) => n + sizeOf(m), 0) > MAX_STRANGER_BYTES) fail('strangers (bytes)');
  const rejoins = !sinceV3 ? []
    : listedRejoins ? readArray(r, 'rejoins', 'group-state', MAX_REMOVAL_RECORDS).map((x, i) => decodeRejoinRecord(x, `group-state.rejoins[${i}]`))
    : decodeRejoinTable(r['rejoins'], 'group-state.rejoins', MAX_REMOVAL_RECORDS);
  const decodedRemovals = !sinceV3 ? []
    : listedRecords ? readArray(r, 'removals', 'group-state', MAX_REMOVAL_RECORDS).map((x, i) => decodeRemovalRecord(x, `group-state.removals[${i}]`))
    : decodeRemovalTable(r['removals'], 'group-state.removals', MAX_REMOVAL_RECORDS);
  return makeState({
    scheme, dcgka, message, data, ...control,
    pendingApplication, strangers,
    lamport: sinceV3 ? readUint(r, 'lamport', 'group-state') : 0,
    heard: sinceV3 ? decodeHeard(r) : {},
    // A v3 state may have been written before records kept `until`: it has it only in its rejoins, recomputed. Later
    // versions keep the answer given when the later of the two ops was processed: once a region (membership
    // region.ts) replaced a removal, which adds it had seen can no longer be told.
    removals: listedRecords ? reopenFromRejoins({ dcgka, removals: decodedRemovals, rejoins }) : decodedRemovals,
    rejoins,
  });
}
