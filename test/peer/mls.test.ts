/**
 * MLS Secret Groups through the Peer over an in-memory net: the owner
 * creates and adds from published key packages, a member's add becomes a
 * pending proposal the owner commits when it syncs, both secret kinds are
 * read, a removed member learns it and keeps working, a late joiner reads
 * the long-term history, ownership is handed over.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import type { PeerEvent } from '../../src/peer/index.js';
import type { Store } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(net: MemoryNet, name: string): Promise<{ peer: Peer; events: PeerEvent[] }> {
  const peer = await Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) }, { name });
  const events: PeerEvent[] = [];
  peer.on((event) => events.push(event));
  return { peer, events };
}

describe('Peer: MLS Secret Group', () => {
  it('owner + members: add, a member proposal committed by the owner, both secret kinds, removal, late joiner, hand-over', async () => {
    const net = new MemoryNet();
    net.live = false;
    const [olivia, alice, bob, carol] = await Promise.all(['olivia', 'alice', 'bob', 'carol'].map((n) => open(net, n)));
    if (olivia === undefined || alice === undefined || bob === undefined || carol === undefined) throw new Error('setup');
    for (const p of [alice, bob, carol]) await p.peer.enableMls();
    const created = await olivia.peer.create('mls', { ltsCiphersuite: 2 });
    expect(created.scheme).toBe('mls');
    expect(created.owner).toBe(olivia.peer.id);
    const group = created.group;
    await olivia.peer.sync();
    await olivia.peer.add(group, alice.peer.id);
    expect((await olivia.peer.members(group)).members).toEqual([olivia.peer.id, alice.peer.id].sort());
    await olivia.peer.send(group, utf8('wiki: welcome (long-term)'));
    await alice.peer.sync();
    expect((await alice.peer.members(group)).members).toEqual([olivia.peer.id, alice.peer.id].sort());
    await alice.peer.send(group, utf8('chat: hi (sender ratchet)'), { secrets: 'sender_ratchet' });

    // Alice (not the owner) adds Bob: a proposal, pending until Olivia commits it at her next sync
    const proposed = await alice.peer.add(group, bob.peer.id);
    expect(proposed.members).not.toContain(bob.peer.id);
    expect(proposed.proposals).toEqual([{ action: 'add', subject: bob.peer.id, from: alice.peer.id }]);
    await olivia.peer.sync();
    expect((await olivia.peer.members(group)).members).toContain(bob.peer.id);
    await bob.peer.sync();
    await alice.peer.sync();
    expect((await alice.peer.members(group)).proposals).toEqual([]);
    expect((await alice.peer.members(group)).members).toEqual([olivia.peer.id, alice.peer.id, bob.peer.id].sort());
    await bob.peer.send(group, utf8('bob: notes (long-term)'));
    await olivia.peer.sync();
    await alice.peer.sync();
    expect((await olivia.peer.read(group)).map((e) => [e.sender, text(e.data)])).toEqual([
      [olivia.peer.id, 'wiki: welcome (long-term)'],
      [alice.peer.id, 'chat: hi (sender ratchet)'],
      [bob.peer.id, 'bob: notes (long-term)'],
    ]);
    expect((await alice.peer.read(group)).map((e) => text(e.data))).toContain('bob: notes (long-term)');
    // Bob joined after the long-term message and reads it; the sender-ratchet one was before his epoch
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(['wiki: welcome (long-term)', 'bob: notes (long-term)']);

    // Olivia removes Bob: he learns of it and keeps working (his reads stay, his groups list works)
    await olivia.peer.remove(group, bob.peer.id);
    await olivia.peer.send(group, utf8('after Bob'));
    await bob.peer.sync();
    const bobView = await bob.peer.members(group);
    expect(bobView.removed).toBe(true);
    expect(bob.events).toContainEqual({ type: 'removed', group });
    expect((await bob.peer.read(group)).map((e) => text(e.data))).not.toContain('after Bob');
    expect((await bob.peer.groups()).map((g) => g.group)).toEqual([group]);
    const bobOwn = await bob.peer.create('mls');
    expect(bobOwn.members).toEqual([bob.peer.id]);

    // Carol, a late joiner, reads the long-term history
    await olivia.peer.sync();
    await olivia.peer.add(group, carol.peer.id);
    await carol.peer.sync();
    const carolRead = (await carol.peer.read(group)).map((e) => text(e.data));
    expect(carolRead).toEqual(expect.arrayContaining(['wiki: welcome (long-term)', 'bob: notes (long-term)', 'after Bob']));
    expect(carolRead).not.toContain('chat: hi (sender ratchet)');

    // hand-over: Alice becomes the owner and commits from then on
    await olivia.peer.handover(group, alice.peer.id);
    await alice.peer.sync();
    expect((await alice.peer.members(group)).owner).toBe(alice.peer.id);
    await alice.peer.remove(group, olivia.peer.id);
    await carol.peer.sync();
    expect((await carol.peer.members(group)).members).toEqual([alice.peer.id, carol.peer.id].sort());
    await olivia.peer.sync();
    expect((await olivia.peer.members(group)).removed).toBe(true);
  }, 60_000);

  it('a commit that does not extend the owner\'s chain is skipped (STATE_BROKEN_CHAIN); the member keeps working', async () => {
    const net = new MemoryNet();
    net.live = false;
    const olivia = await open(net, 'olivia');
    const alice = await open(net, 'alice');
    await alice.peer.enableMls();
    const { group } = await olivia.peer.create('mls');
    await olivia.peer.add(group, alice.peer.id);
    await alice.peer.sync();
    // the owner's store restored from a copy: both copies commit on the same epoch
    const copy = await cloneStore(olivia.peer.store);
    const restored = await Peer.open({ store: copy, transport: (self) => new MemoryTransport(net, self) });
    await olivia.peer.update(group);
    await restored.update(group);
    const report = await alice.peer.sync();
    expect(report.skipped.map((s) => s.reason.split(':')[0])).toEqual(['STATE_BROKEN_CHAIN']);
    await alice.peer.send(group, utf8('still here'), { secrets: 'sender_ratchet' });
    await olivia.peer.sync();
    const oliviaRead = (await olivia.peer.read(group)).map((e) => text(e.data));
    const restoredRead = (await restored.sync(), await restored.read(group)).map((e) => text(e.data));
    // exactly one of the two branches is the one Alice followed
    expect([oliviaRead, restoredRead].filter((r) => r.includes('still here'))).toHaveLength(1);
  }, 60_000);
});

/** A copy of a store's records and processed ids (a backup restored). */
async function cloneStore(from: Store): Promise<MemoryStore> {
  const to = new MemoryStore();
  const states: Record<string, Uint8Array> = {};
  for (const name of await from.names()) {
    const bytes = await from.load(name);
    if (bytes !== undefined) states[name] = bytes;
  }
  const processed = from.processedIds === undefined ? [] : await from.processedIds();
  await to.commit({ states, processed });
  return to;
}
