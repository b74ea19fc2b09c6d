/**
 * Strong removal for application data (issue 17, CLI.md "Removed peers").
 *
 * A message of a removed member X stands only if the author of X's removal
 * had read it, or it came before such a message in X's own sequence: it then
 * happened before the removal. Every remove carries, signed in its broadcast
 * (the DCGKA remove `note`), the highest position (epoch, counter) of X's
 * messages its author had delivered. X's positions grow in X's program
 * order, so a message at or below that frontier was sent before a message
 * the remover had read; anything above it is concurrent with the removal or
 * after it (a kept copy of X's home, X's side of a partition) and is refused
 * with `STATE_REMOVED`. The decision reads only signed message fields, so
 * every member decides the same.
 *
 * A member that delivered such a message before it learned of the removal
 * un-reads it: `applicationStands(state, position)` is false from then on
 * (read is a function of the messages held, not of their arrival order).
 *
 * Re-adds: an add of X that its own removal's author had not seen (an add
 * after the removal, or concurrent with it) reopens X: X's messages from the
 * epoch of its rejoin ack of that add on stand again. The record keeps that
 * epoch (`until`), decided when the later of the two ops is processed.
 *
 * Bounded state (issue 12): a rejoin record whose add went into the base
 * (prefix compaction) can reopen no removal to come (every later op has seen
 * the add), so it goes. One whose add went into a region (membership
 * region.ts) stays: a late remove by a stranded member has not seen it.
 * A removal record stays, reopened or not (8–14 bytes per removal in the
 * state's id table, removal-table.ts; it was about 110 as a list of ops and
 * ids), in both schemes: `applicationStands` must keep saying false for a barred
 * message a member read before it learned of the removal, and every member (a
 * joiner too, from its adder's records) must judge every position of X alike,
 * whether or not it still holds a chain of the barred epochs. Letting a
 * reopened record go once no such chain was held made the barred epochs
 * stand again (issue 12, re-adds). A reopened record always bars some
 * positions: its author had not seen the add, so it had read no message of X
 * from X's rejoin ack on (`until` > the frontier's epoch).
 *
 * A remove without a note (written by an older version) bars nothing.
 *
 * Limit: a copy of X restored from an older backup reuses positions; one at
 * or below the frontier is a second message for a position X already used.
 * Members holding the first treat it as a duplicate (key used / replay); one
 * that never held the first cannot tell them apart. Binding each message to
 * its predecessor (a hash chain) would close this at ~10 bytes per message.
 *
 * Once every current member has processed the removal (and I delivered X's
 * message at the frontier, with no gap below it in the epochs I hold), X's
 * message-scheme chains of epochs after the frontier's are dropped; those up
 * to it stay (at most the message layer's kept epochs per removed member), so
 * a standing message of X that arrives late is still read. Data secrets stay,
 * to read the history. Only a removal not reopened drops chains: X can be out
 * of my view with every removal of it reopened (its re-add undone here by a
 * concurrent removal of its adder), and what X sends from its rejoin on
 * stands, so its chains stay (bounded as a member's are) until a removal of
 * X that saw the re-add comes, or the re-add that makes X a member here.
 */
import type { Deps } from '../crypto/index.js';
import { decodeCanonical, encodeCanonical, fromHex, toHex } from '../crypto/index.js';
import type { BundleChecks, DataState } from '../data/index.js';
import { exportSecretBundle, importSecretBundle } from '../data/index.js';
import { groupMembers } from '../dcgka/index.js';
import type { DcgkaState, MemberId, OpId } from '../dcgka/index.js';
import { DecodeError, StateError } from '../errors.js';
import { compactedInto, hasSeen } from '../membership/index.js';
import type { MembershipBase } from '../membership/index.js';
import type { MessageState } from '../message/index.js';
import { decodeRemovalTable, encodeRemovalTable } from './removal-table.js';
import type { GroupState, Position, RejoinRecord, RemovalRecord } from './types.js';

/** Most removal and rejoin records kept (each names one op of the membership history). */
export const MAX_REMOVAL_RECORDS = 100_000;

/** Lexicographic order of positions. */
export function comparePositions(a: Position, b: Position): number {
  return a.epoch - b.epoch || a.counter - b.counter;
}

/** The remove note: `CBOR [epoch, counter]` of the highest delivered position of the removed member, or `[]`. */
export function encodeRemovalNote(frontier: Position | null): Uint8Array {
  return encodeCanonical(frontier ? [frontier.epoch, frontier.counter] : []);
}

function uint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `${what}: expected a non-negative integer`);
  return value;
}

/**
 * Reads a remove note.
 * @returns undefined for no note (a remove of an older version: it bars nothing), else the frontier or null.
 * @throws DecodeError for a malformed note.
 */
export function decodeRemovalNote(note: Uint8Array): Position | null | undefined {
  if (note.length === 0) return undefined;
  const value = decodeCanonical(note, 'remove-note', 64);
  if (!Array.isArray(value) || (value.length !== 0 && value.length !== 2)) throw new DecodeError('DECODE_FIELD', 'remove-note: expected [] or [epoch, counter]');
  return value.length === 0 ? null : { epoch: uint(value[0], 'remove-note.epoch'), counter: uint(value[1], 'remove-note.counter') };
}

/**
 * Whether the op `inner` is in the causal past of the op `outer` (both in
 * `dcgka`'s membership); undefined when that can no longer be told. A
 * compacted op is in the past of every op still held and of no op compacted
 * after it; an op replaced by a region (membership region.ts) is in the past
 * of the ops that hold the region. Called when one of the two was just
 * processed, which is always told; a pair re-read later (a welcome's records)
 * may not be, and then keeps the answer its record holds.
 */
function inPastOf(dcgka: DcgkaState, outer: OpId, inner: OpId): boolean | undefined {
  const m = dcgka.membership;
  const outerInto = compactedInto(m, outer);
  if (outerInto === 'base') return false;
  const innerInto = compactedInto(m, inner);
  if (innerInto === 'base') return true;
  const i = typeof innerInto === 'number' ? innerInto : Object.hasOwn(m.index, inner) ? m.index[inner] : undefined;
  if (i === undefined) return false;
  const holds = (o: number): boolean => {
    const byte = m.ops[o]?.past[i >> 3];
    return byte !== undefined && (byte & (1 << (i & 7))) !== 0;
  };
  if (typeof outerInto === 'number') {
    // outer went into a region: it did not see what the region's past leaves out; of the rest, the region keeps no answer
    return i !== outerInto && !holds(outerInto) ? false : undefined;
  }
  const o = Object.hasOwn(m.index, outer) ? m.index[outer] : undefined;
  return o !== undefined && holds(o);
}

/** The facts `barredBy` reads. */
export interface RemovalFacts {
  readonly dcgka: DcgkaState;
  readonly removals: readonly RemovalRecord[];
  readonly rejoins: readonly RejoinRecord[];
}

/** Whether rejoin `j` reopens removal `r`: the same member, an add the removal's author had not seen. */
function reopens(dcgka: DcgkaState, r: RemovalRecord, j: RejoinRecord): boolean {
  return j.member === r.member && inPastOf(dcgka, r.op, j.add) === false;
}

/** `r` with `until` lowered to `seq`. */
export function reopenedAt(r: RemovalRecord, seq: number): RemovalRecord {
  return r.until !== undefined && r.until <= seq ? r : { ...r, until: seq };
}

/** `r` reopened by every rejoin of `facts` that reopens it. */
function reopenedByRejoins(facts: RemovalFacts, r: RemovalRecord): RemovalRecord {
  let record = r;
  for (const j of facts.rejoins) if (reopens(facts.dcgka, record, j)) record = reopenedAt(record, j.seq);
  return record;
}

/** Adds removal record `r` (unless its op is there), reopened by the rejoins already known. */
export function withRemoval(facts: RemovalFacts, r: RemovalRecord): readonly RemovalRecord[] {
  return withRecord(facts.removals, reopenedByRejoins(facts, r), (x) => x.op === r.op);
}

/**
 * Adds rejoin record `j` (unless there) and reopens the removals of its member it reopens. A rejoin whose add
 * this replica compacted into the base already is left out, as `pruneRejoins` would drop it: it reopens no removal to come, and
 * whether a removal compacted with it had seen its add can no longer be told (a welcome's extra may list it when
 * the adder compacted less: what it reopened arrives as the adder's removal records, `until` included).
 */
export function withRejoin(facts: RemovalFacts, j: RejoinRecord): { removals: readonly RemovalRecord[]; rejoins: readonly RejoinRecord[] } {
  if (compactedInto(facts.dcgka.membership, j.add) === 'base') return { removals: facts.removals, rejoins: facts.rejoins };
  const rejoins = withRecord(facts.rejoins, j, (x) => x.member === j.member && x.add === j.add);
  if (rejoins === facts.rejoins) return { removals: facts.removals, rejoins };
  let changed = false;
  const removals = facts.removals.map((r) => {
    if (!reopens(facts.dcgka, r, j)) return r;
    const next = reopenedAt(r, j.seq);
    changed ||= next !== r;
    return next;
  });
  return { removals: changed ? removals : facts.removals, rejoins };
}

/**
 * Drops the rejoin records whose add was compacted into the base: they can
 * reopen no removal to come. Removal records all stay (see the module comment).
 */
export function pruneRejoins(facts: RemovalFacts): readonly RejoinRecord[] {
  const m = facts.dcgka.membership;
  // Only the base decides: a list already pruned against this base has nothing more to drop. Checked
  // after every message, and the list is long while a member gone for good holds compaction.
  if (PRUNED_AGAINST.get(facts.rejoins) === m.base) return facts.rejoins; // never pruned: undefined, not null
  const inBase = (j: RejoinRecord): boolean => compactedInto(m, j.add) === 'base';
  const kept = facts.rejoins.some(inBase) ? facts.rejoins.filter((j) => !inBase(j)) : facts.rejoins;
  PRUNED_AGAINST.set(kept, m.base);
  return kept;
}

/** The compacted base each rejoin list was last pruned against (see `pruneRejoins`). */
const PRUNED_AGAINST = new WeakMap<readonly RejoinRecord[], MembershipBase | null>();

/** Per member, its removal records in list order, per list: lists are replaced, never changed in place. */
const BY_MEMBER = new WeakMap<readonly RemovalRecord[], ReadonlyMap<MemberId, readonly RemovalRecord[]>>();

/**
 * The records of `member`, in list order. Records are kept for good (one per
 * removal), and every message asks this: indexed once per list, a message
 * walks its sender's records, not the group's (bench/state-growth.ts).
 */
function recordsOf(removals: readonly RemovalRecord[], member: MemberId): readonly RemovalRecord[] {
  let index = BY_MEMBER.get(removals);
  if (index === undefined) {
    const built = new Map<MemberId, RemovalRecord[]>();
    for (const r of removals) {
      const list = built.get(r.member);
      if (list === undefined) built.set(r.member, [r]);
      else list.push(r);
    }
    index = built;
    BY_MEMBER.set(removals, index);
  }
  return index.get(member) ?? [];
}

/** The removal that bars a message of `sender` at `position`, if any. */
export function barredBy(facts: RemovalFacts, sender: MemberId, position: Position): RemovalRecord | undefined {
  for (const r of recordsOf(facts.removals, sender)) {
    if (r.frontier !== null && comparePositions(position, r.frontier) <= 0) continue;
    if (r.until === undefined || position.epoch < r.until) return r;
  }
  return undefined;
}

/**
 * Whether a delivered application message still stands: false once a removal
 * of its sender whose author had not read it is known (the message must not
 * be shown by `read`; see the module comment).
 * @example const shown = delivered.filter((p) => applicationStands(state, p)).sort(compareReadOrder);
 */
export function applicationStands(state: GroupState, message: { readonly sender: MemberId; readonly epoch: number; readonly counter: number }): boolean {
  return barredBy(state, message.sender, message) === undefined;
}

/** @throws StateError `STATE_REMOVED` when a removal bars the message. */
export function assertStands(facts: RemovalFacts, sender: MemberId, position: Position): void {
  const bar = barredBy(facts, sender, position);
  if (bar) {
    throw new StateError('STATE_REMOVED', `application message of ${sender.slice(0, 16)} (epoch ${position.epoch}, counter ${position.counter}) is not one the author of its removal ${bar.op.slice(-24)} had read`);
  }
}

/** Adds a record unless one with the same key is there. */
export function withRecord<T>(list: readonly T[], record: T, same: (a: T) => boolean): readonly T[] {
  if (list.some(same)) return list;
  if (list.length >= MAX_REMOVAL_RECORDS) throw new StateError('STATE_LIMIT', `group: more than ${MAX_REMOVAL_RECORDS} removal records`);
  return [...list, record];
}

/**
 * Message-scheme chains of removed members that every current member has
 * processed the removal of (and whose frontier message I delivered) are
 * dropped; returns the new state and the dropped secrets.
 */
export function dropRemovedChains(message: MessageState, facts: RemovalFacts, heard: Readonly<Record<MemberId, Position>>): { state: MessageState; consumed: Uint8Array[] } {
  const current = groupMembers(facts.dcgka.membership);
  // Per removed member, the removal with the highest frontier: its messages up to there stand.
  // A reopened removal bars nothing from its `until` on: a member out of my view with only reopened
  // removals (its re-add was undone here by its adder's concurrent removal) may still be read by me.
  // Only the chains of members out of the group can go: their records, not every record, are walked.
  const latest = new Map<MemberId, RemovalRecord>();
  for (const member of Object.keys(message.chains)) {
    if (current.includes(member)) continue;
    for (const r of recordsOf(facts.removals, member)) {
      if (r.until !== undefined) continue;
      const seen = latest.get(member);
      if (seen === undefined || (r.frontier !== null && (seen.frontier === null || comparePositions(r.frontier, seen.frontier) > 0))) latest.set(member, r);
    }
  }
  let chains = message.chains;
  const consumed: Uint8Array[] = [];
  for (const [member, r] of latest) {
    const list = chains[member] ?? [];
    const frontier = r.frontier;
    // Epochs up to the frontier's are kept: a standing message of X in an epoch I never got a
    // message of may still arrive (X's positions above the frontier are barred all the same).
    // Checked first: it is cheap, and once dropped there is nothing more to do on later calls.
    const kept = frontier === null ? [] : list.filter((c) => c.epoch <= frontier.epoch);
    if (kept.length === list.length) continue;
    if (!current.every((m) => m === facts.dcgka.me || hasSeen(facts.dcgka.membership, m, r.op))) continue;
    const got = Object.hasOwn(heard, member) ? heard[member] : undefined;
    if (frontier !== null && (got === undefined || comparePositions(got, frontier) < 0)) continue;
    // A message the remover had read that I still miss (a skipped key at or below the frontier) keeps the chains.
    if (frontier !== null && list.some((c) => c.skipped.some((k) => comparePositions({ epoch: c.epoch, counter: k.counter }, frontier) <= 0))) continue;
    for (const c of list) if (!kept.includes(c)) consumed.push(c.chain, ...c.skipped.flatMap((s) => [s.key, s.nonce]));
    const next = { ...chains };
    if (kept.length === 0) delete next[member];
    else next[member] = kept;
    chains = next;
  }
  return { state: chains === message.chains ? message : { v: 1, chains }, consumed };
}

/**
 * v4: removal records as an id table (removal-table.ts). v3 (read only): as a
 * list of `[op, member(32), [e, c] | null, until?]`; v2 (read only): without
 * `until` (the joiner computes it from the rejoins).
 */
const EXTRA_VERSION = 4;

/** What an adder hands the joiner beside DCGKA's welcome: data secrets and the removal facts. */
export interface WelcomeExtra {
  readonly secrets: Uint8Array | null;
  readonly removals: readonly RemovalRecord[];
  readonly rejoins: readonly RejoinRecord[];
}

/** Encodes the welcome extra: `{ v: 4, secrets: bundle | null, removals: [ids, records] (removal-table.ts), rejoins: [[member(32), add, seq]] }`. */
export function encodeWelcomeExtra(
  data: DataState | null, joiner: MemberId, removals: readonly RemovalRecord[], rejoins: readonly RejoinRecord[], clock: ReadonlyMap<MemberId, number>,
): Uint8Array {
  // Only secrets within the welcome's history (my clock): a share can give me one before I process the
  // control message that made it (src/group/share.ts); I forward it to the joiner once I do.
  const within = (m: MemberId): number => clock.get(m) ?? 0;
  return encodeCanonical({
    v: EXTRA_VERSION,
    secrets: data ? exportSecretBundle(data, { exclude: joiner, clock: within }) : null,
    removals: encodeRemovalTable(removals),
    rejoins: encodeRejoinRecords(rejoins),
  });
}

function memberOf(value: unknown, what: string): MemberId {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new DecodeError('DECODE_FIELD', `${what}: expected 32 bytes`);
  return toHex(value);
}

function opOf(value: unknown, what: string): OpId {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}:\d{1,16}$/.test(value)) throw new DecodeError('DECODE_FIELD', `${what}: expected an op id`);
  return value;
}

/** Decodes a removal record `[op, member(32), [e, c] | null]` or, reopened, `[op, member(32), [e, c] | null, until]`. */
export function decodeRemovalRecord(value: unknown, what: string): RemovalRecord {
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4)) throw new DecodeError('DECODE_FIELD', `${what}: expected [op, member, frontier] or [op, member, frontier, until]`);
  const f = value[2];
  if (f !== null && (!Array.isArray(f) || f.length !== 2)) throw new DecodeError('DECODE_FIELD', `${what}.frontier: expected [epoch, counter] or null`);
  const record = { op: opOf(value[0], what), member: memberOf(value[1], what), frontier: f === null ? null : { epoch: uint(f[0], what), counter: uint(f[1], what) } };
  return value.length === 4 ? { ...record, until: uint(value[3], `${what}.until`) } : record;
}

/**
 * Fills in `until` for records read from an older encoding (v3 states, v2
 * welcome extras), which kept only the rejoins: their ops are still in the
 * history then (nothing was compacted before `until` existed).
 */
export function reopenFromRejoins(facts: RemovalFacts): readonly RemovalRecord[] {
  return facts.removals.map((r) => reopenedByRejoins(facts, r));
}

/** Decodes a rejoin record `[member(32), add, seq]`. */
export function decodeRejoinRecord(value: unknown, what: string): RejoinRecord {
  if (!Array.isArray(value) || value.length !== 3) throw new DecodeError('DECODE_FIELD', `${what}: expected [member, add, seq]`);
  return { member: memberOf(value[0], what), add: opOf(value[1], what), seq: uint(value[2], what) };
}

/** Encodes rejoin records as `[[member(32), add, seq]]` (few: pruned once their add is compacted). */
export function encodeRejoinRecords(rejoins: readonly RejoinRecord[]): unknown[] {
  return rejoins.map((j) => [fromHex(j.member), j.add, j.seq]);
}

/**
 * Reads a welcome extra into `data` (the data scheme's secrets are imported,
 * checked against the group's history: see `BundleChecks`) and the removal
 * facts. An extra of an older version is a bare data bundle (or empty).
 * @throws DecodeError for a malformed extra; StateError for a bundle entry the history refutes.
 */
export function readWelcomeExtra(extra: Uint8Array, data: DataState | null, deps: Deps, checks: BundleChecks): { data: DataState | null; removals: RemovalRecord[]; rejoins: RejoinRecord[] } {
  const importSecrets = (d: DataState, b: Uint8Array): DataState => importSecretBundle(d, b, deps, checks);
  if (extra.length === 0) return { data, removals: [], rejoins: [] };
  const value = decodeCanonical(extra, 'welcome-extra', extra.length);
  const record = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) ? (value as Record<string, unknown>) : undefined;
  const version = record?.['v'];
  if (!record || (version !== EXTRA_VERSION && version !== 3 && version !== 2)) {
    return { data: data ? importSecrets(data, extra) : data, removals: [], rejoins: [] };
  }
  const keys = Object.keys(record).sort().join(',');
  if (keys !== 'rejoins,removals,secrets,v') throw new DecodeError('DECODE_FIELD', 'welcome-extra: unexpected fields');
  const secrets = record['secrets'];
  if (secrets !== null && !(secrets instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', 'welcome-extra.secrets: expected bytes or null');
  const removals = record['removals'];
  const rejoins = record['rejoins'];
  if ((version !== EXTRA_VERSION && (!Array.isArray(removals) || removals.length > MAX_REMOVAL_RECORDS)) || !Array.isArray(rejoins) || rejoins.length > MAX_REMOVAL_RECORDS) {
    throw new DecodeError('DECODE_FIELD', 'welcome-extra: expected removal and rejoin lists');
  }
  return {
    data: data && secrets ? importSecrets(data, secrets) : data,
    removals: version === EXTRA_VERSION
      ? decodeRemovalTable(removals, 'welcome-extra.removals', MAX_REMOVAL_RECORDS)
      : (removals as unknown[]).map((r, i) => decodeRemovalRecord(r, `welcome-extra.removals[${i}]`)),
    rejoins: rejoins.map((j, i) => decodeRejoinRecord(j, `welcome-extra.rejoins[${i}]`)),
  };
}
