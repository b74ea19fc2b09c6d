/**
 * The message item every transport carries for a group: deterministic CBOR
 *
 *   v1: { v: 1, group, scheme, control, bundle }
 *   v2: { v: 2, group, scheme, control, bundle, ad }   (application data with associated data)
 *
 * where `bundle` is the group layer's self-contained wire bundle (broadcast
 * and every direct part). The wrapper only routes: the group id and scheme
 * of an application message are bound into its signature and AEAD (and so
 * is `ad`), and a control message carries its signed group id, so a
 * re-wrapped message fails to verify (or is a duplicate) instead of being
 * misattributed.
 */
import { asRecord, decodeCanonical, encodeCanonical, fromHex, readBool, readBytes, readText, toHex } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import type { GroupScheme } from '../group/index.js';

/** Largest message item accepted. */
export const MAX_MESSAGE_ITEM_BYTES = 64 * 1024 * 1024;
/** Largest associated data carried with a message. */
export const MAX_AD_BYTES = 64 * 1024;

/** A decoded message item. */
export interface MessageItem {
  readonly group: string;
  readonly scheme: GroupScheme;
  readonly control: boolean;
  readonly bundle: Uint8Array;
  /** Associated data of an application message (authenticated, not encrypted). */
  readonly ad: Uint8Array | null;
}

/** Encodes a message item (v1 without associated data, v2 with it). */
export function encodeMessageItem(m: MessageItem): Uint8Array {
  const base = { group: fromHex(m.group), scheme: m.scheme, control: m.control, bundle: m.bundle };
  return m.ad === null ? encodeCanonical({ v: 1, ...base }) : encodeCanonical({ v: 2, ...base, ad: m.ad });
}

/**
 * Decodes a message item.
 * @throws DecodeError `DECODE_*` for malformed bytes or an unknown version.
 */
export function decodeMessageItem(bytes: Uint8Array): MessageItem {
  const what = 'messageItem';
  const value = decodeCanonical(bytes, what, MAX_MESSAGE_ITEM_BYTES);
  const version = (value as { v?: unknown } | null)?.v;
  if (version !== 1 && version !== 2) throw new DecodeError('DECODE_VERSION_UNSUPPORTED', `${what}: version ${String(version)} is not supported`);
  const keys = ['v', 'group', 'scheme', 'control', 'bundle', ...(version === 2 ? ['ad'] : [])];
  const r = asRecord(value, what, keys);
  return {
    group: toHex(readBytes(r, 'group', what, 32)),
    scheme: readText<GroupScheme>(r, 'scheme', what, ['data', 'message']),
    control: readBool(r, 'control', what),
    bundle: readBytes(r, 'bundle', what),
    ad: version === 2 ? readBytes(r, 'ad', what, { max: MAX_AD_BYTES }) : null,
  };
}
