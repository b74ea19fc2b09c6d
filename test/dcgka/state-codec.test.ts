/**
 * The DCGKA state codec (state-codec.ts) field by field: a real state
 * round-trips byte for byte, and each edit of one field of its encoding is
 * refused with DECODE_FIELD (or accepted, where the edit is well-formed).
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import { decodeDcgkaState, encodeDcgkaState } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

type Encoded = Record<string, unknown>;

/** B's state in {A, B, C, D}, D offline: pending seeds, member secrets of an unacked add, chains, tracked holders. */
function realState(): { state: DcgkaState; ids: Record<string, string> } {
  const sim = new DcgkaSim(['A', 'B', 'C', 'D', 'X']);
  sim.create('A', ['B', 'C', 'D']);
  sim.settle();
  sim.offline.add('D');
  sim.offline.add('X');
  sim.update('A');
  sim.add('A', 'X');
  sim.settle();
  const state = sim.peer('B').state!;
  const ids = Object.fromEntries(['A', 'B', 'C', 'D', 'X'].map((n) => [n, sim.id(n)]));
  return { state: { ...state, refreshDue: [ids['C'] as string] }, ids };
}

function encoded(state: DcgkaState): Encoded {
  return decodeCanonical(encodeDcgkaState(state), 'test') as Encoded;
}

function decodeEdited(base: Encoded, edit: (e: Encoded) => void): DcgkaState {
  const copy = structuredClone(base);
  edit(copy);
  return decodeDcgkaState(encodeCanonical(copy));
}

function codeOfEdit(base: Encoded, edit: (e: Encoded) => void): string | undefined {
  return codeOf(() => decodeEdited(base, edit));
}

/** Keys that are not 64 lowercase hex characters, next to a valid `id`. */
function badIds(id: string): string[] {
  return [id.toUpperCase(), id.slice(1), `${id}0`, `x${id.slice(1)}`, `0${id}`];
}

function rekey(record: Encoded, from: string, to: string): void {
  record[to] = record[from];
  delete record[from];
}

describe('DCGKA state codec', () => {
  it('a state with every kind of field round-trips byte for byte', () => {
    const { state } = realState();
    expect(state.pendingSeeds.size).toBeGreaterThan(0);
    expect(state.memberSecrets.size).toBeGreaterThan(0);
    expect(state.chainKnownBy).toBeDefined();
    const bytes = encodeDcgkaState(state);
    const back = decodeDcgkaState(bytes);
    expect(toHex(encodeDcgkaState(back))).toBe(toHex(bytes));
    expect(back.refreshDue).toEqual(state.refreshDue);
    expect(back.chainKnownBy).toEqual(state.chainKnownBy);
    expect(back.removed).toBe(false);
    expect([...back.clock.keys()].sort()).toEqual([...state.clock.keys()].sort());
  });

  it('refuses a group id or own id that is not 64 lowercase hex characters', () => {
    const { state } = realState();
    const base = encoded(state);
    for (const field of ['groupId', 'me']) {
      for (const bad of badIds(base[field] as string)) expect(codeOfEdit(base, (e) => { e[field] = bad; }), `${field} ${bad}`).toBe('DECODE_FIELD');
    }
  });

  it('refuses bad keys of every per-member table', () => {
    const { state, ids } = realState();
    const base = encoded(state);
    for (const table of ['clock', 'sessions', 'ratchets']) {
      const record = base[table] as Encoded;
      const key = Object.keys(record)[0] as string;
      for (const bad of badIds(key)) expect(codeOfEdit(base, (e) => rekey(e[table] as Encoded, key, bad)), `${table} key ${bad}`).toBe('DECODE_FIELD');
    }
    const pendingKey = Object.keys(base['pendingSeeds'] as Encoded)[0] as string;
    const a = ids['A'] as string;
    for (const bad of [`${a}`, `${a}:`, `${a}:x`, `x${a}:1`, `${a}:1x`, `${a.toUpperCase()}:1`, `${a.slice(1)}:1`]) {
      expect(codeOfEdit(base, (e) => rekey(e['pendingSeeds'] as Encoded, pendingKey, bad)), `pending key ${bad}`).toBe('DECODE_FIELD');
    }
    // a two-digit seq is a fine op id
    expect(decodeEdited(base, (e) => rekey(e['pendingSeeds'] as Encoded, pendingKey, `${a}:42`)).pendingSeeds.has(`${a}:42`)).toBe(true);
    const secretKey = Object.keys(base['memberSecrets'] as Encoded)[0] as string;
    const [op, member] = secretKey.split('|') as [string, string];
    for (const bad of [op, `${op}|`, `${op}|${member}0`, `x${secretKey}`, `${op}|${member.toUpperCase()}`, `${op.split(':')[0]}|${member}`, `${op}:${member}`]) {
      expect(codeOfEdit(base, (e) => rekey(e['memberSecrets'] as Encoded, secretKey, bad)), `member secret key ${bad}`).toBe('DECODE_FIELD');
    }
    expect(decodeEdited(base, (e) => rekey(e['memberSecrets'] as Encoded, secretKey, `${a}:42|${member}`)).memberSecrets.has(`${a}:42|${member}`)).toBe(true);
  });

  it('refuses a bad clock count, and reads a count of 0', () => {
    const { state } = realState();
    const base = encoded(state);
    const key = Object.keys(base['clock'] as Encoded)[0] as string;
    for (const bad of [-1, 1.5, '1', new Uint8Array(1)]) expect(codeOfEdit(base, (e) => { (e['clock'] as Encoded)[key] = bad; }), `count ${String(bad)}`).toBe('DECODE_FIELD');
    expect(decodeEdited(base, (e) => { (e['clock'] as Encoded)[key] = 0; }).clock.get(key)).toBe(0);
  });

  it('refuses chains and member secrets that are not 32 bytes, and sessions that are not bytes', () => {
    const { state } = realState();
    const base = encoded(state);
    for (const table of ['ratchets', 'memberSecrets']) {
      const key = Object.keys(base[table] as Encoded)[0] as string;
      for (const bad of [new Uint8Array(31), new Uint8Array(33), 'x']) expect(codeOfEdit(base, (e) => { (e[table] as Encoded)[key] = bad; }), `${table} value`).toBe('DECODE_FIELD');
    }
    const sessionKey = Object.keys(base['sessions'] as Encoded)[0] as string;
    expect(codeOfEdit(base, (e) => { (e['sessions'] as Encoded)[sessionKey] = 'x'; })).toBe('DECODE_FIELD');
  });

  it('refuses bad entries of joinedVia, refreshDue and chainKnownBy, and an unsorted or repeated chainKnownBy', () => {
    const { state, ids } = realState();
    const base = encoded(state);
    const a = ids['A'] as string;
    for (const bad of [`${a}`, `x${a}:1`, `${a}:1x`, 5]) expect(codeOfEdit(base, (e) => { e['joinedVia'] = [bad]; }), `joinedVia ${String(bad)}`).toBe('DECODE_FIELD');
    expect(decodeEdited(base, (e) => { e['joinedVia'] = [`${a}:42`]; }).joinedVia).toEqual([`${a}:42`]);
    for (const field of ['refreshDue', 'chainKnownBy']) {
      for (const bad of [...badIds(a), 5]) expect(codeOfEdit(base, (e) => { e[field] = [bad]; }), `${field} ${String(bad)}`).toBe('DECODE_FIELD');
    }
    const sorted = [ids['A'], ids['C'], ids['D']].sort() as string[];
    expect(decodeEdited(base, (e) => { e['chainKnownBy'] = sorted; }).chainKnownBy).toEqual(sorted);
    expect(codeOfEdit(base, (e) => { e['chainKnownBy'] = [...sorted].reverse(); })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { e['chainKnownBy'] = [sorted[0], sorted[0]]; })).toBe('DECODE_FIELD');
  });

  it('versions: 3 needs pq: true, 2 takes no pq, unknown versions and fields are refused', () => {
    const { state } = realState();
    const base = encoded(state);
    expect(base['v']).toBe(2);
    expect(decodeEdited(base, (e) => { e['v'] = 3; e['pq'] = true; }).pq).toBe(true);
    expect(codeOfEdit(base, (e) => { e['v'] = 3; e['pq'] = false; })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { e['v'] = 3; })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { e['pq'] = true; })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { e['v'] = 4; })).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(codeOfEdit(base, (e) => { e['extra'] = 1; })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { delete e['refreshDue']; })).toBe('DECODE_FIELD');
    expect(codeOfEdit(base, (e) => { e['removed'] = 1; })).toBe('DECODE_FIELD');
    // a version-2 state without chainKnownBy is untracked, not refused
    expect(decodeEdited(base, (e) => { delete e['chainKnownBy']; }).chainKnownBy).toBeUndefined();
  });
});
