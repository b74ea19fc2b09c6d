/**
 * Compaction (issue 12, bounded state) must be invisible: a replica that
 * compacts after every message answers every query as one that never does,
 * accepts and refuses the same ops, and its encoding round-trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, canAct, compactionHolders, compactMembership, createMembership, decodeMembership, encodeMembership,
  isCompacted, members, mergeMembership, namedIds, opKind, stablePrefix, type MembershipState,
} from '../../src/membership/index.js';
import { firstClear } from '../../src/membership/bitset.js';
import { encodeCanonical } from '../../src/crypto/index.js';
import { linearExtension, simulate, type Command, type SimMessage } from './sim.js';
import { IDS, arbRun, departed, expectRoundTrip, expectSameAnswers, step } from './oracle.js';

const RUNS = Math.ceil(Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 300) / 2);
// Shrunk runs (mutation testing: 10) reach a compacted remove only about 6 times in 7 with a random seed, and the
// generator checks below vary with the seed at CI's 150 runs too: below 500 runs a fixed seed keeps them (and so a
// mutant's fate) deterministic, as in the other property tests. Longer runs keep exploring with random seeds.
const SHRUNK_SEED = RUNS < 500 ? { seed: 4 } : {};
const code = (c: string) => expect.objectContaining({ code: c });

describe('membership compaction (property)', () => {
  it('a replica compacting after every message answers, accepts and refuses exactly as one that never compacts', () => {
    let compactions = 0;
    let dropped = 0;
    let removesCompacted = 0;
    let compactedBeforeJoin = 0; // compactions while an added member had not acked its add yet
    let passedDeparted = 0; // compactions past the last message of an actor that had sent its farewell
    fc.assert(fc.property(arbRun, ({ initial, commands, seed }) => {
      const { msgs } = simulate(IDS, initial, commands);
      let plain: MembershipState | undefined;
      let compacted: MembershipState | undefined;
      const ops: SimMessage[] = [];
      for (const m of linearExtension(msgs, seed)) {
        const a = step(plain, m);
        const b = step(compacted, m);
        expect(typeof b === 'string' ? b : 'ok').toBe(typeof a === 'string' ? a : 'ok');
        if (typeof a === 'string' || typeof b === 'string') continue;
        plain = a;
        if (m.kind !== 'ack') ops.push(m);
        const before = b.base?.count ?? 0;
        compacted = compactMembership(b, { minimum: 1 });
        if ((compacted.base?.count ?? 0) > before) {
          compactions++;
          const c = compacted;
          if (Object.keys(c.entriesOf).some((id) => !c.seen.has(id))) compactedBeforeJoin++;
          if ([...b.seen].some(([id, bits]) => departed(b, id) && firstClear(bits, c.base?.count ?? 0) < (c.base?.count ?? 0) - before)) passedDeparted++;
        }
        expectSameAnswers(compacted, plain, ops);
        // a replay of a compacted op is still refused
        for (const o of ops) {
          if (isCompacted(compacted, o.id) && o.kind !== 'create') expect(step(compacted, o)).toBe('STATE_DUPLICATE');
        }
      }
      if (compacted === undefined || plain === undefined) return;
      dropped += compacted.base?.count ?? 0;
      const final = compacted;
      removesCompacted += ops.filter((o) => o.kind === 'remove' && isCompacted(final, o.id)).length;
      expectRoundTrip(compacted, plain, ops);
    }), { numRuns: RUNS, ...SHRUNK_SEED });
    // the generator does reach stable prefixes, often
    expect(compactions).toBeGreaterThan(RUNS / 2);
    expect(dropped).toBeGreaterThan(RUNS);
    expect(removesCompacted).toBeGreaterThan(0);
    expect(compactedBeforeJoin).toBeGreaterThan(0);
    // (shrunk runs for mutation testing may reach none: the named case below covers it there)
    if (RUNS >= 50) expect(passedDeparted).toBeGreaterThan(0);
  });
});

describe('membership compaction, a found case', () => {
  it('an actor whose own add was compacted away (F: removed, re-added, then added again) keeps its own view, not the newest add\'s: found by the property above (seed 2076797553)', () => {
    const run = { initial: 32, seed: 0, commands: [[0, 0, 280], [3, 5, 0], [2, 0, 757], [2, 5, 0], [3, 4, 0], [0, 0, 689], [3, 4, 0], [3, 4, 0], [3, 4, 0], [3, 4, 0], [0, 4, 0], [3, 0, 0], [3, 5, 0], [3, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [3, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [3, 5, 0], [0, 0, 329], [0, 0, 0], [0, 0, 0]] as Command[] };
    const { msgs } = simulate(IDS, run.initial, run.commands);
    let plain: MembershipState | undefined;
    let compacted: MembershipState | undefined;
    let compactedOps = 0;
    const ops: SimMessage[] = [];
    for (const m of linearExtension(msgs, run.seed)) {
      const a = step(plain, m);
      const b = step(compacted, m);
      if (typeof a === 'string' || typeof b === 'string') continue;
      plain = a;
      if (m.kind !== 'ack') ops.push(m);
      compacted = compactMembership(b, { minimum: 1 });
      compactedOps = compacted.base?.count ?? 0;
      expectSameAnswers(compacted, plain, ops);
    }
    expect(compactedOps).toBeGreaterThan(0);
    expect(canAct(compacted as MembershipState, 'F')).toBe(false); // F has not seen its newest add yet
  });
});

describe('membership compaction, named cases', () => {
  const base = (): MembershipState => {
    let s = createMembership({ id: 'A:0', creator: 'A', members: ['B', 'C'] });
    s = applyAck(s, { actor: 'B', acked: 'A:0' });
    s = applyAck(s, { actor: 'C', acked: 'A:0' });
    s = applyAdd(s, { id: 'A:1', actor: 'A', added: 'D' });
    s = applyAck(s, { actor: 'B', acked: 'A:1' });
    s = applyAck(s, { actor: 'C', acked: 'A:1' });
    return s;
  };

  it('an added member not heard from holds the stable point at its add: what came before it is stable', () => {
    const s = base();
    expect(stablePrefix(s)).toBe(1); // the create, which D's first message (the ack of A:1) will have in its past
    const early = compactMembership(s, { minimum: 1 });
    expect(early.ops.map((o) => o.id)).toEqual(['A:1']);
    expect(members(early)).toEqual(members(s));
    expect(canAct(early, 'D')).toBe(true);
    expect(applyAck(early, { actor: 'D', acked: 'A:1' }).seen.get('D')).toEqual(new Uint8Array([1]));
    const acked = applyAck(s, { actor: 'D', acked: 'A:1' });
    expect(stablePrefix(acked)).toBe(2);
    const c = compactMembership(acked, { minimum: 1 });
    expect(c.ops).toHaveLength(0);
    expect(c.base).toMatchObject({ count: 2, create: 'A:0', marks: { A: 1 }, members: ['A', 'B', 'C', 'D'] });
    expect(opKind(c, 'A:0')).toBe('create'); // an ack of the create still restarts a chain in DCGKA
    expect(opKind(c, 'A:1')).toBeUndefined();
    expect(applyAck(c, { actor: 'B', acked: 'A:0' })).toBe(c);
    expect(() => applyAdd(c, { id: 'A:1', actor: 'A', added: 'E' })).toThrow(code('STATE_DUPLICATE'));
  });

  it('a joiner\'s first message must ack one of its adds, on every replica alike', () => {
    const s = base(); // D added by A:1, not heard from
    const causality = code('STATE_CAUSALITY');
    expect(() => applyRemove(s, { id: 'D:0', actor: 'D', removed: 'B' })).toThrow(causality);
    expect(() => applyAdd(s, { id: 'D:0', actor: 'D', added: 'E' })).toThrow(causality);
    expect(() => applyAck(s, { actor: 'D', acked: 'A:0' })).toThrow(causality); // an op of its past, not its add
    // the same on a replica that compacted the create away
    expect(() => applyAck(compactMembership(s, { minimum: 1 }), { actor: 'D', acked: 'A:0' })).toThrow(causality);
    // once it acked its add it acts as any member; a stranger is left to DCGKA's view check
    const joined = applyAck(s, { actor: 'D', acked: 'A:1' });
    expect(members(applyRemove(joined, { id: 'D:1', actor: 'D', removed: 'B' }))).toEqual(['A', 'C', 'D']);
    expect(applyAck(s, { actor: 'X', acked: 'A:1' }).seen.has('X')).toBe(true);
  });

  /** D joined; B removed C (B:1); A added E (A:2); everyone but C acked everything. */
  const removedC = (): MembershipState => {
    let s = applyAck(base(), { actor: 'D', acked: 'A:1' });
    s = applyRemove(s, { id: 'B:1', actor: 'B', removed: 'C' });
    for (const m of ['A', 'D']) s = applyAck(s, { actor: m, acked: 'B:1' });
    s = applyAdd(s, { id: 'A:2', actor: 'A', added: 'E' });
    for (const m of ['B', 'D', 'E']) s = applyAck(s, { actor: m, acked: 'A:2' });
    return s;
  };

  it('a removed member that never sends again holds the stable point at its last message', () => {
    const s = removedC();
    // C never acked B:1 (it has not heard of its removal): everything from B:1 on stays
    expect(stablePrefix(s)).toBe(2);
    const c = compactMembership(s, { minimum: 1 });
    expect(c.ops.map((o) => o.id)).toEqual(['B:1', 'A:2']);
    // C's late remove (concurrent with its own removal) still counts, as on an uncompacted replica
    const late = { id: 'C:0', actor: 'C', removed: 'D' };
    expect(members(applyRemove(c, late))).toEqual(members(applyRemove(s, late)));
    expect(members(applyRemove(c, late))).not.toContain('D');
    // who holds it is named (STATE_LIMIT says so): C, on either replica; nobody once it acked
    expect(compactionHolders(s)).toEqual(['C']);
    expect(compactionHolders(c)).toEqual(['C']);
    expect(compactionHolders(applyAck(s, { actor: 'C', acked: 'A:2' }))).toEqual([]);
  });

  it('a removed member that said farewell (acked its own removal) holds nothing back, until an add of it it has not seen', () => {
    const s = removedC();
    expect(stablePrefix(s)).toBe(2); // C holds at its last message, as above
    const farewell = applyAck(s, { actor: 'C', acked: 'B:1' });
    expect(canAct(farewell, 'C')).toBe(false);
    expect(stablePrefix(farewell)).toBe(4);
    expect(compactionHolders(farewell)).toEqual([]);
    const c = compactMembership(farewell, { minimum: 1 });
    expect(c.ops).toHaveLength(0);
    // the quick test before a compaction lets C's farewell through too (it has not seen A:2, and holds nothing)
    expect(compactMembership(farewell, { minimum: 4 }).ops).toHaveLength(0);
    expect(members(c)).toEqual(members(farewell));
    expect(canAct(c, 'C')).toBe(false);
    // re-added: C holds at its new add's past (it will ack it), not at its farewell, and may act once it acked it
    const readd = applyAdd(farewell, { id: 'A:3', actor: 'A', added: 'C' });
    expect(stablePrefix(readd)).toBe(4);
    expect(compactionHolders(readd)).toContain('C');
    const back = applyAck(compactMembership(readd, { minimum: 1 }), { actor: 'C', acked: 'A:3' });
    expect(canAct(back, 'C')).toBe(true);
    expect(members(back)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('an invitation never accepted and a silent member are named as holders too, together when they hold the same op', () => {
    const s = base(); // D added by A:1, not heard from; A, B, C have seen everything
    expect(compactionHolders(s)).toEqual(['D']);
    const quiet = applyAdd(applyAck(s, { actor: 'D', acked: 'A:1' }), { id: 'A:2', actor: 'A', added: 'E' });
    // B, C and D have not acked A:2; E, not heard from, holds its add A:2 itself (its first message acks it)
    expect(compactionHolders(quiet)).toEqual(['B', 'C', 'D', 'E']);
    expect(compactionHolders(applyAck(applyAck(applyAck(quiet, { actor: 'B', acked: 'A:2' }), { actor: 'C', acked: 'A:2' }), { actor: 'D', acked: 'A:2' }))).toEqual(['E']);
  });

  it('the base names every actor and target of its ops, sorted, and survives encoding; compacting twice adds up', () => {
    // ids whose first use is out of order: Z creates, then adds M, which adds B
    let s = createMembership({ id: 'Z:0', creator: 'Z', members: ['M'] });
    s = applyAck(s, { actor: 'M', acked: 'Z:0' });
    s = applyAdd(s, { id: 'M:1', actor: 'M', added: 'B' });
    s = applyAck(s, { actor: 'Z', acked: 'M:1' });
    s = applyAck(s, { actor: 'B', acked: 'M:1' });
    const c = compactMembership(s, { minimum: 1 });
    expect(c.base?.named).toEqual(['B', 'M', 'Z']);
    expect(c.base?.marks).toEqual({ M: 1, Z: 0 });
    expect(namedIds(c)).toEqual(['B', 'M', 'Z']);
    expect(decodeMembership(encodeMembership(c))).toEqual(c);
    // a second compaction keeps the first one's count, marks and names
    let t = c;
    for (let i = 1; i <= 8; i++) t = applyAdd(t, { id: `Z:${i}`, actor: 'Z', added: `N${i}` });
    for (let i = 1; i <= 8; i++) t = applyAck(t, { actor: `N${i}`, acked: `Z:${i}` }); // a joiner first acks its add
    for (const m of ['B', 'M', ...Array.from({ length: 8 }, (_, i) => `N${i + 1}`)]) t = applyAck(t, { actor: m, acked: 'Z:8' });
    const again = compactMembership(t, { minimum: 8 });
    expect(again.ops).toHaveLength(0);
    expect(again.base?.count).toBe(10);
    expect(again.base?.marks).toEqual({ M: 1, Z: 8 });
    expect(again.base?.named).toEqual(['B', 'M', 'N1', 'N2', 'N3', 'N4', 'N5', 'N6', 'N7', 'N8', 'Z']);
    expect(again.base?.members).toEqual(members(t));
    expect(decodeMembership(encodeMembership(again))).toEqual(again);
  });

  it('a later remove cancels a base member; a compacted state cannot be merged', () => {
    const c = compactMembership(applyAck(base(), { actor: 'D', acked: 'A:1' }), { minimum: 1 });
    const removed = applyRemove(c, { id: 'B:0', actor: 'B', removed: 'D' });
    expect(members(removed)).toEqual(['A', 'B', 'C']);
    expect(() => mergeMembership(c, c)).toThrow(code('USAGE_ARGUMENT'));
    expect(() => compactMembership(c, { minimum: 0 })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('merging refuses a compacted state on either side, and an op id shared with a different kind', () => {
    const plain = applyAck(base(), { actor: 'D', acked: 'A:1' });
    const c = compactMembership(plain, { minimum: 1 });
    expect(() => mergeMembership(c, plain)).toThrow(code('USAGE_ARGUMENT'));
    expect(() => mergeMembership(plain, c)).toThrow(code('USAGE_ARGUMENT'));
    // same id, actor and target: only the kind differs
    const two = applyAck(createMembership({ id: 'A:0', creator: 'A', members: ['B', 'C'] }), { actor: 'B', acked: 'A:0' });
    const added = applyAdd(two, { id: 'A:1', actor: 'A', added: 'C' });
    const removed = applyRemove(two, { id: 'A:1', actor: 'A', removed: 'C' });
    expect(() => mergeMembership(added, removed)).toThrow(code('STATE_DUPLICATE'));
    expect(mergeMembership(added, added).ops).toHaveLength(2);
  });

  it('compaction stops before an op whose id is not `actor:seq` in plain decimal: a replay of it could not be refused after', () => {
    for (const odd of [':5', 'A:05', 'A:1x', `A:${'1'.repeat(16)}`, 'A']) {
      let s = applyAck(createMembership({ id: 'A:0', creator: 'A', members: ['B'] }), { actor: 'B', acked: 'A:0' });
      s = applyAdd(s, { id: odd, actor: 'A', added: 'C' });
      s = applyAck(s, { actor: 'C', acked: odd }); // a joiner acks its add first
      s = applyAdd(s, { id: 'A:12', actor: 'A', added: 'D' });
      for (const m of ['B', 'C', 'D']) s = applyAck(s, { actor: m, acked: 'A:12' });
      expect(stablePrefix(s)).toBe(1);
      const c = compactMembership(s, { minimum: 1 });
      expect(c.ops.map((o) => o.id)).toEqual([odd, 'A:12']);
      expect(() => applyAdd(c, { id: odd, actor: 'A', added: 'E' })).toThrow(code('STATE_DUPLICATE'));
    }
    // the plain ids around it compact, seq 10 and up included, and 'A:5' is not taken for 'A:05'
    let s = applyAck(createMembership({ id: 'A:0', creator: 'A', members: ['B'] }), { actor: 'B', acked: 'A:0' });
    for (const id of ['A:05', 'A:10', 'A:11']) s = applyAck(applyAdd(s, { id, actor: 'A', added: `M${id.slice(2)}` }), { actor: `M${id.slice(2)}`, acked: id });
    for (const m of ['B', 'M05', 'M10', 'M11']) s = applyAck(s, { actor: m, acked: 'A:11' });
    const c = compactMembership(s, { minimum: 1 });
    expect(c.ops.map((o) => o.id)).toEqual(['A:05', 'A:10', 'A:11']);
    expect(applyAdd(c, { id: 'A:5', actor: 'A', added: 'E' }).ops.map((o) => o.id)).toContain('A:5');
    let t = applyAck(createMembership({ id: 'A:0', creator: 'A', members: ['B'] }), { actor: 'B', acked: 'A:0' });
    t = applyAdd(t, { id: 'A:10', actor: 'A', added: 'C' });
    for (const m of ['B', 'C']) t = applyAck(t, { actor: m, acked: 'A:10' });
    expect(compactMembership(t, { minimum: 1 }).ops).toHaveLength(0);
  });

  it('a create whose id is not `actor:seq` is compacted all the same and kept as base.create; a kept odd id stops the next compaction', () => {
    let s = applyAck(createMembership({ id: 'genesis', creator: 'A', members: ['B'] }), { actor: 'B', acked: 'genesis' });
    s = applyAdd(s, { id: 'A:1', actor: 'A', added: 'C' });
    for (const m of ['B', 'C']) s = applyAck(s, { actor: m, acked: 'A:1' });
    const c = compactMembership(s, { minimum: 1 });
    expect(c.ops).toHaveLength(0);
    expect(c.base).toMatchObject({ create: 'genesis', marks: { A: 1 } });
    expect(isCompacted(c, 'genesis')).toBe(true);
    expect(() => applyAdd(c, { id: 'genesis', actor: 'A', added: 'D' })).toThrow(code('STATE_DUPLICATE'));
    expect(applyAck(c, { actor: 'B', acked: 'genesis' })).toBe(c);
    // an odd id never seen is neither compacted nor known
    expect(isCompacted(c, 'elsewhere')).toBe(false);
    expect(() => applyAck(c, { actor: 'B', acked: 'elsewhere' })).toThrow(code('STATE_UNKNOWN_OPERATION'));
    // after a compaction, the first kept op is checked too
    let t = applyAck(applyAdd(c, { id: 'odd', actor: 'A', added: 'D' }), { actor: 'D', acked: 'odd' });
    t = applyAdd(t, { id: 'A:2', actor: 'A', added: 'E' });
    for (const m of ['B', 'C', 'D', 'E']) t = applyAck(t, { actor: m, acked: 'A:2' });
    const again = compactMembership(t, { minimum: 1 });
    expect(again).toBe(t);
    expect(() => applyAdd(again, { id: 'odd', actor: 'A', added: 'F' })).toThrow(code('STATE_DUPLICATE'));
  });

  it('a compaction dropping fewer ops than its minimum returns the state itself', () => {
    const s = base(); // stable prefix 1
    expect(compactMembership(s, { minimum: 2 })).toBe(s);
    expect(compactMembership(s, { minimum: 1 })).not.toBe(s);
  });

  it('decoding refuses a malformed base', () => {
    const c = compactMembership(applyAck(base(), { actor: 'D', acked: 'A:1' }), { minimum: 1 });
    const bytes = encodeMembership(c);
    expect(decodeMembership(bytes).base).toEqual(c.base);
    const withBase = (change: (b: Record<string, unknown>) => void): Uint8Array => {
      const b: Record<string, unknown> = { ...c.base, marks: { ...c.base?.marks } };
      change(b);
      const seen: Record<string, Uint8Array> = {};
      for (const [k, v] of c.seen) seen[k] = v;
      return encodeCanonical({ v: 2, base: b, ops: [], seen });
    };
    expect(decodeMembership(withBase(() => undefined)).base).toEqual(c.base);
    expect(() => decodeMembership(withBase((b) => { b['count'] = 0; }))).toThrow(code('DECODE_FIELD'));
    expect(() => decodeMembership(withBase((b) => { b['members'] = ['B', 'A']; }))).toThrow(code('DECODE_FIELD'));
    expect(() => decodeMembership(withBase((b) => { b['members'] = ['Z']; }))).toThrow(code('DECODE_FIELD'));
    expect(() => decodeMembership(withBase((b) => { b['marks'] = { A: -1 }; }))).toThrow(code('DECODE_FIELD'));
    expect(() => decodeMembership(withBase((b) => { b['extra'] = 1; }))).toThrow(code('DECODE_FIELD'));
  });
});
