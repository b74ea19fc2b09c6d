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
  MAX_REMOVAL_RECORDS, decodeRejoinRecord, decodeRemovalNote, decodeRemovalRecord, encodeRecords, encodeRemovalNote, encodeWelcomeExtra, readWelcomeExtra, withRecord,
} from '../../src/group/removal.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

const MEMBER = '07'.repeat(32);
const OP = `${'09'.repeat(32)}:3`;
const checks = { me: MEMBER, everMember: () => true, clock: () => 0 };

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
  it('decode what encodeRecords writes, with and without `until`', () => {
    const removals = [{ op: OP, member: MEMBER, frontier: { epoch: 1, counter: 2 } }, { op: OP, member: MEMBER, frontier: null, until: 5 }];
    const rejoins = [{ member: MEMBER, add: OP, seq: 6 }];
    const encoded = encodeRecords(removals, rejoins);
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
    expect(readWelcomeExtra(extra({ v: 2, ...encodeRecords(removals, rejoins) }), null, deps, checks)).toEqual({ data: null, removals, rejoins });
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
