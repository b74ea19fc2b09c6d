/**
 * Settled marks of log transports: what keeps a peer's processed ids from
 * growing with the transport (issue 12, bounded state).
 *
 * A peer remembers every transport item it settled for good (applied, held
 * by a group, rejected) by its content hash, so that it never applies or
 * verifies it again. On a transport of append-only logs (Hypercore), or a
 * shared folder whose file names carry the writer's seq, items have
 * positions, and a log is read from its start in order: once every
 * block of a log's prefix is settled, one number says so, and the hashes of
 * that prefix can go. Per log this keeps the mark and the settled blocks
 * above it (each with its hash, to forget when the mark passes it): a gap
 * (a block not downloaded yet, an item that may pass later) holds the mark.
 *
 * The state is plain data, changed only through `settle`; the peer writes
 * each moved log's mark (`encodeLogMark`, one store record per log, so a
 * commit rewrites only the logs it touched) in the same commit as the
 * processed ids it stands for: a crash never leaves a mark past an item that
 * was not committed.
 */
import { decodeCanonical, encodeCanonical } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import type { LogPosition } from '../transport/index.js';

/** One log's mark. */
export interface LogMark {
  /** Every block below this index is settled. */
  readonly settled: number;
  /** Settled blocks at or above `settled` → their content hash. */
  readonly above: ReadonlyMap<number, string>;
}

/** Per log (its name on the transport), its mark. */
export type LogMarks = ReadonlyMap<string, LogMark>;

/** Format version of the encoded marks. */
const MARKS_VERSION = 1;
/** Most settled blocks remembered above one log's mark (beyond, the mark's gap holds rows, not marks). */
export const MAX_ABOVE = 100_000;

/** The marks of no log. */
export const NO_MARKS: LogMarks = new Map();

/** The mark of `log` (0 when none). */
export function settledBelow(marks: LogMarks, log: string): number {
  return marks.get(log)?.settled ?? 0;
}

/** True when the block at `position` is settled (below its log's mark, or above it and known). */
export function isSettled(marks: LogMarks, position: LogPosition): boolean {
  const mark = marks.get(position.log);
  return mark !== undefined && (position.seq < mark.settled || mark.above.has(position.seq));
}

/** A settled block: where it sits, and its content hash. */
export type Settled = readonly [position: LogPosition, hash: string];

/**
 * Records that `blocks` are settled, and moves each touched log's mark over
 * every settled block it now reaches. One copy per touched log, however many
 * blocks: a backlog is applied in its own order (control messages first), not
 * in log order, so a commit may settle a thousand blocks above a gap.
 * A log whose blocks above its mark would pass `MAX_ABOVE` is left as it was
 * (its processed ids still say what is settled).
 * @returns the new marks (the input is not changed; the same object when
 *   nothing moved) and the hashes the marks passed: the caller may forget
 *   their processed ids.
 */
export function settle(marks: LogMarks, blocks: Iterable<Settled>): { readonly marks: LogMarks; readonly passed: readonly string[] } {
  const touched = new Map<string, { settled: number; above: Map<number, string> }>();
  for (const [position, hash] of blocks) {
    const mark = marks.get(position.log);
    if (mark !== undefined && (position.seq < mark.settled || mark.above.has(position.seq))) continue;
    let next = touched.get(position.log);
    if (next === undefined) {
      next = { settled: mark?.settled ?? 0, above: new Map(mark?.above) };
      touched.set(position.log, next);
    }
    next.above.set(position.seq, hash);
  }
  if (touched.size === 0) return { marks, passed: [] };
  const out = new Map(marks);
  const passed: string[] = [];
  for (const [log, next] of touched) {
    const passedHere: string[] = [];
    for (let hash = next.above.get(next.settled); hash !== undefined; hash = next.above.get(next.settled)) {
      passedHere.push(hash);
      next.above.delete(next.settled);
      next.settled++;
    }
    if (next.above.size > MAX_ABOVE) continue; // a gap held too long: the processed ids still say it
    out.set(log, next);
    passed.push(...passedHere);
  }
  return { marks: out, passed };
}

/** One log's mark in canonical CBOR: `[version, settled, [[seq, hash]…]]`, seqs sorted. */
export function encodeLogMark(mark: LogMark): Uint8Array {
  const above = [...mark.above.entries()].sort((a, b) => a[0] - b[0]);
  return encodeCanonical([MARKS_VERSION, mark.settled, above]);
}

/** The logs whose marks differ between `before` and `after` (`settle` replaces a moved log's mark, never edits it). */
export function movedLogs(before: LogMarks, after: LogMarks): string[] {
  return [...after.keys()].filter((log) => after.get(log) !== before.get(log)).sort();
}

const fail = (what: string): never => {
  throw new DecodeError('DECODE_MALFORMED', `log mark: ${what}`);
};

const isIndex = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Reads what `encodeLogMark` wrote.
 * @throws DecodeError `DECODE_MALFORMED` (naming the field), `DECODE_VERSION_UNSUPPORTED`.
 */
export function decodeLogMark(bytes: Uint8Array): LogMark {
  const value = decodeCanonical(bytes, 'log mark');
  if (!Array.isArray(value) || value.length !== 3) return fail('expected [version, settled, above]');
  const [version, settled, list] = value as unknown[];
  if (version !== MARKS_VERSION) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `log mark: version ${String(version)} is not supported`);
  if (!isIndex(settled)) return fail('settled: expected a non-negative integer');
  if (!Array.isArray(list) || list.length > MAX_ABOVE) return fail(`above: expected at most ${MAX_ABOVE} entries`);
  const above = new Map<number, string>();
  let last = settled;
  for (const pair of list as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return fail('above: expected [seq, hash] pairs');
    const [seq, hash] = pair as unknown[];
    // strictly above the mark and sorted: a block at the mark would have moved it
    if (!isIndex(seq) || seq <= last) return fail('above: seqs must be sorted and above the mark (a block at the mark would have moved it)');
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return fail('above: hash must be 64 lower-case hex digits');
    above.set(seq, hash);
    last = seq;
  }
  return { settled, above };
}
