/**
 * Test helper: the compaction oracle. A replica that compacts must answer
 * every query as one that never does; these are the queries, and the step
 * that applies one simulated message (sim.ts) to a state.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, canAct, createMembership, decodeMembership, encodeMembership, hasSeen, memberView, members, namedIds,
  type MembershipState,
} from '../../src/membership/index.js';
import { isGroupCryptError } from '../../src/errors.js';
import type { Command, SimMessage } from './sim.js';

/** The actors of the simulated runs. */
export const IDS = ['A', 'B', 'C', 'D', 'E', 'F'];

/** A random run: initial members (mask), commands (sim.ts), and the seed of the replay order. */
export const arbRun = fc.record({
  initial: fc.integer({ min: 0, max: 63 }),
  commands: fc.array(fc.tuple(fc.nat(9), fc.nat(5), fc.nat(1000)) as fc.Arbitrary<Command>, { minLength: 20, maxLength: 200, size: 'max' }),
  seed: fc.integer(),
});

/** Applies one message; returns the new state or the error code it raised. */
export function step(state: MembershipState | undefined, m: SimMessage): MembershipState | string {
  try {
    if (m.kind === 'create') return createMembership({ id: m.id, creator: m.sender, members: m.initial });
    if (state === undefined) throw new Error('create first');
    if (m.kind === 'add') return applyAdd(state, { id: m.id, actor: m.sender, added: m.target });
    if (m.kind === 'remove') return applyRemove(state, { id: m.id, actor: m.sender, removed: m.target });
    return applyAck(state, { actor: m.sender, acked: m.target });
  } catch (error) {
    if (isGroupCryptError(error)) return error.code;
    throw error;
  }
}

/** An actor that sent its farewell (acked its own removal): outside its own view, with a seen set. */
export function departed(state: MembershipState, id: string): boolean {
  return state.seen.has(id) && !canAct(state, id);
}

/**
 * Members, `canAct`, views, `hasSeen` of every op and the named ids agree. A
 * departed actor holds nothing back: compaction may pass its last message,
 * after which its view and what it has seen are answered over what was kept
 * (nothing asks them: it sends nothing until it acks an add of itself).
 */
export function expectSameAnswers(compacted: MembershipState, plain: MembershipState, ops: readonly SimMessage[]): void {
  expect(members(compacted)).toEqual(members(plain));
  for (const id of [...IDS, 'stranger']) {
    expect(canAct(compacted, id), `canAct ${id}`).toBe(canAct(plain, id));
    if (departed(plain, id)) continue;
    expect(memberView(compacted, id), `view ${id}`).toEqual(memberView(plain, id));
    for (const m of ops) expect(hasSeen(compacted, id, m.id), `hasSeen ${id} ${m.id}`).toBe(hasSeen(plain, id, m.id));
  }
  expect(namedIds(compacted)).toEqual(namedIds(plain));
}

/** The encoding round-trips byte for byte, and the decoded state answers as `plain` does. */
export function expectRoundTrip(compacted: MembershipState, plain: MembershipState, ops: readonly SimMessage[]): void {
  const decoded = decodeMembership(encodeMembership(compacted));
  expect(encodeMembership(decoded)).toEqual(encodeMembership(compacted));
  expectSameAnswers(decoded, plain, ops);
}
