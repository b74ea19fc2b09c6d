/**
 * Bounded processed ids on a log transport (issue 12): the settled marks
 * (src/peer/log-marks.ts) and a Peer over a net of logs keeping one mark
 * per log instead of one processed id per item — through restarts, gaps,
 * live arrivals and replays of the same bytes elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, utf8 } from '../../src/crypto/index.js';
import { DecodeError } from '../../src/errors.js';
import { Peer } from '../../src/peer/index.js';
import { marksOf, rows, talkInRounds } from './marks-helpers.js';
import type { PeerEvent } from '../../src/peer/index.js';
import { MAX_ABOVE, NO_MARKS, decodeLogMark, encodeLogMark, isSettled, movedLogs, settle, settledBelow } from '../../src/peer/log-marks.js';
import type { LogMarks } from '../../src/peer/log-marks.js';
import { MemoryStore, SqliteStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';
import type { TransportItem } from '../../src/transport/index.js';

const hash = (n: number): string => n.toString(16).padStart(64, '0');
const settleAt = (marks: LogMarks, position: { log: string; seq: number }, h: string): ReturnType<typeof settle> => settle(marks, [[position, h]]);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('settled marks', () => {
  it('a mark moves only over a contiguous prefix, and hands back the hashes it passed', () => {
    let marks: LogMarks = NO_MARKS;
    let step = settleAt(marks, { log: 'a', seq: 1 }, hash(1));
    marks = step.marks;
    expect(step.passed).toEqual([]);
    expect(settledBelow(marks, 'a')).toBe(0);
    expect(isSettled(marks, { log: 'a', seq: 1 })).toBe(true);
    expect(isSettled(marks, { log: 'a', seq: 0 })).toBe(false);
    step = settleAt(marks, { log: 'a', seq: 3 }, hash(3));
    marks = step.marks;
    step = settleAt(marks, { log: 'a', seq: 0 }, hash(0));
    marks = step.marks;
    expect(step.passed).toEqual([hash(0), hash(1)]);
    expect(settledBelow(marks, 'a')).toBe(2);
    expect(marks.get('a')?.above).toEqual(new Map([[3, hash(3)]]));
    step = settleAt(marks, { log: 'a', seq: 2 }, hash(2));
    expect(step.passed).toEqual([hash(2), hash(3)]);
    expect(settledBelow(step.marks, 'a')).toBe(4);
    expect(step.marks.get('a')?.above.size).toBe(0);
    // other logs untouched, the input never changed
    expect(settledBelow(step.marks, 'b')).toBe(0);
    expect(settledBelow(marks, 'a')).toBe(2);
  });

  it('settling a block again changes nothing (same marks object)', () => {
    const once = settleAt(NO_MARKS, { log: 'a', seq: 0 }, hash(0)).marks;
    expect(settleAt(once, { log: 'a', seq: 0 }, hash(0))).toEqual({ marks: once, passed: [] });
    const above = settleAt(once, { log: 'a', seq: 2 }, hash(2)).marks;
    expect(settleAt(above, { log: 'a', seq: 2 }, hash(2)).marks).toBe(above);
  });

  it('settles many blocks in one call, in any order, and leaves a log whose gap would hold too many', () => {
    const blocks = [5, 3, 0, 4, 1].map((seq) => [{ log: 'a', seq }, hash(seq)] as const);
    const once = settle(NO_MARKS, [...blocks, [{ log: 'b', seq: 1 }, hash(1)]]);
    expect(once.passed).toEqual([hash(0), hash(1)]);
    expect(settledBelow(once.marks, 'a')).toBe(2);
    expect([...(once.marks.get('a')?.above.keys() ?? [])].sort()).toEqual([3, 4, 5]);
    expect(settledBelow(once.marks, 'b')).toBe(0);
    expect(settle(once.marks, [[{ log: 'a', seq: 2 }, hash(2)]]).passed).toEqual([2, 3, 4, 5].map(hash));
    expect(settle(once.marks, blocks)).toEqual({ marks: once.marks, passed: [] });
    // above a gap, at most MAX_ABOVE blocks are remembered per log; beyond, that log stays as it was
    const many = Array.from({ length: MAX_ABOVE + 1 }, (_, i) => [{ log: 'c', seq: i + 1 }, hash(i + 1)] as const);
    const full = settle(once.marks, [...many, [{ log: 'a', seq: 2 }, hash(2)]]);
    expect(full.marks.get('c')).toBeUndefined();
    expect(settledBelow(full.marks, 'a')).toBe(6);
    expect(full.passed).toEqual([2, 3, 4, 5].map(hash));
  });

  it('a log\'s mark round-trips through its encoding, in a canonical form; only moved logs are listed to write', () => {
    let marks: LogMarks = NO_MARKS;
    for (const [log, seq] of [['b', 0], ['a', 5], ['a', 0], ['a', 2], ['b', 1]] as const) marks = settleAt(marks, { log, seq }, hash(seq)).marks;
    const a = marks.get('a');
    if (a === undefined) throw new Error('no mark');
    const bytes = encodeLogMark(a);
    const back = decodeLogMark(bytes);
    expect(back).toEqual(a);
    expect(encodeLogMark(back)).toEqual(bytes);
    expect(back.settled).toBe(1);
    expect([...back.above.keys()]).toEqual([2, 5]);
    expect(movedLogs(NO_MARKS, marks)).toEqual(['a', 'b']);
    const next = settleAt(marks, { log: 'a', seq: 1 }, hash(1)).marks;
    expect(movedLogs(marks, next)).toEqual(['a']);
    expect(movedLogs(next, next)).toEqual([]);
  });

  it('refuses malformed marks, naming what is wrong', async () => {
    const { encodeCanonical } = await import('../../src/crypto/index.js');
    const bad = (value: unknown, pattern: RegExp): void => {
      let error: unknown;
      try {
        decodeLogMark(encodeCanonical(value));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as Error).message).toMatch(pattern);
    };
    bad([1, 0], /expected \[version, settled, above\]/);
    bad([2, 0, []], /version 2/);
    bad([1, -1, []], /settled/);
    bad([1, 1.5, []], /settled/);
    bad([1, 0, {}], /above/);
    bad([1, 2, [[2, hash(2)]]], /above the mark/);
    bad([1, 0, [[3, hash(3)], [2, hash(2)]]], /sorted/);
    bad([1, 0, [[3, hash(3)], [3, hash(3)]]], /sorted/);
    bad([1, 0, [[3, 'zz']]], /hash/);
    bad([1, 0, [[3, hash(3).toUpperCase().replace(/0/g, 'A')]]], /hash/);
    bad([1, 0, [[3]]], /\[seq, hash\]/);
    expect(decodeLogMark(encodeCanonical([1, 0, [[1, hash(1)]]]))).toEqual({ settled: 0, above: new Map([[1, hash(1)]]) });
  });
});

/** A peer over `net` with its own memory store. */
async function open(net: MemoryNet, name: string, store: Store = new MemoryStore()): Promise<{ peer: Peer; store: Store; events: PeerEvent[] }> {
  const peer = await Peer.create({ store, deps: defaultDeps(), transport: (self) => new MemoryTransport(net, self) }, { name });
  const events: PeerEvent[] = [];
  peer.on((event) => events.push(event));
  return { peer, store, events };
}

async function reopen(net: MemoryNet, path: string): Promise<Peer> {
  return Peer.open({ store: await SqliteStore.open(path), deps: defaultDeps(), transport: (self) => new MemoryTransport(net, self) });
}


describe('a Peer over a net of logs', () => {
  it('keeps a handful of processed ids through hundreds of messages, and a restart applies nothing again', async () => {
    const logs = new MemoryNet({ logs: true });
    const plain = new MemoryNet();
    const result: Record<string, number> = {};
    for (const [label, net] of [['logs', logs], ['plain', plain]] as const) {
      net.live = false;
      const alice = await open(net, 'alice');
      const bobPath = join(mkdtempSync(join(tmpdir(), 'gc-marks-')), 'bob.db');
      const bob = await open(net, 'bob', await SqliteStore.open(bobPath));
      await alice.peer.sync();
      const { group } = await alice.peer.create('message');
      await alice.peer.add(group, bob.peer.id);
      await bob.peer.sync();
      await talkInRounds(alice.peer, bob.peer, group);
      expect((await bob.peer.read(group)).length).toBe(200);
      result[label] = await rows(bob.store);
      if (label === 'logs') {
        const marks = await marksOf(bob.store);
        // every block of both logs is settled: one number per log
        expect(settledBelow(marks, alice.peer.id)).toBe([...net.items.values()].filter((i) => i.position?.log === alice.peer.id).length);
        expect(settledBelow(marks, bob.peer.id)).toBe([...net.items.values()].filter((i) => i.position?.log === bob.peer.id).length);
        // a restart reads nothing again: nothing applied, the history unchanged
        const before = (await bob.peer.read(group)).map((e) => text(e.data));
        await bob.peer.close();
        const again = await reopen(net, bobPath);
        const report = await again.sync();
        expect(report.processed).toBe(0);
        expect(report.skipped).toEqual([]);
        expect((await again.read(group)).map((e) => text(e.data))).toEqual(before);
        await again.close();
      } else {
        await bob.peer.close();
      }
    }
    // bob's own 100 sends and alice's 100 messages (plus the group's control messages and both profiles)
    expect(result.plain).toBeGreaterThanOrEqual(200);
    expect(result.logs).toBeLessThanOrEqual(2);
  });

  it('a gap holds the mark; the items above it keep their processed ids until it fills, then go', async () => {
    const net = new MemoryNet({ logs: true });
    net.live = false;
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.sync();
    const { group } = await alice.peer.create('message');
    await alice.peer.add(group, bob.peer.id);
    await bob.peer.sync();
    for (let i = 0; i < 6; i++) await alice.peer.send(group, utf8(`m${i}`));
    // the third message has not reached bob's copy of alice's log yet
    const aliceItems = [...net.items.values()].filter((i) => i.position?.log === alice.peer.id);
    const missing = aliceItems[aliceItems.length - 4] as TransportItem;
    net.items.delete(missing.id);
    await bob.peer.sync();
    expect((await bob.peer.read(group)).map((e) => text(e.data))).toEqual(['m0', 'm1', 'm3', 'm4', 'm5']);
    const marks = await marksOf(bob.store);
    expect(settledBelow(marks, alice.peer.id)).toBe(missing.position?.seq);
    expect(marks.get(alice.peer.id)?.above.size).toBe(3);
    expect(await bob.store.isProcessed(`msg:${aliceItems[aliceItems.length - 1]?.id}`)).toBe(true);
    net.items.set(missing.id, missing);
    await bob.peer.sync();
    expect((await bob.peer.read(group)).map((e) => text(e.data)).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    const after = await marksOf(bob.store);
    expect(settledBelow(after, alice.peer.id)).toBe(aliceItems.length);
    expect(after.get(alice.peer.id)?.above.size).toBe(0);
    expect(await bob.store.isProcessed(`msg:${aliceItems[aliceItems.length - 1]?.id}`)).toBe(false);
  });

  it('live arrivals settle too, and the same bytes again on another log change nothing', async () => {
    const net = new MemoryNet({ logs: true });
    const alice = await open(net, 'alice');
    const bob = await open(net, 'bob');
    await alice.peer.start();
    await bob.peer.start();
    const { group } = await alice.peer.create('data');
    await alice.peer.add(group, bob.peer.id);
    for (let i = 0; i < 20; i++) await alice.peer.send(group, utf8(`live ${i}`));
    await bob.peer.sync();
    await alice.peer.sync();
    await bob.peer.sync();
    expect((await bob.peer.read(group)).length).toBe(20);
    expect(await rows(bob.store)).toBeLessThanOrEqual(2);
    // a copy of an application message and of the add, put on the net by someone else
    const copies = [...net.items.values()].filter((i) => i.position?.log === alice.peer.id).slice(-3);
    const messages = bob.events.filter((e) => e.type === 'message').length;
    for (const item of copies) net.items.set(`${item.id}-copy`, { ...item, origin: 'log:mallory:0', position: { log: 'mallory', seq: copies.indexOf(item) } });
    const replay = await bob.peer.sync();
    expect(replay.skipped).toEqual([]);
    expect(await rows(bob.store)).toBeLessThanOrEqual(2);
    expect((await bob.peer.read(group)).length).toBe(20);
    expect(bob.events.filter((e) => e.type === 'message').length).toBe(messages);
    await alice.peer.close();
    await bob.peer.close();
  });
});
