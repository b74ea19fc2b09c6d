/**
 * A post-quantum group end to end through the Group API: created with
 * `pq: true`, members added later join in PQ mode, messages of both schemes
 * decrypt; classic groups report `isPostQuantumGroup` false.
 */
import { describe, expect, it } from 'vitest';
import { isPostQuantumGroup } from '../../src/group/index.js';
import { GroupSim, groupSimDefaults, seeded } from '../helpers/group-sim.js';

describe.each(['message', 'data'] as const)('post-quantum group (%s scheme)', (scheme) => {
  it('members created, added and updated all run PQ and read every message', () => {
    groupSimDefaults.pq = true;
    try {
      const sim = new GroupSim(['A', 'B', 'C'], scheme);
      const random = seeded(3);
      sim.create('A', ['B']);
      sim.settle(random);
      const first = sim.send('B');
      sim.add('A', 'C');
      sim.settle(random);
      sim.update('C');
      sim.settle(random);
      const second = sim.send('C');
      sim.settle(random);
      for (const name of ['A', 'B', 'C']) expect(isPostQuantumGroup(sim.peer(name).state!), name).toBe(true);
      expect(sim.peer('A').decrypted.has(first)).toBe(true);
      for (const name of ['A', 'B']) expect(sim.peer(name).decrypted.has(second), name).toBe(true);
    } finally {
      groupSimDefaults.pq = false;
    }
  });

  it('classic groups stay classic', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    sim.create('A', ['B']);
    sim.settle(seeded(1));
    expect(isPostQuantumGroup(sim.peer('B').state!)).toBe(false);
  });
});
