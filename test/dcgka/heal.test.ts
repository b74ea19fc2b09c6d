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
