/**
 * Membership cases the scenario tests leave open: an add by a user who was never a member, merges of states whose
 * op sets differ in order and exceed one byte of bits, merge conflicts on each op field, effective views of joiners,
 * the bit-set helpers at byte boundaries, and codec checks each tested on its own (one edit, one check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { encodeMembershipV2 } from './legacy-codec.js';
import {
  BASE_OP, bitIndices, countBits, equalBits, firstClear, hasBit, holdsOp, isCausallyClosed, isSubset, isTrimmed, shiftDown, unionBits, withBit,
} from '../../src/membership/bitset.js';
import {
  applyAck, applyAdd, canAct, createMembership, decodeMembership, encodeMembership, hasSeen, isMember, MAX_ID_LENGTH, memberView, members,
  mergeMembership, opKind, type MembershipState,
} from '../../src/membership/index.js';
import { ack, add, create, remove, replay } from './replay.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('adds without membership', () => {
  it('an add by a user who was never a member is dead, and so is everything it leads to', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'Z', 'Y'), ...ack('Y', 'W'), add('W2', 'Y', 'V')]);
    expect(members(state)).toEqual(['A', 'B']);
    expect(isMember(state, 'Y')).toBe(false);
    expect(isMember(state, 'V')).toBe(false);
    // ... even though each op is recorded
    expect(opKind(state, 'W')).toBe('add');
    expect(opKind(state, 'W2')).toBe('add');
  });

  it('an add by a member is live, and the added member can add in turn', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'B', 'Y'), ...ack('Y', 'W'), add('W2', 'Y', 'V')]);
    expect(members(state)).toEqual(['A', 'B', 'V', 'Y']);
  });

  it('an add by a member concurrently removed is dead; one with a second, surviving add of the actor is live', () => {
    // B is in the create and re-added by A (W0). C removes B having seen only the create's add of B.
    const events = [create('K', 'A', ['B', 'C']), add('W0', 'A', 'B'), ...ack('B', 'W0'), remove('R', 'C', 'B'), add('W', 'B', 'Y')];
    const state = replay(events);
    expect(isMember(state, 'B')).toBe(true); // W0 was not seen by R
    expect(isMember(state, 'Y')).toBe(true); // W is supported by W0, which R did not kill
    const without = replay([create('K', 'A', ['B', 'C']), remove('R', 'C', 'B'), add('W', 'B', 'Y')]);
    expect(isMember(without, 'B')).toBe(false);
    expect(isMember(without, 'Y')).toBe(false);
  });
});

/** 12 ops (more than one byte of bits), three actors interleaved. */
function many(): MembershipState {
  const events = [create('K', 'A', ['B', 'C'])];
  for (let i = 0; i < 11; i++) {
    const actor = ['A', 'B', 'C'][i % 3] as string;
    events.push(add(`W${i}`, actor, `M${i}`));
    for (const other of ['A', 'B', 'C']) if (other !== actor) events.push(...ack(other, `W${i}`));
  }
  return replay(events);
}

describe('mergeMembership beyond one byte of bits', () => {
  it('appends the missing ops with translated pasts and unites the seen sets', () => {
    const full = many();
    expect(full.ops).toHaveLength(12);
    // a replica that processed only the first 5 adds, then two ops of its own the full one lacks
    const partialEvents = [create('K', 'A', ['B', 'C'])];
    for (let i = 0; i < 5; i++) {
      const actor = ['A', 'B', 'C'][i % 3] as string;
      partialEvents.push(add(`W${i}`, actor, `M${i}`));
      for (const other of ['A', 'B', 'C']) if (other !== actor) partialEvents.push(...ack(other, `W${i}`));
    }
    partialEvents.push(remove('RX', 'B', 'M0'), add('WX', 'B', 'N'));
    const partial = replay(partialEvents);
    const merged = mergeMembership(full, partial);
    expect(merged.ops.map((op) => op.id)).toEqual([...full.ops.map((op) => op.id), 'RX', 'WX']);
    // RX's past was W0..W4 (+create) in the partial state; translated, it must name the same ops in the merged one
    const rx = merged.ops[12]!;
    expect(bitIndices(rx.past).map((i) => merged.ops[i]!.id)).toEqual(['K', 'W0', 'W1', 'W2', 'W3', 'W4']);
    const wx = merged.ops[13]!;
    expect(bitIndices(wx.past).map((i) => merged.ops[i]!.id)).toEqual(['K', 'W0', 'W1', 'W2', 'W3', 'W4', 'RX']);
    expect(isMember(merged, 'M0')).toBe(false);
    expect(isMember(merged, 'N')).toBe(true);
    expect(isMember(merged, 'M10')).toBe(true);
    expect(hasSeen(merged, 'B', 'RX')).toBe(true);
    expect(hasSeen(merged, 'B', 'W10')).toBe(true);
    expect(hasSeen(merged, 'A', 'RX')).toBe(false);
    // the result is a valid state: it survives the codec
    expect(encodeMembership(decodeMembership(encodeMembership(merged)))).toEqual(encodeMembership(merged));
    // merging the other way names the same members
    expect(members(mergeMembership(partial, full))).toEqual(members(merged));
  });

  it('refuses an op id shared with a different actor, kind or target', () => {
    const one = replay([create('K', 'A', ['B', 'C']), add('W', 'A', 'X')]);
    expect(() => mergeMembership(one, replay([create('K', 'A', ['B', 'C']), add('W', 'B', 'X')]))).toThrow(code('STATE_DUPLICATE'));
    expect(() => mergeMembership(one, replay([create('K', 'A', ['B', 'C']), add('W', 'A', 'Y')]))).toThrow(code('STATE_DUPLICATE'));
    expect(() => mergeMembership(one, replay([create('K', 'A', ['B', 'C']), remove('W', 'A', 'B')]))).toThrow(code('STATE_DUPLICATE'));
    expect(() => mergeMembership(one, replay([create('K', 'A', ['B']), add('W', 'A', 'X')]))).toThrow(code('STATE_DUPLICATE'));
    expect(mergeMembership(one, replay([create('K', 'A', ['B', 'C']), add('W', 'A', 'X')])).ops).toHaveLength(2);
  });
});

describe('views of a joiner', () => {
  it('before acking its welcome, a joiner sees its adder\'s history; afterwards its own', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'A', 'X'), add('W2', 'B', 'Y')]);
    expect(memberView(state, 'X')).toEqual(['A', 'B', 'X']);
    expect(hasSeen(state, 'X', 'W')).toBe(true);
    expect(hasSeen(state, 'X', 'W2')).toBe(false);
    expect(canAct(state, 'X')).toBe(true);
    const acked = applyAck(applyAck(state, { actor: 'X', acked: 'W' }), { actor: 'X', acked: 'W2' });
    expect(memberView(acked, 'X')).toEqual(['A', 'B', 'X', 'Y']);
    expect(hasSeen(acked, 'X', 'W2')).toBe(true);
  });

  it('a user added twice concurrently sees both adders\' histories until it acks one', () => {
    const state = replay([create('K', 'A', ['B']), add('W1', 'A', 'C'), add('W2', 'B', 'X'), add('W3', 'A', 'X')]);
    expect(memberView(state, 'X')).toEqual(['A', 'B', 'C', 'X']);
    expect(hasSeen(state, 'X', 'W1')).toBe(true);
  });
});

describe('bit sets', () => {
  it('set, test and list bits across byte boundaries', () => {
    let bits: Uint8Array = new Uint8Array(0);
    for (const i of [0, 7, 8, 15, 16, 23]) bits = withBit(bits, i);
    expect(bits).toEqual(new Uint8Array([0x81, 0x81, 0x81]));
    expect(bitIndices(bits)).toEqual([0, 7, 8, 15, 16, 23]);
    expect(countBits(bits)).toBe(6);
    for (let i = 0; i < 32; i++) expect(hasBit(bits, i)).toBe([0, 7, 8, 15, 16, 23].includes(i));
    expect(withBit(bits, 7)).toEqual(bits);
    expect(withBit(new Uint8Array(0), 9)).toEqual(new Uint8Array([0, 2]));
  });

  it('union, subset and equality of sets of different lengths', () => {
    const a = new Uint8Array([0b0101]);
    const b = new Uint8Array([0b0011, 0b1]);
    expect(unionBits(a, b)).toEqual(new Uint8Array([0b0111, 0b1]));
    expect(unionBits(b, a)).toEqual(new Uint8Array([0b0111, 0b1]));
    expect(isSubset(a, unionBits(a, b))).toBe(true);
    expect(isSubset(b, unionBits(a, b))).toBe(true);
    expect(isSubset(a, b)).toBe(false);
    expect(isSubset(new Uint8Array([0, 1]), new Uint8Array([0xff]))).toBe(false);
    expect(isSubset(new Uint8Array(0), a)).toBe(true);
    expect(equalBits(a, new Uint8Array([0b0101]))).toBe(true);
    expect(equalBits(a, b)).toBe(false);
    expect(equalBits(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(equalBits(new Uint8Array([1]), new Uint8Array([3]))).toBe(false);
    expect(equalBits(new Uint8Array([3]), new Uint8Array([1]))).toBe(false);
  });

  it('trimmed means empty or a non-zero last byte', () => {
    expect(isTrimmed(new Uint8Array(0))).toBe(true);
    expect(isTrimmed(new Uint8Array([0, 1]))).toBe(true);
    expect(isTrimmed(new Uint8Array([1, 0]))).toBe(false);
    expect(countBits(new Uint8Array([0xff, 0x80]))).toBe(9);
  });

  it('shift, first clear bit, union and listing answer as a plain set of indices, at any offset', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.nat(80), { maxLength: 60 }), fc.nat(90), fc.uniqueArray(fc.nat(80), { maxLength: 20 }), (indices, k, others) => {
      const set = new Set(indices);
      const bits = indices.reduce((acc, i) => withBit(acc, i), new Uint8Array(0) as Uint8Array);
      const other = others.reduce((acc, i) => withBit(acc, i), new Uint8Array(0) as Uint8Array);
      const sorted = [...set].sort((a, b) => a - b);
      expect(bitIndices(bits)).toEqual(sorted);
      expect(countBits(bits)).toBe(set.size);
      // every index at or above k, moved down by k; trimmed
      const shifted = shiftDown(bits, k);
      expect(bitIndices(shifted)).toEqual(sorted.filter((i) => i >= k).map((i) => i - k));
      expect(isTrimmed(shifted)).toBe(true);
      let clear = 0;
      while (clear < k && set.has(clear)) clear++;
      expect(firstClear(bits, k)).toBe(clear);
      const union = unionBits(bits, other);
      expect(bitIndices(union)).toEqual([...new Set([...indices, ...others])].sort((a, b) => a - b));
      expect(unionBits(other, bits)).toEqual(union);
      expect(isTrimmed(union)).toBe(true);
    }), { numRuns: 400 });
    expect(firstClear(new Uint8Array([0xff, 0xff]), 16)).toBe(16);
    expect(firstClear(new Uint8Array([0xff, 0x7f]), 15)).toBe(15);
    expect(firstClear(new Uint8Array([0xff, 0x7f]), 16)).toBe(15);
    expect(holdsOp(new Uint8Array(0), BASE_OP)).toBe(true); // the base is in every set
    expect(holdsOp(new Uint8Array([1]), 0)).toBe(true);
    expect(holdsOp(new Uint8Array([1]), 1)).toBe(false);
  });
});

type RawOp = { id: unknown; kind: unknown; actor: unknown; targets: unknown[]; past: unknown };
type Raw = { v: number; ops: RawOp[]; seen: Record<string, unknown> };
/** create K by A with B, C; W: B adds X (X acked); R: C removes B; A acked W and R. */
const sample = () => replay([create('K', 'A', ['B', 'C']), add('W', 'B', 'X'), ...ack('X', 'W'), remove('R', 'C', 'B'), ...ack('A', 'W', 'R')]);
// The v1 layout (maps of text ids): states written before v3 must still be checked field by field.
const raw = (): Raw => decodeCanonical(encodeMembershipV2(sample()), 'test') as Raw;
const reencode = (edit: (r: Raw) => void): Uint8Array => {
  const r = raw();
  edit(r);
  return encodeCanonical(r);
};

describe('causal closure of a set of ops', () => {
  /** The naive check: every op in the set has its whole past in the set. */
  const naive = (bits: Uint8Array, pasts: readonly Uint8Array[]): boolean => bitIndices(bits).every((j) => isSubset(pasts[j] as Uint8Array, bits));

  it('answers as checking every op, on random histories and random sets (closed and not)', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.nat(63), { maxLength: 4 }), { minLength: 1, maxLength: 64 }), fc.array(fc.nat(63), { maxLength: 40 }), (parents, picks) => {
      // op i's past: the closure of a few earlier ops (a causal order by construction)
      const pasts: Uint8Array[] = [];
      for (const [i, ps] of parents.entries()) {
        let past: Uint8Array = new Uint8Array(0);
        for (const p of ps) if (i > 0) { const j = p % i; past = unionBits(past, withBit(pasts[j] as Uint8Array, j)); }
        pasts.push(past);
      }
      let bits: Uint8Array = new Uint8Array(0);
      for (const p of picks) bits = withBit(bits, p % pasts.length);
      const closure = bitIndices(bits).reduce((acc, j) => unionBits(acc, withBit(pasts[j] as Uint8Array, j)), new Uint8Array(0) as Uint8Array);
      for (const set of [bits, closure]) expect(isCausallyClosed(set, (j) => pasts[j] as Uint8Array)).toBe(naive(set, pasts));
      expect(isCausallyClosed(closure, (j) => pasts[j] as Uint8Array)).toBe(true);
    }), { numRuns: 300 });
  });

  it('catches a hole below a concurrent branch, not only below the top op', () => {
    // 0 ← 1, 0 ← 2 (1 and 2 concurrent), 3 after 1 only
    const pasts = [new Uint8Array(0), new Uint8Array([0b1]), new Uint8Array([0b1]), new Uint8Array([0b11])];
    expect(isCausallyClosed(new Uint8Array([0b1111]), (j) => pasts[j] as Uint8Array)).toBe(true);
    expect(isCausallyClosed(new Uint8Array([0b1110]), (j) => pasts[j] as Uint8Array)).toBe(false); // 2 without 0
    expect(isCausallyClosed(new Uint8Array([0b1100]), (j) => pasts[j] as Uint8Array)).toBe(false); // 3 without 1
  });
});

describe('membership codec, one check per edit', () => {
  it('the unedited sample decodes', () => {
    expect(members(decodeMembership(reencode(() => undefined)))).toEqual(members(sample()));
  });

  it('accepts ids of exactly MAX_ID_LENGTH and a create listing only its creator', () => {
    const long = 'i'.repeat(MAX_ID_LENGTH);
    const state = applyAdd(createMembership({ id: long, creator: long, members: [] }), { id: `${long.slice(1)}w`, actor: long, added: 'x'.repeat(MAX_ID_LENGTH) });
    expect(members(decodeMembership(encodeMembership(state)))).toEqual(members(state));
  });

  const cases: [string, (r: Raw) => void, string][] = [
    ['op id empty', (r) => { r.ops[1]!.id = ''; }, 'DECODE_FIELD'],
    ['op id too long', (r) => { r.ops[1]!.id = 'w'.repeat(MAX_ID_LENGTH + 1); }, 'DECODE_FIELD'],
    ['actor too long', (r) => { r.ops[1]!.actor = 'b'.repeat(MAX_ID_LENGTH + 1); }, 'DECODE_FIELD'],
    ['target empty', (r) => { r.ops[1]!.targets = ['']; }, 'DECODE_FIELD'],
    ['target not a string', (r) => { r.ops[1]!.targets = [7]; }, 'DECODE_FIELD'],
    ['target too long', (r) => { r.ops[1]!.targets = ['x'.repeat(MAX_ID_LENGTH + 1)]; }, 'DECODE_FIELD'],
    ['create target too long', (r) => { r.ops[0]!.targets = ['A', 'B', 'C', 'z'.repeat(MAX_ID_LENGTH + 1)]; }, 'DECODE_FIELD'],
    ['add without target', (r) => { r.ops[1]!.targets = []; }, 'DECODE_FIELD'],
    ['remove without target', (r) => { r.ops[2]!.targets = []; }, 'DECODE_FIELD'],
    ['create with a duplicate member', (r) => { r.ops[0]!.targets = ['A', 'B', 'B', 'C']; }, 'DECODE_FIELD'],
    ['kind not a string', (r) => { r.ops[1]!.kind = 1; }, 'DECODE_FIELD'],
    ['past beyond the op itself (one byte)', (r) => { r.ops[1]!.past = new Uint8Array([0b10]); }, 'DECODE_FIELD'],
    ['past longer than the ops before it', (r) => { r.ops[1]!.past = new Uint8Array([1, 1]); }, 'DECODE_FIELD'],
    ['seen member empty', (r) => { r.seen[''] = new Uint8Array([1]); }, 'DECODE_FIELD'],
    ['seen member too long', (r) => { r.seen['s'.repeat(MAX_ID_LENGTH + 1)] = new Uint8Array([1]); }, 'DECODE_FIELD'],
    ['seen with a trailing zero byte', (r) => { r.seen['A'] = new Uint8Array([0b111, 0]); }, 'DECODE_NON_CANONICAL'],
    ['seen naming an op past the last', (r) => { r.seen['A'] = new Uint8Array([0b1111]); }, 'DECODE_FIELD'],
    ['seen holding an op without its past', (r) => { r.seen['A'] = new Uint8Array([0b100]); }, 'DECODE_FIELD'],
    ['seen not bytes', (r) => { r.seen['A'] = [1]; }, 'DECODE_FIELD'],
    ['seen not a map', (r) => { (r as unknown as Record<string, unknown>)['seen'] = [1]; }, 'DECODE_FIELD'],
  ];
  for (const [name, edit, expected] of cases) {
    it(`rejects: ${name}`, () => {
      expect(() => decodeMembership(reencode(edit))).toThrow(code(expected));
    });
  }

  it('names the membership and the field in its errors', () => {
    expect(() => decodeMembership(reencode((r) => { r.ops[1]!.targets = ['']; }))).toThrow(/membership\.ops\[1\]\.targets/);
    expect(() => decodeMembership(reencode((r) => { r.ops[2]!.past = new Uint8Array([0b100]); }))).toThrow(/membership\.ops\[2\]\.past/);
    expect(() => decodeMembership(reencode((r) => { r.seen['A'] = new Uint8Array([0b111, 0]); }))).toThrow(/membership\.seen/);
  });
});
