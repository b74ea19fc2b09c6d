/**
 * Compact (version 4) acks at the Group API (issue 13): an ack names its
 * sender and acked sender by references only a group state resolves. One
 * that arrives before its sender is known (a joiner's ack before the add) is
 * held like a stranger's message and processed once the add came; one that
 * reaches a user before it joined is held in its pre-join inbox and read after
 * the join.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical } from '../../src/crypto/index.js';
import { openWireBundle } from '../../src/group/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

/** The wire version of a control message's signed part (undefined for an application message). */
function versionOf(sim: GroupSim, bundle: Uint8Array, me: string): number | undefined {
  return versionOfBroadcast(openWireBundle(bundle, me).broadcast);
}

function versionOfBroadcast(broadcast: Uint8Array): number | undefined {
  if (broadcast[0] !== 0x82) return undefined;
  const [signed] = decodeCanonical(broadcast, 'c') as [Uint8Array];
  return (decodeCanonical(signed, 's') as unknown[])[0] as number;
}

describe('compact acks through the Group API', () => {
  it('a joiner\'s ack that arrives before its add is held, then processed after the add; the joiner read the acks it held before joining', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], 'message');
    const random = seeded(7);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const b = sim.peer('B');
    const d = sim.peer('D');
    const heldBeforeJoin = d.pre.held.filter((h) => versionOfBroadcast(h.broadcast) === 4).length;
    expect(heldBeforeJoin).toBeGreaterThan(0); // the create's acks reached D too, held unread
    sim.add('A', 'D');
    while (d.inbox.length > 0 && !d.state) sim.deliver('D', 0, random);
    expect(d.state).toBeDefined();
    while (d.inbox.length > 0) sim.deliver('D', 0, random);
    // D's ack is the newest entry of B's inbox; A's add is still waiting before it.
    const ackOfD = b.inbox.length - 1;
    expect(versionOf(sim, b.inbox[ackOfD] as Uint8Array, b.id)).toBe(4);
    sim.deliver('B', ackOfD, random);
    expect(b.errors).toEqual([]);
    expect(b.state?.strangers).toHaveLength(1);
    expect(sim.members('B')).not.toContain('D');
    while (b.inbox.length > 0) sim.deliver('B', 0, random);
    expect(b.state?.strangers).toHaveLength(0);
    expect(sim.members('B')).toContain('D');
    sim.settle(random);
    const text = sim.send('D');
    sim.settle(random);
    for (const name of ['A', 'B', 'C']) expect(sim.peer(name).decrypted.has(text), `${name} read D`).toBe(true);
    for (const name of ['A', 'B', 'C', 'D']) expect(sim.peer(name).errors, name).toEqual([]);
  });
});
