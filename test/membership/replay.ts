/**
 * Test helper: replays a scripted sequence of membership events on one
 * replica, checking that no call changes its input state.
 */
import { expect } from 'vitest';
import {
  applyAck, applyAdd, applyRemove, createMembership, encodeMembership, type MembershipState,
} from '../../src/membership/index.js';

/** One scripted event; ids double as op ids. */
export type Event =
  | { readonly t: 'create'; readonly id: string; readonly creator: string; readonly members: readonly string[] }
  | { readonly t: 'add'; readonly id: string; readonly actor: string; readonly added: string }
  | { readonly t: 'remove'; readonly id: string; readonly actor: string; readonly removed: string }
  | { readonly t: 'ack'; readonly actor: string; readonly acked: string };

/** Applies one event, asserting the input state encodes the same afterwards. */
export function step(state: MembershipState | undefined, event: Event): MembershipState {
  if (event.t === 'create') return createMembership(event);
  if (state === undefined) throw new Error('first event must be create');
  const before = encodeMembership(state);
  let next: MembershipState;
  try {
    if (event.t === 'add') next = applyAdd(state, event);
    else if (event.t === 'remove') next = applyRemove(state, event);
    else next = applyAck(state, event);
  } finally {
    expect(encodeMembership(state)).toEqual(before);
  }
  return next;
}

/** Replays events in order. */
export function replay(events: readonly Event[]): MembershipState {
  let state: MembershipState | undefined;
  for (const event of events) state = step(state, event);
  if (state === undefined) throw new Error('no events');
  return state;
}

/** Shorthands. */
export const create = (id: string, creator: string, members: readonly string[]): Event => ({ t: 'create', id, creator, members });
export const add = (id: string, actor: string, added: string): Event => ({ t: 'add', id, actor, added });
export const remove = (id: string, actor: string, removed: string): Event => ({ t: 'remove', id, actor, removed });
export const ack = (actor: string, ...ids: string[]): Event[] => ids.map((acked) => ({ t: 'ack', actor, acked }));
