/**
 * The self-contained wire bundle, for transports without routing (a shared
 * folder, a pub-sub topic): one blob carries the broadcast and every direct
 * part; each recipient picks its own.
 *
 *   control message:     CBOR [0, broadcast, [[recipient(32), direct], ...]]
 *   application message: the application envelope itself (no wrapping)
 */
import { decodeCanonical, encodeCanonical, fromHex, toHex } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { MAX_APPLICATION_BYTES } from './limits.js';
import type { IncomingMessage, OutgoingMessage } from './types.js';

const BUNDLE_HEADER = 0x83;
const BUNDLE_VERSION = 0;

/**
 * One blob for an outgoing message.
 * @example for (const o of outputs) if (o.kind === 'send') publish(encodeWireBundle(o.message));
 */
export function encodeWireBundle(message: OutgoingMessage): Uint8Array {
  if (!message.control) return message.broadcast;
  const direct = [...message.direct].sort((a, b) => (a.recipient < b.recipient ? -1 : 1)).map((d) => [fromHex(d.recipient), d.bytes]);
  return encodeCanonical([BUNDLE_VERSION, message.broadcast, direct]);
}

/**
 * Opens a wire bundle for `me`: the broadcast and my direct part, if any.
 * @param ad associated data to attach (application messages).
 * @throws DecodeError `DECODE_*` for a malformed bundle.
 */
export function openWireBundle(bundle: Uint8Array, me: string, ad?: Uint8Array): IncomingMessage {
  if (bundle[0] !== BUNDLE_HEADER) return { broadcast: bundle, ...(ad ? { ad } : {}) };
  const value = decodeCanonical(bundle, 'wire-bundle', MAX_APPLICATION_BYTES);
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== BUNDLE_VERSION || !(value[1] instanceof Uint8Array) || !Array.isArray(value[2])) {
    throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected [0, broadcast, directs]');
  }
  let direct: Uint8Array | undefined;
  for (const entry of value[2] as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 32 || !(entry[1] instanceof Uint8Array)) {
      throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected [recipient(32), bytes] entries');
    }
    if (toHex(entry[0]) === me) direct = entry[1];
  }
  return { broadcast: value[1], ...(direct ? { direct } : {}) };
}
