/**
 * Processing functions: errors with their codes, inputs never changed,
 * idempotent acks, limits at N and N+1, merge of a re-added user's state.
 */
import { describe, expect, it } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, canAct, createMembership, encodeMembership, hasSeen, isMember,
  MAX_ID_LENGTH, MAX_INITIAL_MEMBERS, MAX_MEMBERSHIP_OPS, memberView, members, mergeMembership, opKind,
  type MembershipState,
} from '../../src/membership/index.js';
import { ack, add, create, remove, replay, step, type Event } from './replay.js';

const code = (c: string) => expect.objectContaining({ code: c });
const base = () => replay([create('K', 'A', ['B', 'C'])]);

describe('createMembership', () => {
  it('adds every initial member, creator included, each having seen the create', () => {
    const state = createMembership({ id: 'K', creator: 'C', members: ['A', 'B', 'A'] });
    expect(members(state)).toEqual(['A', 'B', 'C']);
    for (const id of ['A', 'B', 'C']) {
      expect(hasSeen(state, id, 'K')).toBe(true);
      expect(canAct(state, id)).toBe(true);
      expect(memberView(state, id)).toEqual(['A', 'B', 'C']);
    }
    expect(opKind(state, 'K')).toBe('create');
    expect(opKind(state, 'nope')).toBeUndefined();
    expect(hasSeen(state, 'A', 'nope')).toBe(false); // an op this state never processed
    expect(memberView(state, 'Z')).toEqual([]);
    expect(canAct(state, 'Z')).toBe(false);
  });

  it('checks ids and the member limit at N and N+1', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
    expect(members(createMembership({ id: 'K', creator: 'm0', members: ids(MAX_INITIAL_MEMBERS) }))).toHaveLength(MAX_INITIAL_MEMBERS);
    expect(() => createMembership({ id: 'K', creator: 'x', members: ids(MAX_INITIAL_MEMBERS) })).toThrow(code('STATE_LIMIT'));
    expect(() => createMembership({ id: 'K', creator: 'a'.repeat(MAX_ID_LENGTH), members: [] })).not.toThrow();
    expect(() => createMembership({ id: 'K', creator: 'a'.repeat(MAX_ID_LENGTH + 1), members: [] })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => createMembership({ id: '', creator: 'A', members: [] })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => createMembership({ id: 'K', creator: 'A', members: [3 as unknown as string] })).toThrow(code('USAGE_ARGUMENT'));
  });
});

describe('applyAdd / applyRemove / applyAck errors leave the state unchanged', () => {
  it('STATE_DUPLICATE for an op id applied twice', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'A', 'X')]);
    expect(() => step(state, add('W', 'B', 'Y'))).toThrow(code('STATE_DUPLICATE'));
    expect(() => step(state, remove('W', 'A', 'B'))).toThrow(code('STATE_DUPLICATE'));
    expect(() => step(state, add('K', 'A', 'Y'))).toThrow(code('STATE_DUPLICATE'));
  });

  it('STATE_UNKNOWN_MEMBER for a remove of an id its author never saw added', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'A', 'X')]);
    expect(() => step(state, remove('R', 'A', 'Q'))).toThrow(code('STATE_UNKNOWN_MEMBER'));
    expect(() => step(state, remove('R', 'B', 'X'))).toThrow(code('STATE_UNKNOWN_MEMBER')); // B has not seen W
    expect(members(step(step(state, ack('B', 'W')[0] as Event), remove('R', 'B', 'X')))).toEqual(['A', 'B']);
  });

  it('STATE_UNKNOWN_OPERATION for an ack of an unknown op', () => {
    expect(() => step(base(), ack('A', 'nope')[0] as Event)).toThrow(code('STATE_UNKNOWN_OPERATION'));
  });

  it('an ack of a remove that removes the acker is its farewell: accepted once, then STATE_REMOVED; other acks are fine', () => {
    const state = replay([create('K', 'A', ['B', 'C']), remove('R', 'A', 'B'), remove('R2', 'A', 'C')]);
    const farewell = step(state, ack('B', 'R')[0] as Event);
    expect(canAct(farewell, 'B')).toBe(false);
    expect(memberView(farewell, 'B')).toEqual(['A', 'C']);
    // once outside its own view, no other remove ack (nor the same one again)
    expect(() => step(farewell, ack('B', 'R2')[0] as Event)).toThrow(code('STATE_REMOVED'));
    expect(step(farewell, ack('B', 'R')[0] as Event)).toBe(farewell);
    expect(memberView(step(state, ack('C', 'R')[0] as Event), 'C')).toEqual(['A', 'C']);
    // strongly removed: X was added by B, whom C removed without seeing the add; X's ack of that remove is its farewell
    const strong = replay([create('K', 'A', ['B', 'C']), add('W', 'B', 'X'), ...ack('X', 'W'), remove('R', 'C', 'B')]);
    expect(canAct(step(strong, ack('X', 'R')[0] as Event), 'X')).toBe(false);
    // never inside its view (a stranger): an ack of a remove is refused
    expect(() => step(state, ack('Z', 'R')[0] as Event)).toThrow(code('STATE_REMOVED'));
  });

  it('rejects bad arguments with USAGE_ARGUMENT', () => {
    const state = base();
    expect(() => applyAdd(state, { id: 'W', actor: 'A', added: '' })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => applyRemove(state, { id: 'R', actor: 7 as unknown as string, removed: 'B' })).toThrow(code('USAGE_ARGUMENT'));
    expect(() => applyAck(state, { actor: 'A', acked: 'x'.repeat(MAX_ID_LENGTH + 1) })).toThrow(code('USAGE_ARGUMENT'));
  });

  it('an ack of an op already seen returns the same state', () => {
    const state = replay([create('K', 'A', ['B']), add('W', 'A', 'X'), ...ack('B', 'W')]);
    expect(applyAck(state, { actor: 'B', acked: 'W' })).toBe(state);
    expect(applyAck(state, { actor: 'A', acked: 'W' })).toBe(state);
    expect(applyAck(state, { actor: 'B', acked: 'K' })).toBe(state);
  });

  it('an ack brings in the past of the acked op', () => {
    const state = replay([create('K', 'A', ['B', 'C']), add('W', 'A', 'X'), remove('R', 'A', 'B'), ...ack('C', 'R')]);
    expect(hasSeen(state, 'C', 'W')).toBe(true);
    expect(memberView(state, 'C')).toEqual(['A', 'C', 'X']);
  });

  it('accepts ids that are Object.prototype property names', () => {
    const state = replay([create('constructor', '__proto__', ['toString']), add('hasOwnProperty', '__proto__', 'valueOf')]);
    expect(members(state)).toEqual(['__proto__', 'toString', 'valueOf']);
    expect(opKind(state, 'hasOwnProperty')).toBe('add');
    expect(opKind(state, 'isPrototypeOf')).toBeUndefined();
    expect(canAct(state, 'valueOf')).toBe(true);
    expect(() => step(state, ack('toString', 'toString')[0] as Event)).toThrow(code('STATE_UNKNOWN_OPERATION'));
  });

  it('STATE_LIMIT at MAX_MEMBERSHIP_OPS; one below is fine', () => {
    const state = base();
    const filler = Array.from({ length: MAX_MEMBERSHIP_OPS - 2 }, (_, i) => ({ ...(state.ops[0] as MembershipState['ops'][number]), id: `f${i}`, kind: 'add' as const, targets: ['F'], past: new Uint8Array(0) }));
    const near: MembershipState = { ...state, ops: [...state.ops, ...filler], cancels: [...state.cancels, ...filler.map(() => [])] };
    const full = applyAdd(near, { id: 'W', actor: 'A', added: 'X' });
    expect(full.ops).toHaveLength(MAX_MEMBERSHIP_OPS);
    expect(() => applyAdd(full, { id: 'W2', actor: 'A', added: 'Y' })).toThrow(code('STATE_LIMIT'));
    // the error names who keeps the history from being compacted
    let message = '';
    try {
      applyAdd(full, { id: 'W2', actor: 'A', added: 'Y' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cannot be compacted while \d+ actor\(s\) have not acknowledged/);
    // the filler ops' pasts are empty: nobody acked them, so A, B, C and X (added by W, not heard from) hold the first
    expect(message.slice(message.lastIndexOf(': ') + 2)).toBe('A, B, C, X');
  });
});

describe('mergeMembership', () => {
  it("keeps a re-added user's own ops that the welcome lacked", () => {
    // X, removed by A, had concurrently removed C; B re-adds X without having seen X's remove
    const common = [create('K', 'A', ['B', 'C']), add('W1', 'A', 'X'), ...ack('X', 'W1'), ...ack('B', 'W1'), ...ack('C', 'W1')];
    const xs = replay([...common, remove('RX', 'X', 'C'), remove('R', 'A', 'X')]);
    const welcome = replay([...common, remove('R', 'A', 'X'), ...ack('B', 'R'), add('W2', 'B', 'X')]);
    const before = [encodeMembership(xs), encodeMembership(welcome)];
    const merged = applyAck(mergeMembership(welcome, xs), { actor: 'X', acked: 'W2' });
    expect([encodeMembership(xs), encodeMembership(welcome)]).toEqual(before);
    expect(opKind(merged, 'RX')).toBe('remove');
    expect(members(merged)).toEqual(['A', 'B', 'X']);
    expect(memberView(merged, 'X')).toEqual(['A', 'B', 'X']);
    expect(isMember(merged, 'C')).toBe(false);
    expect(mergeMembership(merged, welcome).ops).toHaveLength(merged.ops.length);
  });

  it('refuses different groups and conflicting ops', () => {
    const one = replay([create('K', 'A', ['B']), add('W', 'A', 'X')]);
    expect(() => mergeMembership(one, replay([create('K2', 'A', ['B'])]))).toThrow(code('STATE_UNKNOWN_GROUP'));
    expect(() => mergeMembership(one, replay([create('K', 'A', ['B']), add('W', 'A', 'Y')]))).toThrow(code('STATE_DUPLICATE'));
  });
});
