/**
 * A member that processed its own removal can no longer act: update, add and remove refuse with STATE_REMOVED and
 * leave its state as it was; the remaining members are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { add, encodeDcgkaState, remove, update } from '../../src/dcgka/index.js';
import { toHex } from '../../src/crypto/index.js';
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
