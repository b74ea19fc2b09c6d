/**
 * Versioned, deterministic encoding of `DcgkaState` (STYLE.md §4): the state
 * is persisted between calls, so every field round-trips exactly.
 *
 * Version 2 (issue 16): a pending seed is `{ members: [id(32)], nodes: [[depth, index, secret(32) | empty]] }`,
 * the kept nodes of its member-secret tree. Version 1 kept the seed's PRK,
 * `{ prk: bytes(32) | empty, waiting: [hex id] }`: it still decodes (the PRKs
 * go to `legacyPrks`, converted and dropped at the next transition), and a
 * state that still holds PRKs is written back as version 1.
 *
 * Version 3: a post-quantum group's state (issue 14) — version 2 plus
 * `pq: true`. Classic states keep versions 1/2 byte for byte.
 *
 * Versions 2 and 3 may hold `chainKnownBy: [hex id]` (sorted; see
 * exposure.ts); a state without it decodes as untracked.
 */
import { asRecord, checkVersion, decodeCanonical, encodeCanonical, fromHex, readArray, readBool, readBytes, readText, toHex } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { decodeMembership, encodeMembership } from '../membership/index.js';
import { decodeSession, encodeSession } from '../twoparty/index.js';
import type { TwoPartySession } from '../twoparty/index.js';
import { compareNodes, keptNodes, newPendingSeed, pendingSeedOf, waitingMembers } from './puncture.js';
import type { PendingSeed, SeedNode } from './puncture.js';
import { PersistentMap } from '../crypto/index.js';
import type { DcgkaState } from './types.js';

const STATE_VERSION = 2;
const LEGACY_VERSION = 1;
/** Version 2 plus `pq: true` (post-quantum groups). */
const PQ_STATE_VERSION = 3;
const KEYS = ['v', 'groupId', 'me', 'clock', 'membership', 'sessions', 'pendingSeeds', 'memberSecrets', 'ratchets', 'removed', 'joinedVia'] as const;
const KEYS_V2 = [...KEYS, 'refreshDue'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const OP_ID = /^[0-9a-f]{64}:\d+$/;

function mapRecord<A, B>(map: PersistentMap<A>, f: (value: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const key of map.sortedKeys()) out[key] = f(map.get(key) as A);
  return out;
}

function encodePendingSeed(p: PendingSeed): unknown {
  return { members: p.members.map(fromHex), nodes: keptNodes(p).map((n) => [n.depth, n.index, n.secret ?? new Uint8Array(0)]) };
}

function encodeLegacyPendingSeed(p: PendingSeed, prk: Uint8Array | undefined): unknown {
  return { prk: prk ?? new Uint8Array(0), waiting: waitingMembers(p) };
}

/** Encodes a DCGKA state (deterministic CBOR, version 2; version 1 while it still holds v1 PRKs). */
export function encodeDcgkaState(state: DcgkaState): Uint8Array {
  const legacy = state.legacyPrks;
  const pq = state.pq === true && !legacy;
  return encodeCanonical({
    ...(pq ? { pq: true } : {}),
    v: legacy ? LEGACY_VERSION : pq ? PQ_STATE_VERSION : STATE_VERSION,
    groupId: state.groupId,
    me: state.me,
    clock: mapRecord(state.clock, (n) => n),
    membership: encodeMembership(state.membership),
    sessions: mapRecord(state.sessions, encodeSession),
    pendingSeeds: legacy
      ? Object.fromEntries(state.pendingSeeds.sortedKeys().map((id) => [id, encodeLegacyPendingSeed(state.pendingSeeds.get(id) as PendingSeed, legacy[id])]))
      : mapRecord(state.pendingSeeds, encodePendingSeed),
    memberSecrets: mapRecord(state.memberSecrets, (s) => s),
    ratchets: mapRecord(state.ratchets, (r) => r),
    removed: state.removed,
    joinedVia: [...state.joinedVia],
    ...(legacy ? {} : { refreshDue: [...state.refreshDue] }),
    ...(legacy || state.chainKnownBy === undefined ? {} : { chainKnownBy: [...state.chainKnownBy] }),
  });
}

function readMap(record: Readonly<Record<string, unknown>>, key: string): Readonly<Record<string, unknown>> {
  return asRecord(record[key], `dcgka-state.${key}`);
}

function readHexKeyed<T>(record: Readonly<Record<string, unknown>>, key: string, read: (value: unknown, field: string, id: string) => T, keyPattern = HEX64): PersistentMap<T> {
  let out = PersistentMap.empty<T>();
  for (const [k, value] of Object.entries(readMap(record, key))) {
    if (!keyPattern.test(k)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${key}: bad key`);
    out = out.set(k, read(value, `${key}.${k.slice(0, 8)}`, k));
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
  const version = outer['v'] === LEGACY_VERSION ? LEGACY_VERSION : pq ? PQ_STATE_VERSION : STATE_VERSION;
  checkVersion(outer, 'dcgka-state', version);
  const tracked = version !== LEGACY_VERSION && 'chainKnownBy' in outer;
  const r = asRecord(outer, 'dcgka-state', [...(version === LEGACY_VERSION ? KEYS : pq ? [...KEYS_V2, 'pq'] : KEYS_V2), ...(tracked ? ['chainKnownBy'] : [])]);
  if (pq && !readBool(r, 'pq', 'dcgka-state')) throw new DecodeError('DECODE_FIELD', 'dcgka-state.pq: must be true in a version-3 state');
  const groupId = readText(r, 'groupId', 'dcgka-state');
  const me = readText(r, 'me', 'dcgka-state');
  if (!HEX64.test(groupId) || !HEX64.test(me)) throw new DecodeError('DECODE_FIELD', 'dcgka-state: bad group or member id');
  const clock = readHexKeyed(r, 'clock', (value, field) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}: bad count`);
    return value;
  });
  const sessions = readHexKeyed<TwoPartySession>(r, 'sessions', (value) => decodeSession(readBytes({ value }, 'value', 'dcgka-state.sessions')));
  const legacyPrks: Record<string, Uint8Array> = {};
  const pendingSeeds = readHexKeyed<PendingSeed>(r, 'pendingSeeds', (value, field, id) => {
    if (version === LEGACY_VERSION) {
      const p = asRecord(value, `dcgka-state.${field}`, ['prk', 'waiting']);
      const waiting = readArray(p, 'waiting', field).map((m) => {
        if (typeof m !== 'string' || !HEX64.test(m)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.waiting: bad id`);
        return m;
      });
      const prk = readBytes(p, 'prk', field);
      if (prk.length !== 0 && prk.length !== 32) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.prk: expected 0 or 32 bytes`);
      const pending = newPendingSeed(waiting, undefined);
      if (prk.length === 32) legacyPrks[id] = prk;
      return pending;
    }
    return decodePendingSeed(value, field);
  }, OP_ID);
  const memberSecrets = readHexKeyed(r, 'memberSecrets', bytes32, /^[0-9a-f]{64}:\d+\|[0-9a-f]{64}$/);
  const ratchets = readHexKeyed(r, 'ratchets', bytes32);
  const joinedVia = readArray(r, 'joinedVia', 'dcgka-state').map((id) => {
    if (typeof id !== 'string' || !/^[0-9a-f]{64}:\d+$/.test(id)) throw new DecodeError('DECODE_FIELD', 'dcgka-state.joinedVia: bad op id');
    return id;
  });
  return {
    v: 2, groupId, me, clock,
    membership: decodeMembership(readBytes(r, 'membership', 'dcgka-state')),
    sessions, pendingSeeds, memberSecrets, ratchets,
    removed: readBool(r, 'removed', 'dcgka-state'),
    joinedVia,
    refreshDue: version === LEGACY_VERSION
      // Version 1 did not track it: every session I received on and never sent on is still on my pre-key.
      ? sessions.sortedKeys().filter((id) => (sessions.get(id) as TwoPartySession).nextIndex === 1 && (sessions.get(id) as TwoPartySession).receivedIndex >= 1)
      : readArray(r, 'refreshDue', 'dcgka-state').map((id) => {
        if (typeof id !== 'string' || !HEX64.test(id)) throw new DecodeError('DECODE_FIELD', 'dcgka-state.refreshDue: bad id');
        return id;
      }),
    ...(tracked ? { chainKnownBy: readSortedIds(r, 'chainKnownBy') } : {}),
    ...(Object.keys(legacyPrks).length > 0 ? { legacyPrks } : {}),
    ...(pq ? { pq: true as const } : {}),
  };
}

function readSortedIds(r: Readonly<Record<string, unknown>>, key: string): string[] {
  const ids = readArray(r, key, 'dcgka-state').map((id) => {
    if (typeof id !== 'string' || !HEX64.test(id)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${key}: bad id`);
    return id;
  });
  for (let i = 1; i < ids.length; i++) if ((ids[i - 1] as string) >= (ids[i] as string)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${key}: not sorted`);
  return ids;
}

function decodePendingSeed(value: unknown, field: string): PendingSeed {
  const p = asRecord(value, `dcgka-state.${field}`, ['members', 'nodes']);
  const members = readArray(p, 'members', field).map((m) => toHex(bytes32(m, `${field}.members`)));
  for (let i = 1; i < members.length; i++) {
    if ((members[i - 1] as string) >= (members[i] as string)) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.members: not sorted`);
  }
  let height = 0;
  while (1 << height < members.length) height++;
  const nodes = readArray(p, 'nodes', field).map((n): SeedNode => {
    if (!Array.isArray(n) || n.length !== 3 || !(n[2] instanceof Uint8Array) || (n[2].length !== 0 && n[2].length !== 32)) {
      throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.nodes: expected [depth, index, secret]`);
    }
    const [depth, index] = n as [unknown, unknown];
    if (typeof depth !== 'number' || !Number.isSafeInteger(depth) || depth < 0 || depth > height || typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index << (height - depth) >= members.length) {
      throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.nodes: node out of the tree`);
    }
    return n[2].length === 32 ? { depth, index, secret: n[2] } : { depth, index };
  });
  for (let i = 1; i < nodes.length; i++) {
    if (compareNodes(nodes[i - 1] as SeedNode, nodes[i] as SeedNode) >= 0) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.nodes: not sorted`);
  }
  const pending = pendingSeedOf(members, nodes);
  if (pending === undefined) throw new DecodeError('DECODE_FIELD', `dcgka-state.${field}.nodes: a node lies under another`);
  return pending;
}
