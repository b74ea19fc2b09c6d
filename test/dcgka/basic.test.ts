import { describe, expect, it } from 'vitest';
import { DcgkaSim, expectChainsAgree, seededRandom } from '../helpers/dcgka-sim.js';

describe('dcgka basics', () => {
  it('create, update, add, remove: members converge and chains agree', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    expect(sim.membersSeenBy('B')).toEqual(['A', 'B', 'C']);
    expectChainsAgree(sim, ['A', 'B', 'C']);
    sim.update('B');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
    sim.add('C', 'D');
    sim.settle();
    for (const n of ['A', 'B', 'C', 'D']) expect(sim.membersSeenBy(n)).toEqual(['A', 'B', 'C', 'D']);
    expectChainsAgree(sim, ['A', 'B', 'C', 'D']);
    sim.remove('A', 'B');
    sim.settle();
    for (const n of ['A', 'C', 'D']) expect(sim.membersSeenBy(n)).toEqual(['A', 'C', 'D']);
    expect(sim.peer('B').removed).toBe(true);
    expectChainsAgree(sim, ['A', 'C', 'D']);
    for (const n of ['A', 'C', 'D']) expect(sim.chain('B', n)).not.toBe(sim.chain(n, n));
  });

  it('random delivery order gives the same chains', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D', 'E']);
    const random = seededRandom(7);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.update('B');
    sim.add('C', 'D');
    sim.remove('A', 'B');
    sim.settle(random);
    expectChainsAgree(sim, ['A', 'C', 'D']);
  });
});

describe('dcgka consumed secrets', () => {
  it('returns superseded secrets that the new state no longer holds', async () => {
    const { encodeDcgkaState, processControl } = await import('../../src/dcgka/index.js');
    const { toHex } = await import('../../src/crypto/index.js');
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.update('A');
    const b = sim.peer('B');
    const message = sim.wire[sim.wire.length - 1]!;
    const result = processControl(b.state!, sim.ctx(b), { broadcast: message.broadcast, direct: message.direct.get(b.id)! });
    expect(result.consumed.length).toBeGreaterThan(0);
    const encoded = toHex(encodeDcgkaState(result.state));
    for (const secret of result.consumed) {
      expect(secret.length).toBeGreaterThan(0);
      expect(encoded.includes(toHex(secret)), 'a consumed secret is still in the new state').toBe(false);
    }
  });
});
