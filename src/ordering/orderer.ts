/**
 * The causal orderer: per-sender FIFO plus explicit dependencies.
 *
 *   sender A:  A0 ── A1 ── A2          a message is deliverable when it is its
 *                    │                 sender's next seq and every declared
 *   sender B:  B0 ── B1 (deps: A1)     dep is delivered (seq < next[dep.sender])
 *
 * Messages that are not deliverable wait in `pending`; duplicates are dropped;
 * the same sender+seq with another digest is equivocation. Transport
 * independent: the caller enqueues what arrives, takes what is ready, and
 * marks it delivered once processed (or definitively rejected).
 */
import { StateError, UsageError } from '../errors.js';
import { bytesEqual, copyBytes } from '../crypto/index.js';
import {
  DEFAULT_MAX_PENDING, MAX_DEPS, MAX_DIGEST_LENGTH, MAX_MAX_PENDING, MAX_MISSING_PER_SENDER, MAX_PENDING_BYTES,
  MAX_RECENT_DIGESTS, MAX_SENDER_LENGTH,
} from './limits.js';
import type { DeliveredDigest, MessageRef, OrderedMessage, OrdererState } from './types.js';

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function withKey<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  const out: Record<string, T> = { ...record };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Code-unit order of refs: sender, then seq. */
export function compareRefs(a: MessageRef, b: MessageRef): number {
  if (a.sender !== b.sender) return a.sender < b.sender ? -1 : 1;
  return a.seq - b.seq;
}

/** @throws UsageError `USAGE_ARGUMENT` unless a valid sender id. */
export function checkSender(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SENDER_LENGTH) {
    throw new UsageError('USAGE_ARGUMENT', `${field}: expected a string of 1..${MAX_SENDER_LENGTH} characters`);
  }
  return value;
}

function checkSeq(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new UsageError('USAGE_ARGUMENT', `${field}: expected a non-negative integer`);
  return value;
}

/**
 * A new, empty orderer.
 * @param options.start next expected seq per sender (a joiner starts after what its welcome covered); others start at 0.
 * @param options.maxPending most buffered messages (default DEFAULT_MAX_PENDING, at most MAX_MAX_PENDING).
 * @throws UsageError `USAGE_ARGUMENT` for a bad sender, seq or bound.
 * @example const orderer = createOrderer({ start: { aa: 3 } });
 */
export function createOrderer(options: { readonly start?: Readonly<Record<string, number>>; readonly maxPending?: number } = {}): OrdererState {
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1 || maxPending > MAX_MAX_PENDING) {
    throw new UsageError('USAGE_ARGUMENT', `maxPending: expected an integer in 1..${MAX_MAX_PENDING}`);
  }
  let next: Record<string, number> = {};
  for (const sender of Object.keys(options.start ?? {}).sort()) {
    const seq = checkSeq(own(options.start ?? {}, sender), `start.${checkSender(sender, 'start')}`);
    if (seq > 0) next = withKey(next, sender, seq);
  }
  return { v: 1, maxPending, next, pending: [], recent: {} };
}

/** The next seq to deliver from `sender`. */
export function nextExpected(state: OrdererState, sender: string): number {
  return own(state.next, sender) ?? 0;
}

/** True when the message `ref` names was delivered (or precedes the sender's start). */
export function delivered(state: OrdererState, ref: MessageRef): boolean {
  return ref.seq < nextExpected(state, ref.sender);
}

function isReady(state: OrdererState, m: OrderedMessage): boolean {
  return m.seq === nextExpected(state, m.sender) && m.deps.every((d) => delivered(state, d));
}

function findPending(state: OrdererState, ref: MessageRef): number {
  let lo = 0;
  let hi = state.pending.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareRefs(state.pending[mid] as MessageRef, ref) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkMessage(message: OrderedMessage): OrderedMessage {
  const sender = checkSender(message?.sender, 'sender');
  const seq = checkSeq(message.seq, 'seq');
  if (!Array.isArray(message.deps) || message.deps.length > MAX_DEPS) throw new UsageError('USAGE_ARGUMENT', `deps: expected at most ${MAX_DEPS} refs`);
  const deps = message.deps.map((d, i) => ({ sender: checkSender(d?.sender, `deps[${i}].sender`), seq: checkSeq(d.seq, `deps[${i}].seq`) }));
  if (!(message.digest instanceof Uint8Array) || message.digest.length === 0 || message.digest.length > MAX_DIGEST_LENGTH) {
    throw new UsageError('USAGE_ARGUMENT', `digest: expected 1..${MAX_DIGEST_LENGTH} bytes`);
  }
  if (!(message.payload instanceof Uint8Array) || message.payload.length > MAX_PENDING_BYTES) {
    throw new UsageError('USAGE_ARGUMENT', `payload: expected at most ${MAX_PENDING_BYTES} bytes`);
  }
  if (deps.some((d) => d.sender === sender && d.seq >= seq)) {
    throw new StateError('STATE_CAUSALITY', `message ${sender.slice(0, 80)}:${seq} depends on itself or a later message of its sender`);
  }
  return { sender, seq, deps, digest: copyBytes(message.digest), payload: copyBytes(message.payload) };
}

/**
 * Hands an arrived message to the orderer.
 * @returns `duplicate` (already delivered or pending with the same digest; state unchanged), `ready`
 *   (buffered and deliverable now) or `queued` (buffered, waiting for missing messages).
 * @throws StateError `STATE_DUPLICATE` (equivocation: same sender+seq, different digest), `STATE_CAUSALITY`
 *   (depends on itself or a later message of its sender), `STATE_LIMIT` (buffer full: maxPending or
 *   MAX_PENDING_BYTES); UsageError `USAGE_ARGUMENT` (malformed message).
 */
export function enqueue(state: OrdererState, message: OrderedMessage): { state: OrdererState; status: 'queued' | 'duplicate' | 'ready' } {
  const m = checkMessage(message);
  const equivocation = () => new StateError('STATE_DUPLICATE', `two different messages ${m.sender.slice(0, 80)}:${m.seq}`);
  if (delivered(state, m)) {
    const known = (own(state.recent, m.sender) ?? []).find((r) => r.seq === m.seq);
    if (known !== undefined && !bytesEqual(known.digest, m.digest)) throw equivocation();
    return { state, status: 'duplicate' };
  }
  const at = findPending(state, m);
  const there = state.pending[at];
  if (there !== undefined && compareRefs(there, m) === 0) {
    if (!bytesEqual(there.digest, m.digest)) throw equivocation();
    return { state, status: 'duplicate' };
  }
  if (state.pending.length >= state.maxPending) throw new StateError('STATE_LIMIT', `${state.pending.length} messages pending (limit ${state.maxPending})`);
  const bytes = state.pending.reduce((n, p) => n + p.payload.length, 0);
  if (bytes + m.payload.length > MAX_PENDING_BYTES) throw new StateError('STATE_LIMIT', `pending payloads would exceed ${MAX_PENDING_BYTES} bytes`);
  const pending = [...state.pending.slice(0, at), m, ...state.pending.slice(at)];
  const next = { ...state, pending };
  return { state: next, status: isReady(next, m) ? 'ready' : 'queued' };
}

/**
 * A deliverable message: its sender's next seq with every dep delivered; the
 * first such in (sender, seq) order, so the choice is deterministic.
 * Returns undefined when nothing is deliverable.
 */
export function nextReady(state: OrdererState): OrderedMessage | undefined {
  return state.pending.find((m) => isReady(state, m));
}

/**
 * Records that the caller processed (or definitively rejected) `ref`, which
 * must be its sender's next seq; removes it from the buffer if it is there.
 * Also the way to record one's own sent messages. A ref already delivered is a no-op.
 * @throws StateError `STATE_OUT_OF_ORDER` when `ref` is beyond its sender's next seq; UsageError `USAGE_ARGUMENT`.
 */
export function markDelivered(state: OrdererState, ref: MessageRef): OrdererState {
  const sender = checkSender(ref?.sender, 'sender');
  const seq = checkSeq(ref.seq, 'seq');
  const expected = nextExpected(state, sender);
  if (seq < expected) return state;
  if (seq > expected) throw new StateError('STATE_OUT_OF_ORDER', `${sender.slice(0, 80)}:${seq} marked delivered before ${expected}`);
  const at = findPending(state, { sender, seq });
  const there = state.pending[at];
  const found = there !== undefined && compareRefs(there, { sender, seq }) === 0 ? there : undefined;
  let recent = state.recent;
  if (found !== undefined) {
    const list: DeliveredDigest[] = [...(own(recent, sender) ?? []), { seq, digest: found.digest }];
    recent = withKey(recent, sender, list.slice(-MAX_RECENT_DIGESTS));
  }
  return {
    ...state,
    next: withKey(state.next, sender, seq + 1),
    pending: found === undefined ? state.pending : [...state.pending.slice(0, at), ...state.pending.slice(at + 1)],
    recent,
  };
}

/** Takes every deliverable message in a causal order, marking each delivered. */
export function drainReady(state: OrdererState): { state: OrdererState; ready: OrderedMessage[] } {
  const ready: OrderedMessage[] = [];
  let current = state;
  for (let m = nextReady(current); m !== undefined; m = nextReady(current)) {
    ready.push(m);
    current = markDelivered(current, m);
  }
  return { state: current, ready };
}

/**
 * The messages that are neither delivered nor pending but that some pending
 * message needs (its sender's earlier seqs, its deps and everything before
 * them): what to ask peers for. Sorted by (sender, seq); at most
 * MAX_MISSING_PER_SENDER per sender, the earliest ones.
 */
export function missing(state: OrdererState): readonly MessageRef[] {
  const upTo = new Map<string, number>();
  const need = (sender: string, seq: number): void => {
    if (seq >= nextExpected(state, sender) && seq > (upTo.get(sender) ?? -1)) upTo.set(sender, seq);
  };
  for (const m of state.pending) {
    need(m.sender, m.seq - 1);
    for (const d of m.deps) need(d.sender, d.seq);
  }
  const out: MessageRef[] = [];
  for (const sender of [...upTo.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const last = upTo.get(sender) ?? -1;
    let count = 0;
    for (let seq = nextExpected(state, sender); seq <= last && count < MAX_MISSING_PER_SENDER; seq++) {
      const at = findPending(state, { sender, seq });
      const there = state.pending[at];
      if (there !== undefined && there.sender === sender && there.seq === seq) continue;
      out.push({ sender, seq });
      count++;
    }
  }
  return out;
}
