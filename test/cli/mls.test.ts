/**
 * An MLS Secret Group through the built command over a shared folder: the
 * owner creates and adds, a member's add is a pending proposal the owner
 * commits when it syncs, both secret kinds are read, a removed member learns
 * it, a late joiner reads the long-term history; usage errors exit 2.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, groupOf, Peer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const HEX64 = /^[0-9a-f]{64}$/;

function mlsPeer(root: string, net: string, name: string): { peer: Peer; id: string } {
  const peer = new Peer(join(root, `home-${name}`), net);
  const [info] = peer.ok(['init', '--name', name, '--mls']) as { id: string }[];
  return { peer, id: (info as { id: string }).id };
}

const texts = (lines: unknown[]): string[] => lines.map((l) => (l as { data: string }).data);

describe('MLS Secret Group through the command', () => {
  it('owner and members: proposal committed, both secret kinds, removal learned, late joiner reads the history', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    const alice = mlsPeer(root, net, 'alice');
    const bob = mlsPeer(root, net, 'bob');
    const carol = mlsPeer(root, net, 'carol');

    const created = olivia.peer.ok(['create', '--scheme', 'mls', '--lts-suite', '3', '--mls-suite', '1']);
    expect(created).toEqual([{ group: expect.stringMatching(HEX64), scheme: 'mls' }]);
    const group = groupOf(created);
    expect(olivia.peer.ok(['add', group, alice.id.slice(0, 8)])).toEqual([{ group, op: 'add' }]);
    expect(olivia.peer.ok(['send', group, 'welcome (long-term)'])).toEqual([{ group, bytes: 19 }]);
    alice.peer.ok(['sync']);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: [olivia.id, alice.id].sort(), removed: false, owner: olivia.id, pending: [] }]);
    alice.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'hi (sender ratchet)']);

    // a member's add: pending until the owner syncs and commits it
    alice.peer.ok(['add', group, bob.id]);
    expect(alice.peer.ok(['members', group])).toEqual([{
      group, members: [olivia.id, alice.id].sort(), removed: false, owner: olivia.id, pending: [{ action: 'add', subject: bob.id, from: alice.id }],
    }]);
    olivia.peer.ok(['sync']);
    bob.peer.ok(['sync']);
    alice.peer.ok(['sync']);
    const three = [olivia.id, alice.id, bob.id].sort();
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
    expect(bob.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
    bob.peer.ok(['send', group, 'bob (long-term)']);
    olivia.peer.ok(['sync']);
    expect(texts(olivia.peer.ok(['read', group]))).toEqual(['welcome (long-term)', 'hi (sender ratchet)', 'bob (long-term)']);
    expect(texts(bob.peer.ok(['read', group]))).toEqual(['welcome (long-term)', 'bob (long-term)']);

    // removal: Bob learns it and keeps working
    olivia.peer.ok(['remove', group, bob.id]);
    olivia.peer.ok(['send', group, 'after bob']);
    bob.peer.ok(['sync']);
    expect(bob.peer.ok(['members', group])).toEqual([{ group, members: [olivia.id, alice.id].sort(), removed: true, owner: olivia.id, pending: [] }]);
    expect(texts(bob.peer.ok(['read', group]))).not.toContain('after bob');
    expect(bob.peer.ok(['groups'])).toMatchObject([{ group, scheme: 'mls', removed: true }]);

    // Carol, a late joiner, reads the long-term history
    olivia.peer.ok(['add', group, carol.id]);
    carol.peer.ok(['sync']);
    // history a late joiner reads in bulk comes in the folder's order (no order across senders is signed into long-term messages)
    expect(texts(carol.peer.ok(['read', group])).sort()).toEqual(['after bob', 'bob (long-term)', 'welcome (long-term)']);

    // ownership transfer: Alice owns the group and commits from then on
    expect(olivia.peer.ok(['handover', group, alice.id])).toEqual([{ group, op: 'handover', owner: alice.id }]);
    alice.peer.ok(['sync']);
    alice.peer.ok(['remove', group, olivia.id]);
    carol.peer.ok(['sync']);
    expect(carol.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, carol.id].sort(), removed: false, owner: alice.id, pending: [] }]);
  }, 120_000);

  it('bad MLS options are usage errors (exit 2)', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    expect(olivia.peer.run(['create', '--scheme', 'mls', '--lts-suite', '4']).status).toBe(2);
    expect(olivia.peer.run(['create', '--scheme', 'data', '--lts-suite', '1']).status).toBe(2);
    expect(olivia.peer.run(['create', '--scheme', 'mls', '--mls-suite', '2']).status).toBe(1);
  }, 60_000);
});
