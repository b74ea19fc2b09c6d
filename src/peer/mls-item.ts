/**
 * The light half of the MLS side of a Peer: its transport item and store
 * names, with no MLS engine behind them. A peer loads src/mls (ts-mls, a few
 * hundred modules) only when it meets an MLS group or item, so DCGKA-only
 * commands start fast (issue 13).
 */
import { asRecord, decodeCanonical, encodeCanonical, fromHex, readBytes, toHex } from '../crypto/index.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';

export const mlsGroupName = (id: string): string => `mlsgroup:${id}`;
/** Store record of an item settled for good without being read (content hash → reason), listed by `Peer.rejected()`. */
export const rejectedRecordName = (hash: string): string => `rejected:${hash}`;
/** Store record of the MLS identity and key-package pool (present once the peer takes part in MLS). */
export const MLS_KEYS = 'mlskeys';

/** Ids of the MLS groups in `store`. */
export async function mlsGroupIds(store: Store): Promise<string[]> {
  return (await store.names('mlsgroup:')).map((n) => n.slice('mlsgroup:'.length));
}

/** True once the peer of `store` took part in MLS. */
export async function mlsInUse(store: Store): Promise<boolean> {
  return (await store.load(MLS_KEYS)) !== undefined;
}

/** A transport item carrying one Secret Group document. */
export function encodeMlsItem(group: string | null, document: Uint8Array): Uint8Array {
  return encodeCanonical({ v: 1, mls: document, group: group === null ? new Uint8Array(0) : fromHex(group) });
}

/** The document of an MLS item, or undefined when `bytes` is not one (a DCGKA item). @throws DecodeError for a malformed MLS item. */
export function decodeMlsItem(bytes: Uint8Array): { group: string | null; document: Uint8Array } | undefined {
  let value: unknown;
  try {
    value = decodeCanonical(bytes, 'mlsItem');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('mls' in value)) return undefined;
  const r = asRecord(value, 'mlsItem', ['v', 'mls', 'group']);
  const group = readBytes(r, 'group', 'mlsItem');
  if (r['v'] !== 1 || (group.length !== 0 && group.length !== 32)) throw new UsageError('USAGE_ARGUMENT', 'mlsItem: unknown version or bad group id');
  return { group: group.length === 0 ? null : toHex(group), document: readBytes(r, 'mls', 'mlsItem', { min: 1 }) };
}

