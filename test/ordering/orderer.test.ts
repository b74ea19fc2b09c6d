/**
 * Causal orderer: FIFO, deps, duplicates, equivocation, start offsets,
 * markDelivered, limits at N and N+1; inputs never changed.
 */
import { describe, expect, it } from 'vitest';
import {
  createOrderer, delivered, drainReady, encodeOrderer, enqueue, markDelivered, MAX_DEPS, MAX_DIGEST_LENGTH, MAX_MAX_PENDING,
  MAX_MISSING_PER_SENDER, MAX_PENDING_BYTES, MAX_RECENT_DIGESTS, MAX_SENDER_LENGTH, missing, nextExpected, nextReady,
  type MessageRef, type OrderedMessage, type OrdererState,
} from '../../src/ordering/index.js';

const code = (c: string) => expect.objectContaining({ code: c });
const msg = (sender: string, seq: number, deps: MessageRef[] = [], tag = 0, payload = new Uint8Array([seq])): OrderedMessage =>
  ({ sender, seq, deps, digest: new Uint8Array([sender.charCodeAt(0), seq & 255, seq >> 8, tag]), payload });

/** enqueue, asserting the input state is unchanged on success and on error. */
function put(state: OrdererState, m: OrderedMessage) {
  const before = encodeOrderer(state);
  try {
    return enqueue(state, m);
  } finally {
    expect(encodeOrderer(state)).toEqual(before);
  }
}

describe('causal orderer', () => {
  it('buffers out-of-order messages and delivers them in FIFO order', () => {
    let s = createOrderer();
    const r1 = put(s, msg('b', 1));
    expect(r1.status).toBe('queued');
    expect(missing(r1.state)).toEqual([{ sender: 'b', seq: 0 }]);
    const r0 = put(r1.state, msg('b', 0));
    expect(r0.status).toBe('ready');
    const { state, ready } = drainReady(r0.state);
    expect(ready.map((m) => m.seq)).toEqual([0, 1]);
    expect(nextExpected(state, 'b')).toBe(2);
    expect(delivered(state, { sender: 'b', seq: 1 })).toBe(true);
    expect(delivered(state, { sender: 'b', seq: 2 })).toBe(false);
    s = state;
    expect(state.pending).toEqual([]);
    expect(missing(s)).toEqual([]);
  });

  it('waits for explicit deps (an ack after the op it acks)', () => {
    const ack = msg('b', 0, [{ sender: 'a', seq: 1 }]);
    let r = put(createOrderer(), ack);
    expect(r.status).toBe('queued');
    expect(missing(r.state)).toEqual([{ sender: 'a', seq: 0 }, { sender: 'a', seq: 1 }]);
    r = put(r.state, msg('a', 1));
    expect(nextReady(r.state)).toBeUndefined();
    expect(missing(r.state)).toEqual([{ sender: 'a', seq: 0 }]);
    r = put(r.state, msg('a', 0));
    const { ready } = drainReady(r.state);
    expect(ready.map((m) => `${m.sender}${m.seq}`)).toEqual(['a0', 'a1', 'b0']);
  });

  it('picks deterministically among ready messages (sender order)', () => {
    let s = put(createOrderer(), msg('z', 0)).state;
    s = put(s, msg('m', 0)).state;
    expect(nextReady(s)?.sender).toBe('m');
  });

  it('drops duplicates, pending or delivered, returning the same state', () => {
    const r = put(createOrderer(), msg('a', 1));
    const dup = put(r.state, msg('a', 1));
    expect(dup.status).toBe('duplicate');
    expect(dup.state).toBe(r.state);
    const s = drainReady(put(r.state, msg('a', 0)).state).state;
    const late = put(s, msg('a', 0));
    expect(late).toEqual({ state: s, status: 'duplicate' });
  });

  it('detects equivocation: same sender+seq, different digest → STATE_DUPLICATE', () => {
    const r = put(createOrderer(), msg('a', 1));
    expect(() => put(r.state, msg('a', 1, [], 9))).toThrow(code('STATE_DUPLICATE'));
    const s = drainReady(put(r.state, msg('a', 0)).state).state;
    expect(() => put(s, msg('a', 0, [], 9))).toThrow(code('STATE_DUPLICATE'));
    expect(() => put(s, msg('a', 1, [], 9))).toThrow(code('STATE_DUPLICATE'));
  });

  it(`remembers the digests of the last MAX_RECENT_DIGESTS (${MAX_RECENT_DIGESTS}) delivered messages per sender`, () => {
    let s = createOrderer();
    for (let i = 0; i <= MAX_RECENT_DIGESTS; i++) s = markDelivered(put(s, msg('a', i)).state, { sender: 'a', seq: i });
    expect(() => put(s, msg('a', 1, [], 9))).toThrow(code('STATE_DUPLICATE')); // the N-th latest is still known
    expect(put(s, msg('a', 0, [], 9)).status).toBe('duplicate'); // the (N+1)-th latest is forgotten
  });

  it('rejects a message depending on itself or a later message of its sender (STATE_CAUSALITY)', () => {
    expect(() => put(createOrderer(), msg('a', 2, [{ sender: 'a', seq: 2 }]))).toThrow(code('STATE_CAUSALITY'));
    expect(() => put(createOrderer(), msg('a', 2, [{ sender: 'a', seq: 5 }]))).toThrow(code('STATE_CAUSALITY'));
    expect(put(createOrderer(), msg('a', 2, [{ sender: 'a', seq: 1 }])).status).toBe('queued');
  });

  it('starts senders at the given seq (a joiner after its welcome)', () => {
    const s = createOrderer({ start: { a: 3, b: 0 } });
    expect(s.next).toEqual({ a: 3 });
    expect(put(s, msg('a', 2)).status).toBe('duplicate');
    expect(put(s, msg('a', 3)).status).toBe('ready');
    expect(put(s, msg('c', 0, [{ sender: 'a', seq: 2 }])).status).toBe('ready');
    expect(() => createOrderer({ start: { a: -1 } })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => createOrderer({ start: { '': 1 } })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('markDelivered: own messages advance, earlier refs are a no-op, later ones are refused', () => {
    const s = createOrderer();
    const own = markDelivered(s, { sender: 'me', seq: 0 });
    expect(nextExpected(own, 'me')).toBe(1);
    expect(markDelivered(own, { sender: 'me', seq: 0 })).toBe(own);
    expect(() => markDelivered(own, { sender: 'me', seq: 2 })).toThrow(code('STATE_OUT_OF_ORDER'));
    expect(() => markDelivered(own, { sender: 'me', seq: -1 })).toThrow(code('USAGE_ARGUMENT'));
    // a rejected message is marked delivered too: its successor becomes ready
    const r = put(put(s, msg('a', 0)).state, msg('a', 1));
    expect(nextReady(markDelivered(r.state, { sender: 'a', seq: 0 }))?.seq).toBe(1);
  });

  it('works with Object.prototype property names as senders', () => {
    const r = put(put(createOrderer(), msg('constructor', 1)).state, msg('__proto__', 0, [{ sender: 'constructor', seq: 0 }]));
    expect(missing(r.state)).toEqual([{ sender: 'constructor', seq: 0 }]);
    const { ready } = drainReady(put(r.state, msg('constructor', 0)).state);
    expect(ready.map((m) => `${m.sender}${m.seq}`)).toEqual(['constructor0', '__proto__0', 'constructor1']);
  });

  it('rejects malformed messages with USAGE_ARGUMENT', () => {
    const s = createOrderer();
    for (const bad of [
      { ...msg('a', 0), sender: '' }, { ...msg('a', 0), seq: 1.5 }, { ...msg('a', 0), digest: new Uint8Array(0) },
      { ...msg('a', 0), payload: [1] as unknown as Uint8Array }, { ...msg('a', 0), deps: [{ sender: 'b', seq: -2 }] },
    ]) expect(() => put(s, bad)).toThrow(code('USAGE_ARGUMENT'));
  });

  it('copies bytes into the state', () => {
    const m = msg('a', 1);
    const { state } = put(createOrderer(), m);
    m.payload[0] = 99;
    expect(state.pending[0]?.payload[0]).toBe(1);
  });
});

describe('orderer limits at N and N+1', () => {
  it('maxPending', () => {
    let s = createOrderer({ maxPending: 2 });
    s = put(put(s, msg('a', 1)).state, msg('a', 2)).state;
    expect(() => put(s, msg('a', 3))).toThrow(code('STATE_LIMIT'));
    expect(put(s, msg('a', 2)).status).toBe('duplicate'); // a duplicate is fine when full
    expect(createOrderer({ maxPending: MAX_MAX_PENDING }).maxPending).toBe(MAX_MAX_PENDING);
    expect(() => createOrderer({ maxPending: MAX_MAX_PENDING + 1 })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => createOrderer({ maxPending: 0 })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('MAX_DEPS, MAX_SENDER_LENGTH, MAX_DIGEST_LENGTH', () => {
    const deps = (n: number) => Array.from({ length: n }, (_, i) => ({ sender: 'b', seq: i }));
    expect(put(createOrderer(), msg('a', 0, deps(MAX_DEPS))).status).toBe('queued');
    expect(() => put(createOrderer(), msg('a', 0, deps(MAX_DEPS + 1)))).toThrow(code('USAGE_ARGUMENT'));
    expect(put(createOrderer(), msg('s'.repeat(MAX_SENDER_LENGTH), 0)).status).toBe('ready');
    expect(() => put(createOrderer(), msg('s'.repeat(MAX_SENDER_LENGTH + 1), 0))).toThrow(code('USAGE_ARGUMENT'));
    expect(put(createOrderer(), { ...msg('a', 0), digest: new Uint8Array(MAX_DIGEST_LENGTH) }).status).toBe('ready');
    expect(() => put(createOrderer(), { ...msg('a', 0), digest: new Uint8Array(MAX_DIGEST_LENGTH + 1) })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('MAX_PENDING_BYTES', () => {
    const half = MAX_PENDING_BYTES / 2;
    const s = enqueue(enqueue(createOrderer(), msg('a', 1, [], 0, new Uint8Array(half))).state, msg('a', 2, [], 0, new Uint8Array(half))).state;
    expect(s.pending).toHaveLength(2);
    expect(() => enqueue(s, msg('a', 3, [], 0, new Uint8Array(1)))).toThrow(code('STATE_LIMIT'));
    expect(enqueue(s, msg('a', 3, [], 0, new Uint8Array(0))).status).toBe('queued');
  });

  it('MAX_MISSING_PER_SENDER', () => {
    const at = (seq: number) => missing(put(createOrderer(), msg('a', seq)).state);
    expect(at(MAX_MISSING_PER_SENDER)).toHaveLength(MAX_MISSING_PER_SENDER);
    expect(at(MAX_MISSING_PER_SENDER + 1)).toHaveLength(MAX_MISSING_PER_SENDER);
    expect(at(MAX_MISSING_PER_SENDER + 1).at(-1)).toEqual({ sender: 'a', seq: MAX_MISSING_PER_SENDER - 1 });
    expect(at(MAX_MISSING_PER_SENDER - 1)).toHaveLength(MAX_MISSING_PER_SENDER - 1);
  });
});
