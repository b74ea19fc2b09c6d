/**
 * A batch that holds both the commit removing a peer and a message sent to
 * it in the epoch before (by a member who had not seen the removal yet):
 * the removed peer reads the message whatever the order the transport
 * delivers them in, because messages of the current epoch are applied before
 * commits move it on.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('Peer (MLS): messages of the current epoch before commits', () => {
  it('a removed peer reads what was sent to it just before its removal, published after the removal commit', async () => {
    const net = new MemoryNet();
    net.live = false;
    const open = (name: string): Promise<Peer> => Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) }, { name });
    const olivia = await open('olivia');
    const alice = await open('alice');
    const bob = await open('bob');
    for (const p of [alice, bob]) await p.enableMls();
    const { group } = await olivia.create('mls');
    await olivia.sync();
    await olivia.add(group, alice.id);
    await olivia.add(group, bob.id);
    await alice.sync();
    await bob.sync();
    await olivia.handover(group, alice.id);
    await alice.sync();
    await bob.sync();
    // alice (owner) removes olivia; then bob, who has not seen it, writes to the epoch olivia is still in
    await alice.remove(group, olivia.id);
    await bob.send(group, utf8('bob, before he saw the removal'), { secrets: 'sender_ratchet' });
    const report = await olivia.sync();
    expect(report.skipped).toEqual([]);
    expect((await olivia.members(group)).removed).toBe(true);
    expect((await olivia.read(group)).map((e) => text(e.data))).toContain('bob, before he saw the removal');
  });
});
