/**
 * The named scenarios of DCGKA.md §8 (1–4, 6) and §9.5 (7, 8), each replayed
 * in more than one causal order where the ops are concurrent.
 */
import { describe, expect, it } from 'vitest';
import { canAct, hasSeen, isMember, memberView, members } from '../../src/membership/index.js';
import { ack, add, create, remove, replay, step, type Event } from './replay.js';

const K = create('K', 'A', ['B', 'C']);

describe('membership scenarios (DCGKA.md §8, §9.5)', () => {
  it('1 mutual-removal: B removes C while C removes B → A ends with {A}', () => {
    for (const order of [['R1', 'R2'], ['R2', 'R1']]) {
      const ops: Record<string, Event> = { R1: remove('R1', 'B', 'C'), R2: remove('R2', 'C', 'B') };
      const state = replay([K, ...order.map((k) => ops[k] as Event), ...ack('A', 'R1', 'R2')]);
      expect(members(state)).toEqual(['A']);
      expect(memberView(state, 'A')).toEqual(['A']);
      expect(memberView(state, 'B')).toEqual(['A', 'B']);
      expect(memberView(state, 'C')).toEqual(['A', 'C']);
      expect(canAct(state, 'B')).toBe(true); // B has not seen its own removal yet
      // B's ack of its own removal is its farewell: accepted once, after which B can act no more
      const farewell = step(state, ack('B', 'R2')[0] as Event);
      expect(canAct(farewell, 'B')).toBe(false);
      expect(members(farewell)).toEqual(['A']);
      expect(memberView(farewell, 'B')).toEqual(['A']);
    }
  });

  it('2 add-by-removed-member: A removes B while B adds X → {A}; view(B) = view(X) = {A,B,X}', () => {
    const KAB = create('K', 'A', ['B']);
    for (const events of [
      [KAB, remove('R', 'A', 'B'), add('W', 'B', 'X')],
      [KAB, add('W', 'B', 'X'), remove('R', 'A', 'B')],
    ]) {
      const state = replay(events);
      expect(members(state)).toEqual(['A']);
      expect(memberView(state, 'B')).toEqual(['A', 'B', 'X']);
      expect(memberView(state, 'X')).toEqual(['A', 'B', 'X']); // X has not acked its welcome yet
      expect(hasSeen(state, 'X', 'W')).toBe(true);
      expect(hasSeen(state, 'X', 'R')).toBe(false);
      const acked = step(state, ack('X', 'W')[0] as Event);
      expect(memberView(acked, 'X')).toEqual(['A', 'B', 'X']);
    }
  });

  it('2 add-by-removed-member, transitive: B adds X, X adds Y, C removes B (no acks) → {A,C}', () => {
    const base = [K, add('W1', 'B', 'X'), ...ack('X', 'W1'), add('W2', 'X', 'Y')];
    expect(members(replay(base))).toEqual(['A', 'B', 'C', 'X', 'Y']);
    for (const events of [
      [...base, remove('R', 'C', 'B')],
      [K, remove('R', 'C', 'B'), add('W1', 'B', 'X'), ...ack('X', 'W1'), add('W2', 'X', 'Y')],
      [K, add('W1', 'B', 'X'), remove('R', 'C', 'B'), ...ack('X', 'W1'), add('W2', 'X', 'Y')],
    ]) {
      expect(members(replay(events))).toEqual(['A', 'C']);
    }
    // C had acked W1 (not W2): X stays, and so does Y, whom X added as a legitimate member
    expect(members(replay([...base.slice(0, 3), ...ack('C', 'W1'), base[3] as Event, remove('R', 'C', 'B')]))).toEqual(['A', 'C', 'X', 'Y']);
  });

  it('an add both removed directly and left without support stays dead (its killers are the union)', () => {
    // W: B adds X. R1: A saw W and removes X (a direct killer of W). R2: C removes B without having seen W, so W
    // inherits R2 from B's only support. Either alone kills W; together they must too.
    for (const events of [
      [K, add('W', 'B', 'X'), ...ack('A', 'W'), remove('R1', 'A', 'X'), remove('R2', 'C', 'B')],
      [K, remove('R2', 'C', 'B'), add('W', 'B', 'X'), ...ack('A', 'W'), remove('R1', 'A', 'X')],
      [K, add('W', 'B', 'X'), remove('R2', 'C', 'B'), ...ack('A', 'W'), remove('R1', 'A', 'X')],
    ]) {
      expect(members(replay(events))).toEqual(['A', 'C']);
    }
  });

  it('3 remove-beats-unacked-add, acked-add-survives', () => {
    expect(members(replay([K, add('W', 'B', 'X'), remove('R', 'C', 'B')]))).toEqual(['A', 'C']);
    expect(members(replay([K, remove('R', 'C', 'B'), add('W', 'B', 'X')]))).toEqual(['A', 'C']);
    const acked = replay([K, add('W', 'B', 'X'), ...ack('C', 'W'), remove('R', 'C', 'B')]);
    expect(members(acked)).toEqual(['A', 'C', 'X']);
    expect(isMember(acked, 'X')).toBe(true);
    expect(isMember(acked, 'B')).toBe(false);
  });

  it('4 remove-concurrent-with-third-party-add: A removes B ∥ C adds D → {A,C,D}', () => {
    for (const events of [
      [K, remove('R', 'A', 'B'), add('W', 'C', 'D')],
      [K, add('W', 'C', 'D'), remove('R', 'A', 'B')],
    ]) {
      const state = replay([...events, ...ack('D', 'W', 'R'), ...ack('C', 'R')]);
      expect(members(state)).toEqual(['A', 'C', 'D']);
      expect(memberView(state, 'A')).toEqual(['A', 'C']); // A had not seen D's add
      expect(memberView(state, 'D')).toEqual(['A', 'C', 'D']);
    }
  });

  it('6 concurrent-adds-different-members: A adds C ∥ B adds D → {A,B,C,D}', () => {
    const KAB = create('K', 'A', ['B']);
    for (const events of [
      [KAB, add('W1', 'A', 'C'), add('W2', 'B', 'D')],
      [KAB, add('W2', 'B', 'D'), add('W1', 'A', 'C')],
    ]) {
      const state = replay(events);
      expect(members(state)).toEqual(['A', 'B', 'C', 'D']);
      expect(memberView(state, 'C')).toEqual(['A', 'B', 'C']);
      expect(memberView(state, 'D')).toEqual(['A', 'B', 'D']);
    }
  });

  it('7 concurrent-adds-same-member: A and B both add X → member once; a remove that saw one add only leaves X in', () => {
    const KAB = create('K', 'A', ['B']);
    const state = replay([KAB, add('W1', 'A', 'X'), add('W2', 'B', 'X')]);
    expect(members(state)).toEqual(['A', 'B', 'X']);
    const partial = replay([KAB, add('W1', 'A', 'X'), add('W2', 'B', 'X'), remove('R', 'A', 'X')]);
    expect(members(partial)).toEqual(['A', 'B', 'X']); // W2 was not seen by A
    const full = replay([KAB, add('W1', 'A', 'X'), add('W2', 'B', 'X'), ...ack('A', 'W2'), remove('R', 'A', 'X')]);
    expect(members(full)).toEqual(['A', 'B']);
  });

  it('8 re-add-vs-remove: a re-add the remover did not see survives; one it saw does not', () => {
    const removed = [K, add('W1', 'A', 'X'), ...ack('X', 'W1'), ...ack('B', 'W1'), ...ack('C', 'W1'), remove('R1', 'A', 'X'), ...ack('B', 'R1'), ...ack('C', 'R1')];
    expect(members(replay(removed))).toEqual(['A', 'B', 'C']);
    const readded = [...removed, add('W2', 'B', 'X')];
    expect(members(replay(readded))).toEqual(['A', 'B', 'C', 'X']);
    expect(canAct(replay(readded), 'X')).toBe(true); // the welcome's history shows X re-added
    // C removes X again concurrently, having seen only W1: X stays
    for (const events of [[...readded, remove('R2', 'C', 'X')], [...removed, remove('R2', 'C', 'X'), add('W2', 'B', 'X')]]) {
      expect(members(replay(events))).toEqual(['A', 'B', 'C', 'X']);
    }
    // C saw the re-add, then removes X: X is out
    expect(members(replay([...readded, ...ack('C', 'W2'), remove('R2', 'C', 'X')]))).toEqual(['A', 'B', 'C']);
  });
});
