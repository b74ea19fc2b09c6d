/**
 * Versioned, deterministic CBOR encoding of a membership state (the data
 * only: ops in processing order and seen sets; caches are rebuilt on decode).
 *
 *   v1 { v: 1, ops: [{ id, kind, actor, targets, past }...], seen: { member: bits } }
 *   v2 { v: 2, base: { count, create, marks: { actor: seq }, members: [id], named: [id] }, ops, seen }
 *      (a compacted state, compact.ts: ops hold no create; bit i is ops[i] as in v1)
 *   v3 the same fields as an id table and runs of op indices (table-codec.ts): about 13 bytes an op
 *      instead of 230 plus a bit per earlier op. Written since issue 12; v1 and v2 still decode
 *      (test/membership/legacy-codec.ts writes them for the tests).
 *   v4 v3 with region placeholders (region.ts): written only while a region is held.
 */
import { DecodeError } from '../errors.js';
import { PersistentMap, asRecord, decodeCanonical, encodeCanonical, readArray, readBytes, readText, readUint } from '../crypto/index.js';
import { EMPTY_BITS, bitIndices, isCausallyClosed, isTrimmed } from './bitset.js';
import { compareIds } from './evaluate.js';
import { MAX_BASE_IDS, MAX_ID_LENGTH, MAX_INITIAL_MEMBERS, MAX_MEMBERSHIP_BYTES, MAX_MEMBERSHIP_OPS } from './limits.js';
import { rebuildState } from './state.js';
import { decodeTable, encodeTable, type TableFields } from './table-codec.js';
import type { MemberId, MembershipBase, MembershipOp, MembershipState, OpKind } from './types.js';

const WHAT = 'membership';
const KINDS: readonly OpKind[] = ['create', 'add', 'remove'];

/**
 * Encodes a membership state as canonical CBOR (e.g. for a welcome or the store).
 * @example decodeMembership(encodeMembership(state)) // an equal state
 */
export function encodeMembership(state: MembershipState): Uint8Array {
  return encodeCanonical(encodeTable(state));
}

function readIds(record: Readonly<Record<string, unknown>>, key: string, what: string, max: number): MemberId[] {
  // sorted and unique: checkBase
  return readArray(record, key, what, max).map((t, k) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.${key}[${k}]: expected an id`);
    return t;
  });
}

function readBase(value: unknown): MembershipBase {
  const what = `${WHAT}.base`;
  const record = asRecord(value, what, ['count', 'create', 'marks', 'members', 'named']);
  const rawMarks = asRecord(record['marks'], `${what}.marks`);
  const marks: Record<MemberId, number> = {};
  for (const actor of Object.keys(rawMarks)) {
    if (actor.length === 0 || actor.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.marks: bad actor id`);
    Object.defineProperty(marks, actor, { value: readUint(rawMarks, actor, `${what}.marks`), enumerable: true, writable: true, configurable: true });
  }
  const members = readIds(record, 'members', what, MAX_BASE_IDS);
  const named = readIds(record, 'named', what, MAX_BASE_IDS);
  return { count: readUint(record, 'count', what), create: readId(record, 'create', what), marks, members, named };
}

/** What every version must hold of a base: sorted names, members among them, at least the create compacted. */
function checkBase(base: MembershipBase): void {
  const what = `${WHAT}.base`;
  for (const key of ['members', 'named'] as const) {
    const ids = base[key];
    if (!ids.every((t, k) => k === 0 || compareIds(ids[k - 1] ?? '', t) < 0)) throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected sorted unique ids`);
  }
  const named = new Set(base.named);
  if (!base.members.every((m) => named.has(m))) throw new DecodeError('DECODE_FIELD', `${what}.members: a member the compacted ops never named`);
  if (base.count === 0) throw new DecodeError('DECODE_FIELD', `${what}.count: a base holds at least the create op`);
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

function readOp(value: unknown, i: number): MembershipOp {
  const what = `${WHAT}.ops[${i}]`;
  const record = asRecord(value, what, ['id', 'kind', 'actor', 'targets', 'past']);
  const kind = readText(record, 'kind', what, KINDS);
  const targets = readArray(record, 'targets', what, kind === 'create' ? MAX_INITIAL_MEMBERS : 1).map((t, k) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.targets[${k}]: expected an id`);
    return t;
  });
  return { id: readId(record, 'id', what), kind, actor: readId(record, 'actor', what), targets, past: readBits(record, 'past', what, i) };
}

/** What every version must hold of op `i`: the create first (unless compacted), its targets, a causally closed past. */
function checkOp(op: MembershipOp, i: number, previous: readonly MembershipOp[], compacted: boolean): void {
  const what = `${WHAT}.ops[${i}]`;
  const { kind, targets, actor, past } = op;
  if ((kind === 'create') !== (i === 0 && !compacted)) throw new DecodeError('DECODE_FIELD', `${what}.kind: the create op must come first and only once (and not after compaction)`);
  if (kind !== 'create' && kind !== 'region' && targets.length !== 1) throw new DecodeError('DECODE_FIELD', `${what}.targets: expected one target`);
  if (kind === 'create') {
    const sorted = targets.every((t, k) => k === 0 || compareIds(targets[k - 1] ?? '', t) < 0);
    if (!sorted || !targets.includes(actor)) throw new DecodeError('DECODE_FIELD', `${what}.targets: expected sorted unique members including the creator`);
  }
  if (!isCausallyClosed(past, (j) => previous[j]?.past ?? EMPTY_BITS)) throw new DecodeError('DECODE_FIELD', `${what}.past: not causally closed`);
}

/**
 * Decodes and validates a membership state (size cap, version, fields,
 * canonical form, causally closed pasts and seen sets, unique op ids).
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD`, `DECODE_NON_CANONICAL`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`.
 */
export function decodeMembership(bytes: Uint8Array): MembershipState {
  const raw = asRecord(decodeCanonical(bytes, WHAT, MAX_MEMBERSHIP_BYTES), WHAT);
  const version = raw['v'];
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${WHAT}: version ${String(version)} is not supported (expected 1 to 4)`);
  const fields = version >= 3 ? readTable(raw, version === 4) : readMaps(raw, version as 1 | 2);
  const { base, ops } = fields;
  if (ops.length === 0 && base === null) throw new DecodeError('DECODE_FIELD', `${WHAT}.ops: expected the create op`);
  if (base !== null) checkBase(base);
  const ids = new Set<string>();
  for (const [i, op] of ops.entries()) {
    checkOp(op, i, ops, base !== null);
    if (ids.has(op.id)) throw new DecodeError('DECODE_FIELD', `${WHAT}.ops[${i}].id: duplicate`);
    ids.add(op.id);
  }
  let seen = PersistentMap.empty<Uint8Array>();
  for (const [member, bits] of fields.seen) {
    if (!isCausallyClosed(bits, (j) => ops[j]?.past ?? EMPTY_BITS)) throw new DecodeError('DECODE_FIELD', `${WHAT}.seen: not causally closed`);
    seen = seen.set(member, bits);
  }
  return rebuildState(ops, seen, base);
}

function readTable(raw: Readonly<Record<string, unknown>>, regions: boolean): TableFields {
  const record = asRecord(raw, WHAT, ['v', 'ids', 'base', 'ops', 'seen']);
  const fields = decodeTable(record, WHAT, { ops: MAX_MEMBERSHIP_OPS, ids: MAX_BASE_IDS, idLength: MAX_ID_LENGTH, targets: MAX_INITIAL_MEMBERS }, regions);
  if (regions && !fields.ops.some((op) => op.kind === 'region')) throw new DecodeError('DECODE_NON_CANONICAL', `${WHAT}: version 4 without a region (written as version 3)`);
  return fields;
}

function readMaps(raw: Readonly<Record<string, unknown>>, version: 1 | 2): TableFields {
  const record = asRecord(raw, WHAT, version === 1 ? ['v', 'ops', 'seen'] : ['v', 'base', 'ops', 'seen']);
  const base = version === 2 ? readBase(record['base']) : null;
  const ops = readArray(record, 'ops', WHAT, MAX_MEMBERSHIP_OPS).map((value, i) => readOp(value, i));
  const rawSeen = asRecord(record['seen'], `${WHAT}.seen`);
  const seen = Object.keys(rawSeen).map((member): [string, Uint8Array] => {
    if (member.length === 0 || member.length > MAX_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${WHAT}.seen: bad member id`);
    return [member, readBits(rawSeen, member, `${WHAT}.seen`, ops.length)];
  });
  return { base, ops, seen };
}
