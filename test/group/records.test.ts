/**
 * Removal notes, removal and rejoin records and the welcome extra: what they
 * decode to and every malformed shape refused with `DECODE_FIELD`; the record
 * limit; and the data-scheme secret calls of the Group API.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, encodeCanonical, fromHex } from '../../src/crypto/index.js';
import { deleteGroupSecrets, encodeGroupState, groupSecrets } from '../../src/group/index.js';
import type { GroupState } from '../../src/group/index.js';
import {
  MAX_REMOVAL_RECORDS, decodeRejoinRecord, decodeRemovalNote, decodeRemovalRecord, encodeRejoinRecords, encodeRemovalNote, encodeWelcomeExtra, readWelcomeExtra, withRecord,
} from '../../src/group/removal.js';
import { decodeRejoinTable, decodeRemovalTable, encodeRejoinTable, encodeRemovalTable } from '../../src/group/removal-table.js';
import type { RejoinRecord, RemovalRecord } from '../../src/group/types.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

const MEMBER = '07'.repeat(32);
const OP = `${'09'.repeat(32)}:3`;
const checks = { me: MEMBER, everMember: () => true, clock: () => 0 };

/** Records as versions before 4 wrote them (group state v3, welcome extra v2 and v3): one list entry each. */
function legacyRecords(removals: readonly RemovalRecord[], rejoins: readonly RejoinRecord[]): { removals: unknown[]; rejoins: unknown[] } {
  return {
    removals: removals.map((r) => [r.op, fromHex(r.member), r.frontier ? [r.frontier.epoch, r.frontier.counter] : null, ...(r.until === undefined ? [] : [r.until])]),
    rejoins: encodeRejoinRecords(rejoins),
  };
}

describe('remove notes', () => {
  it('round-trip a frontier; no note is undefined (bars nothing), an empty list is null', () => {
    expect(decodeRemovalNote(new Uint8Array(0))).toBeUndefined();
    expect(decodeRemovalNote(encodeRemovalNote(null))).toBeNull();
    expect(decodeRemovalNote(encodeRemovalNote({ epoch: 4, counter: 9 }))).toEqual({ epoch: 4, counter: 9 });
  });

  it('refuse anything else with DECODE_FIELD', () => {
    for (const value of [[1], [1, 2, 3], { epoch: 1 }, 5, [-1, 0], [0, 1.5], ['1', 0], [0, -2]]) {
      expect(codeOf(() => decodeRemovalNote(encodeCanonical(value))), JSON.stringify(value)).toBe('DECODE_FIELD');
    }
  });
});

describe('removal and rejoin records', () => {
  it('decode the one-entry-per-record form of versions before 4, with and without `until`', () => {
    const removals = [{ op: OP, member: MEMBER, frontier: { epoch: 1, counter: 2 } }, { op: OP, member: MEMBER, frontier: null, until: 5 }];
    const rejoins = [{ member: MEMBER, add: OP, seq: 6 }];
    const encoded = legacyRecords(removals, rejoins);
    expect(encoded.removals.map((r, i) => decodeRemovalRecord(r, `r${i}`))).toEqual(removals);
    expect(encoded.rejoins.map((j, i) => decodeRejoinRecord(j, `j${i}`))).toEqual(rejoins);
  });

  it('refuse malformed records with DECODE_FIELD', () => {
    const m = fromHex(MEMBER);
    const removals: unknown[] = [
      [OP, m], [OP, m, null, 1, 2], 'x', [OP, m, [1]], [OP, m, 5], [OP, m, [1, -1]], [OP, m, null, -1], [OP, m, null, 1.5],
      ['not an op', m, null], [`${'09'.repeat(32)}:x`, m, null], [`${'09'.repeat(31)}:1`, m, null], [`${'09'.repeat(32)}:1 `, m, null], [7, m, null],
      [OP, new Uint8Array(31), null], [OP, MEMBER, null],
    ];
    for (const r of removals) expect(codeOf(() => decodeRemovalRecord(r, 'test')), JSON.stringify(r)).toBe('DECODE_FIELD');
    const rejoins: unknown[] = [[m, OP], [m, OP, 1, 2], {}, [new Uint8Array(33), OP, 1], [m, 'op', 1], [m, OP, -1], [m, OP, '1']];
    for (const j of rejoins) expect(codeOf(() => decodeRejoinRecord(j, 'test')), JSON.stringify(j)).toBe('DECODE_FIELD');
  });

  it(`hold at most MAX_REMOVAL_RECORDS (${MAX_REMOVAL_RECORDS}); a record already there is not added twice`, () => {
    const full = Array.from({ length: MAX_REMOVAL_RECORDS }, (_, i) => i);
    expect(codeOf(() => withRecord(full, -1, () => false))).toBe('STATE_LIMIT');
    expect(withRecord(full, 5, (x) => x === 5)).toBe(full);
    const almost = full.slice(1);
    expect(withRecord(almost, -1, () => false)).toHaveLength(MAX_REMOVAL_RECORDS);
  });
});

describe('the removal table (group state v4, welcome extra v4)', () => {
  const REMOVER = '0a'.repeat(32);
  const OTHER = '0b'.repeat(32);
  const records: RemovalRecord[] = [
    { op: `${REMOVER}:3`, member: MEMBER, frontier: { epoch: 1, counter: 2 } },
    { op: `${MEMBER}:12`, member: OTHER, frontier: null, until: 5 },
    { op: `${OTHER}:9007199254740991`, member: MEMBER, frontier: { epoch: 0, counter: 0 }, until: 2 },
    { op: `${REMOVER}:0`, member: REMOVER, frontier: null },
  ];

  it('round-trips records, writes each id once, and is far smaller than one entry per record', () => {
    const table = encodeRemovalTable(records);
    expect(table[0].map((id) => Buffer.from(id).toString('hex'))).toEqual([REMOVER, MEMBER, OTHER]);
    expect(decodeRemovalTable(table, 't', 10)).toEqual(records);
    expect(decodeRemovalTable(encodeRemovalTable([]), 't', 10)).toEqual([]);
    const many = Array.from({ length: 200 }, (_, i): RemovalRecord => ({ op: `${REMOVER}:${100 + i}`, member: i % 2 ? MEMBER : OTHER, frontier: { epoch: 40 + i, counter: i % 7 }, until: 60 + i }));
    const compact = encodeCanonical(encodeRemovalTable(many)).length;
    const legacy = encodeCanonical(legacyRecords(many, []).removals).length;
    expect(compact / many.length).toBeLessThan(16);
    expect(legacy / compact).toBeGreaterThan(6);
  });

  /** The DecodeError message `decodeRemovalTable(value, 't', limit)` throws (it names the field and what was expected). */
  function refusal(value: unknown, limit = 10): string {
    try {
      decodeRemovalTable(value, 't', limit);
    } catch (error) {
      expect(codeOf(() => { throw error; })).toBe('DECODE_FIELD');
      return (error as Error).message;
    }
    throw new Error('not refused');
  }

  it('refuses malformed tables, indices out of range or out of first-use order, and unused ids with DECODE_FIELD, naming the field', () => {
    const [ids, rows] = encodeRemovalTable(records);
    const id = (hex: string): Uint8Array => fromHex(hex);
    const one = (row: unknown[]): unknown => [[id(REMOVER)], [row]];
    const cases: [string, unknown, string][] = [
      ['not a pair', [ids], 't: expected [ids, records]'],
      ['a list of records', legacyRecords(records, []).removals, 't: expected [ids, records]'],
      ['records not a list', [ids, {}], 't.records: expected a list of at most 10 records'],
      ['ids not a list', [{}, rows], 't.ids: expected a list of at most two ids per record'],
      ['an id of 31 bytes', [[new Uint8Array(31)], [[0, 1, 0, null]]], 't.ids[0]: expected 32 bytes'],
      ['more ids than two per record', [[id(REMOVER), id(MEMBER), id(OTHER)], [[0, 1, 1, null]]], 't.ids: expected a list of at most two ids per record'],
      ['an unused id', [[id(REMOVER), id(MEMBER), id(OTHER), id(OP.slice(0, 64))], [[0, 1, 1, null], [1, 2, 2, null]]], 't.ids: expected only ids the records use'],
      ['an index past the table', one([0, 1, 1, null]), 't.records[0].member: expected an index of the id table in order of first use (at most 0)'],
      ['an index far past the table', [[id(REMOVER), id(MEMBER)], [[0, 1, 1, null], [0, 2, 5, null]]], 't.records[1].member: expected an index of the id table in order of first use (at most 1)'],
      ['ids out of first-use order', [[id(REMOVER), id(MEMBER)], [[1, 1, 0, null]]], 't.records[0].remover: expected an index of the id table in order of first use (at most 0)'],
      ['a negative seq', one([0, -1, 0, null]), 't.records[0].seq: expected a non-negative integer'],
      ['a fractional index', one([0.5, 1, 0, null]), 't.records[0].remover: expected a non-negative integer'],
      ['a text index', one(['0', 1, 0, null]), 't.records[0].remover: expected a non-negative integer'],
      ['a short record', one([0, 1, 0]), 't.records[0]: expected [remover, seq, member, frontier] or [remover, seq, member, frontier, until]'],
      ['a long record', one([0, 1, 0, null, 2, 3]), 't.records[0]: expected [remover, seq, member, frontier]'],
      ['a frontier of one item', one([0, 1, 0, [1]]), 't.records[0].frontier: expected [epoch, counter] or null'],
      ['a frontier not a list', one([0, 1, 0, 7]), 't.records[0].frontier: expected [epoch, counter] or null'],
      ['a negative epoch', one([0, 1, 0, [-1, 0]]), 't.records[0].frontier.epoch: expected a non-negative integer'],
      ['a negative counter', one([0, 1, 0, [1, -1]]), 't.records[0].frontier.counter: expected a non-negative integer'],
      ['a fractional until', one([0, 1, 0, null, 1.5]), 't.records[0].until: expected a non-negative integer'],
    ];
    for (const [what, value, message] of cases) expect(refusal(value), what).toContain(message);
    expect(refusal(encodeRemovalTable(records), 3)).toContain('t.records: expected a list of at most 3 records');
    expect(decodeRemovalTable(encodeRemovalTable(records), 't', 4)).toHaveLength(4);
    // an op id the table could not write back exactly is a caller bug
    for (const op of [`${REMOVER}:03`, `${REMOVER}:9007199254740993`, `x${REMOVER}:3`, `${REMOVER}:3x`, 'not an op']) {
      expect(() => encodeRemovalTable([{ op, member: MEMBER, frontier: null }]), op).toThrow(/^removal record: malformed op id /);
    }
    const long = 'z'.repeat(200);
    expect(() => encodeRemovalTable([{ op: long, member: MEMBER, frontier: null }])).toThrow(`malformed op id ${'z'.repeat(80)}`);
    expect(() => encodeRemovalTable([{ op: long, member: MEMBER, frontier: null }])).not.toThrow('z'.repeat(81));
  });
});

describe('the rejoin table (group state v5)', () => {
  const ADDER = '0a'.repeat(32);
  const rejoins: RejoinRecord[] = [
    { member: MEMBER, add: `${ADDER}:3`, seq: 7 },
    { member: ADDER, add: `${MEMBER}:9007199254740991`, seq: 0 },
    { member: MEMBER, add: `${MEMBER}:1`, seq: 2 },
  ];

  it('round-trips records, writes each id once, and is far smaller than one entry per record', () => {
    const table = encodeRejoinTable(rejoins);
    expect(table[0].map((id) => Buffer.from(id).toString('hex'))).toEqual([MEMBER, ADDER]);
    expect(table[1]).toEqual([[0, 1, 3, 7], [1, 0, 9007199254740991, 0], [0, 0, 1, 2]]);
    expect(decodeRejoinTable(table, 't', 10)).toEqual(rejoins);
    expect(decodeRejoinTable(encodeRejoinTable([]), 't', 10)).toEqual([]);
    const many = Array.from({ length: 300 }, (_, i): RejoinRecord => ({ member: i % 2 ? MEMBER : ADDER, add: `${ADDER}:${100 + 2 * i}`, seq: i }));
    const compact = encodeCanonical(encodeRejoinTable(many)).length;
    const legacy = encodeCanonical(encodeRejoinRecords(many)).length;
    expect(compact / many.length).toBeLessThan(12);
    expect(legacy / compact).toBeGreaterThan(8);
  });

  it('refuses malformed tables and records with DECODE_FIELD, naming the field; an op id it could not write back is a caller bug', () => {
    const one = (row: unknown[]): unknown => [[fromHex(MEMBER)], [row]];
    const cases: [string, unknown, string][] = [
      ['not a pair', [[]], 't: expected [ids, records]'],
      ['a list of records', encodeRejoinRecords(rejoins), 't: expected [ids, records]'],
      ['a short record', one([0, 0, 1]), 't.records[0]: expected [member, adder, addSeq, seq]'],
      ['an adder past the table', one([0, 1, 1, 2]), 't.records[0].adder: expected an index of the id table in order of first use (at most 0)'],
      ['a negative add seq', one([0, 0, -1, 2]), 't.records[0].addSeq: expected a non-negative integer'],
      ['a fractional seq', one([0, 0, 1, 0.5]), 't.records[0].seq: expected a non-negative integer'],
      ['an unused id', [[fromHex(MEMBER), fromHex(ADDER)], [[0, 0, 1, 2]]], 't.ids: expected only ids the records use'],
      ['too many ids', [[fromHex(MEMBER), fromHex(ADDER), fromHex(ADDER)], [[0, 1, 1, 2]]], 't.ids: expected a list of at most two ids per record'],
    ];
    for (const [what, value, message] of cases) {
      expect(() => decodeRejoinTable(value, 't', 10), what).toThrow(message);
      expect(codeOf(() => decodeRejoinTable(value, 't', 10)), what).toBe('DECODE_FIELD');
    }
    expect(() => decodeRejoinTable(encodeRejoinTable(rejoins), 't', 2)).toThrow('t.records: expected a list of at most 2 records');
    for (const add of [`${ADDER}:03`, `${ADDER}:9007199254740993`, 'not an op']) {
      expect(() => encodeRejoinTable([{ member: MEMBER, add, seq: 1 }]), add).toThrow(/^rejoin record: malformed op id /);
    }
  });
});

describe('welcome extra', () => {
  const deps = defaultDeps();
  const extra = (value: Record<string, unknown>): Uint8Array => encodeCanonical({ v: 3, secrets: null, removals: [], rejoins: [], ...value });

  it('reads the records it carries; an empty extra carries nothing', () => {
    const removals = [{ op: OP, member: MEMBER, frontier: { epoch: 1, counter: 2 }, until: 4 }];
    const rejoins = [{ member: MEMBER, add: OP, seq: 3 }];
    const encoded = encodeWelcomeExtra(null, MEMBER, removals, rejoins, new Map());
    expect(readWelcomeExtra(encoded, null, deps, checks)).toEqual({ data: null, removals, rejoins });
    expect(readWelcomeExtra(new Uint8Array(0), null, deps, checks)).toEqual({ data: null, removals: [], rejoins: [] });
    // version 2 is read the same way
    // versions 2 and 3 (one list entry per record) are read the same way
    for (const v of [2, 3]) expect(readWelcomeExtra(extra({ v, ...legacyRecords(removals, rejoins) }), null, deps, checks)).toEqual({ data: null, removals, rejoins });
    // version 4 writes the id table: the member's id once for both of its records
    const twice = [...removals, { op: `${MEMBER}:7`, member: MEMBER, frontier: null }];
    const table = encodeWelcomeExtra(null, MEMBER, twice, rejoins, new Map());
    expect(readWelcomeExtra(table, null, deps, checks).removals).toEqual(twice);
    // an older extra (a bare data bundle) carries no records
    expect(readWelcomeExtra(encodeCanonical([1, 2]), null, deps, checks)).toEqual({ data: null, removals: [], rejoins: [] });
  });

  it('refuses malformed extras with DECODE_FIELD', () => {
    const cases: [string, Uint8Array][] = [
      ['an extra field', extra({ more: 1 })],
      ['a missing field', encodeCanonical({ v: 3, secrets: null, removals: [] })],
      ['secrets not bytes', extra({ secrets: 5 })],
      ['removals not a list', extra({ removals: {} })],
      ['rejoins not a list', extra({ rejoins: 'x' })],
      ['a malformed removal', extra({ removals: [[OP]] })],
      ['a malformed removal table (v4)', extra({ v: 4, removals: [[OP]] })],
      ['a v4 removal list of the older form', extra({ v: 4, removals: legacyRecords([{ op: OP, member: MEMBER, frontier: null }], []).removals })],
      ['a malformed rejoin', extra({ rejoins: [[OP]] })],
    ];
    for (const [what, bytes] of cases) expect(codeOf(() => readWelcomeExtra(bytes, null, deps, checks)), what).toBe('DECODE_FIELD');
  });
});

describe('group secrets through the Group API', () => {
  it('exist in the data scheme only', () => {
    const sim = new GroupSim(['A', 'B'], 'message');
    sim.create('A', ['B']);
    const state = sim.peer('A').state as GroupState;
    expect(codeOf(() => groupSecrets(state))).toBe('USAGE_UNSUPPORTED');
    expect(codeOf(() => deleteGroupSecrets(state, { allButLatest: true }))).toBe('USAGE_UNSUPPORTED');
  });

  it('deleting all but the latest keeps the rest of the state and returns the deleted values', () => {
    const sim = new GroupSim(['A', 'B'], 'data');
    sim.create('A', ['B']);
    sim.settle(seeded(4));
    sim.update('A');
    sim.settle(seeded(4));
    sim.send('A');
    const state = sim.peer('B').state as GroupState;
    const before = groupSecrets(state);
    expect(before.length).toBeGreaterThan(2);
    const out = deleteGroupSecrets(state, { allButLatest: true });
    const after = groupSecrets(out.state);
    expect(after.length).toBeLessThan(before.length);
    expect(out.consumed).toHaveLength(before.length - after.length);
    expect(encodeGroupState({ ...out.state, data: state.data })).toEqual(encodeGroupState(state));
    expect(codeOf(() => deleteGroupSecrets(state, {}))).toBe('USAGE_ARGUMENT');
  });
});
