/**
 * Versioned, deterministic CBOR encoding of an orderer state.
 *
 *   { v: 1, maxPending, next: { sender: seq }, pending: [message...], recent: { sender: [{ seq, digest }...] } }
 *   message = { sender, seq, deps: [{ sender, seq }...], digest, payload }
 */
import { DecodeError } from '../errors.js';
import { asRecord, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readUint, type CborRecord } from '../crypto/index.js';
import { compareRefs } from './orderer.js';
import {
  MAX_DEPS, MAX_DIGEST_LENGTH, MAX_MAX_PENDING, MAX_ORDERER_BYTES, MAX_PENDING_BYTES, MAX_RECENT_DIGESTS, MAX_SENDER_LENGTH,
} from './limits.js';
import type { DeliveredDigest, MessageRef, OrderedMessage, OrdererState } from './types.js';

const WHAT = 'orderer';

function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Encodes an orderer state as canonical CBOR. */
export function encodeOrderer(state: OrdererState): Uint8Array {
  const recent: Record<string, { seq: number; digest: Uint8Array }[]> = {};
  for (const [sender, list] of Object.entries(state.recent)) define(recent, sender, list.map((r) => ({ seq: r.seq, digest: r.digest })));
  const next: Record<string, number> = {};
  for (const [sender, seq] of Object.entries(state.next)) define(next, sender, seq);
  return encodeCanonical({
    v: state.v,
    maxPending: state.maxPending,
    next,
    pending: state.pending.map((m) => ({ sender: m.sender, seq: m.seq, deps: m.deps.map((d) => ({ sender: d.sender, seq: d.seq })), digest: m.digest, payload: m.payload })),
    recent,
  });
}

function readSender(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SENDER_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}: expected a sender id`);
  return value;
}

function readRef(value: unknown, what: string): MessageRef {
  const record = asRecord(value, what, ['sender', 'seq']);
  return { sender: readSender(record['sender'], `${what}.sender`), seq: readUint(record, 'seq', what) };
}

function readMessage(value: unknown, what: string, next: (sender: string) => number): OrderedMessage {
  const record = asRecord(value, what, ['sender', 'seq', 'deps', 'digest', 'payload']);
  const { sender, seq } = readRef({ sender: record['sender'], seq: record['seq'] }, what);
  const deps = readArray(record, 'deps', what, MAX_DEPS).map((d, i) => readRef(d, `${what}.deps[${i}]`));
  if (deps.some((d) => d.sender === sender && d.seq >= seq)) throw new DecodeError('DECODE_FIELD', `${what}.deps: depends on itself or later`);
  if (seq < next(sender)) throw new DecodeError('DECODE_FIELD', `${what}: already delivered`);
  const digest = readBytes(record, 'digest', what, { min: 1, max: MAX_DIGEST_LENGTH });
  const payload = readBytes(record, 'payload', what, { max: MAX_PENDING_BYTES });
  return { sender, seq, deps, digest: Uint8Array.from(digest), payload: Uint8Array.from(payload) };
}

function readSeqRecord(value: unknown, what: string): Record<string, number> {
  const record = asRecord(value, what);
  const out: Record<string, number> = {};
  for (const sender of Object.keys(record)) {
    readSender(sender, what);
    const seq = readUint(record, sender, what);
    if (seq === 0) throw new DecodeError('DECODE_NON_CANONICAL', `${what}.${sender.slice(0, 80)}: zero is the default and is not stored`);
    define(out, sender, seq);
  }
  return out;
}

function readRecent(value: unknown, what: string, next: (sender: string) => number): Record<string, DeliveredDigest[]> {
  const record: CborRecord = asRecord(value, what);
  const out: Record<string, DeliveredDigest[]> = {};
  for (const sender of Object.keys(record)) {
    readSender(sender, what);
    const list = readArray(record, sender, what, MAX_RECENT_DIGESTS).map((r, i) => {
      const item = asRecord(r, `${what}.${sender}[${i}]`, ['seq', 'digest']);
      const seq = readUint(item, 'seq', `${what}[${i}]`, next(sender) - 1);
      return { seq, digest: Uint8Array.from(readBytes(item, 'digest', `${what}[${i}]`, { min: 1, max: MAX_DIGEST_LENGTH })) };
    });
    if (list.length === 0 || list.some((r, i) => i > 0 && (list[i - 1]?.seq ?? -1) >= r.seq)) throw new DecodeError('DECODE_FIELD', `${what}.${sender.slice(0, 80)}: expected ascending seqs`);
    define(out, sender, list);
  }
  return out;
}

/**
 * Decodes and validates an orderer state.
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD`, `DECODE_NON_CANONICAL`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`.
 */
export function decodeOrderer(bytes: Uint8Array): OrdererState {
  const record = decodeVersionedRecord(bytes, WHAT, 1, ['v', 'maxPending', 'next', 'pending', 'recent'], MAX_ORDERER_BYTES);
  const maxPending = readUint(record, 'maxPending', WHAT, MAX_MAX_PENDING);
  if (maxPending < 1) throw new DecodeError('DECODE_FIELD', `${WHAT}.maxPending: expected at least 1`);
  const next = readSeqRecord(record['next'], `${WHAT}.next`);
  const nextOf = (sender: string): number => (Object.hasOwn(next, sender) ? next[sender] ?? 0 : 0);
  const pending = readArray(record, 'pending', WHAT, maxPending).map((m, i) => readMessage(m, `${WHAT}.pending[${i}]`, nextOf));
  if (pending.some((m, i) => i > 0 && compareRefs(pending[i - 1] as MessageRef, m) >= 0)) throw new DecodeError('DECODE_FIELD', `${WHAT}.pending: expected sorted unique refs`);
  if (pending.reduce((n, m) => n + m.payload.length, 0) > MAX_PENDING_BYTES) throw new DecodeError('DECODE_FIELD', `${WHAT}.pending: more than ${MAX_PENDING_BYTES} payload bytes`);
  const recent = readRecent(record['recent'], `${WHAT}.recent`, nextOf);
  return { v: 1, maxPending, next, pending, recent };
}
