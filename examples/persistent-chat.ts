/**
 * A persistent three-person chat in Node with the Peer runtime: each person's
 * private state lives in its own SQLite file (`SqliteStore`), messages travel
 * through a shared folder (`FolderTransport`; any transport works). Bob then
 * closes his peer — a restart — and reopens it from the same file: his
 * identity, the group and its history are all still there, and he catches
 * up on what was said while he was away.
 *
 * Run: npx tsx examples/persistent-chat.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Peer } from 'groupcrypt/peer';
import { SqliteStore } from 'groupcrypt/store';
import { FolderTransport } from 'groupcrypt/transport';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'groupcrypt-chat-'));
  const shared = join(dir, 'net');
  // Each peer opens its own store file; the transport is a function of the peer's id (it writes only its own sub-folder).
  const open = async (name: string): Promise<Peer> => Peer.openOrCreate({
    store: await SqliteStore.open(join(dir, `${name}.db`)),
    transport: (self) => new FolderTransport({ root: shared, self }),
  }, { name });
  try {
    const alice = await open('alice');
    let bob = await open('bob');
    const carol = await open('carol');
    // Publish each profile (signed key bundle) and learn the others'.
    for (const p of [alice, bob, carol, alice]) await p.sync();

    const { group } = await alice.create('data', { members: [bob.id, carol.id] });
    await alice.send(group, bytes('hello from alice'));
    await bob.sync();
    await bob.send(group, bytes('bob here'));
    await carol.sync();
    await carol.send(group, bytes('carol too'));
    await bob.sync();
    console.log('bob reads before the restart:', (await bob.read(group)).map((e) => text(e.data)));

    // Restart: close Bob (store and transport), keep talking without him, reopen him from his file.
    const bobId = bob.id;
    await bob.close();
    await alice.sync();
    await alice.send(group, bytes('while bob was away'));
    bob = await open('bob');
    if (bob.id !== bobId) throw new Error('FAILED: bob got a new identity');
    const before = (await bob.read(group)).map((e) => text(e.data));
    await bob.sync();
    const after = (await bob.read(group)).map((e) => text(e.data));
    console.log('bob reads after the restart:', after);
    const members = await bob.members(group);

    const ok = ['hello from alice', 'bob here', 'carol too'].every((m) => before.includes(m))
      && after.includes('while bob was away') && members.members.length === 3;
    console.log(ok ? 'OK: Bob kept his identity and history across a restart and caught up.' : 'FAILED');
    for (const p of [alice, bob, carol]) await p.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
