/**
 * The v3 layout of a membership state (src/membership/table-codec.ts): one
 * encoding per state, the states v1/v2 wrote still decode to the same state,
 * it is small, and every malformed table is refused with the field named.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, fromHex } from '../../src/crypto/index.js';
import {
  applyAck, applyAdd, applyRemove, compactMembership, createMembership, decodeMembership, encodeMembership, MAX_ID_LENGTH, members, type MembershipState,
} from '../../src/membership/index.js';
import { encodeMembershipV2 } from './legacy-codec.js';
import { fromRuns, toRuns } from '../../src/membership/table-codec.js';
import { compactRegion } from '../../src/membership/region.js';
import { ack, add, create, remove, replay } from './replay.js';

const code = (c: string) => expect.objectContaining({ code: c });
/** create K by A with B, C; W: B adds X (X acked); R: C removes B; A acked W and R. */
const sample = () => replay([create('K', 'A', ['B', 'C']), add('W', 'B', 'X'), ...ack('X', 'W'), remove('R', 'C', 'B'), ...ack('A', 'W', 'R')]);
type Raw = { v: number; ids: unknown[]; base: unknown; ops: unknown[][]; seen: unknown[][] };
const raw = (state: MembershipState = sample()): Raw => decodeCanonical(encodeMembership(state), 'test') as Raw;
const reencode = (edit: (r: Raw) => void, state?: MembershipState): Uint8Array => {
  const r = raw(state);
  edit(r);
  return encodeCanonical(r);
};

const hex = (n: number): string => n.toString(16).padStart(64, '0');

/** A DCGKA-like history: hex ids, `id:seq` op ids, everyone acking, `n` adds. */
function hexHistory(n: number): MembershipState {
  const creator = hex(1);
  let s = createMembership({ id: `${creator}:0`, creator, members: [hex(2)] });
  s = applyAck(s, { actor: hex(2), acked: `${creator}:0` });
  for (let i = 1; i <= n; i++) {
    const added = hex(100 + i);
    s = applyAdd(s, { id: `${creator}:${i}`, actor: creator, added });
    s = applyAck(s, { actor: added, acked: `${creator}:${i}` });
    s = applyAck(s, { actor: hex(2), acked: `${creator}:${i}` });
  }
  return s;
}

/** 8 members; `rounds` times the creator removes one of the 7 others and adds it back, everyone acking. */
function hexChurn(rounds: number): MembershipState {
  const creator = hex(1);
  const others = Array.from({ length: 7 }, (_, i) => hex(2 + i));
  let s = createMembership({ id: `${creator}:0`, creator, members: others });
  for (const m of others) s = applyAck(s, { actor: m, acked: `${creator}:0` });
  let seq = 1;
  for (let r = 0; r < rounds; r++) {
    const target = others[r % others.length] as string;
    const removal = `${creator}:${seq++}`;
    s = applyRemove(s, { id: removal, actor: creator, removed: target });
    for (const m of others) if (m !== target) s = applyAck(s, { actor: m, acked: removal });
    const readd = `${creator}:${seq++}`;
    s = applyAdd(s, { id: readd, actor: creator, added: target });
    for (const m of others) s = applyAck(s, { actor: m, acked: readd });
  }
  return s;
}

describe('membership v3 layout', () => {
  it('round-trips byte for byte; states written as v1 and v2 decode to the same state', () => {
    for (const state of [sample(), hexHistory(40), compactMembership(hexHistory(40), { minimum: 1 })]) {
      const bytes = encodeMembership(state);
      expect(raw(state).v).toBe(3);
      const back = decodeMembership(bytes);
      expect(encodeMembership(back)).toEqual(bytes);
      expect(members(back)).toEqual(members(state));
      expect(back.entries).toEqual(state.entries);
      expect(decodeMembership(encodeMembershipV2(state))).toEqual(back);
    }
    expect(compactMembership(hexHistory(40), { minimum: 1 }).base).not.toBeNull();
  });

  it('writes hex ids as 32 bytes, an op id `actor:seq` as its seq, and a past as runs', () => {
    const r = raw(hexHistory(3));
    expect(r.ids[0]).toEqual(fromHex(hex(1)));
    expect(r.ops[2]).toEqual([1, 0, 2, [r.ids.findIndex((id) => id instanceof Uint8Array && id[31] === 102)], [0, 2]]);
    // an op id of another shape stays text
    const odd = applyAdd(createMembership({ id: 'K', creator: 'A', members: [] }), { id: 'A:007', actor: 'A', added: 'B' });
    expect(raw(odd).ops.map((op) => op[2])).toEqual(['K', 'A:007']);
    expect(decodeMembership(encodeMembership(odd)).ops.map((op) => op.id)).toEqual(['K', 'A:007']);
  });

  it('a long history costs a few bytes an op instead of hundreds', () => {
    // 600 adds of 600 new members: each new id (32 bytes) is written once, with its seen set
    const grown = hexHistory(600);
    expect(encodeMembership(grown).length / 600).toBeLessThan(60);
    expect(encodeMembershipV2(grown).length / encodeMembership(grown).length).toBeGreaterThan(5);
    // 8 members removed and re-added in turn, 600 ops (what a member gone for good keeps: README "Bounded state")
    const churn = hexChurn(300);
    expect(churn.ops.length).toBe(601);
    expect(encodeMembership(churn).length / 600).toBeLessThan(16);
    expect(encodeMembershipV2(churn).length / encodeMembership(churn).length).toBeGreaterThan(20);
  });

  it('runs: maximal, strictly increasing, within the limit', () => {
    expect(toRuns(new Uint8Array([0b1011_0111]))).toEqual([0, 3, 4, 6, 7, 8]);
    expect(fromRuns([0, 3, 4, 6, 7, 8], 'x', 8)).toEqual(new Uint8Array([0b1011_0111]));
    expect(fromRuns([], 'x', 0)).toEqual(new Uint8Array(0));
    for (const bad of [[0], [0, 3, 3, 4], [2, 1], [1, 1], [0, 9], [-1, 2], [0, 1.5], 'x']) {
      expect(() => fromRuns(bad, 'x', 8), JSON.stringify(bad)).toThrow(code('DECODE_FIELD'));
    }
  });

  const cases: [string, (r: Raw) => void, RegExp][] = [
    ['ids unsorted', (r) => { r.ids = [...r.ids].reverse(); }, /membership\.ids/],
    ['an id used by nothing', (r) => { r.ids = [...r.ids, 'ZZ']; }, /membership\.ids: expected only ids/],
    ['an id twice', (r) => { r.ids = [r.ids[0], ...r.ids]; }, /membership\.ids: expected sorted/],
    ['hex written as text', (r) => { r.ids = [...r.ids, hex(7)]; }, /membership\.ids\[\d+\]/],
    ['an id of 31 bytes', (r) => { r.ids = [new Uint8Array(31), ...r.ids]; }, /membership\.ids\[0\]/],
    ['an empty id', (r) => { r.ids = ['', ...r.ids]; }, /membership\.ids\[0\]/],
    ['an index past the table', (r) => { (r.ops[1] as unknown[])[1] = 99; }, /membership\.ops\[1\]\.actor/],
    ['an unknown kind', (r) => { (r.ops[1] as unknown[])[0] = 3; }, /membership\.ops\[1\]\.kind/],
    ['an op of four fields', (r) => { r.ops[1] = r.ops[1]!.slice(0, 4); }, /membership\.ops\[1\]/],
    ['an op id that is its seq as text', (r) => { const a = r.ops[1]![1] as number; r.ops[1]![2] = `${r.ids[a] as string}:5`; }, /membership\.ops\[1\]\.id/],
    ['an op id that is not text', (r) => { r.ops[1]![2] = new Uint8Array(1); }, /membership\.ops\[1\]\.id/],
    ['a past reaching the op itself', (r) => { r.ops[1]![4] = [0, 2]; }, /membership\.ops\[1\]\.past/],
    ['a past not causally closed', (r) => { r.ops[2]![4] = [1, 2]; }, /membership\.ops\[2\]\.past: not causally closed/],
    ['seen out of table order', (r) => { r.seen = [...r.seen].reverse(); }, /membership\.seen/],
    ['seen not closed', (r) => { r.seen[0]![1] = [2, 3]; }, /membership\.seen: not causally closed/],
    ['create not first', (r) => { r.ops = [r.ops[1]!, r.ops[0]!, ...r.ops.slice(2)]; }, /membership\.ops\[0\]/],
    ['two targets', (r) => { r.ops[1]![3] = [0, 1]; }, /membership\.ops\[1\]\.targets/],
    ['an extra field', (r) => { (r as unknown as Record<string, unknown>)['x'] = 1; }, /membership: unexpected field/],
  ];
  for (const [name, edit, message] of cases) {
    it(`rejects: ${name}`, () => {
      expect(() => decodeMembership(reencode(edit))).toThrow(message);
      expect(() => decodeMembership(reencode(edit))).toThrow(code('DECODE_FIELD'));
    });
  }

  it('keeps ids that only look like hex or op ids as they are', () => {
    const almost = [`z${hex(1)}`, `${hex(1)}z`, hex(1).slice(1)];
    let s = createMembership({ id: 'K', creator: 'A', members: almost });
    s = applyAdd(s, { id: 'B:5', actor: 'A', added: 'B' }); // an op id of another actor's shape
    const r = raw(s);
    expect(r.ids.filter((id) => id instanceof Uint8Array)).toEqual([]);
    expect(r.ops[1]?.[2]).toBe('B:5');
    const back = decodeMembership(encodeMembership(s));
    expect(back.ops.map((op) => op.id)).toEqual(['K', 'B:5']);
    expect(members(back)).toEqual(members(s));
  });

  it('names what it expected', () => {
    const op = (r: Raw, i: number): unknown[] => r.ops[i] as unknown[];
    const cases: [string, (r: Raw) => void, string][] = [
      ['an id longer than allowed', (r) => { r.ids = [...r.ids, 'Z'.repeat(MAX_ID_LENGTH + 1)]; }, `membership.ids[${raw().ids.length}]: expected 32 bytes, or text that is not 64 hex characters`],
      ['an index equal to the table size', (r) => { op(r, 1)[1] = r.ids.length; }, `membership.ops[1].actor: expected an index below ${raw().ids.length}`],
      ['a negative index', (r) => { op(r, 1)[1] = -1; }, 'membership.ops[1].actor: expected a non-negative integer'],
      ['an op of four fields', (r) => { r.ops[1] = op(r, 1).slice(0, 4); }, 'membership.ops[1]: expected a list of 5 items'],
      ['ops not a list', (r) => { r.ops = 7 as unknown as unknown[][]; }, 'membership.ops: expected a list of at most'],
      ['an unknown kind', (r) => { op(r, 1)[0] = 3; }, 'membership.ops[1].kind: expected 0, 1 or 2'],
      ['an empty op id', (r) => { op(r, 1)[2] = ''; }, 'membership.ops[1].id: expected a seq or an op id'],
      ['an op id too long', (r) => { op(r, 1)[2] = 'w'.repeat(MAX_ID_LENGTH + 1); }, 'membership.ops[1].id: expected a seq or an op id'],
      ['an op id that is its seq as text', (r) => { op(r, 1)[2] = `${r.ids[op(r, 1)[1] as number] as string}:5`; }, 'membership.ops[1].id: expected its seq alone (non-canonical)'],
      ['targets not a list', (r) => { op(r, 1)[3] = 1; }, 'membership.ops[1].targets: expected a list of at most'],
      ['runs of odd length', (r) => { op(r, 1)[4] = [0]; }, 'membership.ops[1].past: expected [start, end, …] pairs'],
      ['runs past the op', (r) => { op(r, 1)[4] = [0, 2]; }, 'membership.ops[1].past: expected runs within the 1 operations before it'],
      ['runs touching', (r) => { op(r, 2)[4] = [0, 1, 1, 2]; }, 'membership.ops[2].past: expected strictly increasing, non-empty, non-adjacent runs'],
      ['seen twice', (r) => { r.seen = [r.seen[0]!, ...r.seen]; }, 'membership.seen: expected members in table order, each once'],
      ['a seen entry of one field', (r) => { r.seen[0] = [r.seen[0]![0]]; }, 'membership.seen[0]: expected a list of 2 items'],
    ];
    for (const [name, edit, message] of cases) expect(() => decodeMembership(reencode(edit)), name).toThrow(message);
  });

  it('names what it expected of a base; a mark names a non-negative seq', () => {
    const compacted = compactMembership(hexHistory(3), { minimum: 1 });
    const withBase = (edit: (b: unknown[]) => void): Uint8Array => reencode((x) => { const b = [...(x.base as unknown[])]; edit(b); x.base = b; }, compacted);
    const marks = (raw(compacted).base as unknown[])[2] as unknown[][];
    const cases: [string, (b: unknown[]) => void, string][] = [
      ['an empty create', (b) => { b[1] = ''; }, 'membership.base.create: expected an op id'],
      ['a create too long', (b) => { b[1] = 'c'.repeat(MAX_ID_LENGTH + 1); }, 'membership.base.create: expected an op id'],
      ['a negative mark', (b) => { b[2] = [[marks[0]![0], -1]]; }, 'membership.base.marks[0]: expected a non-negative integer'],
      ['a mark twice', (b) => { b[2] = [...marks, ...marks]; }, 'membership.base.marks: expected actors in table order, each once'],
      ['a mark of one field', (b) => { b[2] = [[0]]; }, 'membership.base.marks[0]: expected a list of 2 items'],
      ['a count not a number', (b) => { b[0] = 'x'; }, 'membership.base.count: expected a non-negative integer'],
      ['members not a list', (b) => { b[3] = 1; }, 'membership.base.members: expected a list of at most'],
      ['a named index past the table', (b) => { b[4] = [99]; }, 'membership.base.named[0]: expected an index below'],
    ];
    for (const [name, edit, message] of cases) expect(() => decodeMembership(withBase(edit)), name).toThrow(message);
    // a create of exactly the longest id is read
    expect(decodeMembership(withBase((b) => { b[1] = 'c'.repeat(MAX_ID_LENGTH); })).base?.create).toBe('c'.repeat(MAX_ID_LENGTH));
  });

  it('rejects a malformed base', () => {
    const compacted = compactMembership(hexHistory(3), { minimum: 1 });
    const r = raw(compacted);
    expect(Array.isArray(r.base)).toBe(true);
    const edits: [string, (b: unknown[]) => void][] = [
      ['count 0', (b) => { b[0] = 0; }],
      ['create not text', (b) => { b[1] = 7; }],
      ['a mark twice', (b) => { b[2] = [...(b[2] as unknown[]), ...(b[2] as unknown[])]; }],
      ['a mark of one field', (b) => { b[2] = [[0]]; }],
      ['members unsorted', (b) => { b[3] = [...(b[3] as unknown[])].reverse(); }],
      ['a member never named', (b) => { b[4] = (b[4] as unknown[]).slice(1); }],
      ['four fields', (b) => { b.pop(); }],
    ];
    for (const [name, edit] of edits) {
      const bytes = reencode((x) => { const b = [...(x.base as unknown[])]; edit(b); x.base = b; }, compacted);
      expect(() => decodeMembership(bytes), name).toThrow(code('DECODE_FIELD'));
    }
    expect(decodeMembership(encodeCanonical(r)).base).toEqual(compacted.base);
  });
});

describe('membership v4 layout: a held region (region.ts)', () => {
  /** A removed by C and never told; B and C go on adding; everything after the removal goes into a region. */
  const stranded = (): MembershipState => {
    let s = createMembership({ id: 'A:0', creator: 'A', members: ['B', 'C'] });
    s = applyRemove(s, { id: 'C:1', actor: 'C', removed: 'A' });
    for (const m of ['B', 'C']) s = applyAck(s, { actor: m, acked: 'C:1' });
    for (let i = 2; i <= 4; i++) {
      s = applyAdd(s, { id: `B:${i}`, actor: 'B', added: `X${i}` });
      for (const m of ['B', 'C', `X${i}`]) s = applyAck(s, { actor: m, acked: `B:${i}` });
    }
    return compactRegion(s, { minimum: 1 });
  };

  it('is written as v4 only while a region is held, round-trips byte for byte, and answers as before', () => {
    const s = stranded();
    expect(s.ops.some((op) => op.kind === 'region')).toBe(true);
    expect(raw(s).v).toBe(4);
    expect(raw(sample()).v).toBe(3);
    const decoded = decodeMembership(encodeMembership(s));
    expect(encodeMembership(decoded)).toEqual(encodeMembership(s));
    expect(members(decoded)).toEqual(members(s));
    expect(members(decoded)).toEqual(['B', 'C', 'X2', 'X3', 'X4']);
  });

  it('refuses a region in v3, a v4 without one, a region op without its data, and region data naming no entry', () => {
    const s = stranded();
    const at = raw(s).ops.findIndex((op) => op[0] === 3);
    expect(() => decodeMembership(reencode((r) => { r.v = 3; }, s))).toThrow(/membership\.ops\[\d+\]/);
    expect(() => decodeMembership(reencode((r) => { r.v = 4; }))).toThrow(code('DECODE_NON_CANONICAL'));
    expect(() => decodeMembership(reencode((r) => { r.ops[at] = (r.ops[at] as unknown[]).slice(0, 5); }, s))).toThrow(/a list of 6 items/);
    expect(() => decodeMembership(reencode((r) => {
      const region = (r.ops[at] as unknown[])[5] as unknown[][];
      region[1] = [[99, 0]];
    }, s))).toThrow(/killed\[0\]/);
  });
});
