/**
 * The persistent map behind the DCGKA state's tables (issue 13): it must act
 * as an immutable map (every old version keeps its contents), and be
 * canonical (the same keys give the same trie, whatever the history), since
 * states are compared and encoded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PersistentMap } from '../../src/crypto/persistent-map.js';

/** Pairs of keys with equal 32-bit FNV-1a hashes (found by search), to reach the collision nodes. */
const COLLIDING = [['k4uzx', 'kf2ad'], ['k4uzy', 'kf2ae'], ['k4uzz', 'kf2af']] as const;
const POOL = [...COLLIDING.flat(), ...Array.from({ length: 60 }, (_, i) => `member-${i}`), ''];

type Op = { readonly kind: 'set'; readonly key: string; readonly value: number } | { readonly kind: 'delete'; readonly key: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...POOL), value: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...POOL) }) },
);

function sorted(map: ReadonlyMap<string, number>): [string, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('PersistentMap', () => {
  it('behaves like a Map, and every earlier version keeps its contents', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      let map = PersistentMap.empty<number>();
      const model = new Map<string, number>();
      const history: [PersistentMap<number>, [string, number][]][] = [[map, []]];
      for (const op of ops) {
        map = op.kind === 'set' ? map.set(op.key, op.value) : map.delete(op.key);
        if (op.kind === 'set') model.set(op.key, op.value);
        else model.delete(op.key);
        expect(map.size).toBe(model.size);
        expect(map.get(op.key)).toBe(model.get(op.key));
        expect(map.has(op.key)).toBe(model.has(op.key));
        history.push([map, sorted(model)]);
      }
      for (const [version, contents] of history) {
        expect(sorted(version)).toEqual(contents);
        expect([...version.keys()].length).toBe(version.size);
        for (const key of POOL) expect(version.get(key)).toBe(contents.find(([k]) => k === key)?.[1]);
      }
    }), { numRuns: 300 });
  });

  it('is canonical: the same entries give the same trie whatever the history', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200 }), fc.integer(), (ops, seed) => {
      let map = PersistentMap.empty<number>();
      for (const op of ops) map = op.kind === 'set' ? map.set(op.key, op.value) : map.delete(op.key);
      const entries = sorted(map);
      const shuffled = [...entries].sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (a[0] < b[0] ? 1 : -1));
      const rebuilt = PersistentMap.from(shuffled);
      expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(map));
      expect([...rebuilt]).toEqual([...map]);
    }), { numRuns: 300 });
  });

  it('changedSince lists exactly the keys set or changed since an older version', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 120 }), fc.array(opArb, { maxLength: 30 }), (before, after) => {
      let older = PersistentMap.empty<number>();
      for (const op of before) older = op.kind === 'set' ? older.set(op.key, op.value) : older.delete(op.key);
      let newer = older;
      for (const op of after) newer = op.kind === 'set' ? newer.set(op.key, op.value) : newer.delete(op.key);
      const expected = [...newer.keys()].filter((k) => older.get(k) !== newer.get(k) || !older.has(k)).sort();
      expect(newer.changedSince(older).sort()).toEqual(expected);
      expect(newer.changedSince(newer)).toEqual([]);
      // Also between maps that share nothing (built apart): same answer.
      expect(PersistentMap.from([...newer]).changedSince(PersistentMap.from([...older])).sort()).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('keys with equal hashes live side by side and leave again', () => {
    const [a, b] = COLLIDING[0];
    const both = PersistentMap.empty<number>().set(a, 1).set(b, 2);
    expect([both.get(a), both.get(b), both.size]).toEqual([1, 2, 2]);
    const one = both.delete(a);
    expect([one.get(a), one.get(b), one.size]).toEqual([undefined, 2, 1]);
    expect(JSON.stringify(one)).toBe(JSON.stringify(PersistentMap.empty<number>().set(b, 2)));
  });

  it('returns itself when nothing changes, and never changes an old version in place', () => {
    const map = PersistentMap.from({ a: 1, b: 2 });
    expect(map.set('a', 1)).toBe(map);
    expect(map.delete('zz')).toBe(map);
    expect(Object.isFrozen(map)).toBe(true);
    const next = map.set('a', 3).delete('b');
    expect(map.toRecord()).toEqual({ a: 1, b: 2 });
    expect(next.toRecord()).toEqual({ a: 3 });
  });

  it('a change copies O(log n) nodes: a set in a map of 4096 keys shares all but its path', () => {
    let map = PersistentMap.empty<number>();
    for (let i = 0; i < 4096; i++) map = map.set(`member-${i}`, i);
    const next = map.set('member-7', -1);
    const root = (m: PersistentMap<number>) => (m as unknown as { root: { children: unknown[] } }).root;
    const shared = root(next).children.filter((child, i) => child === root(map).children[i]).length;
    expect(shared).toBe(root(map).children.length - 1);
  });
});
