/**
 * Region compaction (region.ts) must be invisible: a replica that replaces
 * the region out of every stranded actor's reach after every message answers
 * every query as one that never compacts, and accepts and refuses the same ops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, canAct, compactMembership, compactRegion, createMembership, decodeMembership, encodeMembership, hasSeen,
  memberView, members, mergeMembership, type MembershipState,
} from '../../src/membership/index.js';
import { linearExtension, simulate, type SimMessage } from './sim.js';
import { IDS, arbRun, expectRoundTrip, expectSameAnswers, step } from './oracle.js';

// GROUPCRYPT_REGION_SCHEDULES: this test's own count (mutation runs keep it above the other property tests').
const RUNS = Math.ceil(Number(process.env['GROUPCRYPT_REGION_SCHEDULES'] ?? process.env['GROUPCRYPT_SCHEDULES'] ?? 300) / 2);
// Chains of supports reaching out of a region come about once in 15 runs or so: below 500 runs (CI: 150) a fixed
// seed keeps the generator checks below deterministic (with seed 1: 10 such entries, 25 states holding two regions).
// Longer runs keep exploring with a random seed.
const FIXED_SEED = RUNS < 500 ? { seed: 1 } : {};

const regions = (s: MembershipState): number => s.ops.filter((o) => o.kind === 'region').length;

describe('region compaction (property)', () => {
  it('a replica replacing regions after every message answers, accepts and refuses exactly as one that never compacts', () => {
    let regionCompactions = 0;
    let replaced = 0;
    let lateAfterRegion = 0; // an add or remove by an actor outside the members, processed while a region is held
    let nested = 0; // states holding two regions (a later generation of stranded actors)
    let chained = 0; // region entries whose leaves are not just base entries
    fc.assert(fc.property(arbRun, ({ initial, commands, seed }) => {
      const { msgs } = simulate(IDS, initial, commands);
      let plain: MembershipState | undefined;
      let compacted: MembershipState | undefined;
      const ops: SimMessage[] = [];
      for (const m of linearExtension(msgs, seed)) {
        if (compacted !== undefined && plain !== undefined && regions(compacted) > 0 && m.kind !== 'ack' && m.kind !== 'create'
          && !members(plain).includes(m.sender)) lateAfterRegion++;
        const a = step(plain, m);
        const b = step(compacted, m);
        expect(typeof b === 'string' ? b : 'ok', `${m.kind} ${m.id}`).toBe(typeof a === 'string' ? a : 'ok');
        if (typeof a === 'string' || typeof b === 'string') continue;
        plain = a;
        if (m.kind !== 'ack') ops.push(m);
        const prefixed = compactMembership(b, { minimum: 1 });
        const before = prefixed.ops.length;
        compacted = compactRegion(prefixed, { minimum: 1 });
        if (compacted !== prefixed) {
          regionCompactions++;
          replaced += before - compacted.ops.length + 1;
          expect(regions(compacted)).toBeGreaterThan(0);
          if (regions(compacted) > 1) nested++;
          const c = compacted;
          chained += c.entries.filter((e) => c.ops[e.op]?.kind === 'region' && (e.supports ?? []).some((v) => (c.entries[v]?.op ?? -1) >= 0)).length;
        }
        expectSameAnswers(compacted, plain, ops);
      }
      if (compacted === undefined || plain === undefined) return;
      expectRoundTrip(compacted, plain, ops);
    }), { numRuns: RUNS, ...FIXED_SEED });
    // the generator reaches what the region must get right: late ops of stranded actors against a region, a later
    // generation of stranded actors (two regions held), chains of supports reaching outside the region
    expect(regionCompactions).toBeGreaterThan(RUNS / 2);
    expect(replaced).toBeGreaterThan(regionCompactions);
    expect(lateAfterRegion).toBeGreaterThan(0);
    if (RUNS >= 50 && RUNS < 500) {
      expect(nested).toBeGreaterThan(0);
      expect(chained).toBeGreaterThan(0);
    }
  });
});

describe('region compaction, the case it is for', () => {
  it('a member removed and never told holds the history no more: with 8 members and 600 membership ops after, the held ops stay bounded', () => {
    const seq: Record<string, number> = {};
    const id = (actor: string): string => `${actor}:${(seq[actor] = (seq[actor] ?? 0) + 1)}`;
    let state = createMembership({ id: 'A:0', creator: 'A', members: ['B', 'C', 'D', 'E', 'F', 'G', 'H'] });
    const ackAll = (op: string): void => {
      for (const m of members(state)) state = applyAck(state, { actor: m, acked: op });
    };
    // H went offline for good before its removal reached it: it never acks again
    let op = id('A');
    state = applyRemove(state, { id: op, actor: 'A', removed: 'H' });
    ackAll(op);
    let prefixOnly = state;
    let next = 100;
    let most = 0;
    let rng = 7;
    const pick = (n: number): number => (rng = (rng * 1103515245 + 12345) % 2147483648) % n;
    for (let i = 0; i < 600; i++) {
      const current = members(state);
      const actor = current[pick(current.length)] as string;
      op = id(actor);
      if (current.length < 8) {
        const added = `M${next++}`;
        state = applyAdd(state, { id: op, actor, added });
        prefixOnly = applyAdd(prefixOnly, { id: op, actor, added });
        ackAll(op);
        for (const m of members(prefixOnly)) prefixOnly = applyAck(prefixOnly, { actor: m, acked: op });
      } else {
        const others = current.filter((m) => m !== actor);
        const removed = others[pick(others.length)] as string;
        state = applyRemove(state, { id: op, actor, removed });
        prefixOnly = applyRemove(prefixOnly, { id: op, actor, removed });
        ackAll(op);
        for (const m of members(prefixOnly)) prefixOnly = applyAck(prefixOnly, { actor: m, acked: op });
        // the removed member hears of it and says farewell; only H never does
        state = applyAck(state, { actor: removed, acked: op });
        prefixOnly = applyAck(prefixOnly, { actor: removed, acked: op });
      }
      state = compactRegion(compactMembership(state));
      prefixOnly = compactMembership(prefixOnly);
      most = Math.max(most, state.ops.length);
    }
    expect(members(state)).toEqual(members(prefixOnly));
    expect(canAct(state, 'H')).toBe(true); // H may still send: its late ops are still judged
    expect(prefixOnly.ops.length).toBeGreaterThan(600); // prefix compaction alone stops at H's last message
    expect(most).toBeLessThan(80); // the region keeps what H could see, one placeholder and the ops since
    // a late remove by H still counts, as on a replica that never compacted: it cancels the adds of its target that
    // H saw and, through the supports rule, what they led to, however long after
    let changed = 0;
    for (const target of ['A', 'B', 'C', 'D', 'E', 'F', 'G']) {
      const late = applyRemove(state, { id: 'H:1', actor: 'H', removed: target });
      const lateUncompacted = applyRemove(prefixOnly, { id: 'H:1', actor: 'H', removed: target });
      expect(members(late)).toEqual(members(lateUncompacted));
      if (members(late).join() !== members(state).join()) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(decodeMembership(encodeMembership(state)).ops.length).toBe(state.ops.length);
    // a state holding a region cannot be merged (its pasts no longer name the ops it replaced)
    expect(state.base === null && state.ops.some((o) => o.kind === 'region')).toBe(true);
    expect(() => mergeMembership(createMembership({ id: 'A:0', creator: 'A', members: ['B'] }), state)).toThrow(expect.objectContaining({ code: 'USAGE_ARGUMENT' }));
  });

  it('a kept op that saw only part of the region shrinks it: a remove concurrent with a re-add leaves the re-added member in', () => {
    let state = createMembership({ id: 'A:0', creator: 'A', members: ['B', 'C', 'M', 'X', 'H'] });
    const ack = (acked: string, actors: readonly string[]): void => {
      for (const actor of actors) state = applyAck(state, { actor, acked });
    };
    // H is removed and never hears of it: every op after its removal is out of its reach
    state = applyRemove(state, { id: 'A:1', actor: 'A', removed: 'H' });
    ack('A:1', ['B', 'C', 'M', 'X']);
    state = applyAdd(state, { id: 'B:1', actor: 'B', added: 'Y' });
    ack('B:1', ['A', 'C', 'M', 'X', 'Y']);
    // C adds X again while M, not having seen that, removes X: the add wins
    state = applyAdd(state, { id: 'C:1', actor: 'C', added: 'X' });
    state = applyRemove(state, { id: 'M:1', actor: 'M', removed: 'X' });
    ack('C:1', ['A', 'B', 'M', 'X', 'Y']);
    ack('M:1', ['A', 'B', 'C', 'Y']); // X has not acked M:1 yet: it stays out of the region
    const compacted = compactRegion(compactMembership(state, { minimum: 1 }), { minimum: 1 });
    // M:1 holds A:1 and B:1 but not C:1: the region shrinks to C:1 alone (else M:1 would count as having seen the re-add)
    expect(compacted.ops.map((o) => o.id)).toEqual(['A:1', 'B:1', '~region:C:1', 'M:1']);
    expect(members(compacted)).toEqual(members(state));
    expect(members(compacted)).toContain('X');
    for (const id of ['A', 'B', 'C', 'M', 'X', 'Y', 'H']) {
      expect(canAct(compacted, id), `canAct ${id}`).toBe(canAct(state, id));
      expect(memberView(compacted, id), `view ${id}`).toEqual(memberView(state, id));
      for (const op of ['A:1', 'B:1', 'C:1', 'M:1']) expect(hasSeen(compacted, id, op), `hasSeen ${id} ${op}`).toBe(hasSeen(state, id, op));
    }
    // H's late removes judge as on the uncompacted history
    for (const target of ['A', 'B', 'C', 'M', 'X']) {
      expect(members(applyRemove(compacted, { id: 'H:1', actor: 'H', removed: target })), target)
        .toEqual(members(applyRemove(state, { id: 'H:1', actor: 'H', removed: target })));
    }
    // and a minimum above the region's size leaves the state as it was
    const prefixed = compactMembership(state, { minimum: 1 });
    expect(compactRegion(prefixed, { minimum: 2 })).toBe(prefixed);
  });
});
