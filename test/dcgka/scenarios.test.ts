/**
 * The named scenarios of DCGKA.md §8 (paper §6.2.5 and Java's
 * StrongRemoveDgmTest) and groupcrypt's decisions of §9, through the
 * simulated network with random causal delivery.
 */
import { describe, expect, it } from 'vitest';
import { DcgkaSim, expectChainsAgree, seededRandom } from '../helpers/dcgka-sim.js';
import type { DcgkaSim as Sim } from '../helpers/dcgka-sim.js';

/** Every replica agrees on the members and on every update secret they both derived. */
function expectAgreement(sim: Sim, names: readonly string[], expected: readonly string[]): void {
  for (const n of names) expect(sim.membersSeenBy(n), `members seen by ${n}`).toEqual([...expected].sort());
  const all = new Map<string, string>();
  for (const n of names) {
    for (const [key, secret] of sim.peer(n).secrets) {
      const seen = all.get(key);
      if (seen !== undefined) expect(secret, `secret ${key.slice(0, 12)} at ${n}`).toBe(seen);
      all.set(key, secret);
    }
  }
  expectChainsAgree(sim, expected);
}

/** The removed peer knows none of the current members' chains or latest secrets. */
function expectLockedOut(sim: Sim, removed: string, members: readonly string[]): void {
  const known = new Set(sim.peer(removed).secrets.values());
  for (const m of members) {
    expect(sim.chain(removed, m)).not.toBe(sim.chain(m, m));
    const own = [...sim.peer(m).secrets.entries()].filter(([k]) => k.startsWith(sim.id(m)));
    const latest = own[own.length - 1];
    expect(latest).toBeDefined();
    expect(known.has((latest as [string, string])[1]), `${removed} knows ${m}'s latest secret`).toBe(false);
  }
}

// Delivery-order seeds per scenario; mutation runs (scripts/mutation/run.mjs) take fewer through GROUPCRYPT_SCENARIO_SEEDS.
const SEEDS = [1, 2, 3, 4, 5].slice(0, Number(process.env['GROUPCRYPT_SCENARIO_SEEDS'] ?? 5));

function group(names: readonly string[], creator: string, others: readonly string[], seed: number): Sim {
  const sim = new DcgkaSim(names);
  sim.create(creator, others);
  sim.settle(seededRandom(seed));
  return sim;
}

describe('DCGKA scenarios (DCGKA.md §8, §9)', () => {
  it.each(SEEDS)('partition healing (Fig. 3 shape) [seed %i]', (seed) => {
    const random = seededRandom(seed);
    const sim = group(['A', 'B', 'C', 'D', 'E', 'F'], 'A', ['B', 'C', 'D'], seed);
    sim.partition = [['A', 'B', 'E'], ['C', 'D', 'F']];
    sim.update('A');
    sim.add('B', 'E');
    sim.settle(random);
    sim.remove('C', 'D');
    sim.add('C', 'F');
    sim.settle(random);
    sim.update('F');
    sim.settle(random);
    sim.partition = undefined;
    sim.settle(random);
    expectAgreement(sim, ['A', 'B', 'C', 'E', 'F'], ['A', 'B', 'C', 'E', 'F']);
    expect(sim.peer('D').removed).toBe(true);
    expectLockedOut(sim, 'D', ['A', 'B', 'C', 'E', 'F']);
  });

  it.each(SEEDS)('mutual removal: both out [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C'], 'A', ['B', 'C'], seed);
    sim.remove('B', 'C');
    sim.remove('C', 'B');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A'], ['A']);
    expect(sim.peer('B').removed).toBe(true);
    expect(sim.peer('C').removed).toBe(true);
    expectLockedOut(sim, 'B', ['A']);
    expectLockedOut(sim, 'C', ['A']);
  });

  it.each(SEEDS)('remove concurrent with a third-party add: {A,C,D} [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B', 'C'], seed);
    sim.remove('A', 'B');
    sim.add('C', 'D');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'C', 'D'], ['A', 'C', 'D']);
    expectLockedOut(sim, 'B', ['A', 'C', 'D']);
  });

  it.each(SEEDS)('add by a concurrently removed member is cancelled (transitively) [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'X', 'Y'], 'A', ['B', 'C'], seed);
    sim.partition = [['A', 'C'], ['B', 'X', 'Y']];
    sim.remove('C', 'B');
    sim.add('B', 'X');
    sim.settle(seededRandom(seed));
    sim.add('X', 'Y');
    sim.settle(seededRandom(seed));
    sim.partition = undefined;
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'C'], ['A', 'C']);
    for (const out of ['B', 'X', 'Y']) expectLockedOut(sim, out, ['A', 'C']);
  });

  it.each(SEEDS)('remove beats an unacked add; an acked add survives [seed %i]', (seed) => {
    const unacked = group(['A', 'B', 'C', 'X'], 'A', ['B', 'C'], seed);
    unacked.partition = [['A', 'B', 'X'], ['C']];
    unacked.add('B', 'X');
    unacked.settle(seededRandom(seed));
    unacked.remove('C', 'B');
    unacked.partition = undefined;
    unacked.settle(seededRandom(seed));
    expectAgreement(unacked, ['A', 'C'], ['A', 'C']);

    const acked = group(['A', 'B', 'C', 'X'], 'A', ['B', 'C'], seed);
    acked.add('B', 'X');
    acked.settle(seededRandom(seed));
    acked.remove('C', 'B');
    acked.settle(seededRandom(seed));
    expectAgreement(acked, ['A', 'C', 'X'], ['A', 'C', 'X']);
  });

  it.each(SEEDS)('update concurrent with add: forwards give the joiner the acks [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B', 'C'], seed);
    sim.update('A');
    const updateId = sim.wire[sim.wire.length - 1]?.id as string;
    sim.add('C', 'D');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C', 'D'], ['A', 'B', 'C', 'D']);
    // D never learns A's update secret itself (it was not a recipient).
    expect(sim.peer('D').secrets.has(`${sim.id('A')}@${updateId}`)).toBe(false);
    expect(sim.peer('B').secrets.has(`${sim.id('A')}@${updateId}`)).toBe(true);
  });

  it.each(SEEDS)('concurrent adds of different members [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B'], seed);
    sim.add('A', 'C');
    sim.add('B', 'D');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C', 'D'], ['A', 'B', 'C', 'D']);
  });

  it.each(SEEDS)('concurrent adds of the same member: member once, chains agree [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'X'], 'A', ['B', 'C'], seed);
    sim.add('A', 'X');
    sim.add('B', 'X');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C', 'X'], ['A', 'B', 'C', 'X']);
    sim.update('X');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C', 'X'], ['A', 'B', 'C', 'X']);
  });

  it.each(SEEDS)('re-add after removal works [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C'], 'A', ['B', 'C'], seed);
    sim.remove('A', 'C');
    sim.settle(seededRandom(seed));
    expectLockedOut(sim, 'C', ['A', 'B']);
    sim.add('B', 'C');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C'], ['A', 'B', 'C']);
  });

  it.each(SEEDS)('re-add concurrent with a remove that did not see it: member [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B', 'C', 'D'], seed);
    sim.partition = [['A', 'B', 'C'], ['D']];
    sim.remove('A', 'C');
    sim.settle(seededRandom(seed));
    sim.add('B', 'C');
    sim.settle(seededRandom(seed));
    sim.remove('D', 'C'); // D saw only C's original add
    sim.partition = undefined;
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'C', 'D'], ['A', 'B', 'C', 'D']);
  });

  it.each(SEEDS)('a re-add made by a concurrently removed member is cancelled [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B', 'C', 'D'], seed);
    sim.remove('A', 'C');
    sim.settle(seededRandom(seed));
    sim.partition = [['A', 'B', 'C'], ['D']];
    sim.add('B', 'C');
    sim.settle(seededRandom(seed));
    sim.remove('D', 'B');
    sim.partition = undefined;
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'D'], ['A', 'D']);
    expectLockedOut(sim, 'C', ['A', 'D']);
    expectLockedOut(sim, 'B', ['A', 'D']);
  });

  it.each(SEEDS)('a remove that saw the re-add removes the member [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C', 'D'], 'A', ['B', 'C', 'D'], seed);
    sim.remove('A', 'C');
    sim.settle(seededRandom(seed));
    sim.add('B', 'C');
    sim.settle(seededRandom(seed));
    sim.remove('D', 'C');
    sim.settle(seededRandom(seed));
    expectAgreement(sim, ['A', 'B', 'D'], ['A', 'B', 'D']);
    expectLockedOut(sim, 'C', ['A', 'B', 'D']);
  });

  it.each(SEEDS)('a member removed while offline comes back, learns it, derives nothing new [seed %i]', (seed) => {
    const sim = group(['A', 'B', 'C'], 'A', ['B', 'C'], seed);
    sim.offline.add('C');
    sim.remove('A', 'C');
    sim.update('B');
    sim.settle(seededRandom(seed));
    sim.offline.delete('C');
    sim.settle(seededRandom(seed));
    expect(sim.peer('C').removed).toBe(true);
    expectAgreement(sim, ['A', 'B'], ['A', 'B']);
    expectLockedOut(sim, 'C', ['A', 'B']);
  });
});
