/**
 * The compact encoding of removal records (group state v4) and rejoin
 * records (group state v5), issue 12 "bounded state".
 *
 * Removal records are never dropped (removal.ts says why), so they are the
 * part of a group's state that grows with its history: one per removal. As
 * `[op, member(32), frontier, until?]` a record took about 110 bytes, two
 * thirds of them the remover's and the removed member's ids, which repeat:
 * a group names few members compared with the removals it goes through. Here
 * each id is written once, in a table, and a record names ids by index:
 *
 *   [ids: [id(32), …], records: [[remover, seq, member, [epoch, counter] | null, until?], …]]
 *
 * (`remover`, `member`: indices into `ids`; the op id is `hex(remover):seq`.)
 * A record then takes 8–14 bytes. The table lists ids in order of first use
 * (remover before member, record by record) and every id is used, so a list
 * of records has one encoding.
 *
 * Rejoin records (`[member(32), add, seq]`, about 105 bytes) go once their
 * add is compacted, so they are few, except while a member gone for good
 * holds compaction (README "Bounded state"): then one stays per re-add. They
 * take the same form:
 *
 *   [ids: [id(32), …], records: [[member, adder, addSeq, seq], …]]
 */
import { fromHex, toHex } from '../crypto/index.js';
import type { MemberId } from '../dcgka/index.js';
import { DecodeError } from '../errors.js';
import type { Position, RejoinRecord, RemovalRecord } from './types.js';

const OP_ID = /^([0-9a-f]{64}):(\d{1,16})$/;

function fail(what: string, expected: string): never {
  throw new DecodeError('DECODE_FIELD', `${what}: expected ${expected}`);
}

function uint(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(what, 'a non-negative integer');
  return value as number;
}

/** Op ids are made as `${sender}:${seq}` from a safe integer (DCGKA): anything else is a bug, not something to round. */
function splitOp(op: string, what: string): [string, number] {
  const parts = OP_ID.exec(op);
  const seq = Number(parts?.[2]);
  if (parts === null || !Number.isSafeInteger(seq) || String(seq) !== parts[2]) throw new TypeError(`${what}: malformed op id ${op.slice(0, 80)}`);
  return [parts[1] as string, seq];
}

/** An id table being written: `indexOf` lists an id at its first use. */
function tableWriter(): { readonly ids: Uint8Array[]; readonly indexOf: (id: string) => number } {
  const index = new Map<string, number>();
  const ids: Uint8Array[] = [];
  return {
    ids,
    indexOf: (id) => {
      let at = index.get(id);
      if (at === undefined) {
        at = ids.length;
        index.set(id, at);
        ids.push(fromHex(id));
      }
      return at;
    },
  };
}

/** Reads `[ids, records]` (records name at most two ids each), each record through `read` with `idAt` (ids in order of first use, each used). */
function readTable<T>(value: unknown, what: string, limit: number, read: (record: unknown, at: string, idAt: (i: unknown, field: string) => MemberId) => T): T[] {
  if (!Array.isArray(value) || value.length !== 2) fail(what, '[ids, records]');
  const [ids, records] = value as unknown[];
  if (!Array.isArray(records) || records.length > limit) fail(`${what}.records`, `a list of at most ${limit} records`);
  if (!Array.isArray(ids) || ids.length > 2 * records.length) fail(`${what}.ids`, 'a list of at most two ids per record');
  const hex = ids.map((id, i) => {
    if (!(id instanceof Uint8Array) || id.length !== 32) fail(`${what}.ids[${i}]`, '32 bytes');
    return toHex(id);
  });
  let used = 0;
  const idAt = (at: unknown, field: string): MemberId => {
    const i = uint(at, field);
    if (i > used || i >= hex.length) fail(field, `an index of the id table in order of first use (at most ${Math.min(used, hex.length - 1)})`);
    if (i === used) used++;
    return hex[i] as MemberId;
  };
  const out = records.map((record, i) => read(record, `${what}.records[${i}]`, idAt));
  if (used !== hex.length) fail(`${what}.ids`, 'only ids the records use');
  return out;
}

/** Encodes removal records as an id table and records of indices (the layout above). */
export function encodeRemovalTable(removals: readonly RemovalRecord[]): [Uint8Array[], unknown[][]] {
  const table = tableWriter();
  const records = removals.map((r) => {
    const [remover, seq] = splitOp(r.op, 'removal record');
    const out: unknown[] = [table.indexOf(remover), seq, table.indexOf(r.member), r.frontier ? [r.frontier.epoch, r.frontier.counter] : null];
    if (r.until !== undefined) out.push(r.until);
    return out;
  });
  return [table.ids, records];
}

/**
 * Decodes the table written by `encodeRemovalTable`.
 * @param limit most records (and ids: two per record).
 * @throws DecodeError for a malformed table, an index out of range, an id
 *   listed out of first-use order or never used (a second encoding of the same records).
 */
export function decodeRemovalTable(value: unknown, what: string, limit: number): RemovalRecord[] {
  return readTable(value, what, limit, (record, at, idAt): RemovalRecord => {
    if (!Array.isArray(record) || (record.length !== 4 && record.length !== 5)) fail(at, '[remover, seq, member, frontier] or [remover, seq, member, frontier, until]');
    const remover = idAt(record[0], `${at}.remover`);
    const seq = uint(record[1], `${at}.seq`);
    const member = idAt(record[2], `${at}.member`);
    const f = record[3];
    let frontier: Position | null = null;
    if (f !== null) {
      if (!Array.isArray(f) || f.length !== 2) fail(`${at}.frontier`, '[epoch, counter] or null');
      frontier = { epoch: uint(f[0], `${at}.frontier.epoch`), counter: uint(f[1], `${at}.frontier.counter`) };
    }
    const base = { op: `${remover}:${seq}`, member, frontier };
    return record.length === 5 ? { ...base, until: uint(record[4], `${at}.until`) } : base;
  });
}

/** Encodes rejoin records as an id table and `[member, adder, addSeq, seq]` records (the layout above). */
export function encodeRejoinTable(rejoins: readonly RejoinRecord[]): [Uint8Array[], number[][]] {
  const table = tableWriter();
  const records = rejoins.map((j) => {
    const member = table.indexOf(j.member);
    const [adder, addSeq] = splitOp(j.add, 'rejoin record');
    return [member, table.indexOf(adder), addSeq, j.seq];
  });
  return [table.ids, records];
}

/**
 * Decodes the table written by `encodeRejoinTable`.
 * @throws DecodeError as `decodeRemovalTable`.
 */
export function decodeRejoinTable(value: unknown, what: string, limit: number): RejoinRecord[] {
  return readTable(value, what, limit, (record, at, idAt): RejoinRecord => {
    if (!Array.isArray(record) || record.length !== 4) fail(at, '[member, adder, addSeq, seq]');
    const member = idAt(record[0], `${at}.member`);
    const adder = idAt(record[1], `${at}.adder`);
    return { member, add: `${adder}:${uint(record[2], `${at}.addSeq`)}`, seq: uint(record[3], `${at}.seq`) };
  });
}
