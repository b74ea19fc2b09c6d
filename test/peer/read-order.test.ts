/**
 * CLI.md "Order of read" through the Peer: one total order that extends
 * causality and depends only on the messages, whatever the arrival order.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(net: MemoryNet, name: string): Promise<Peer> {
  return Peer.create({ store: new MemoryStore(), deps: defaultDeps(), transport: (self) => new MemoryTransport(net, self) }, { name });
}

describe.each(['data', 'message'] as const)('read order through the Peer, %s scheme', (scheme) => {
  it('a late peer reads a turn-taking conversation in conversation order, as every writer does', async () => {
    const net = new MemoryNet();
    net.live = false;
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => open(net, n))) as [Peer, Peer, Peer, Peer];
    await alice.sync();
    const { group } = await alice.create(scheme);
    for (const p of [bob, carol, dave]) await alice.add(group, p.id);
    const writers = [bob, carol, alice];
    const said: string[] = [];
    for (let turn = 1; turn <= 7; turn++) {
      const writer = writers[turn % 3] as Peer;
      await writer.sync();
      const line = `turn ${turn}`;
      await writer.send(group, utf8(line));
      said.push(line);
    }
    for (const p of [alice, bob, carol, dave]) await p.sync();
    for (const p of [alice, bob, carol, dave]) await p.sync();
    const reads = await Promise.all([alice, bob, carol, dave].map(async (p) => (await p.read(group)).map((e) => text(e.data))));
    // dave synced only at the end: before the fix he read each sender's messages grouped together
    for (const read of reads) expect(read).toEqual(said);
    await Promise.all([alice, bob, carol, dave].map((p) => p.close()));
  });
});
