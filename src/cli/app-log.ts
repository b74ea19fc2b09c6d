/**
 * Decrypted application data kept in the home store, so `read` shows
 * everything this peer decrypted, in the order it was delivered (causal
 * order: the group layer delivers causally ordered). One blob per entry,
 * `app:<group>:<seq, 10 digits>`, so names sort in delivery order.
 */
import { decodeVersionedRecord, encodeCanonical, readBytes, readText } from '../crypto/index.js';
import type { Store } from '../store/index.js';
import type { Delivered } from './engine.js';

const APP_ENTRY_VERSION = 1;

/** Store name prefix of a group's entries. */
export function appPrefix(groupId: string): string {
  return `app:${groupId}:`;
}

/** Store blobs for newly delivered entries, numbered after the existing ones. */
export async function appBlobs(store: Store, groupId: string, delivered: readonly Delivered[]): Promise<Record<string, Uint8Array>> {
  const blobs: Record<string, Uint8Array> = {};
  if (delivered.length === 0) return blobs;
  const next = (await store.names(appPrefix(groupId))).length;
  delivered.forEach((entry, i) => {
    blobs[`${appPrefix(groupId)}${String(next + i).padStart(10, '0')}`] = encodeCanonical({ v: APP_ENTRY_VERSION, sender: entry.sender, data: entry.data });
  });
  return blobs;
}

/** All stored entries of a group, oldest first. */
export async function readAppLog(store: Store, groupId: string): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const name of await store.names(appPrefix(groupId))) {
    const bytes = await store.load(name);
    if (bytes === undefined) continue;
    const record = decodeVersionedRecord(bytes, 'appEntry', APP_ENTRY_VERSION, ['v', 'sender', 'data']);
    out.push({ sender: readText(record, 'sender', 'appEntry'), data: readBytes(record, 'data', 'appEntry') });
  }
  return out;
}

/** The data as UTF-8 text, or null when it is not valid UTF-8. */
export function asUtf8(data: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return null;
  }
}
