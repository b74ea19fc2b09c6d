/**
 * Versioned, deterministic encoding of `DcgkaState` (STYLE.md §4): the state
 * is persisted between calls, so every field round-trips exactly.
 */
import { asRecord, decodeCanonical, decodeVersionedRecord, encodeCanonical, readArray, readBool, readBytes, readText } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { decodeMembership, encodeMembership } from '../membership/index.js';
import { decodeSession, encodeSession } from '../twoparty/index.js';
import type { TwoPartySession } from '../twoparty/index.js';
import type { DcgkaState, PendingSeed } from './types.js';

const STATE_VERSION = 1;
/** Version of a post-quantum group's state (adds `pq: true`); classic states stay version 1. */
const PQ_STATE_VERSION = 2;
const KEYS = ['v', 'groupId', 'me', 'clock', 'membership', 'sessions', 'pendingSeeds', 'memberSecrets', 'ratchets', 'removed', 'joinedVia'] as const;
const HEX64 = /^[0-9a-f]{64}$/;

function mapRecord<A, B>(record: Readonly<Record<string, A>>, f: (value: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const key of Object.keys(record).sort()) out[key] = f(record[key] as A);
  return out;
}

/** Encodes a DCGKA state (deterministic CBOR, version 1; version 2 for a post-quantum group). */
export function encodeDcgkaState(state: DcgkaState): Uint8Array {
  return encodeCanonical({
    ...(state.pq === true ? { pq: true } : {}),
    v: state.pq === true ? PQ_STATE_VERSION : STATE_VERSION,
    groupId: state.groupId,
    me: state.me,
    clock: mapRecord(state.clock, (n) => n),
    membership: encodeMembership(state.membership),
    sessions: mapRecord(state.sessions, encodeSession),
    pendingSeeds: mapRecord(state.pendingSeeds, (p) => ({ prk: p.prk ?? new Uint8Array(0), waiting: [...p.waiting] })),
    memberSecrets: mapRecord(state.memberSecrets, (s) => s),
    ratchets: mapRecord(state.ratchets, (r) => r),
    removed: state.removed,
    joinedVia: [...state.joinedVia],
  });
}

function readMap(record: Readonly<Record<string, unknown>>, key: string): Readonly<Record<string, unknown>> {
  return asRecord(record[key], `dcgka-state.${key}`);
}

function readHexKeyed<T>(record: Readonly<Record<string, unknown>>, key: string, read: (value: unknown, field: string) => T, keyPattern = HEX64): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, value] of Object.entries(readMap(record, key))) {
    if (!keyPattern.test(k)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${key}: bad key`);
    out[k] = read(value, `${key}.${k.slice(0, 8)}`);
  }
  return out;
}

function bytes32(value: unknown, field: string): Uint8Array {
  return readBytes({ value }, 'value', `dcgka-state.${field}`, 32);
}

/**
 * Decodes a DCGKA state.
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for an unknown version, `DECODE_*` for damage.
 */
export function decodeDcgkaState(bytes: Uint8Array): DcgkaState {
  const outer = asRecord(decodeCanonical(bytes, 'dcgka-state'), 'dcgka-state');
  const pq = outer['v'] === PQ_STATE_VERSION;
  const r = pq ? asRecord(outer, 'dcgka-state', [...KEYS, 'pq']) : decodeVersionedRecord(bytes, 'dcgka-state', STATE_VERSION, KEYS);
  if (pq && !readBool(r, 'pq', 'dcgka-state')) throw new DecodeError('DECODE_FIELD', 'dcgka-state.pq: must be true in a version-2 state');
  const groupId = readText(r, 'groupId', 'dcgka-state');
  const me = readText(r, 'me', 'dcgka-state');
  if (!HEX64.test(groupId) || !HEX64.test(me)) throw new DecodeError('DECODE_FIELD', 'dcgka-state: bad group or member id');
  const clock = readHexKeyed(r, 'clock', (value, field) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}: bad count`);
    return value;
  });
  const sessions = readHexKeyed<TwoPartySession>(r, 'sessions', (value) => decodeSession(readBytes({ value }, 'value', 'dcgka-state.sessions')));
  const pendingSeeds = readHexKeyed<PendingSeed>(r, 'pendingSeeds', (value, field) => {
    const p = asRecord(value, `dcgka-state.${field}`, ['prk', 'waiting']);
    const waiting = readArray(p, 'waiting', field).map((m) => {
      if (typeof m !== 'string' || !HEX64.test(m)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.waiting: bad id`);
      return m;
    });
    const prk = readBytes(p, 'prk', field);
    if (prk.length !== 0 && prk.length !== 32) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.prk: expected 0 or 32 bytes`);
    return prk.length === 32 ? { prk, waiting } : { waiting };
  }, /^[0-9a-f]{64}:\d+$/);
  const memberSecrets = readHexKeyed(r, 'memberSecrets', bytes32, /^[0-9a-f]{64}:\d+\|[0-9a-f]{64}$/);
  const ratchets = readHexKeyed(r, 'ratchets', bytes32);
  const joinedVia = readArray(r, 'joinedVia', 'dcgka-state').map((id) => {
    if (typeof id !== 'string' || !/^[0-9a-f]{64}:\d+$/.test(id)) throw new DecodeError('DECODE_FIELD', 'dcgka-state.joinedVia: bad op id');
    return id;
  });
  return {
    v: 1, groupId, me, clock,
    membership: decodeMembership(readBytes(r, 'membership', 'dcgka-state')),
    sessions, pendingSeeds, memberSecrets, ratchets,
    removed: readBool(r, 'removed', 'dcgka-state'),
    joinedVia,
    ...(pq ? { pq: true as const } : {}),
  };
}
