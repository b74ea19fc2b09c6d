/**
 * Versioned, deterministic CBOR encoding of a membership state (the data
 * only: ops in processing order and seen sets; caches are rebuilt on decode).
 *
 *   { v: 1, ops: [{ id, kind, actor, targets, past }...], seen: { member: bits } }
 */
import { DecodeError } from '../errors.js';
import { PersistentMap, asRecord, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readText } from '../crypto/index.js';
import { bitIndices, isSubset, isTrimmed } from './bitset.js';
import { compareIds } from './evaluate.js';
import { MAX_ID_LENGTH, MAX_INITIAL_MEMBERS, MAX_MEMBERSHIP_BYTES, MAX_MEMBERSHIP_OPS } from './limits.js';
import { rebuildState } from './state.js';
import type { MembershipOp, MembershipState, OpKind } from './types.js';

const WHAT = 'membership';
const KINDS: readonly OpKind[] = ['create', 'add', 'remove'];

/**
 * Encodes a membership state as canonical CBOR (e.g. for a welcome or the store).
 * @example decodeMembership(encodeMembership(state)) // an equal state
 */
export function encodeMembership(state: MembershipState): Uint8Array {
  const seen: Record<string, Uint8Array> = {};
  for (const [key, bits] of state.seen) {
    Object.defineProperty(seen, key, { value: bits, enumerable: true, writable: true, configurable: true });
  }
  return encodeCanonical({
    v: state.v,
    ops: state.ops.map((op) => ({ id: op.id, kind: op.kind, actor: op.actor, targets: [...op.targets], past: op.past })),
    seen,
  });
}

function readId(record: Readonly<Record<string, unknown>>, key: string, what: string): string {
  const value = readText(record, key, what);
  if (value.length === 0 || value.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected 1..${MAX_ID_LENGTH} characters`);
  return value;
}

function readBits(record: Readonly<Record<string, unknown>>, key: string, what: string, limit: number): Uint8Array {
  const bits = readBytes(record, key, what);
  if (!isTrimmed(bits)) throw new DecodeError('DECODE_NON_CANONICAL', `${what}.${key}: trailing zero byte`);
  if (bits.length > Math.ceil(limit / 8)) throw new DecodeError('DECODE_FIELD', `${what}.${key}: longer than ${limit} operations`);
  const last = bitIndices(bits).at(-1);
  if (last !== undefined && last >= limit) throw new DecodeError('DECODE_FIELD', `${what}.${key}: refers to operation ${last} of ${limit}`);
  return Uint8Array.from(bits);
}

function readOp(value: unknown, i: number, previous: readonly MembershipOp[]): MembershipOp {
  const what = `${WHAT}.ops[${i}]`;
  const record = asRecord(value, what, ['id', 'kind', 'actor', 'targets', 'past']);
  const kind = readText(record, 'kind', what, KINDS);
  if ((kind === 'create') !== (i === 0)) throw new DecodeError('DECODE_FIELD', `${what}.kind: the create op must come first and only once`);
  const targets = readArray(record, 'targets', what, kind === 'create' ? MAX_INITIAL_MEMBERS : 1).map((t, k) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.targets[${k}]: expected an id`);
    return t;
  });
  const actor = readId(record, 'actor', what);
  if (kind !== 'create' && targets.length !== 1) throw new DecodeError('DECODE_FIELD', `${what}.targets: expected one target`);
  if (kind === 'create') {
    const sorted = targets.every((t, k) => k === 0 || compareIds(targets[k - 1] ?? '', t) < 0);
    if (!sorted || !targets.includes(actor)) throw new DecodeError('DECODE_FIELD', `${what}.targets: expected sorted unique members including the creator`);
  }
  const past = readBits(record, 'past', what, i);
  for (const j of bitIndices(past)) {
    if (!isSubset(previous[j]?.past ?? new Uint8Array(0), past)) throw new DecodeError('DECODE_FIELD', `${what}.past: not causally closed`);
  }
  return { id: readId(record, 'id', what), kind, actor, targets, past };
}

/**
 * Decodes and validates a membership state (size cap, version, fields,
 * canonical form, causally closed pasts and seen sets, unique op ids).
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD`, `DECODE_NON_CANONICAL`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`.
 */
export function decodeMembership(bytes: Uint8Array): MembershipState {
  const record = decodeVersionedRecord(bytes, WHAT, 1, ['v', 'ops', 'seen'], MAX_MEMBERSHIP_BYTES);
  const rawOps = readArray(record, 'ops', WHAT, MAX_MEMBERSHIP_OPS);
  if (rawOps.length === 0) throw new DecodeError('DECODE_FIELD', `${WHAT}.ops: expected the create op`);
  const ops: MembershipOp[] = [];
  const ids = new Set<string>();
  for (const [i, value] of rawOps.entries()) {
    const op = readOp(value, i, ops);
    if (ids.has(op.id)) throw new DecodeError('DECODE_FIELD', `${WHAT}.ops[${i}].id: duplicate`);
    ids.add(op.id);
    ops.push(op);
  }
  const rawSeen = asRecord(record['seen'], `${WHAT}.seen`);
  let seen = PersistentMap.empty<Uint8Array>();
  for (const member of Object.keys(rawSeen)) {
    if (member.length === 0 || member.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${WHAT}.seen: bad member id`);
    const bits = readBits(rawSeen, member, `${WHAT}.seen`, ops.length);
    for (const j of bitIndices(bits)) {
      if (!isSubset(ops[j]?.past ?? new Uint8Array(0), bits)) throw new DecodeError('DECODE_FIELD', `${WHAT}.seen: not causally closed`);
    }
    seen = seen.set(member, bits);
  }
  return rebuildState(ops, seen);
}
