/**
 * A member that processed its own removal can no longer act: update, add and remove refuse with STATE_REMOVED and
 * leave its state as it was; the remaining members are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { add, encodeDcgkaState, processControl, remove, update } from '../../src/dcgka/index.js';
import type { ControlBody } from '../../src/dcgka/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { toHex } from '../../src/crypto/index.js';
import { canAct, hasSeen } from '../../src/membership/index.js';
import { DcgkaSim, expectChainsAgree } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

describe('a removed member', () => {
  it('cannot update, add or remove, and its state stays as it was', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    const b = sim.peer('B');
    expect(b.removed).toBe(true);
    const state = b.state!;
    const before = toHex(encodeDcgkaState(state));
    const ctx = sim.ctx(b);
    expect(codeOf(() => update(state, ctx))).toBe('STATE_REMOVED');
    expect(codeOf(() => add(state, ctx, sim.id('D')))).toBe('STATE_REMOVED');
    expect(codeOf(() => remove(state, ctx, sim.id('C')))).toBe('STATE_REMOVED');
    expect(toHex(encodeDcgkaState(state))).toBe(before);
    // the others go on
    sim.update('C');
    sim.settle();
    expectChainsAgree(sim, ['A', 'C']);
  });
});

/** A control message signed by `name` with any body: what a buggy or malicious member could send. */
function forged(sim: DcgkaSim, name: string, body: ControlBody): Uint8Array {
  const peer = sim.peer(name);
  const state = peer.state!;
  const message = { groupId: state.groupId, sender: peer.id, seq: state.clock.get(peer.id) ?? 0, body, manifest: manifestOf(sim.deps, []) };
  return encodeControl(message, { secretKey: peer.keys.identity.secretKey, publicKey: peer.keys.identity.publicKey }, sim.deps);
}

describe('a removed member says farewell', () => {
  it('once, when it learns of its removal: an ack of that remove with no direct part, which every member accepts; it then acts no more', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    const removal = sim.wire.at(-1)!;
    sim.settle();
    const fromB = sim.wire.filter((m) => m.sender === sim.id('B') && m.seq > 0);
    expect(fromB.map((m) => [m.type, m.acked?.sender, m.acked?.seq, m.direct.size])).toEqual([['ack', sim.id('A'), removal.seq, 0]]);
    // C, not removed, answers the remove with its usual ack only: no farewell
    const fromC = sim.wire.filter((m) => m.sender === sim.id('C') && m.acked?.sender === sim.id('A') && m.acked.seq === removal.seq);
    expect(fromC.map((m) => m.type)).toEqual(['ack']);
    for (const name of ['A', 'C']) {
      const membership = sim.peer(name).state!.membership;
      expect(hasSeen(membership, sim.id('B'), removal.id), `${name} knows B saw its removal`).toBe(true);
      expect(canAct(membership, sim.id('B'))).toBe(false);
    }
    // nothing more from B, whatever comes
    sim.update('A');
    sim.remove('A', 'C');
    sim.settle();
    expect(sim.wire.filter((m) => m.sender === sim.id('B') && m.seq > 0)).toHaveLength(1);
    // C, removed second, says its own farewell
    expect(sim.wire.filter((m) => m.sender === sim.id('C') && m.type === 'ack' && m.acked?.sender === sim.id('A')).at(-1)?.direct.size).toBe(0);
  });

  it('a second ack of a remove from it is refused (STATE_REMOVED), state unchanged', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    sim.remove('A', 'C');
    const second = sim.wire.at(-1)!;
    // B (removed) is kept from the second remove: only A is left to check a forged ack of it by B
    const again = forged(sim, 'B', { type: 'ack', ackedSender: sim.id('A'), ackedSeq: second.seq, mode: 'catch-up' });
    const a = sim.peer('A');
    const before = toHex(encodeDcgkaState(a.state!));
    expect(codeOf(() => processControl(a.state!, sim.ctx(a), { broadcast: again }))).toBe('STATE_REMOVED');
    expect(toHex(encodeDcgkaState(a.state!))).toBe(before);
  });

  it('a member that said farewell rejoins through a re-add and acts again; its later farewell counts again', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    sim.add('C', 'B');
    sim.settle();
    for (const name of ['A', 'B', 'C']) expect(sim.membersSeenBy(name), `members seen by ${name}`).toEqual(['A', 'B', 'C']);
    expect(sim.peer('B').removed).toBe(false);
    expect(canAct(sim.peer('A').state!.membership, sim.id('B'))).toBe(true);
    sim.update('B');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
    sim.remove('C', 'B');
    sim.settle();
    const removes = sim.wire.filter((m) => m.type === 'remove').map((m) => `${m.sender}:${m.seq}`);
    const farewells = sim.wire.filter((m) => m.sender === sim.id('B') && m.type === 'ack' && removes.includes(`${m.acked?.sender}:${m.acked?.seq}`));
    expect(farewells.map((m) => [m.acked?.sender, m.direct.size])).toEqual([[sim.id('A'), 0], [sim.id('C'), 0]]);
    expect(canAct(sim.peer('A').state!.membership, sim.id('B'))).toBe(false);
  });
});

describe('a member that saw its own removal', () => {
  /** {A, B, C}; A removes B, then adds D: B processed both (it is removed), and A's add has the remove in its past. */
  function afterRemoveThenAdd() {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    sim.add('A', 'D');
    sim.settle();
    expect(sim.peer('B').removed).toBe(true);
    const addOfD = sim.wire.find((m) => m.type === 'add' && m.sender === sim.id('A'))!;
    return { sim, addOfD };
  }

  function expectRefused(sim: DcgkaSim, name: string, broadcast: Uint8Array, code: string): void {
    const peer = sim.peer(name);
    const before = toHex(encodeDcgkaState(peer.state!));
    expect(codeOf(() => processControl(peer.state!, sim.ctx(peer), { broadcast }))).toBe(code);
    expect(toHex(encodeDcgkaState(peer.state!))).toBe(before);
  }

  it('cannot ack an op whose past holds its removal (the membership would count it as having seen it): STATE_REMOVED, nothing changes', () => {
    const { sim, addOfD } = afterRemoveThenAdd();
    const ack = forged(sim, 'B', { type: 'ack', ackedSender: sim.id('A'), ackedSeq: addOfD.seq, mode: 'normal' });
    for (const name of ['A', 'C', 'D']) expectRefused(sim, name, ack, 'STATE_REMOVED');
  });

  it('cannot add-ack such an op either (which would hand its chain to the new member)', () => {
    const { sim, addOfD } = afterRemoveThenAdd();
    const addAck = forged(sim, 'B', { type: 'add-ack', ackedSender: sim.id('A'), ackedSeq: addOfD.seq });
    for (const name of ['A', 'C']) expectRefused(sim, name, addAck, 'STATE_REMOVED');
  });

  it('a concurrently removed member may still ack what it had not seen removed (control: the refusal above is about its own view)', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.partition = [['A', 'C'], ['B']];
    sim.remove('A', 'B');
    sim.update('B');
    sim.settle();
    sim.partition = undefined;
    // C processes B's update (B does not know of its removal) and then B's ack of it is fine too.
    sim.settle();
    expect(sim.membersSeenBy('C')).toEqual(['A', 'C']);
    expectChainsAgree(sim, ['A', 'C']);
  });
});

describe('a member re-added after its removal', () => {
  it('acks the membership ops it processed while removed that its re-adder had not seen (catch-up acks), so members added meanwhile get its seeds', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    // C adds D where A cannot see it; B, removed, processes that add (and acks nothing).
    sim.partition = [['A'], ['B', 'C', 'D']];
    sim.add('C', 'D');
    const addOfD = sim.wire.at(-1)!;
    sim.settle();
    // A re-adds B without having seen C's add of D.
    sim.add('A', 'B');
    sim.settle();
    sim.partition = undefined;
    sim.settle();
    const catchUp = sim.wire.filter((m) => m.sender === sim.id('B') && m.type === 'ack' && m.acked?.sender === sim.id('C') && m.acked.seq === addOfD.seq);
    expect(catchUp, 'B acks C\'s add of D after its re-add').toHaveLength(1);
    for (const name of ['A', 'B', 'C', 'D']) expect(sim.membersSeenBy(name), `members seen by ${name}`).toEqual(['A', 'B', 'C', 'D']);
    // B's chain restarted at its re-add (a rejoin ack): D, who never held B's old chain, follows it too.
    expectChainsAgree(sim, ['A', 'B', 'C', 'D']);
    // B's next seed reaches D: D derives B's update secret like everyone else.
    sim.update('B');
    const updateOfB = sim.wire.at(-1)!.id;
    sim.settle();
    const secret = sim.peer('B').secrets.get(`${sim.id('B')}@${updateOfB}`);
    expect(secret).toBeDefined();
    for (const name of ['A', 'C', 'D']) expect(sim.peer(name).secrets.get(`${sim.id('B')}@${updateOfB}`), `${name} derived B's update secret`).toBe(secret);
    expectChainsAgree(sim, ['A', 'B', 'C', 'D']);
  });

  it('is told it joined again (a joined output naming the re-add), like a new member', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    const joined: { via: string; clock: Readonly<Record<string, number>> }[] = [];
    sim.afterCall = (peer, result) => {
      if (peer.name === 'B') for (const o of result.outputs) if (o.kind === 'joined') joined.push({ via: o.via, clock: o.clock });
    };
    sim.add('C', 'B');
    const readd = sim.wire.at(-1)!;
    sim.settle();
    expect(joined.map((j) => j.via)).toEqual([readd.id]);
    expect(joined[0]?.clock[sim.id('C')]).toBe(readd.seq + 1);
    expect(sim.peer('B').removed).toBe(false);
    expectChainsAgree(sim, ['A', 'B', 'C']);
  });

  it('stays removed when the re-add is cancelled (its adder was removed concurrently), and derives nothing from it', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'X']);
    sim.create('A', ['B', 'C', 'X']);
    sim.settle();
    sim.remove('A', 'X');
    sim.settle();
    sim.partition = [['A', 'X'], ['B', 'C']];
    sim.remove('A', 'C'); // X (removed) processes it first
    sim.add('C', 'X'); // concurrent: cancelled by A's remove of C
    sim.settle();
    const x = sim.peer('X');
    const sentByX = sim.wire.filter((m) => m.sender === x.id).length;
    const derived = x.secrets.size;
    sim.partition = undefined;
    sim.settle();
    expect(x.removed).toBe(true);
    expect(x.state!.removed).toBe(true);
    expect(sim.wire.filter((m) => m.sender === x.id)).toHaveLength(sentByX);
    expect(x.secrets.size).toBe(derived);
    expect(sim.membersSeenBy('A')).toEqual(['A', 'B']);
    expect(sim.membersSeenBy('B')).toEqual(['A', 'B']);
    expectChainsAgree(sim, ['A', 'B']);
  });
});
