/**
 * Deleted secrets do not survive in the store's files (CLI.md "Home
 * folders", issue 18): after `forgetSecrets` (data-scheme group secrets)
 * and after message keys were used (message scheme: the chain keys that
 * derived them are dropped), a byte scan of the SQLite file and its WAL
 * finds none of the deleted values. Each value is first found in the files
 * while it is live, so the scan can see it.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDeps, utf8 } from '../../src/crypto/index.js';
import type { GroupState } from '../../src/group/index.js';
import { decodeGroupState } from '../../src/group/index.js';
import { Peer } from '../../src/peer/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

const deps = defaultDeps();

/** The raw bytes of the database and its WAL. */
function fileBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

function found(haystack: Buffer, needles: readonly Uint8Array[]): number {
  return needles.filter((n) => haystack.includes(Buffer.from(n))).length;
}

async function openPeer(path: string, net: MemoryNet, name?: string): Promise<Peer> {
  const store = await SqliteStore.open(path, { crypto: deps.crypto });
  const options = { store, deps, transport: (self: string) => new MemoryTransport(net, self) };
  return name === undefined ? Peer.open(options) : Peer.create(options, { name });
}

/** Reads a group state straight from a closed peer's database. */
async function stateOf(path: string, group: string): Promise<GroupState> {
  const store = await SqliteStore.open(path, { crypto: deps.crypto });
  try {
    return decodeGroupState((await store.load(`group:${group}`)) as Uint8Array, deps);
  } finally {
    await store.close();
  }
}

describe('secrets at rest', () => {
  it('data scheme: group secrets deleted by forgetSecrets are gone from the database file and WAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-at-rest-'));
    const net = new MemoryNet();
    const path = join(dir, 'alice.db');
    let alice = await openPeer(path, net, 'alice');
    const { group } = await alice.create('data');
    for (let i = 0; i < 6; i++) {
      await alice.update(group);
      await alice.send(group, utf8(`message ${i}`));
    }
    await alice.close();
    const secrets = Object.values((await stateOf(path, group)).data?.secrets ?? {});
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const latest = secrets.reduce((a, b) => (b.epoch > a.epoch ? b : a));
    const doomed = secrets.filter((s) => s !== latest).map((s) => new Uint8Array(s.value));
    expect(found(fileBytes(path), doomed)).toBe(doomed.length);
    alice = await openPeer(path, net);
    expect(await alice.forgetSecrets(group, { allButLatest: true })).toBe(doomed.length);
    // while the store is open (what a thief copying the files of a running peer gets), and after it closed
    expect(found(fileBytes(path), doomed)).toBe(0);
    await alice.close();
    expect(found(fileBytes(path), doomed)).toBe(0);
    expect(found(fileBytes(path), [latest.value])).toBe(1);
  });

  it('message scheme: chain keys dropped once their message keys were used are gone from the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-at-rest-'));
    const net = new MemoryNet();
    net.live = false;
    const alicePath = join(dir, 'alice.db');
    const bobPath = join(dir, 'bob.db');
    const alice = await openPeer(alicePath, net, 'alice');
    let bob = await openPeer(bobPath, net, 'bob');
    await alice.sync();
    const { group } = await alice.create('message');
    await alice.add(group, bob.id);
    await bob.sync();
    await alice.sync();
    await bob.close();
    const chainsBefore = (await stateOf(bobPath, group)).message?.chains[alice.id] ?? [];
    const oldKeys = chainsBefore.map((c) => new Uint8Array(c.chain));
    expect(oldKeys.length).toBeGreaterThan(0);
    expect(found(fileBytes(bobPath), oldKeys)).toBe(oldKeys.length);
    for (let i = 0; i < 5; i++) await alice.send(group, utf8(`to bob ${i}`));
    bob = await openPeer(bobPath, net);
    await bob.sync();
    expect((await bob.read(group)).length).toBe(5);
    expect(found(fileBytes(bobPath), oldKeys)).toBe(0);
    await bob.close();
    await alice.close();
    expect(found(fileBytes(bobPath), oldKeys)).toBe(0);
  });
});
