/**
 * Random schedules (fast-check) of membership changes and application
 * messages over the simulated network, with reordering and duplicates, for
 * both schemes. Scale with GROUPCRYPT_SCHEDULES=N (default 60 per scheme).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applicationStands, compareReadOrder } from '../../src/group/index.js';
import type { GroupScheme, GroupState } from '../../src/group/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

const RUNS = Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 50);
/** Coverage counters over all runs (asserted non-trivial at the end). */
const seen = { entitled: 0, removedChecks: 0, history: 0, barred: 0, causal: 0 };
// The coverage counters below vary widely with the seed (causal pairs over 50 random runs: 49 to 137), so CI's
// default run uses a fixed seed and the checks are deterministic. Longer runs keep exploring with random seeds.
const FIXED_SEED = RUNS < 500 ? { seed: 1 } : {};
const NAMES = ['A', 'B', 'C', 'D', 'E'];

type Op = { readonly t: 'update' | 'add' | 'remove' | 'send' | 'deliver'; readonly a: number; readonly b: number; readonly n: number };

const arbOp: fc.Arbitrary<Op> = fc.record({
  t: fc.constantFrom('update', 'add', 'remove', 'send', 'send', 'deliver', 'deliver'),
  a: fc.nat(20),
  b: fc.nat(20),
  n: fc.integer({ min: 1, max: 12 }),
});

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

function run(scheme: GroupScheme, initial: number, ops: readonly Op[], seed: number, duplicateRate: number): void {
  const random = seeded(seed);
  const sim = new GroupSim(NAMES, scheme, undefined, duplicateRate);
  const everAdded = new Set(NAMES.slice(0, initial));
  sim.create('A', NAMES.slice(1, initial));
  for (const op of ops) {
    const active = NAMES.filter((n) => sim.isActive(n));
    const actor = pick(active, op.a);
    if (op.t === 'deliver' || !actor) {
      sim.step(random, op.n);
    } else if (op.t === 'update') {
      sim.update(actor);
    } else if (op.t === 'send') {
      sim.send(actor);
    } else if (op.t === 'add') {
      const target = pick(NAMES.filter((n) => !everAdded.has(n)), op.b);
      if (target) {
        everAdded.add(target);
        sim.add(actor, target);
      }
    } else {
      const target = pick(sim.members(actor).filter((n) => n !== actor), op.b);
      if (target) sim.remove(actor, target);
    }
  }
  sim.settle(random);
  const active = NAMES.filter((n) => sim.isActive(n));
  const views = active.map((n) => sim.members(n).join(','));
  expect(new Set(views).size, `views ${views.join(' | ')}`).toBeLessThanOrEqual(1);
  const finalMembers = active.length > 0 ? sim.members(active[0] as string) : [];
  for (const m of sim.sent) {
    // Strong removal: every final member decides alike whether a message stands.
    const stands = finalMembers.map((r) => applicationStands(sim.peer(r).state as GroupState, m.position));
    expect(new Set(stands).size, `members agree whether ${m.text} stands`).toBeLessThanOrEqual(1);
    if (stands[0] === false) seen.barred++;
    // Read order extends causality: everything the sender had read or sent comes first.
    for (const b of m.before) {
      seen.causal++;
      expect(compareReadOrder(b, m.position), `${m.text} after what its sender had read`).toBeLessThan(0);
    }
    for (const r of finalMembers) {
      if (r === m.sender) continue;
      const peer = sim.peer(r);
      const entitled = stands[0] !== false && (m.members.includes(r) || (scheme === 'data' && peer.bundleKeys.has(m.epochKey)));
      if (entitled) seen.entitled++;
      if (scheme === 'data' && !m.members.includes(r) && peer.bundleKeys.has(m.epochKey)) seen.history++;
      if (entitled) expect(peer.decrypted.has(m.text), `${r} decrypts ${m.text} (errors: ${peer.errors.join(',')})`).toBe(true);
    }
    for (const p of m.removedKnown) {
      if (finalMembers.includes(p)) continue;
      seen.removedChecks++;
      expect(sim.peer(p).decrypted.has(m.text), `removed ${p} must not read ${m.text}`).toBe(false);
    }
  }
  for (const n of NAMES) for (const text of sim.peer(n).decrypted) expect(sim.sent.some((m) => m.text === text)).toBe(true);
}

describe.each<GroupScheme>(['message', 'data'])('random schedules (%s scheme)', (scheme) => {
  it('members converge; current members read what was sent to them; removed members read nothing after their removal', () => {
    Object.assign(seen, { entitled: 0, removedChecks: 0, history: 0, barred: 0, causal: 0 });
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3 }), fc.array(arbOp, { minLength: 3, maxLength: 14 }), fc.nat(), fc.constantFrom(0, 0.2),
        (initial, ops, seed, dup) => run(scheme, initial, ops, seed, dup),
      ),
      { numRuns: RUNS, ...FIXED_SEED },
    );
    if (process.env['GROUPCRYPT_DEBUG']) console.log(scheme, seen);
    // The counters say the schedules were not trivial; a handful of them (mutation runs take 3) may by chance be.
    if (RUNS >= 20) {
      expect(seen.entitled).toBeGreaterThan(RUNS);
      expect(seen.removedChecks).toBeGreaterThan(0);
      expect(seen.causal).toBeGreaterThan(RUNS);
    }
  }, 600_000);
});
