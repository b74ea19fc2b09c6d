/**
 * Issue 19 item 2: a removed member's view of messages sent after its
 * removal. They are never readable (their secrets were kept from it), so the
 * Peer settles them as "not for me": an event and a `rejected()` entry, not a
 * skipped error, never fatal, never handed in again — in the data and the
 * message scheme, whether the removal or the message arrives first.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import type { PeerEvent } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(net: MemoryNet, name: string): Promise<{ peer: Peer; events: PeerEvent[] }> {
  const peer = await Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) }, { name });
  const events: PeerEvent[] = [];
  peer.on((event) => events.push(event));
  return { peer, events };
}

describe('a removed member: messages sent after its removal are "not for me"', () => {
  it.each(['data', 'message'] as const)('%s scheme: settled once, listed by rejected(), an event, never skipped or retried', async (scheme) => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    const carol = await open(net, 'carol');
    await alice.peer.sync();
    const { group } = await alice.peer.create(scheme, { members: [bob.peer.id, carol.peer.id] });
    await bob.peer.sync();
    await carol.peer.sync();
    await alice.peer.sync();
    await alice.peer.send(group, utf8('before'));
    await carol.peer.sync();
    await alice.peer.remove(group, carol.peer.id);
    await bob.peer.sync();
    await alice.peer.sync();
    await alice.peer.send(group, utf8('after 1'));
    await bob.peer.send(group, utf8('after 2'));

    const report = await carol.peer.sync();
    expect(report.skipped).toEqual([]);
    expect(report.notForMe).toBe(2);
    expect((await carol.peer.members(group)).removed).toBe(true);
    expect((await carol.peer.read(group)).map((e) => text(e.data))).toEqual(['before']);
    const notForMe = carol.events.filter((e) => e.type === 'not-for-me');
    expect(notForMe).toHaveLength(2);
    for (const e of notForMe) expect(e).toMatchObject({ type: 'not-for-me', group, reason: expect.stringMatching(/^not for me: .*STATE_(MISSING_SECRET|UNKNOWN_EPOCH|MISSING_KEY)/) });
    expect(carol.events.some((e) => e.type === 'skipped')).toBe(false);
    const rejected = await carol.peer.rejected();
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.reason).toMatch(/^not for me: /);

    // settled for good: a later sync neither reads nor reports them again
    const again = await carol.peer.sync();
    expect(again).toEqual({ processed: 0, pending: 0, notForMe: 0, skipped: [] });
    expect(carol.events.filter((e) => e.type === 'not-for-me')).toHaveLength(2);
    // the members still read everything
    await bob.peer.sync();
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(expect.arrayContaining(['before', 'after 1', 'after 2']));
  });

  it('live: each message after the removal arrives as one not-for-me event', async () => {
    const net = new MemoryNet();
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.start();
    await bob.peer.start();
    await alice.peer.refreshPeers();
    const { group } = await alice.peer.create('data', { members: [bob.peer.id] });
    await bob.peer.idle();
    await alice.peer.idle();
    await alice.peer.remove(group, bob.peer.id);
    await bob.peer.idle();
    expect((await bob.peer.members(group)).removed).toBe(true);
    await alice.peer.send(group, utf8('not for bob'));
    await bob.peer.idle();
    expect(bob.events.filter((e) => e.type === 'not-for-me')).toEqual([expect.objectContaining({ type: 'not-for-me', group })]);
    expect(bob.events.some((e) => e.type === 'skipped')).toBe(false);
    expect(bob.events.some((e) => e.type === 'message' && text(e.data) === 'not for bob')).toBe(false);
    expect(await bob.peer.rejected()).toHaveLength(1);
    await alice.peer.close();
    await bob.peer.close();
  });
});

describe('Peer.history: who keeps the membership history', () => {
  it('a removed member holds it until it hears of its removal and says farewell; members that acknowledged everything do not', async () => {
    const net = new MemoryNet();
    net.live = false;
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => open(net, name)));
    if (alice === undefined || bob === undefined || carol === undefined || dave === undefined) throw new Error('peers');
    await alice.peer.sync();
    const { group } = await alice.peer.create('message', { members: [bob.peer.id, carol.peer.id] });
    const round = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) for (const p of [bob, alice]) await p.peer.sync();
    };
    await carol.peer.sync();
    await round();
    // everyone acknowledged everything: nobody holds the history
    expect(await alice.peer.history(group)).toMatchObject({ group, heldBy: [], limit: 16_384 });
    // carol is removed and never heard from again; dave comes and goes twice
    await alice.peer.remove(group, carol.peer.id);
    await round();
    for (let i = 0; i < 2; i++) {
      await alice.peer.add(group, dave.peer.id);
      await dave.peer.sync();
      await round();
      await bob.peer.remove(group, dave.peer.id);
      await round();
    }
    const held = await alice.peer.history(group);
    expect(held.heldBy).toEqual([carol.peer.id]);
    expect(held.ops).toBeGreaterThanOrEqual(5); // carol's removal and everything after it
    expect(await bob.peer.history(group.slice(0, 10))).toMatchObject({ group, heldBy: [carol.peer.id], ops: held.ops });
    await expect(alice.peer.history('ff'.repeat(32))).rejects.toMatchObject({ code: 'STATE_UNKNOWN_GROUP' });

    // carol comes back online: she learns of her removal and says farewell (one message), then holds nothing back
    const published = net.items.size;
    await carol.peer.sync();
    expect((await carol.peer.members(group)).removed).toBe(true);
    expect(net.items.size).toBe(published + 1);
    await round();
    // dave, removed last and not back since, is who holds it now
    expect((await alice.peer.history(group)).heldBy).toEqual([dave.peer.id]);
    // her farewell was said once: another sync of hers sends nothing more
    await carol.peer.sync();
    expect(net.items.size).toBe(published + 1);
    await dave.peer.sync();
    await round();
    expect((await alice.peer.history(group)).heldBy).toEqual([]);
    // so the history is compacted again as it grows: dave comes and goes (saying farewell each time)
    for (let i = 0; i < 16; i++) {
      await alice.peer.add(group, dave.peer.id);
      await dave.peer.sync();
      await round();
      await bob.peer.remove(group, dave.peer.id);
      await round();
      await dave.peer.sync();
      await round();
    }
    const after = await alice.peer.history(group);
    expect(after.heldBy).toEqual([]);
    expect(after.ops).toBeLessThan(32); // 6 before the loop, 32 more in it: compacted
  });
});
