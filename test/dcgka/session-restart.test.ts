/**
 * Issue 12, "2SM after lost state": a member that lost its 2SM session with a
 * peer, or holds an older copy of it, re-establishes it by a fresh X3DH
 * against the peer's current bundle, and the peer accepts the new session
 * instead of refusing every later message (`STATE_REPLAY` for ever, before).
 */
import { describe, expect, it } from 'vitest';
import { resetSessions } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { DcgkaSim, expectChainsAgree } from '../helpers/dcgka-sim.js';

function withoutSession(state: DcgkaState, peer: string): DcgkaState {
  return { ...state, sessions: state.sessions.delete(peer) };
}

describe('2SM after lost state (issue 12)', () => {
  it('a member that lost its session with a peer opens a new one; both directions work again', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.update('A');
    sim.update('B');
    sim.settle();
    const b = sim.peer('B');
    b.state = withoutSession(b.state as DcgkaState, sim.id('A'));
    sim.update('B'); // its seed to A opens a new session by X3DH
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
    sim.update('A'); // A seals to the new session
    sim.settle();
    sim.update('B');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
  });

  it('a member holding an older copy of its sessions resets them and the group goes on', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    const b = sim.peer('B');
    const backup = (b.state as DcgkaState).sessions;
    sim.update('B');
    sim.settle();
    sim.update('B');
    sim.settle();
    // B's sessions come back from the older backup: its next indices were already used.
    b.state = { ...(b.state as DcgkaState), sessions: backup };
    const stale = sim.peer('B').state as DcgkaState;
    const reset = resetSessions(stale, sim.ctx(b));
    expect([...reset.state.sessions.keys()]).toEqual([]);
    expect(reset.consumed.length).toBeGreaterThan(0);
    b.state = reset.state;
    sim.update('B');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
    sim.update('A');
    sim.update('C');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
  });

  it('without the reset, the stale session is refused (why resetSessions exists)', () => {
    const sim = new DcgkaSim(['A', 'B']);
    sim.create('A', ['B']);
    sim.settle();
    const b = sim.peer('B');
    const backup = (b.state as DcgkaState).sessions;
    sim.update('B');
    sim.settle();
    b.state = { ...(b.state as DcgkaState), sessions: backup };
    sim.update('B');
    expect(() => sim.settle()).toThrow(/already received/);
  });
});
