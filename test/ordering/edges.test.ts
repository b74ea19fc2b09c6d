/**
 * Orderer and codec edge cases that the main tests leave open: markDelivered of a ref that is not
 * pending, the order and extent of missing(), bounds at exactly N, malformed input of any shape, and
 * codec checks that an earlier check used to mask.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import {
  createOrderer, decodeOrderer, drainReady, encodeOrderer, enqueue, markDelivered, MAX_PENDING_BYTES, MAX_SENDER_LENGTH, missing,
  nextExpected, nextReady, type MessageRef, type OrderedMessage, type OrdererState,
} from '../../src/ordering/index.js';

const code = (c: string) => expect.objectContaining({ code: c });
const msg = (sender: string, seq: number, deps: MessageRef[] = [], payload = new Uint8Array([seq & 255])): OrderedMessage =>
  ({ sender, seq, deps, digest: new Uint8Array([sender.charCodeAt(0), seq & 255]), payload });
const enqueueAll = (state: OrdererState, messages: OrderedMessage[]) => messages.reduce((s, m) => enqueue(s, m).state, state);
const refs = (list: readonly MessageRef[]) => list.map((r) => `${r.sender}${r.seq}`);

describe('markDelivered of a message that is not pending', () => {
  it('advances its sender and leaves every pending message in place', () => {
    // b0 is pending and ready; a0 (e.g. one's own message, or one rejected before enqueue) is not pending.
    const s = enqueueAll(createOrderer(), [msg('b', 0), msg('c', 1)]);
    const after = markDelivered(s, { sender: 'a', seq: 0 });
    expect(nextExpected(after, 'a')).toBe(1);
    expect(refs(after.pending)).toEqual(['b0', 'c1']);
    expect(after.recent).toEqual({}); // nothing was delivered from the buffer, so no digest to remember
    expect(nextReady(after)?.sender).toBe('b');
  });

  it('on an empty buffer', () => {
    const after = markDelivered(createOrderer(), { sender: 'a', seq: 0 });
    expect(after.pending).toEqual([]);
    expect(after.recent).toEqual({});
    expect(nextExpected(after, 'a')).toBe(1);
  });

  it('removes exactly the delivered message when it is pending between others', () => {
    const s = enqueueAll(createOrderer(), [msg('a', 1), msg('b', 0), msg('c', 0)]);
    const after = markDelivered(s, { sender: 'b', seq: 0 });
    expect(refs(after.pending)).toEqual(['a1', 'c0']);
    expect(after.recent['b']?.map((r) => r.seq)).toEqual([0]);
  });

  it('keeps next and recent through an encode/decode round trip', () => {
    const s = drainReady(enqueueAll(createOrderer(), [msg('a', 0), msg('a', 1), msg('b', 0)])).state;
    const back = decodeOrderer(encodeOrderer(s));
    expect(nextExpected(back, 'a')).toBe(2);
    expect(nextExpected(back, 'b')).toBe(1);
    expect(back.recent['a']?.map((r) => r.seq)).toEqual([0, 1]);
    expect(Object.keys(s.next).sort()).toEqual(['a', 'b']);
  });
});

describe('missing()', () => {
  it('lists senders in code-unit order, whatever order the deps name them in', () => {
    // z1 waits for z0 and for deps on five other senders, named out of order.
    const deps = ['q', 'c', 'x', 'a', 'm'].map((sender) => ({ sender, seq: 0 }));
    const s = enqueueAll(createOrderer(), [msg('z', 1, deps)]);
    expect(refs(missing(s))).toEqual(['a0', 'c0', 'm0', 'q0', 'x0', 'z0']);
  });

  it('asks for everything up to the highest seq any pending message needs', () => {
    // a5 needs a0..a4; b0's dep on a1 must not shrink that range.
    const s = enqueueAll(createOrderer(), [msg('a', 5), msg('b', 0, [{ sender: 'a', seq: 1 }])]);
    expect(refs(missing(s))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    // in the other order too: a dep on a3 first, then c2 needs c0 and c1 and a dep on a1
    const t = enqueueAll(createOrderer(), [msg('b', 0, [{ sender: 'a', seq: 3 }]), msg('c', 2, [{ sender: 'a', seq: 1 }])]);
    expect(refs(missing(t))).toEqual(['a0', 'a1', 'a2', 'a3', 'c0', 'c1']);
  });

  it('skips delivered and pending messages', () => {
    const s = enqueueAll(createOrderer({ start: { a: 2 } }), [msg('a', 3), msg('a', 6), msg('b', 0, [{ sender: 'a', seq: 1 }])]);
    expect(refs(missing(s))).toEqual(['a2', 'a4', 'a5']);
  });
});

describe('bounds at exactly N', () => {
  it('maxPending 1 is allowed and holds one message', () => {
    const s = createOrderer({ maxPending: 1 });
    expect(s.maxPending).toBe(1);
    const one = enqueue(s, msg('a', 1)).state;
    expect(() => enqueue(one, msg('a', 2))).toThrow(code('STATE_LIMIT'));
    expect(decodeOrderer(encodeOrderer(one)).maxPending).toBe(1);
  });

  it('one payload of exactly MAX_PENDING_BYTES is accepted; one byte more is a malformed message, not a full buffer', () => {
    const big = new Uint8Array(MAX_PENDING_BYTES);
    expect(enqueue(createOrderer(), msg('a', 1, [], big)).status).toBe('queued');
    expect(() => enqueue(createOrderer(), msg('a', 1, [], new Uint8Array(MAX_PENDING_BYTES + 1)))).toThrow(code('USAGE_ARGUMENT'));
  });
});

describe('malformed input of any shape is a typed error', () => {
  const s = createOrderer();
  it('a missing message, ref or dep', () => {
    expect(() => enqueue(s, undefined as unknown as OrderedMessage)).toThrow(code('USAGE_ARGUMENT'));
    expect(() => enqueue(s, { ...msg('a', 0), deps: [null as unknown as MessageRef] })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => markDelivered(s, undefined as unknown as MessageRef)).toThrow(code('USAGE_ARGUMENT'));
  });

  it('a sender that is not a string', () => {
    expect(() => enqueue(s, { ...msg('a', 0), sender: 7 as unknown as string })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => enqueue(s, msg('a', 0, [{ sender: ['b'] as unknown as string, seq: 0 }]))).toThrow(code('USAGE_ARGUMENT'));
    expect(() => markDelivered(s, { sender: { length: 1 } as unknown as string, seq: 0 })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('names the offending field', () => {
    expect(() => enqueue(s, { ...msg('a', 0), sender: '' })).toThrow(/sender/);
    expect(() => enqueue(s, msg('a', 1, [{ sender: 'b', seq: 0 }, { sender: '', seq: 0 }]))).toThrow(/deps\[1\]\.sender/);
    expect(() => enqueue(s, msg('a', 1, [{ sender: 'b', seq: -1 }]))).toThrow(/deps\[0\]\.seq/);
    expect(() => enqueue(s, { ...msg('a', 0), seq: -1 })).toThrow(/seq/);
    expect(() => createOrderer({ start: { b: 1.5 } })).toThrow(/start\.b/);
  });
});

type Raw = Record<string, unknown> & {
  pending: Record<string, unknown>[];
  next: Record<string, number>;
  recent: Record<string, { seq: number; digest: Uint8Array }[]>;
};
/** a0, a1 delivered (recent [0, 1]); pending: b0 waiting on a5 (another sender, later seq), c2 with a dep on its own c0. */
function sample(): OrdererState {
  const delivered = drainReady(enqueueAll(createOrderer({ maxPending: 4 }), [msg('a', 0), msg('a', 1)])).state;
  return enqueueAll(delivered, [msg('b', 0, [{ sender: 'a', seq: 5 }]), msg('c', 2, [{ sender: 'c', seq: 0 }])]);
}
const raw = (): Raw => decodeCanonical(encodeOrderer(sample()), 't') as Raw;
const reencode = (edit: (r: Raw) => void) => {
  const r = raw();
  edit(r);
  return encodeCanonical(r);
};

describe('orderer codec, each check on its own', () => {
  it('round-trips deps on another sender\'s later seq and on one\'s own earlier seq, and a message without deps', () => {
    const s = enqueue(sample(), msg('d', 1)).state;
    expect(decodeOrderer(encodeOrderer(s))).toEqual(s);
  });

  it('accepts senders of exactly MAX_SENDER_LENGTH everywhere', () => {
    const long = 'L'.repeat(MAX_SENDER_LENGTH);
    const s = drainReady(enqueueAll(createOrderer(), [msg(long, 0), msg(long, 2, [{ sender: long, seq: 0 }])])).state;
    expect(decodeOrderer(encodeOrderer(s))).toEqual(s);
  });

  const bad: [string, (r: Raw) => void, string][] = [
    ['pending sender empty', (r) => { r.pending[0]!['sender'] = ''; }, 'DECODE_FIELD'],
    ['pending sender not a string', (r) => { r.pending[0]!['sender'] = 3; }, 'DECODE_FIELD'],
    ['pending sender too long', (r) => { r.pending[0]!['sender'] = 'b'.repeat(MAX_SENDER_LENGTH + 1); }, 'DECODE_FIELD'],
    ['dep sender empty', (r) => { r.pending[0]!['deps'] = [{ sender: '', seq: 0 }]; }, 'DECODE_FIELD'],
    // no deps here, so only the delivered check can catch it
    ['pending already delivered', (r) => { r.pending[0] = { ...r.pending[0], sender: 'a', seq: 1, deps: [] }; }, 'DECODE_FIELD'],
    ['pending listed twice', (r) => { r.pending[1] = r.pending[0]!; }, 'DECODE_FIELD'],
    ['maxPending zero, nothing pending', (r) => { r['maxPending'] = 0; r.pending = []; }, 'DECODE_FIELD'],
    ['next sender empty', (r) => { r.next[''] = 3; }, 'DECODE_FIELD'],
    ['next sender too long', (r) => { r.next['n'.repeat(MAX_SENDER_LENGTH + 1)] = 3; }, 'DECODE_FIELD'],
    ['recent sender empty', (r) => { r.recent[''] = r.recent['a']!; }, 'DECODE_FIELD'],
    ['recent seq equal to next (not delivered yet)', (r) => { r.recent['a']![1]!.seq = 2; }, 'DECODE_FIELD'],
    ['recent seqs repeated', (r) => { r.recent['a']![0]!.seq = 1; }, 'DECODE_FIELD'],
    ['recent seqs descending', (r) => { r.recent['a'] = [...r.recent['a']!].reverse(); }, 'DECODE_FIELD'],
    ['recent digest empty', (r) => { r.recent['a']![0]!.digest = new Uint8Array(0); }, 'DECODE_FIELD'],
    ['recent digest too long', (r) => { r.recent['a']![0]!.digest = new Uint8Array(65); }, 'DECODE_FIELD'],
  ];
  for (const [name, edit, expected] of bad) {
    it(`rejects: ${name}`, () => {
      const bytes = reencode(edit);
      expect(() => decodeOrderer(bytes)).toThrow(code(expected));
    });
  }

  it('still decodes the unedited sample (so each rejection above is due to its edit)', () => {
    expect(decodeOrderer(reencode(() => undefined))).toEqual(sample());
  });

  it('names the orderer in its errors', () => {
    expect(() => decodeOrderer(reencode((r) => { r['v'] = 9; }))).toThrow(/orderer/);
  });

  it('bounds the total pending payload: exactly MAX_PENDING_BYTES decodes, one byte more does not', () => {
    const half = MAX_PENDING_BYTES / 2;
    const s = enqueueAll(createOrderer(), [msg('a', 1, [], new Uint8Array(half)), msg('a', 2, [], new Uint8Array(half))]);
    const bytes = encodeOrderer(s);
    expect(decodeOrderer(bytes).pending).toHaveLength(2);
    const r = decodeCanonical(bytes, 't', bytes.length) as Raw;
    r.pending[1]!['payload'] = new Uint8Array(half + 1);
    expect(() => decodeOrderer(encodeCanonical(r))).toThrow(code('DECODE_FIELD'));
  });
});
