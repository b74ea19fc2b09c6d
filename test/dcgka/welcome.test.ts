/**
 * The welcome a joiner decrypts from its adder (add.ts, decodeWelcome and
 * processWelcome). The adder is trusted with the group's history, but its
 * welcome is still parsed strictly: anything malformed is refused with
 * DECODE_FIELD before the joiner adopts any of it, and a welcome that does not
 * make the joiner a member, or whose clock does not end at the add, is refused
 * too. Each case below differs from a genuine welcome in one field only.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical, fromHex, toHex } from '../../src/crypto/index.js';
import { joinGroup } from '../../src/dcgka/index.js';
import type { DcgkaResult, IncomingControl } from '../../src/dcgka/index.js';
import { opIdOf } from '../../src/dcgka/codec.js';
import { closeDraft, encryptTo, nextSeq, openDraft } from '../../src/dcgka/draft.js';
import { emitControl } from '../../src/dcgka/send.js';
import { applyAdd, encodeMembership } from '../../src/membership/index.js';
import type { MembershipState } from '../../src/membership/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

/** The fields of a welcome, as encoded: [membership, clock, chain, extra, pending]. */
type Fields = unknown[];

/**
 * {A, B} settled; A adds X with a welcome it builds from `edit(genuine fields)`.
 * `genuine` holds what A's own add would send; `incoming` is X's view of the add.
 */
interface Ids {
  readonly a: string;
  readonly b: string;
  readonly x: string;
  readonly seq: number;
  /** A's membership before the add (without X). */
  readonly membershipWithoutX: MembershipState;
}

function addWithWelcome(edit: (fields: Fields, ids: Ids) => unknown) {
  const sim = new DcgkaSim(['A', 'B', 'X']);
  sim.create('A', ['B']);
  sim.settle();
  const a = sim.peer('A');
  const x = sim.peer('X');
  const draft = openDraft(a.state!, sim.ctx(a));
  const seq = nextSeq(draft);
  const before = draft.membership;
  draft.membership = applyAdd(draft.membership, { id: opIdOf(a.id, seq), actor: a.id, added: x.id });
  const clock = Object.entries(draft.clock.toRecord()).sort(([p], [q]) => (p < q ? -1 : 1)).map(([id, n]) => [fromHex(id), n]);
  const chain = draft.ratchets.get(a.id) as Uint8Array;
  const genuine: Fields = [encodeMembership(draft.membership), clock, chain, new Uint8Array([7, 7]), []];
  const ids: Ids = { a: a.id, b: sim.id('B'), x: x.id, seq, membershipWithoutX: before };
  const welcome = encodeCanonical(edit(genuine, ids));
  const bytes = encryptTo(draft, x.id, seq, 'welcome', welcome);
  emitControl(draft, seq, { type: 'add', added: x.id }, [{ recipient: x.id, bytes }]);
  const out = closeDraft(draft).outputs.find((o) => o.kind === 'control');
  if (out?.kind !== 'control') throw new Error('no control output');
  const incoming: IncomingControl = { broadcast: out.control.broadcast, direct: out.control.direct[0]!.bytes };
  return { sim, ids, chain, join: (): DcgkaResult => joinGroup(sim.ctx(x), incoming), code: () => codeOf(() => joinGroup(sim.ctx(x), incoming)) };
}

const ID = (hex: string): Uint8Array => fromHex(hex);

describe('welcome', () => {
  it('a genuine welcome (built here as add.ts does) is adopted: membership, clock, adder chain, extra, pending', () => {
    const { ids, chain, join } = addWithWelcome((f, { a, x }) => [f[0], f[1], f[2], f[3], [[`${a}:12`, [ID(x)]], [`${a}:13`, []]]]);
    const result = join();
    const state = result.state;
    expect(state.clock.get(ids.a)).toBe(ids.seq + 1);
    expect(state.clock.get(ids.b)).toBeGreaterThan(0);
    expect([...state.pendingSeeds.keys()]).toEqual([`${ids.a}:12`]);
    const joined = result.outputs.find((o) => o.kind === 'joined');
    expect(joined?.kind === 'joined' && [...joined.extra]).toEqual([7, 7]);
    // X followed A's chain from the welcome: it derived A's update secret of the add.
    expect(result.outputs.some((o) => o.kind === 'update-secret' && o.member === ids.a && o.cause === opIdOf(ids.a, ids.seq))).toBe(true);
    expect(chain).toHaveLength(32);
  });

  it('a clock count of 0, a two-digit pending seq and an empty chain are well-formed', () => {
    const { ids, join } = addWithWelcome((f, { a, b }) => [f[0], [...(f[1] as unknown[]), [new Uint8Array(32).fill(0xee), 0]].sort((p, q) => toHex((p as [Uint8Array])[0]).localeCompare(toHex((q as [Uint8Array])[0]))), new Uint8Array(0), f[3], [[`${a}:99`, [ID(b)]]]]);
    const state = join().state;
    expect(state.clock.get('ee'.repeat(32))).toBe(0);
    expect([...state.pendingSeeds.keys()]).toEqual([`${ids.a}:99`]);
    // No chain of A came with it: X cannot follow A's chain and derives none of its secrets.
    expect(state.ratchets.get(ids.a)).toBeUndefined();
  });

  it('refuses a welcome that is not [membership, clock, chain, extra, pending] → DECODE_FIELD', () => {
    const cases: ((f: Fields) => unknown)[] = [
      () => 5,
      () => ({ membership: 1 }),
      // array-like but not an array: indexes and a length of 5
      (f) => ({ 0: f[0], 1: f[1], 2: f[2], 3: f[3], 4: f[4], length: 5 }),
      (f) => f.slice(0, 4),
      (f) => [...f, []],
      (f) => ['membership', f[1], f[2], f[3], f[4]],
      (f) => [f[0], new Uint8Array(1), f[2], f[3], f[4]],
      (f) => [f[0], { length: 0 }, f[2], f[3], f[4]],
      (f) => [f[0], f[1], [], f[3], f[4]],
      (f) => [f[0], f[1], f[2], 'extra', f[4]],
      (f) => [f[0], f[1], f[2], f[3], new Uint8Array(1)],
      (f) => [f[0], f[1], f[2], f[3], { length: 0 }],
    ];
    for (const [i, edit] of cases.entries()) expect(addWithWelcome(edit).code(), `case ${i}`).toBe('DECODE_FIELD');
  });

  it('refuses a malformed clock entry → DECODE_FIELD', () => {
    const withEntry = (entry: unknown) => (f: Fields) => [f[0], [...(f[1] as unknown[]), entry], f[2], f[3], f[4]];
    const other = new Uint8Array(32).fill(0xee);
    const cases = [5, { 0: other, 1: 1, length: 2 }, [other], [other, 1, 2], ['ee'.repeat(32), 1], ['e'.repeat(32), 1], [other.subarray(0, 31), 1], [other, '1'], [other, -1], [other, 1.5]];
    for (const entry of cases) expect(addWithWelcome(withEntry(entry)).code(), `clock entry ${JSON.stringify(entry)}`).toBe('DECODE_FIELD');
  });

  it('refuses a chain that is neither empty nor 32 bytes → DECODE_FIELD', () => {
    for (const length of [1, 31, 33]) expect(addWithWelcome((f) => [f[0], f[1], new Uint8Array(length), f[3], f[4]]).code(), `chain of ${length}`).toBe('DECODE_FIELD');
  });

  it('refuses a malformed pending entry → DECODE_FIELD', () => {
    const cases: ((ids: { a: string; b: string }) => unknown)[] = [
      () => 5,
      ({ a, b }) => ({ 0: `${a}:1`, 1: [ID(b)], length: 2 }),
      ({ a }) => [`${a}:1`],
      ({ a, b }) => [`${a}:1`, [ID(b)], 0],
      ({ a, b }) => [ID(a), [ID(b)]],
      ({ a, b }) => [[`${a}:1`], [ID(b)]],
      ({ b }) => ['zz:1', [ID(b)]],
      ({ a, b }) => [a, [ID(b)]],
      ({ a, b }) => [`${a}:`, [ID(b)]],
      ({ a, b }) => [`${a}:x`, [ID(b)]],
      ({ a, b }) => [`x${a}:1`, [ID(b)]],
      ({ a, b }) => [`${a}:1x`, [ID(b)]],
      ({ a, b }) => [`${a.toUpperCase()}:1`, [ID(b)]],
      ({ a, b }) => [`${a.slice(2)}:1`, [ID(b)]],
      ({ a }) => [`${a}:1`, 'members'],
      ({ a, b }) => [`${a}:1`, [b]],
      ({ a }) => [`${a}:1`, ['e'.repeat(32)]],
      ({ a, b }) => [`${a}:1`, [ID(b).subarray(0, 31)]],
    ];
    for (const [i, entry] of cases.entries()) {
      expect(addWithWelcome((f, ids) => [f[0], f[1], f[2], f[3], [entry(ids)]]).code(), `pending case ${i}`).toBe('DECODE_FIELD');
    }
  });

  it('refuses a well-formed welcome whose membership does not contain the joiner → STATE_NOT_MEMBER', () => {
    expect(addWithWelcome((f, ids) => [encodeMembership(ids.membershipWithoutX), f[1], f[2], f[3], f[4]]).code()).toBe('STATE_NOT_MEMBER');
  });

  it('refuses a welcome whose clock does not end at the add → STATE_CAUSALITY', () => {
    for (const shift of [-1, 1]) {
      const edited = addWithWelcome((f, { a, seq }) => [f[0], (f[1] as [Uint8Array, number][]).map(([id, n]) => [id, toHex(id) === a ? seq + 1 + shift : n]), f[2], f[3], f[4]]);
      expect(edited.code(), `clock of the adder off by ${shift}`).toBe('STATE_CAUSALITY');
    }
  });
});
