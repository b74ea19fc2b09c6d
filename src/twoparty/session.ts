/**
 * One 2SM session per peer (DCGKA paper, 2SM; DCGKA.md §3): plain data.
 *
 * - `mySecretKeys`: my secret keys by index (the paper's `mySks`); index i is
 *   announced in my i-th message and deleted, with all lower ones, once the
 *   peer seals to it.
 * - `receivedSecretKey`: the newest secret key the peer made for me (`receivedSk`).
 * - `otherPublicKey`: the key I seal my next message to, with `keyIndex` 0 when
 *   I made it (the paper's "me"), else the peer's own index ("other"); null
 *   until I know any key of the peer's other than via a key bundle.
 * - `receivedIndex`: index of the peer's last processed message (0: none),
 *   so replays and gaps are refused (2SM needs per-direction FIFO).
 * - `pq`: a post-quantum session: PQXDH first message, X-Wing 2SM keys
 *   (32-byte secrets as before, 1216-byte public keys). Encoded as session
 *   version 2; classic sessions stay version 1.
 */
import { asRecord, copyBytes, decodeCanonical, decodeVersionedRecord, encodeCanonical, readArray, readBool, readBytes, readUint, XWING_PUBLIC_KEY_LENGTH } from '../crypto/index.js';
import { KEY_LENGTH } from '../keys/index.js';
import { DecodeError, UsageError } from '../errors.js';
import { MAX_SESSION_BYTES } from './limits.js';

/** Version of the encoded session state. */
export const SESSION_VERSION = 1;
/** Version of an encoded post-quantum session. */
export const PQ_SESSION_VERSION = 2;

/** One of my 2SM secret keys, by index. */
export interface IndexedSecretKey {
  readonly index: number;
  readonly secretKey: Uint8Array;
}

/** The peer key my next message is sealed to. */
export interface OtherPublicKey {
  readonly publicKey: Uint8Array;
  /** 0: a key I made for the peer (paper: "me"); i ≥ 1: the peer's own key number i ("other"). */
  readonly keyIndex: number;
}

/** 2SM state for one peer (plain, serializable data). */
export interface TwoPartySession {
  readonly v: 1;
  readonly peerIdentityKey: Uint8Array;
  /** Ascending by index. */
  readonly mySecretKeys: readonly IndexedSecretKey[];
  /** Index of my next message (starts at 1). */
  readonly nextIndex: number;
  readonly receivedSecretKey: Uint8Array | null;
  readonly otherPublicKey: OtherPublicKey | null;
  readonly receivedIndex: number;
  /** Present (true) in post-quantum sessions. */
  readonly pq?: true;
}

/**
 * A fresh session with a peer, known by its identity key.
 * @throws UsageError `USAGE_KEY_LENGTH` when the key is not 32 bytes.
 * @example const session = createSession(bobIdentityKey);
 */
export function createSession(peerIdentityKey: Uint8Array, options: { readonly pq?: boolean } = {}): TwoPartySession {
  if (!(peerIdentityKey instanceof Uint8Array) || peerIdentityKey.length !== KEY_LENGTH) {
    throw new UsageError('USAGE_KEY_LENGTH', `peerIdentityKey: expected ${KEY_LENGTH} bytes`);
  }
  const session: TwoPartySession = { v: 1, peerIdentityKey: copyBytes(peerIdentityKey), mySecretKeys: [], nextIndex: 1, receivedSecretKey: null, otherPublicKey: null, receivedIndex: 0 };
  return options.pq === true ? { ...session, pq: true } : session;
}

/** Byte length of the 2SM public keys of a session: X25519 or X-Wing. */
export function sessionPublicKeyLength(session: TwoPartySession): number {
  return session.pq === true ? XWING_PUBLIC_KEY_LENGTH : KEY_LENGTH;
}

/**
 * True until I know a key of the peer's other than via a key bundle: the next
 * `twoPartySend` then needs `peerBundle` (and runs X3DH).
 */
export function sessionNeedsBundle(session: TwoPartySession): boolean {
  return session.otherPublicKey === null;
}

/** Encodes a session as deterministic, versioned CBOR (contains secrets). */
export function encodeSession(session: TwoPartySession): Uint8Array {
  return encodeCanonical({
    ...(session.pq === true ? { pq: true } : {}),
    v: session.pq === true ? PQ_SESSION_VERSION : SESSION_VERSION,
    peerIdentityKey: session.peerIdentityKey,
    mySecretKeys: session.mySecretKeys.map((k) => ({ index: k.index, secretKey: k.secretKey })),
    nextIndex: session.nextIndex,
    receivedSecretKey: session.receivedSecretKey,
    otherPublicKey: session.otherPublicKey === null ? null : { publicKey: session.otherPublicKey.publicKey, keyIndex: session.otherPublicKey.keyIndex },
    receivedIndex: session.receivedIndex,
  });
}

/**
 * Decodes a session, checking structure and invariants (ascending key
 * indices below `nextIndex`).
 * @throws DecodeError `DECODE_*` on malformed, non-canonical, wrong-version or trailing input.
 */
export function decodeSession(bytes: Uint8Array): TwoPartySession {
  const what = 'twoPartySession';
  const keys = ['v', 'peerIdentityKey', 'mySecretKeys', 'nextIndex', 'receivedSecretKey', 'otherPublicKey', 'receivedIndex'];
  const outer = asRecord(decodeCanonical(bytes, what, MAX_SESSION_BYTES), what);
  const pq = outer['v'] === PQ_SESSION_VERSION;
  const record = pq ? asRecord(outer, what, [...keys, 'pq']) : decodeVersionedRecord(bytes, what, SESSION_VERSION, keys, MAX_SESSION_BYTES);
  if (pq && !readBool(record, 'pq', what)) throw new DecodeError('DECODE_FIELD', `${what}.pq: must be true in a version-2 session`);
  const publicKeyLength = pq ? XWING_PUBLIC_KEY_LENGTH : KEY_LENGTH;
  const nextIndex = readUint(record, 'nextIndex', what);
  if (nextIndex < 1) throw new DecodeError('DECODE_FIELD', `${what}.nextIndex: must be at least 1`);
  let previous = 0;
  const mySecretKeys = readArray(record, 'mySecretKeys', what).map((value, i) => {
    const w = `${what}.mySecretKeys[${i}]`;
    const k = asRecord(value, w, ['index', 'secretKey']);
    const index = readUint(k, 'index', w);
    if (index <= previous || index >= nextIndex) throw new DecodeError('DECODE_FIELD', `${w}.index: ${index} out of order or range`);
    previous = index;
    return { index, secretKey: copyBytes(readBytes(k, 'secretKey', w, KEY_LENGTH)) };
  });
  const received = record['receivedSecretKey'] === null ? null : copyBytes(readBytes(record, 'receivedSecretKey', what, KEY_LENGTH));
  let otherPublicKey: OtherPublicKey | null = null;
  if (record['otherPublicKey'] !== null) {
    const o = asRecord(record['otherPublicKey'], `${what}.otherPublicKey`, ['publicKey', 'keyIndex']);
    otherPublicKey = { publicKey: copyBytes(readBytes(o, 'publicKey', `${what}.otherPublicKey`, publicKeyLength)), keyIndex: readUint(o, 'keyIndex', `${what}.otherPublicKey`) };
  }
  return {
    v: 1,
    peerIdentityKey: copyBytes(readBytes(record, 'peerIdentityKey', what, KEY_LENGTH)),
    mySecretKeys,
    nextIndex,
    receivedSecretKey: received,
    otherPublicKey,
    receivedIndex: readUint(record, 'receivedIndex', what),
    ...(pq ? { pq: true as const } : {}),
  };
}
