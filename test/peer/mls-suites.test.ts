/**
 * MLS ciphersuites 1 and 3 side by side in the Peer: every MLS peer keeps a
 * key-package pool of each suite, a group runs on the suite it was created
 * with, members join from a key package of that suite, and syncs report
 * nothing skipped (each suite's key packages go to their own registry).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import { decodeSecretGroup } from '../../src/mls/index.js';
import { Peer } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('Peer: MLS ciphersuites 1 and 3', () => {
  it('a suite-3 group and a suite-1 group with the same members, each joined from its own key package', async () => {
    const net = new MemoryNet();
    net.live = false;
    const stores = [new MemoryStore(), new MemoryStore()];
    const [olivia, alice] = await Promise.all(['olivia', 'alice'].map((name, i) => Peer.create({
      store: stores[i] as MemoryStore, transport: (self) => new MemoryTransport(net, self),
    }, { name })));
    if (olivia === undefined || alice === undefined) throw new Error('setup');
    await alice.enableMls();
    const three = await olivia.create('mls', { mlsCiphersuite: 3, ltsCiphersuite: 3 });
    const one = await olivia.create('mls');
    expect((await olivia.sync()).skipped).toEqual([]);
    for (const info of [three, one]) await olivia.add(info.group, alice.id);
    await olivia.send(three.group, utf8('suite 3, long-term'));
    await olivia.send(three.group, utf8('suite 3, sender ratchet'), { secrets: 'sender_ratchet' });
    await olivia.send(one.group, utf8('suite 1'));
    expect((await alice.sync()).skipped).toEqual([]);
    for (const info of [three, one]) expect((await alice.members(info.group)).members).toEqual([olivia.id, alice.id].sort());
    expect((await alice.read(three.group)).map((e) => text(e.data))).toEqual(['suite 3, long-term', 'suite 3, sender ratchet']);
    expect((await alice.read(one.group)).map((e) => text(e.data))).toEqual(['suite 1']);
    await alice.send(three.group, utf8('back on suite 3'), { secrets: 'sender_ratchet' });
    expect((await olivia.sync()).skipped).toEqual([]);
    expect((await olivia.read(three.group)).map((e) => text(e.data))).toContain('back on suite 3');

    // the group documents name their suites; both pools exist in each home
    const doc3 = await (stores[0] as MemoryStore).load(`mlsdoc:${three.group}`);
    const doc1 = await (stores[0] as MemoryStore).load(`mlsdoc:${one.group}`);
    expect(decodeSecretGroup(doc3 as Uint8Array).mlsCiphersuite).toBe(3);
    expect(decodeSecretGroup(doc1 as Uint8Array).mlsCiphersuite).toBe(1);
    for (const store of stores) {
      expect(await store.load('mlskeys')).toBeInstanceOf(Uint8Array);
      expect(await store.load('mlskeys:3')).toBeInstanceOf(Uint8Array);
    }
    await expect(olivia.create('mls', { mlsCiphersuite: 2 })).rejects.toMatchObject({ code: 'USAGE_UNSUPPORTED' });
  });
});
