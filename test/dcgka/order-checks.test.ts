/**
 * process.ts checks the causal order of control messages itself (checkOrder),
 * not only through the 2SM layer: a message without a direct part for me (an
 * ack, an add-ack for someone else) never reaches 2SM, so a replayed or
 * early one must still be refused, with the same codes and no state change.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '../../src/crypto/index.js';
import { encodeDcgkaState, processControl } from '../../src/dcgka/index.js';
import { encodeKeyManager } from '../../src/keys/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import type { Peer, WireMessage } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

function expectRefused(sim: DcgkaSim, peer: Peer, message: WireMessage, code: string): void {
  const state = peer.state!;
  const before = encodeDcgkaState(state);
  const keysBefore = encodeKeyManager(peer.keys);
  expect(message.direct.has(peer.id), 'no direct part for this peer: 2SM is not involved').toBe(false);
  expect(codeOf(() => processControl(state, sim.ctx(peer), { broadcast: message.broadcast }))).toBe(code);
  expect(bytesEqual(encodeDcgkaState(state), before)).toBe(true);
  expect(bytesEqual(encodeKeyManager(peer.keys), keysBefore)).toBe(true);
}

/** {A, B, C} settled; A updates twice; B processes both updates and nothing else; C acks both. */
function twoUpdatesAckedByC() {
  const sim = new DcgkaSim(['A', 'B', 'C']);
  sim.create('A', ['B', 'C']);
  sim.settle();
  sim.update('A');
  sim.update('A');
  const b = sim.peer('B');
  const updates = b.inbox.filter((m) => m.type === 'update');
  expect(updates).toHaveLength(2);
  b.inbox = [];
  for (const u of updates) sim.deliver(b, u);
  const cBefore = sim.peer('C').state!;
  sim.pump('C');
  const acks = b.inbox.filter((m) => m.sender === sim.id('C') && m.type === 'ack');
  expect(acks).toHaveLength(2);
  b.inbox = [];
  return { sim, b, cBefore, acks: acks as [WireMessage, WireMessage] };
}

describe('causal order checks of processControl without a direct part', () => {
  it('an ack delivered twice → STATE_REPLAY', () => {
    const { sim, b, acks } = twoUpdatesAckedByC();
    sim.deliver(b, acks[0]);
    expectRefused(sim, b, acks[0], 'STATE_REPLAY');
  });

  it('an ack delivered before the sender\'s earlier message → STATE_OUT_OF_ORDER, and it is read once its turn comes', () => {
    const { sim, b, acks } = twoUpdatesAckedByC();
    expectRefused(sim, b, acks[1], 'STATE_OUT_OF_ORDER');
    sim.deliver(b, acks[0]);
    sim.deliver(b, acks[1]);
    expect(b.state!.clock.get(sim.id('C'))).toBe(acks[1].seq + 1);
  });

  it('my own message, fed back to a copy of my state from before I sent it (a restored backup) → STATE_REPLAY', () => {
    const { sim, acks, cBefore } = twoUpdatesAckedByC();
    const c = sim.peer('C');
    // That copy expects exactly this seq from me next: only the sender check refuses it.
    expect(cBefore.clock.get(c.id)).toBe(acks[0].seq);
    expectRefused(sim, { ...c, state: cBefore }, acks[0], 'STATE_REPLAY');
  });

  it('an add-ack delivered before the add it acks → STATE_CAUSALITY', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'X']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.add('A', 'X');
    const b = sim.peer('B');
    b.inbox = [];
    sim.pump('C');
    const addAck = b.inbox.find((m) => m.type === 'add-ack' && m.sender === sim.id('C'))!;
    expect(addAck).toBeDefined();
    expectRefused(sim, b, addAck, 'STATE_CAUSALITY');
  });

  it('a second create from a member → STATE_DUPLICATE', () => {
    const { sim, b } = twoUpdatesAckedByC();
    const a = sim.peer('A');
    const state = a.state!;
    const create = { groupId: state.groupId, sender: a.id, seq: b.state!.clock.get(a.id)!, body: { type: 'create' as const, members: [a.id, b.id], commitment: new Uint8Array(32) }, manifest: manifestOf(sim.deps, []) };
    const bytes = encodeControl(create, a.keys.identity, sim.deps);
    const before = encodeDcgkaState(b.state!);
    expect(codeOf(() => processControl(b.state!, sim.ctx(b), { broadcast: bytes }))).toBe('STATE_DUPLICATE');
    expect(bytesEqual(encodeDcgkaState(b.state!), before)).toBe(true);
  });
});
