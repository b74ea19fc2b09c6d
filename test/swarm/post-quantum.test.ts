/**
 * `create --pq` in `serve --swarm` (issue 14): two serve processes on a
 * local testnet (loopback DHT only) run a post-quantum group: create, add,
 * a message each way, members say pq.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { type LocalTestnet, startTestnet } from '../transport/swarm-helpers.js';
import { SwarmPeer } from './serve-helpers.js';

describe('a post-quantum group between two serve processes', () => {
  let testnet: LocalTestnet;
  let root: string;
  let alice: SwarmPeer;
  let bob: SwarmPeer;

  beforeAll(async () => {
    ensureBuilt();
    testnet = await startTestnet(3);
    root = mkdtempSync(join(tmpdir(), 'gc-swarm-pq-'));
    const topic = `swarm-pq-${process.pid}-${Date.now()}`;
    alice = new SwarmPeer('alice', root, testnet.bootstrap, topic);
    bob = new SwarmPeer('bob', root, testnet.bootstrap, topic);
    alice.init();
    bob.init();
  });
  afterAll(async () => {
    await Promise.all([alice, bob].map((p) => (p?.proc === undefined ? undefined : p.signal('SIGKILL'))));
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('create --pq, add, send both ways', async () => {
    await Promise.all([alice.start(), bob.start()]);
    const [created] = await alice.cmd('create --pq --scheme data');
    expect(created).toMatchObject({ scheme: 'data', pq: true });
    const group = String(created?.['group']);
    await alice.proc?.waitFor(() => alice.events('peer').length >= 1, 30_000);
    expect(await alice.cmd(`add ${group} ${bob.id}`)).toEqual([{ group, op: 'add' }]);
    const both = [alice.id, bob.id].sort();
    const view = await bob.membersUntil(group, (v) => v.members.join() === both.join());
    expect(view).toMatchObject({ pq: true, removed: false });
    await alice.cmd(`send ${group} "pq over the swarm"`);
    await bob.readUntil(group, (t) => t.includes('pq over the swarm'));
    await bob.cmd(`send ${group} "pq reply"`);
    const read = await alice.readUntil(group, (t) => t.includes('pq reply'));
    expect(read.map((e) => e.data)).toEqual(['pq over the swarm', 'pq reply']);
    expect(await alice.stop()).toBe(0);
    expect(await bob.stop()).toBe(0);
  });
});
