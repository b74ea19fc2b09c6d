/**
 * THE property of the DGM: replicas that processed the same ops agree on the
 * members and on every actor's view, whatever causal order they processed
 * them in; and each actor's own state agrees with what others compute as its
 * view (DCGKA's `member-view`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canAct, decodeMembership, encodeMembership, hasSeen, memberView, members } from '../../src/membership/index.js';
import { linearExtension, replica, simulate, type Command } from './sim.js';

const IDS = ['A', 'B', 'C', 'D', 'E', 'F'];
const RUNS = Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 300);

const arbRun = fc.record({
  initial: fc.integer({ min: 0, max: 63 }),
  commands: fc.array(fc.tuple(fc.nat(9), fc.nat(5), fc.nat(1000)) as fc.Arbitrary<Command>, { minLength: 10, maxLength: 150, size: 'max' }),
  seeds: fc.tuple(fc.integer(), fc.integer()),
});

describe('membership order independence (property)', () => {
  it('members, views, canAct and hasSeen are the same for any two causal orders', () => {
    let interesting = 0;
    fc.assert(fc.property(arbRun, ({ initial, commands, seeds }) => {
      const { msgs, actors } = simulate(IDS, initial, commands);
      const one = replica(linearExtension(msgs, seeds[0]));
      const two = replica(linearExtension(msgs, seeds[1]));
      const inOrder = replica(msgs);
      for (const state of [two, inOrder]) {
        expect(members(state)).toEqual(members(one));
        for (const id of IDS) {
          expect(memberView(state, id)).toEqual(memberView(one, id));
          expect(canAct(state, id)).toBe(canAct(one, id));
          for (const m of msgs) if (m.kind !== 'ack') expect(hasSeen(state, id, m.id)).toBe(hasSeen(one, id, m.id));
        }
      }
      // each active actor's own membership is what the others compute as its view
      for (const a of actors) {
        if (a.active && a.state !== undefined) expect(members(a.state)).toEqual(memberView(one, a.id));
      }
      const decoded = decodeMembership(encodeMembership(one));
      expect(encodeMembership(decoded)).toEqual(encodeMembership(one));
      expect(members(decoded)).toEqual(members(one));
      if (msgs.some((m) => m.kind === 'remove')) interesting++;
    }), { numRuns: RUNS });
    expect(interesting).toBeGreaterThan(RUNS / 4); // the generator does exercise removes
  });
});
