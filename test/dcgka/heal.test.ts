/**
 * Ack-with-update heals only when a removed member can follow my chain
 * (src/dcgka/exposure.ts, issue 12). A removed member that keeps updating
 * before it learns of its removal costs every other member one heal, not one
 * per update (the storm the random schedules ran into); and a member whose
 * chain a removed member can still follow heals at once.
 */
import { describe, expect, it } from 'vitest';
import { decodeDcgkaState, encodeDcgkaState } from '../../src/dcgka/index.js';
import { DcgkaSim, expectChainsAgree } from '../helpers/dcgka-sim.js';

function updatesBy(sim: DcgkaSim, name: string): number {
  return sim.wire.filter((m) => m.type === 'update' && m.sender === sim.id(name)).length;
}

describe('healing after a removal (ack-with-update)', () => {
  it('a removed member that updates three times before it learns of its removal costs the others no heal: acking the remove already took their chains out of its reach', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C', 'D']);
    sim.settle();
    sim.partition = [['A', 'B', 'C'], ['D']];
    sim.remove('A', 'D');
    sim.settle();
    for (let i = 0; i < 3; i++) sim.update('D');
    sim.partition = undefined;
    sim.settle();
    // Before exposure tracking every one of D's updates cost B and C a heal each (3 apiece).
    for (const name of ['B', 'C']) expect(updatesBy(sim, name), `${name}'s heal updates`).toBe(0);
    expectChainsAgree(sim, ['A', 'B', 'C']);
    for (const name of ['A', 'B', 'C']) expect(sim.chain('D', name)).not.toBe(sim.chain(name, name));
  });

  it('a member that joined through a chain the removed member holds, and cannot follow the remove, heals at once; the removed member is locked out', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['C', 'D']);
    sim.settle();
    sim.partition = [['A'], ['B', 'C', 'D']];
    sim.remove('A', 'D');
    sim.add('C', 'B'); // concurrent with the remove: B's chain starts from C's, which D follows
    sim.settle();
    sim.partition = undefined;
    sim.settle();
    expect(updatesBy(sim, 'B')).toBe(1);
    expectChainsAgree(sim, ['A', 'B', 'C']);
    for (const name of ['A', 'B', 'C']) expect(sim.chain('D', name)).not.toBe(sim.chain(name, name));
  });

  it('the tracked holders of my chain survive the state codec, and a state without them decodes as untracked', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    const state = sim.peer('B').state!;
    expect(state.chainKnownBy).toBeDefined();
    expect(decodeDcgkaState(encodeDcgkaState(state)).chainKnownBy).toEqual(state.chainKnownBy);
    const { chainKnownBy: _dropped, ...untracked } = state;
    expect(decodeDcgkaState(encodeDcgkaState(untracked)).chainKnownBy).toBeUndefined();
  });
});

describe('healing after a removal: the other two triggers', () => {
  it('a member whose chain is not tracked (a state from before tracking) heals at once when a seed it acks also reached a member it considers removed', () => {
    const run = (untracked: boolean): number => {
      const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
      sim.create('A', ['B', 'C', 'D']);
      sim.settle();
      sim.partition = [['A', 'C'], ['B', 'D']];
      sim.remove('A', 'D');
      sim.settle();
      sim.update('B'); // concurrent with the remove: its seed goes to D too
      sim.settle();
      const c = sim.peer('C');
      if (untracked) {
        const { chainKnownBy: _dropped, ...rest } = c.state!;
        c.state = rest;
      }
      const before = updatesBy(sim, 'C');
      sim.partition = undefined;
      sim.pump('C');
      expect(sim.membersSeenBy('C')).toEqual(['A', 'B', 'C']);
      const heals = updatesBy(sim, 'C') - before;
      sim.settle();
      expectChainsAgree(sim, ['A', 'B', 'C']);
      for (const name of ['A', 'B', 'C']) expect(sim.chain('D', name)).not.toBe(sim.chain(name, name));
      return heals;
    };
    // Untracked: D got B's seed, so it may follow the step C's ack made: C heals.
    expect(run(true)).toBe(1);
    // Tracked: C's ack of the remove already took its chain out of D's reach: no heal needed.
    expect(run(false)).toBe(0);
  });

  it('a member re-added through a welcome whose adder had not seen a removal heals at once: the removed member could derive its restarted chain', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D', 'X']);
    sim.create('A', ['B', 'C', 'D', 'X']);
    sim.settle();
    sim.remove('A', 'X');
    sim.settle();
    sim.partition = [['A', 'X'], ['B', 'C', 'D']];
    sim.remove('A', 'D'); // X (removed) processes it, C does not see it
    sim.settle();
    sim.add('C', 'X'); // C re-adds X: its view, and so the welcome secret's holders, still hold D
    sim.partition = undefined;
    const before = updatesBy(sim, 'X');
    sim.pump('X');
    expect(sim.peer('X').removed).toBe(false);
    expect(updatesBy(sim, 'X') - before).toBe(1);
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C', 'X']);
    for (const name of ['A', 'B', 'C', 'X']) expect(sim.chain('D', name), `D's copy of ${name}'s chain`).not.toBe(sim.chain(name, name));
  });
});
