/**
 * Post-quantum groups through the Peer runtime (issue 14): every identity
 * publishes a signed ML-KEM pre-key; `create(scheme, { pq: true })` makes a
 * PQ group that works end to end (add, send, read, remove); a classic-only
 * peer cannot be added to it (clear error, nothing changes) and gets its PQ
 * pre-keys once it is opened with PQ enabled.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(net: MemoryNet, name: string, options: { pq?: boolean; store?: MemoryStore } = {}): Promise<Peer> {
  const store = options.store ?? new MemoryStore();
  const transport = (self: string): MemoryTransport => new MemoryTransport(net, self);
  return Peer.create({ store, deps: defaultDeps(), transport, ...(options.pq === false ? { pq: false } : {}) }, { name });
}

describe.each(['data', 'message'] as const)('a post-quantum group over MemoryNet, %s scheme', (scheme) => {
  it('create, add, send, read, remove', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    const carol = await open(net, 'carol');
    expect([alice.hasPqPreKeys, bob.hasPqPreKeys, carol.hasPqPreKeys]).toEqual([true, true, true]);
    await alice.sync();
    const created = await alice.create(scheme, { pq: true });
    expect(created).toMatchObject({ scheme, pq: true, members: [alice.id] });
    const { group } = created;
    await alice.add(group, bob.id);
    await alice.add(group, carol.id);
    await alice.send(group, utf8('quantum hello'));
    expect((await bob.sync()).skipped).toEqual([]);
    expect((await carol.sync()).skipped).toEqual([]);
    expect(await bob.members(group)).toMatchObject({ pq: true, members: [alice.id, bob.id, carol.id].sort(), removed: false });
    expect((await carol.groups()).map((g) => [g.group, g.pq])).toEqual([[group, true]]);
    await bob.send(group, utf8('reply from bob'));
    await alice.sync();
    await carol.sync();
    for (const peer of [alice, bob, carol]) {
      expect((await peer.read(group)).map((e) => [e.sender, text(e.data)])).toEqual([[alice.id, 'quantum hello'], [bob.id, 'reply from bob']]);
    }
    await alice.remove(group, carol.id);
    await alice.send(group, utf8('after carol'));
    await bob.sync();
    await carol.sync();
    expect((await bob.read(group)).map((e) => text(e.data))).toEqual(['quantum hello', 'reply from bob', 'after carol']);
    expect(await carol.members(group)).toMatchObject({ pq: true, removed: true });
    expect((await carol.read(group)).map((e) => text(e.data))).not.toContain('after carol');
  });
});

describe('post-quantum pre-keys of peers', () => {
  it('a classic group says pq: false', async () => {
    const alice = await open(new MemoryNet(), 'alice');
    expect(await alice.create('data')).toMatchObject({ pq: false });
  });

  it('adding a classic-only peer to a PQ group fails clearly and changes nothing; once it has PQ pre-keys the add works', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bobStore = new MemoryStore();
    const bob = await open(net, 'bob', { pq: false, store: bobStore });
    expect(bob.hasPqPreKeys).toBe(false);
    await alice.sync();
    const { group } = await alice.create('data', { pq: true });
    await expect(alice.add(group, bob.id)).rejects.toMatchObject({ code: 'STATE_NO_BUNDLE', message: expect.stringMatching(/bob.*no post-quantum pre-keys/) });
    await expect(alice.create('message', { pq: true, members: [bob.id] })).rejects.toMatchObject({ code: 'STATE_NO_BUNDLE' });
    expect(await alice.members(group)).toMatchObject({ members: [alice.id] });
    // a classic group still takes bob
    const classic = await alice.create('data');
    await alice.add(classic.group, bob.id);

    // bob's home opened with PQ enabled (the default) gets PQ pre-keys and publishes a new profile
    // bob is not used again: a second Peer opens the same store
    const upgraded = await Peer.open({ store: bobStore, deps: defaultDeps(), transport: (self) => new MemoryTransport(net, self) });
    expect(upgraded.hasPqPreKeys).toBe(true);
    await alice.sync();
    await alice.add(group, upgraded.id);
    await alice.send(group, utf8('now with bob'));
    expect((await upgraded.sync()).skipped).toEqual([]);
    expect((await upgraded.read(group)).map((e) => text(e.data))).toEqual(['now with bob']);
    expect((await upgraded.read(classic.group))).toEqual([]);
    expect(await upgraded.members(classic.group)).toMatchObject({ pq: false, members: [alice.id, upgraded.id].sort() });
  });

  it('a peer opened with pq: false stays classic', async () => {
    const net = new MemoryNet();
    const store = new MemoryStore();
    expect((await open(net, 'bob', { pq: false, store })).hasPqPreKeys).toBe(false);
    const again = await Peer.open({ store, deps: defaultDeps(), pq: false });
    expect(again.hasPqPreKeys).toBe(false);
    expect(await again.sync()).toMatchObject({ processed: 0 });
    expect(again.hasPqPreKeys).toBe(false);
  });
});
