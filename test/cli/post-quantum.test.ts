/**
 * `create --pq` over the shared folder (issue 14): a post-quantum group
 * works end to end through the built command (add, send, sync, read), its
 * JSON shapes only add `"pq":true`, and adding a classic-only home (one made
 * without ML-KEM pre-keys, as before post-quantum support) fails with exit 1
 * and a clear message, until that home runs a command and upgrades.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openHome } from '../../src/cli/index.js';
import { defaultDeps } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import { FolderTransport } from '../../src/transport/index.js';
import { Peer as CliPeer, ensureBuilt, groupOf, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const HEX64 = /^[0-9a-f]{64}$/;

/** Makes a home the way a groupcrypt without post-quantum support did: classic pre-keys only. */
async function classicHome(root: string, net: string, name: string): Promise<{ peer: CliPeer; id: string }> {
  const deps = defaultDeps();
  const dir = join(root, `home-${name}`);
  const home = await openHome(dir, true, { deps, passphrase: undefined, command: 'test classic init' });
  const transport = (self: string): FolderTransport => new FolderTransport({ root: net, self, crypto: deps.crypto });
  let id = '';
  try {
    const peer = await Peer.create({ store: home.store, deps, transport, pq: false }, { name });
    expect(peer.hasPqPreKeys).toBe(false);
    id = peer.id;
    await peer.close();
  } finally {
    await home.release();
  }
  return { peer: new CliPeer(dir, net), id };
}

describe('create --pq over the shared folder', () => {
  it('create --pq, add, send, sync, read; groups and members say pq', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const created = alice.peer.ok(['create', '--pq', '--scheme', 'message']);
    expect(created).toEqual([{ group: expect.stringMatching(HEX64), scheme: 'message', pq: true }]);
    const group = groupOf(created);
    expect(alice.peer.ok(['add', group, bob.id.slice(0, 8)])).toEqual([{ group, op: 'add' }]);
    expect(alice.peer.ok(['send', group, 'post-quantum hello'])).toEqual([{ group, bytes: 18 }]);
    const [report] = bob.peer.ok(['sync']) as { processed: number; pending: number; skipped: unknown[] }[];
    expect(report).toMatchObject({ pending: 0, skipped: [] });
    expect(bob.peer.ok(['members', group])).toEqual([{ group, pq: true, members: [alice.id, bob.id].sort(), removed: false }]);
    expect(bob.peer.ok(['groups'])).toEqual([{ group, scheme: 'message', pq: true, members: [alice.id, bob.id].sort(), removed: false }]);
    expect(bob.peer.ok(['send', group, 'reply'])).toEqual([{ group, bytes: 5 }]);
    alice.peer.ok(['sync']);
    const read = alice.peer.ok(['read', group]);
    expect(read).toEqual([
      { sender: alice.id, data: 'post-quantum hello', base64: Buffer.from('post-quantum hello').toString('base64') },
      { sender: bob.id, data: 'reply', base64: Buffer.from('reply').toString('base64') },
    ]);
    expect(bob.peer.ok(['read', group])).toEqual(read);
    // a classic group keeps its shapes exactly
    const classic = groupOf(alice.peer.ok(['create']));
    expect(alice.peer.ok(['members', classic])).toEqual([{ group: classic, members: [alice.id], removed: false }]);
  });

  it('adding a classic-only home fails with exit 1 and a clear message; after that home syncs it works', async () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const dave = await classicHome(root, net, 'dave');
    const group = groupOf(alice.peer.ok(['create', '--pq']));
    const refused = alice.peer.run(['add', group, dave.id]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/dave.*no post-quantum pre-keys/);
    expect(refused.json).toContainEqual({ error: { code: 'STATE_NO_BUNDLE', message: expect.stringMatching(/no post-quantum pre-keys/) } });
    expect(alice.peer.ok(['members', group])).toEqual([{ group, pq: true, members: [alice.id], removed: false }]);
    // a classic group takes dave as before
    const classic = groupOf(alice.peer.ok(['create']));
    expect(alice.peer.ok(['add', classic, dave.id])).toEqual([{ group: classic, op: 'add' }]);
    // dave's home gets ML-KEM pre-keys the next time it is used, and publishes them
    dave.peer.ok(['sync']);
    expect(alice.peer.ok(['add', group, dave.id])).toEqual([{ group, op: 'add' }]);
    alice.peer.ok(['send', group, 'welcome dave']);
    dave.peer.ok(['sync']);
    expect(dave.peer.ok(['read', group])).toEqual([{ sender: alice.id, data: 'welcome dave', base64: Buffer.from('welcome dave').toString('base64') }]);
  });

  it('--pq is a flag of create only', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    expect(alice.peer.run(['create', '--pq=yes']).status).toBe(2);
    expect(alice.peer.run(['sync', '--pq']).status).toBe(2);
    expect(alice.peer.run(['create', '--pq', '--pq']).status).toBe(2);
  });
});
