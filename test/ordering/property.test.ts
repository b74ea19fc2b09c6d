/**
 * Any permutation, with duplicates, of a causally consistent message set is
 * delivered respecting FIFO and deps, each message exactly once; missing()
 * names exactly the gaps at every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOrderer, drainReady, encodeOrderer, enqueue, missing, decodeOrderer, type MessageRef, type OrderedMessage } from '../../src/ordering/index.js';

const SENDERS = ['a', 'b', 'c', 'd'];
const RUNS = Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 300);
const key = (r: MessageRef): string => `${r.sender}:${r.seq}`;

const arbCase = fc.record({
  starts: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
  gen: fc.array(fc.tuple(fc.nat(3), fc.array(fc.nat(1000), { maxLength: 3 })), { minLength: 1, maxLength: 40 }),
  order: fc.array(fc.nat(1000), { minLength: 80, maxLength: 80 }),
  dups: fc.array(fc.nat(1000), { maxLength: 15 }),
});

function build(gen: readonly (readonly [number, readonly number[]])[]): OrderedMessage[] {
  const msgs: OrderedMessage[] = [];
  const count = [0, 0, 0, 0];
  for (const [s, picks] of gen) {
    const sender = SENDERS[s] as string;
    const seq = count[s]!++;
    const deps = msgs.length === 0 ? [] : [...new Set(picks.map((p) => p % msgs.length))].map((i) => ({ sender: msgs[i]!.sender, seq: msgs[i]!.seq }));
    msgs.push({ sender, seq, deps, digest: new Uint8Array([s + 1, seq]), payload: new Uint8Array([seq, s]) });
  }
  return msgs;
}

describe('causal orderer (property)', () => {
  it('delivers every message once, in an order respecting FIFO and deps; missing() names the gaps', () => {
    fc.assert(fc.property(arbCase, ({ starts, gen, order, dups }) => {
      const msgs = build(gen);
      const start: Record<string, number> = {};
      SENDERS.forEach((s, i) => { if (starts[i]! > 0) start[s] = starts[i]!; });
      const covered = (r: MessageRef) => r.seq < (start[r.sender] ?? 0);
      // a random permutation (of every message, including those the start covers) plus duplicates
      const stream = msgs.map((m, i) => ({ m, k: order[i % order.length]! * 1000 + i })).sort((x, y) => x.k - y.k).map((x) => x.m);
      for (const d of dups) stream.splice(d % (stream.length + 1), 0, msgs[d % msgs.length]!);
      let state = createOrderer({ start });
      const deliveredAt = new Map<string, number>();
      const pending = new Set<string>();
      for (const m of stream) {
        const before = encodeOrderer(state);
        const result = enqueue(state, m);
        expect(encodeOrderer(state)).toEqual(before);
        const k = key(m);
        if (covered(m) || deliveredAt.has(k) || pending.has(k)) {
          expect(result.status).toBe('duplicate');
          expect(result.state).toBe(state);
        } else {
          pending.add(k);
          const fromSender = [...deliveredAt.keys()].filter((x) => x.startsWith(`${m.sender}:`)).length;
          const ready = m.seq === (start[m.sender] ?? 0) + fromSender && m.deps.every((d) => covered(d) || deliveredAt.has(key(d)));
          expect(result.status).toBe(ready ? 'ready' : 'queued');
        }
        const drained = drainReady(result.state);
        state = drained.state;
        for (const r of drained.ready) {
          const rk = key(r);
          expect(deliveredAt.has(rk)).toBe(false);
          if (r.seq > 0 && !covered({ sender: r.sender, seq: r.seq - 1 })) expect(deliveredAt.has(`${r.sender}:${r.seq - 1}`)).toBe(true);
          for (const d of r.deps) expect(covered(d) || deliveredAt.has(key(d))).toBe(true);
          deliveredAt.set(rk, deliveredAt.size);
          pending.delete(rk);
        }
        // missing(): everything a pending message needs that is neither delivered, covered nor pending
        const needed = new Set<string>();
        const need = (sender: string, upTo: number) => {
          for (let q = 0; q <= upTo; q++) {
            const ref = { sender, seq: q };
            if (!covered(ref) && !deliveredAt.has(key(ref)) && !pending.has(key(ref))) needed.add(key(ref));
          }
        };
        for (const p of pending) {
          const msg = msgs.find((x) => key(x) === p)!;
          need(msg.sender, msg.seq - 1);
          for (const d of msg.deps) need(d.sender, d.seq);
        }
        expect(missing(state).map(key).sort()).toEqual([...needed].sort());
      }
      expect(pending.size).toBe(0);
      expect(deliveredAt.size).toBe(msgs.filter((m) => !covered(m)).length);
      expect(missing(state)).toEqual([]);
      expect(decodeOrderer(encodeOrderer(state))).toEqual(state);
    }), { numRuns: RUNS });
  });
});
