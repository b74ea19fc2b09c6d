/**
 * The self-contained wire bundle, for transports without routing (a shared
 * folder, a pub-sub topic): one blob carries the group id, the scheme, the
 * broadcast and every direct part; each recipient picks its own.
 *
 *   v1 (written): CBOR [1, groupId(32), scheme(0 message | 1 data), broadcast, [[recipient(32), direct], ...]]
 *   v0 (still read): control message CBOR [0, broadcast, directs]; application message the bare envelope
 *
 * The group id and scheme let a receiver route a blob to its group and let
 * `joinGroup` take the scheme from the invitation. They are not authenticated
 * by the bundle itself; a control message's group id and an application
 * message's group and scheme are (signature and AEAD), and `receive` and
 * `joinGroup` refuse a bundle whose label disagrees with them.
 */
import { decodeCanonical, encodeCanonical, fromHex, toHex } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { MAX_APPLICATION_BYTES } from './limits.js';
import type { GroupScheme, IncomingMessage, OutgoingMessage } from './types.js';

const V0_HEADER = 0x83;
const V1_HEADER = 0x85;
const BUNDLE_V0 = 0;
const BUNDLE_V1 = 1;
const SCHEME_CODE: Readonly<Record<GroupScheme, number>> = { message: 0, data: 1 };
const SCHEME_OF_CODE: readonly GroupScheme[] = ['message', 'data'];

/**
 * One blob for an outgoing message: a v1 bundle labelled with the message's
 * group id and scheme (every Group API output carries them); a message
 * without them (built by hand) gets the v0 form.
 * @example for (const o of outputs) if (o.kind === 'send') publish(encodeWireBundle(o.message));
 */
export function encodeWireBundle(message: OutgoingMessage): Uint8Array {
  const direct = [...message.direct].sort((a, b) => (a.recipient < b.recipient ? -1 : 1)).map((d) => [fromHex(d.recipient), d.bytes]);
  if (message.groupId !== undefined && message.scheme !== undefined) {
    return encodeCanonical([BUNDLE_V1, fromHex(message.groupId), SCHEME_CODE[message.scheme], message.broadcast, direct]);
  }
  if (!message.control) return message.broadcast;
  return encodeCanonical([BUNDLE_V0, message.broadcast, direct]);
}

/** True for a v1 wire bundle (labelled with its group and scheme). */
export function isLabelledBundle(bytes: Uint8Array): boolean {
  return bytes[0] === V1_HEADER;
}

/** A bare v0 application envelope: a CBOR array of 6 to 8 items whose first is the envelope version 1, 2 or 3. */
function isBareEnvelope(bundle: Uint8Array): boolean {
  const head = bundle[0] ?? 0;
  const version = bundle[1] ?? 0;
  return head >= 0x86 && head <= 0x88 && version >= 0x01 && version <= 0x03;
}

function directFor(entries: unknown, me: string): Uint8Array | undefined {
  if (!Array.isArray(entries)) throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected a list of direct parts');
  let direct: Uint8Array | undefined;
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 32 || !(entry[1] instanceof Uint8Array)) {
      throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected [recipient(32), bytes] entries');
    }
    if (toHex(entry[0]) === me) direct = entry[1];
  }
  return direct;
}

/**
 * Opens a wire bundle for `me`: the broadcast, my direct part if any, and
 * (v1 bundles) the group id and scheme it is labelled with.
 * @param ad associated data to attach (application messages).
 * @throws DecodeError `DECODE_*` for anything that is not a wire bundle (v1, v0 or a bare application envelope).
 * @example const incoming = openWireBundle(blob, myId(state)); const target = groups.get(incoming.groupId ?? '');
 */
export function openWireBundle(bundle: Uint8Array, me: string, ad?: Uint8Array): IncomingMessage {
  if (!(bundle instanceof Uint8Array)) throw new DecodeError('DECODE_MALFORMED', 'wire-bundle: expected bytes');
  const extra = ad ? { ad } : {};
  if (bundle[0] === V1_HEADER) {
    const value = decodeCanonical(bundle, 'wire-bundle', MAX_APPLICATION_BYTES);
    if (!Array.isArray(value) || value.length !== 5 || value[0] !== BUNDLE_V1 || !(value[1] instanceof Uint8Array) || value[1].length !== 32
      || (value[2] !== 0 && value[2] !== 1) || !(value[3] instanceof Uint8Array)) {
      throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected [1, groupId(32), scheme, broadcast, directs]');
    }
    const direct = directFor(value[4], me);
    const scheme = SCHEME_OF_CODE[value[2] as number] as GroupScheme;
    return { broadcast: value[3], ...(direct ? { direct } : {}), ...extra, groupId: toHex(value[1]), scheme };
  }
  if (bundle[0] === V0_HEADER) {
    const value = decodeCanonical(bundle, 'wire-bundle', MAX_APPLICATION_BYTES);
    if (!Array.isArray(value) || value.length !== 3 || value[0] !== BUNDLE_V0 || !(value[1] instanceof Uint8Array)) {
      throw new DecodeError('DECODE_FIELD', 'wire-bundle: expected [0, broadcast, directs]');
    }
    const direct = directFor(value[2], me);
    return { broadcast: value[1], ...(direct ? { direct } : {}) };
  }
  if (isBareEnvelope(bundle)) return { broadcast: bundle, ...extra };
  throw new DecodeError('DECODE_MALFORMED', 'wire-bundle: not a wire bundle (neither a v1/v0 bundle nor an application envelope)');
}
