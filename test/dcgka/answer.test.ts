/**
 * Issue 18, "move off the pre-key at once" (ack.ts answerPreKeySession): a
 * received ack or add-ack that opened a 2SM session to me by X3DH is answered
 * by my very next message, a catch-up ack of it carrying a refresh part for
 * its sender; a seed or welcome is answered by the ack I send it anyway, with
 * no extra message.
 */
import { describe, expect, it } from 'vitest';
import { readControl, resetSessions } from '../../src/dcgka/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import type { WireMessage } from '../helpers/dcgka-sim.js';

/** What `name` published right after it processed `message` (until it processed anything else). */
function answersTo(sim: DcgkaSim, name: string, message: WireMessage): WireMessage[] {
  const at = sim.events.findIndex((e) => e.kind === 'deliver' && e.peer === name && e.message === message);
  expect(at, `${name} processed ${message.id}`).toBeGreaterThanOrEqual(0);
  const out: WireMessage[] = [];
  for (const e of sim.events.slice(at + 1)) {
    if (e.kind !== 'publish') break;
    if (e.message.sender === sim.id(name)) out.push(e.message);
  }
  return out;
}

function modeOf(sim: DcgkaSim, message: WireMessage): string | undefined {
  const body = readControl(sim.ctx(sim.peer('A')), message.broadcast, sim.peer('A').state).body;
  return body.type === 'ack' ? body.mode : undefined;
}

describe('answering a session opened by X3DH', () => {
  it('an ack whose forward opened the session is answered at once by a catch-up ack with a refresh for its sender', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.partition = [['A', 'C', 'D'], ['B']];
    sim.add('A', 'D');
    sim.update('B');
    sim.settle(undefined, ['A', 'C', 'D']);
    const c = sim.peer('C');
    const reset = resetSessions(c.state!, sim.ctx(c), [sim.id('D')]);
    c.state = reset.state;
    sim.partition = undefined;
    sim.pump('C');
    const forward = sim.wire.at(-1)!;
    expect(forward.type === 'ack' && forward.sender === c.id && forward.direct.has(sim.id('D'))).toBe(true);
    sim.settle();
    const answers = answersTo(sim, 'D', forward);
    expect(answers).toHaveLength(1);
    const [answer] = answers as [WireMessage];
    expect(answer.type).toBe('ack');
    expect(answer.acked).toEqual({ sender: c.id, seq: forward.seq });
    expect(modeOf(sim, answer)).toBe('catch-up');
    expect(answer.direct.has(c.id), 'a refresh part for C').toBe(true);
  });

  it('an add-ack that opened the joiner\'s session is answered at once; a seed is answered by its own ack only', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.add('A', 'D');
    sim.settle();
    const addAckOfB = sim.wire.find((m) => m.type === 'add-ack' && m.sender === sim.id('B'))!;
    const answers = answersTo(sim, 'D', addAckOfB);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.acked).toEqual({ sender: sim.id('B'), seq: addAckOfB.seq });
    expect(modeOf(sim, answers[0]!)).toBe('catch-up');
    expect(answers[0]?.direct.has(sim.id('B'))).toBe(true);
    // a later update of B: D answers with its ack (mode normal), nothing more
    sim.update('B');
    const updateOfB = sim.wire.at(-1)!;
    sim.settle();
    const toUpdate = answersTo(sim, 'D', updateOfB);
    expect(toUpdate.map((m) => [m.type, modeOf(sim, m)])).toEqual([['ack', 'normal']]);
    // and an ordinary ack (no session opened) gets no answer
    const ackOfC = sim.wire.find((m) => m.type === 'ack' && m.sender === sim.id('C') && m.acked?.seq === updateOfB.seq)!;
    expect(answersTo(sim, 'D', ackOfC)).toEqual([]);
  });
});
