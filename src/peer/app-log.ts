/**
 * Decrypted application data kept in the store, so `read` shows everything
 * this peer decrypted, its own included. One blob per entry,
 * `app:<group>:<seq, 10 digits>`, in delivery order.
 *
 *   v1: { v: 1, sender, data }        v2: { v: 2, sender, data, ad }
 *   v3: { v: 3, sender, data, ad (empty: none), id, lamport, epoch, counter }
 *
 * `read` lists them in the group layer's read order (CLI.md "Order of read"),
 * which depends only on the signed messages, never on the delivery order
 * kept in the names.
 */
import { asRecord, decodeCanonical, encodeCanonical, readBytes, readText } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import type { ReadPosition } from '../group/index.js';
import { compareReadOrder } from '../group/index.js';

/** One decrypted application message. */
export interface AppEntry {
  readonly sender: string;
  readonly data: Uint8Array;
  /** Associated data it was sent with, or null. */
  readonly ad: Uint8Array | null;
  /** Where it stands in the read order (absent in entries stored before v3). */
  readonly position?: ReadPosition;
}

/** Store name prefix of a group's entries. */
export function appPrefix(groupId: string): string {
  return `app:${groupId}:`;
}

/** Store name of a group's entry number `seq`. */
export function appName(groupId: string, seq: number): string {
  return `${appPrefix(groupId)}${String(seq).padStart(10, '0')}`;
}

/** Encodes one entry. */
export function encodeAppEntry(entry: AppEntry): Uint8Array {
  const p = entry.position;
  if (p !== undefined) {
    return encodeCanonical({ v: 3, sender: entry.sender, data: entry.data, ad: entry.ad ?? new Uint8Array(0), hasAd: entry.ad !== null, id: p.id, lamport: p.lamport, epoch: p.epoch, counter: p.counter });
  }
  return entry.ad === null
    ? encodeCanonical({ v: 1, sender: entry.sender, data: entry.data })
    : encodeCanonical({ v: 2, sender: entry.sender, data: entry.data, ad: entry.ad });
}

/** Decodes one entry. @throws DecodeError `DECODE_*`. */
export function decodeAppEntry(bytes: Uint8Array): AppEntry {
  const what = 'appEntry';
  const value = decodeCanonical(bytes, what);
  const version = (value as { v?: unknown } | null)?.v;
  if (version === 3) return decodeV3(value, what);
  if (version !== 1 && version !== 2) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${what}: version ${String(version)} is not supported`);
  const r = asRecord(value, what, version === 2 ? ['v', 'sender', 'data', 'ad'] : ['v', 'sender', 'data']);
  return { sender: readText(r, 'sender', what), data: readBytes(r, 'data', what), ad: version === 2 ? readBytes(r, 'ad', what) : null };
}

function readCount(r: Readonly<Record<string, unknown>>, key: string, what: string): number {
  const value = r[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new DecodeError('DECODE_FIELD', `${what}.${key}: expected a count`);
  return value;
}

function decodeV3(value: unknown, what: string): AppEntry {
  const r = asRecord(value, what, ['v', 'sender', 'data', 'ad', 'hasAd', 'id', 'lamport', 'epoch', 'counter']);
  const sender = readText(r, 'sender', what);
  const hasAd = r['hasAd'];
  if (typeof hasAd !== 'boolean') throw new DecodeError('DECODE_FIELD', `${what}.hasAd: expected a boolean`);
  const ad = readBytes(r, 'ad', what);
  const position: ReadPosition = { id: readText(r, 'id', what), sender, lamport: readCount(r, 'lamport', what), epoch: readCount(r, 'epoch', what), counter: readCount(r, 'counter', what) };
  return { sender, data: readBytes(r, 'data', what), ad: hasAd ? ad : null, position };
}

/**
 * The order `read` lists a group's entries in: the group layer's read order
 * (`compareReadOrder`), a function of the signed messages alone, so two peers
 * holding the same messages list them identically whatever the arrival order.
 * Entries `stands` refuses (a removed member's message its remover had not
 * read) are left out. Entries stored before positions existed come first, in
 * delivery order (the sort is stable).
 */
export function readOrder(entries: readonly AppEntry[], stands: (position: ReadPosition) => boolean = () => true): readonly AppEntry[] {
  return entries
    .filter((e) => e.position === undefined || stands(e.position))
    .map((e, index) => ({ e, index }))
    .sort((a, b) => {
      const p = a.e.position;
      const q = b.e.position;
      if (p === undefined || q === undefined) return p === undefined && q === undefined ? a.index - b.index : p === undefined ? -1 : 1;
      return compareReadOrder(p, q);
    })
    .map(({ e }) => e);
}
