/**
 * Region compaction (region.ts) must be invisible: a replica that replaces
 * the region out of every stranded actor's reach after every message answers
 * every query as one that never compacts, and accepts and refuses the same ops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, canAct, compactMembership, createMembership, decodeMembership, encodeMembership, hasSeen, memberView, members, namedIds, type MembershipState,
} from '../../src/membership/index.js';
import { compactRegion } from '../../src/membership/region.js';
import { isGroupCryptError } from '../../src/errors.js';
import { linearExtension, simulate, type Command, type SimMessage } from './sim.js';

const IDS = ['A', 'B', 'C', 'D', 'E', 'F'];
const RUNS = Math.ceil(Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 300) / 2);

const arbRun = fc.record({
  initial: fc.integer({ min: 0, max: 63 }),
  commands: fc.array(fc.tuple(fc.nat(9), fc.nat(5), fc.nat(1000)) as fc.Arbitrary<Command>, { minLength: 20, maxLength: 200, size: 'max' }),
  seed: fc.integer(),
});

function step(state: MembershipState | undefined, m: SimMessage): MembershipState | string {
  try {
    if (m.kind === 'create') return createMembership({ id: m.id, creator: m.sender, members: m.initial });
    if (state === undefined) throw new Error('create first');
    if (m.kind === 'add') return applyAdd(state, { id: m.id, actor: m.sender, added: m.target });
    if (m.kind === 'remove') return applyRemove(state, { id: m.id, actor: m.sender, removed: m.target });
    return applyAck(state, { actor: m.sender, acked: m.target });
  } catch (error) {
    if (isGroupCryptError(error)) return error.code;
    throw error;
  }
}

function departed(state: MembershipState, id: string): boolean {
  return state.seen.has(id) && !canAct(state, id);
}

function expectSameAnswers(compacted: MembershipState, plain: MembershipState, ops: readonly SimMessage[]): void {
  expect(members(compacted)).toEqual(members(plain));
  for (const id of [...IDS, 'stranger']) {
    expect(canAct(compacted, id), `canAct ${id}`).toBe(canAct(plain, id));
    if (departed(plain, id)) continue;
    expect(memberView(compacted, id), `view ${id}`).toEqual(memberView(plain, id));
    for (const m of ops) expect(hasSeen(compacted, id, m.id), `hasSeen ${id} ${m.id}`).toBe(hasSeen(plain, id, m.id));
  }
  expect(namedIds(compacted)).toEqual(namedIds(plain));
}

const regions = (s: MembershipState): number => s.ops.filter((o) => o.kind === 'region').length;

describe('region compaction (property)', () => {
  it('a replica replacing regions after every message answers, accepts and refuses exactly as one that never compacts', () => {
    let regionCompactions = 0;
    let replaced = 0;
    let lateAfterRegion = 0; // an add or remove by a stranded actor processed while a region is held
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
      const decoded = decodeMembership(encodeMembership(compacted));
      expect(encodeMembership(decoded)).toEqual(encodeMembership(compacted));
      expectSameAnswers(decoded, plain, ops);
    }), { numRuns: RUNS });
    console.log(`region compactions ${regionCompactions}, ops replaced ${replaced}, late ${lateAfterRegion}, nested ${nested}, chained ${chained}`);
    expect(regionCompactions).toBeGreaterThan(0);
    expect(replaced).toBeGreaterThan(regionCompactions);
  });
});
