/**
 * Decrypted application data kept in the store, so `read` shows everything
 * this peer decrypted, its own included. One blob per entry,
 * `app:<group>:<seq, 10 digits>`, in delivery order.
 *
 *   v1: { v: 1, sender, data }        v2: { v: 2, sender, data, ad }
 */
import { asRecord, decodeCanonical, encodeCanonical, readBytes, readText } from '../crypto/index.js';
import { DecodeError } from '../errors.js';

/** One decrypted application message. */
export interface AppEntry {
  readonly sender: string;
  readonly data: Uint8Array;
  /** Associated data it was sent with, or null. */
  readonly ad: Uint8Array | null;
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
  return entry.ad === null
    ? encodeCanonical({ v: 1, sender: entry.sender, data: entry.data })
    : encodeCanonical({ v: 2, sender: entry.sender, data: entry.data, ad: entry.ad });
}

/** Decodes one entry. @throws DecodeError `DECODE_*`. */
export function decodeAppEntry(bytes: Uint8Array): AppEntry {
  const what = 'appEntry';
  const value = decodeCanonical(bytes, what);
  const version = (value as { v?: unknown } | null)?.v;
  if (version !== 1 && version !== 2) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${what}: version ${String(version)} is not supported`);
  const r = asRecord(value, what, version === 2 ? ['v', 'sender', 'data', 'ad'] : ['v', 'sender', 'data']);
  return { sender: readText(r, 'sender', what), data: readBytes(r, 'data', what), ad: version === 2 ? readBytes(r, 'ad', what) : null };
}

/**
 * The order `read` lists a group's entries in. Today: delivery order (the
 * group layer delivers causally, a backlog is processed control first and
 * each sender's data oldest first). The one place to swap in the group
 * layer's read order once it exists.
 */
export function readOrder(entries: readonly AppEntry[]): readonly AppEntry[] {
  return entries;
}
