/**
 * Bounded processed ids on a shared folder (issue 12): file names carry the
 * writer's seq, so a Peer over the real folder transport keeps one settled
 * mark per peer folder instead of one processed id per file — through a
 * restart, and without losing a file that shares a settled seq (a copy, a
 * forgery, a writer that counted again).
 */
import { copyFileSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDeps, utf8 } from '../../src/crypto/index.js';
import { Peer } from '../../src/peer/index.js';
import { marksOf, rows, talkInRounds } from './marks-helpers.js';
import type { PeerEvent } from '../../src/peer/index.js';
import { settledBelow } from '../../src/peer/log-marks.js';
import { SqliteStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { FolderTransport, folderLog, parseFolderFileName } from '../../src/transport/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(root: string, net: string, name: string): Promise<{ peer: Peer; store: Store; path: string; events: PeerEvent[] }> {
  const path = join(root, `${name}.db`);
  const store = await SqliteStore.open(path);
  const peer = await Peer.create({ store, deps: defaultDeps(), transport: (self) => new FolderTransport({ root: net, self }) }, { name });
  const events: PeerEvent[] = [];
  peer.on((event) => events.push(event));
  return { peer, store, path, events };
}

/** A peer folder's file names, by seq. */
const filesOf = (net: string, id: string): string[] => readdirSync(join(net, id)).sort((a, b) => (parseFolderFileName(a)?.seq ?? 0) - (parseFolderFileName(b)?.seq ?? 0));

/** Alice and bob on a fresh shared folder, in a group alice created and added bob to. */
async function pairInGroup(scheme: 'message' | 'data'): Promise<{ net: string; alice: Awaited<ReturnType<typeof open>>; bob: Awaited<ReturnType<typeof open>>; group: string }> {
  const root = mkdtempSync(join(tmpdir(), 'gc-folder-marks-'));
  const net = join(root, 'net');
  const alice = await open(root, net, 'alice');
  const bob = await open(root, net, 'bob');
  await alice.peer.sync();
  const { group } = await alice.peer.create(scheme);
  await alice.peer.add(group, bob.peer.id);
  return { net, alice, bob, group };
}

describe('a Peer over a shared folder', () => {
  it('keeps a handful of processed ids through hundreds of files, and a restart reads nothing again', async () => {
    const { net, alice, bob, group } = await pairInGroup('message');
    await bob.peer.sync();
    await talkInRounds(alice.peer, bob.peer, group);
    const read = (await bob.peer.read(group)).map((e) => text(e.data));
    expect(read).toHaveLength(200);
    // one mark per peer folder, over every file in it; alice's 100 messages and bob's own 100 left no rows
    const marks = await marksOf(bob.store);
    expect(settledBelow(marks, folderLog(alice.peer.id))).toBe(filesOf(net, alice.peer.id).length);
    expect(settledBelow(marks, folderLog(bob.peer.id))).toBe(filesOf(net, bob.peer.id).length);
    expect(filesOf(net, alice.peer.id).length).toBeGreaterThan(100);
    expect(await rows(bob.store)).toBeLessThanOrEqual(2);
    expect(await rows(alice.store)).toBeLessThanOrEqual(2);
    // a restart reads nothing again
    await bob.peer.close();
    const again = await Peer.open({ store: await SqliteStore.open(bob.path), deps: defaultDeps(), transport: (self) => new FolderTransport({ root: net, self }) });
    const report = await again.sync();
    expect(report.processed).toBe(0);
    expect(report.skipped).toEqual([]);
    expect((await again.read(group)).map((e) => text(e.data))).toEqual(read);
    await again.close();
    await alice.peer.close();
  });

  it('a file at a seq the mark passed is still read when another name claims that seq; what was settled shows once', async () => {
    const { net, alice, bob, group } = await pairInGroup('data');
    for (let i = 0; i < 5; i++) await alice.peer.send(group, utf8(`m${i}`));
    await bob.peer.sync();
    await bob.peer.sync();
    const aliceLog = folderLog(alice.peer.id);
    const passed = settledBelow(await marksOf(bob.store), aliceLog);
    expect(passed).toBe(filesOf(net, alice.peer.id).length);
    // alice's next message lands at a seq bob's mark passed (as from a writer restored from an old backup)
    await alice.peer.send(group, utf8('late, at an old seq'));
    const newest = filesOf(net, alice.peer.id).at(-1) as string;
    const parsed = parseFolderFileName(newest);
    expect(parsed?.seq).toBe(passed);
    renameSync(join(net, alice.peer.id, newest), join(net, alice.peer.id, `${passed - 2}-${parsed?.id as string}.msg`));
    // and a copy of an old message of alice's sits in bob's folder at a seq bob's mark passed too
    const old = filesOf(net, alice.peer.id)[passed - 3] as string;
    copyFileSync(join(net, alice.peer.id, old), join(net, bob.peer.id, `0-${parseFolderFileName(old)?.id as string}.msg`));
    const count = (type: PeerEvent['type']): number => bob.events.filter((e) => e.type === type).length;
    const before = { messages: count('message'), members: count('members') };
    // the two re-read files count as processed (the group state takes them as the replays they are), nothing is reported
    const report = await bob.peer.sync();
    expect(report.skipped).toEqual([]);
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'late, at an old seq']);
    expect({ messages: count('message'), members: count('members') }).toEqual({ messages: before.messages + 1, members: before.members });
    // the contested seqs are checked by content hash from now on: the next sync reads nothing
    const next = await bob.peer.sync();
    expect(next.processed).toBe(0);
    expect(next.skipped).toEqual([]);
    expect(await rows(bob.store)).toBeLessThanOrEqual(6);
    await alice.peer.close();
    await bob.peer.close();
  });
});
