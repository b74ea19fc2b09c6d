/**
 * The Peer runtime over an in-memory store and net: operations and events,
 * one commit per change published after it, duplicates applied once,
 * messages out of order wait until causally ready, garbage skipped and
 * remembered by hash, a backlog applied in batches, associated data, and
 * signed pre-key rotation on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import type { PeerEvent } from '../../src/peer/index.js';
import type { Store, Transition } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { FolderTransport, MemoryNet, MemoryTransport } from '../../src/transport/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A MemoryStore that counts its commits. */
class CountingStore extends MemoryStore {
  commits = 0;
  override commit(transition: Transition): ReturnType<Store['commit']> {
    this.commits++;
    return super.commit(transition);
  }
}

async function open(net: MemoryNet, name: string, deps: Deps = defaultDeps(), extra: { batchSize?: number; rejectedRecords?: number } = {}): Promise<{ peer: Peer; store: CountingStore; events: PeerEvent[] }> {
  const store = new CountingStore();
  const peer = await Peer.create({ store, deps, transport: (self) => new MemoryTransport(net, self), ...extra }, { name });
  const events: PeerEvent[] = [];
  peer.on((event) => events.push(event));
  return { peer, store, events };
}

describe('Peer over an in-memory net', () => {
  it('create, add, send with associated data; the other peer reads it with events, in order', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.sync();
    expect((await alice.peer.peers()).map((p) => p.name).sort()).toEqual(['alice', 'bob']);
    expect(alice.events).toContainEqual({ type: 'peer', id: bob.peer.id, name: 'bob' });
    const { group } = await alice.peer.create('data');
    await alice.peer.add(group, bob.peer.id);
    await alice.peer.send(group, utf8('one'), { ad: utf8('doc-1') });
    await alice.peer.send(group, utf8('two'));
    const report = await bob.peer.sync();
    expect(report.processed).toBeGreaterThanOrEqual(3);
    expect(report.skipped).toEqual([]);
    const read = await bob.peer.read(group);
    expect(read.map((e) => [e.sender, text(e.data), e.ad === null ? null : text(e.ad)])).toEqual([
      [alice.peer.id, 'one', 'doc-1'],
      [alice.peer.id, 'two', null],
    ]);
    expect(bob.events.filter((e) => e.type === 'message').map((e) => e.type === 'message' && text(e.data))).toEqual(['one', 'two']);
    expect(bob.events).toContainEqual({ type: 'members', group, members: [alice.peer.id, bob.peer.id].sort(), removed: false });
    expect(await bob.peer.members(group.slice(0, 8))).toMatchObject({ group, members: [alice.peer.id, bob.peer.id].sort(), removed: false, pending: 0 });
    expect((await alice.peer.read(group)).map((e) => text(e.data))).toEqual(['one', 'two']);
  });

  it('every operation is one commit, and what it sends is published only after that commit', async () => {
    const net = new MemoryNet();
    const alice = await open(net, 'alice');
    const published: number[] = [];
    const realPublish = alice.peer.transport?.publish.bind(alice.peer.transport);
    if (alice.peer.transport === undefined || realPublish === undefined) throw new Error('no transport');
    alice.peer.transport.publish = async (kind, bytes) => {
      published.push(alice.store.commits);
      return realPublish(kind, bytes);
    };
    const before = alice.store.commits;
    const { group } = await alice.peer.create('message');
    expect(alice.store.commits).toBe(before + 1);
    expect(published).toEqual([before + 1]);
    await alice.peer.send(group, utf8('x'));
    expect(alice.store.commits).toBe(before + 2);
    expect(published).toEqual([before + 1, before + 2]);
  });

  it('live: messages arrive by themselves; duplicates and reordering change nothing', async () => {
    const net = new MemoryNet();
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.start();
    await bob.peer.start();
    await alice.peer.idle();
    const { group } = await alice.peer.create('message');
    await alice.peer.add(group, bob.peer.id);
    for (const word of ['a', 'b', 'c']) await alice.peer.send(group, utf8(word));
    for (let i = 0; i < 20 && (await bob.peer.read(group).catch(() => [])).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await bob.peer.idle();
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(['a', 'b', 'c']);
    // a third peer gets everything in reverse order, each twice
    const carol = await open(net, 'carol');
    await carol.peer.sync();
    await alice.peer.sync();
    await alice.peer.add(group, carol.peer.id);
    await alice.peer.send(group, utf8('for carol'));
    const items = [...net.items.values()].filter((i) => i.kind === 'msg').reverse();
    const lateNet = new MemoryNet();
    lateNet.live = false;
    for (const item of [...items, ...items]) lateNet.add(item, undefined);
    const carol2 = await Peer.open({ store: carol.store, transport: (self) => new MemoryTransport(lateNet, self) });
    const first = await carol2.sync();
    // message scheme: what alice wrote before carol joined stays unreadable to her, reported once
    expect(first.skipped.map((s) => s.reason.split(':')[0])).toEqual(['STATE_WINDOW_BEHIND', 'STATE_WINDOW_BEHIND', 'STATE_WINDOW_BEHIND']);
    expect((await carol2.read(group)).map((e) => text(e.data))).toEqual(['for carol']);
    const again = await carol2.sync();
    expect(again).toEqual({ processed: 0, pending: 0, notForMe: 0, skipped: [] });
    expect((await carol2.read(group)).map((e) => text(e.data))).toEqual(['for carol']);
  });

  it('garbage is skipped, never fatal, and remembered by its hash (not read again)', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const { group } = await alice.peer.create('data');
    const junk = net.inject('msg', utf8('not a message'));
    const forged = net.inject('msg', encodeCanonical({ v: 1, group: new Uint8Array(32), scheme: 'data', control: true, bundle: new Uint8Array([0x83, 0, 0, 0]) }));
    const bundleJunk = net.inject('bundle', utf8('not a profile'));
    const first = await alice.peer.sync();
    expect(first.skipped.length).toBe(3);
    expect(alice.events.filter((e) => e.type === 'skipped').length).toBe(3);
    const second = await alice.peer.sync();
    expect(second.skipped).toEqual([]);
    expect(await alice.store.isProcessed(`bad:${junk}`)).toBe(true);
    expect(await alice.store.isProcessed(`bad:${forged}`)).toBe(true);
    expect(await alice.store.isProcessed(`bad:${bundleJunk}`)).toBe(true);
    expect((await alice.peer.members(group)).members).toEqual([alice.peer.id]);
  });

  it('rejected() keeps the latest `rejectedRecords`; the items dropped from it stay settled', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', defaultDeps(), { rejectedRecords: 3 });
    const first = [net.inject('msg', utf8('junk 0')), net.inject('msg', utf8('junk 1'))];
    await alice.peer.sync();
    expect((await alice.peer.rejected()).map((r) => r.id).sort()).toEqual([...first].sort());
    // three more, in two syncs (two commits): the two oldest records go, in the order they came
    const later = [net.inject('msg', utf8('junk 2')), net.inject('msg', utf8('junk 3'))];
    await alice.peer.sync();
    const last = net.inject('msg', utf8('junk 4'));
    expect((await alice.peer.sync()).skipped).toHaveLength(1);
    const kept = (await alice.peer.rejected()).map((r) => r.id);
    expect(kept).toEqual([...later, last].sort());
    expect((await alice.peer.rejected()).every((r) => /DECODE/.test(r.reason))).toBe(true);
    // the dropped ones are still settled: not read again, and only three records (and their queue) remain
    expect((await alice.peer.sync()).skipped).toEqual([]);
    expect(await alice.store.isProcessed(`bad:${first[0] as string}`)).toBe(true);
    expect(await alice.store.names('rejected:')).toHaveLength(3);
    expect(await alice.store.names('rejectedq:')).toHaveLength(3);
    // more than the limit in one commit keeps the last three of it
    const burst = Array.from({ length: 5 }, (_, i) => net.inject('msg', utf8(`burst ${i}`)));
    await alice.peer.sync();
    const afterBurst = (await alice.peer.rejected()).map((r) => r.id);
    expect(afterBurst).toHaveLength(3);
    expect(afterBurst.every((id) => burst.includes(id))).toBe(true);
    expect(await alice.store.names('rejectedq:')).toHaveLength(3);
  });

  it('a backlog is applied in batches: one commit per batch, and a late joiner reads it oldest first', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob', defaultDeps(), { batchSize: 10 });
    await alice.peer.sync();
    const { group } = await alice.peer.create('data');
    for (let i = 0; i < 35; i++) await alice.peer.send(group, utf8(`m${i}`));
    await alice.peer.add(group, bob.peer.id);
    const messages = [...net.items.values()].filter((i) => i.kind === 'msg').length;
    const before = bob.store.commits;
    const report = await bob.peer.sync();
    expect(report.processed).toBe(messages);
    // bundles (1) + ceil(messages / 10) batches + the key maintenance check (none due)
    expect(bob.store.commits - before).toBe(1 + Math.ceil(messages / 10));
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(Array.from({ length: 35 }, (_, i) => `m${i}`));
  });
});

describe('own store failures are not blamed on messages', () => {
  it('a group state this version cannot decode fails the sync and no message is remembered as bad', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.sync();
    const { group } = await alice.peer.create('data');
    await alice.peer.add(group, bob.peer.id);
    await bob.peer.sync();
    await alice.peer.send(group, utf8('while bob is broken'));
    // a newer version wrote bob's group state (version 99): reopen so nothing is cached
    await bob.store.commit({ states: { [`group:${group}`]: encodeCanonical({ v: 99 }) } });
    const reopened = await Peer.open({ store: bob.store, transport: (self) => new MemoryTransport(net, self) });
    await expect(reopened.sync()).rejects.toMatchObject({ code: 'STORE_VERSION_UNSUPPORTED' });
    expect(await bob.store.processedIds?.('bad:')).toEqual([]);
  });
});

describe('bounded memory', () => {
  it('with no memory budget a backlog keeps only ids and order keys and reads each file again when applying it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-peer-budget-'));
    const folder = (self: string): FolderTransport => new FolderTransport({ root, self });
    const alice = await Peer.create({ store: new MemoryStore(), transport: folder }, { name: 'alice' });
    const bob = await Peer.create({ store: new MemoryStore(), transport: folder, memoryBudgetBytes: 0, batchSize: 4 }, { name: 'bob' });
    await alice.sync();
    const { group } = await alice.create('message');
    await alice.add(group, bob.id);
    for (let i = 0; i < 9; i++) await alice.send(group, utf8(`m${i}`));
    let fetched = 0;
    const transport = bob.transport as FolderTransport;
    const fetch = transport.fetch.bind(transport);
    transport.fetch = async (item) => {
      fetched++;
      return fetch(item);
    };
    const report = await bob.sync();
    expect(report.skipped).toEqual([]);
    // every message read twice (scan, then apply), alice's profile once
    expect(fetched).toBe(2 * report.processed + 1);
    expect((await bob.read(group)).map((e) => text(e.data))).toEqual(Array.from({ length: 9 }, (_, i) => `m${i}`));
  });
});

describe('signed pre-key hygiene', () => {
  it('rotates weekly on sync, publishes the new bundle, deletes the old secret after the grace period', async () => {
    let now = 1_800_000_000;
    const deps = defaultDeps({ now: () => now });
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', deps);
    const bob = await open(net, 'bob', deps);
    expect(alice.peer.signedPreKeyIds).toEqual([0]);
    await alice.peer.sync();
    expect(alice.peer.signedPreKeyIds).toEqual([0]);
    const bundlesBefore = [...net.items.values()].filter((i) => i.kind === 'bundle').length;
    now += 7 * 24 * 3600 + 1;
    await alice.peer.sync();
    expect(alice.peer.signedPreKeyIds).toEqual([0, 1]);
    expect([...net.items.values()].filter((i) => i.kind === 'bundle').length).toBe(bundlesBefore + 1);
    // bob adopts the new bundle and can still add alice (X3DH against the new pre-key)
    await bob.peer.sync();
    const { group } = await bob.peer.create('message');
    await bob.peer.add(group, alice.peer.id);
    await bob.peer.send(group, utf8('after rotation'));
    now += 3 * 24 * 3600;
    await alice.peer.sync();
    expect(alice.peer.signedPreKeyIds).toEqual([0, 1]);
    expect((await alice.peer.read(group)).map((e) => text(e.data))).toEqual(['after rotation']);
    now += 4 * 24 * 3600 + 1;
    await alice.peer.sync();
    // a week after pre-key 1 was made: 1 is rotated out by 2, and 0 (superseded a week ago) is deleted
    expect(alice.peer.signedPreKeyIds).toEqual([1, 2]);
  });
});
