/**
 * CLI.md contract for group commands, driven through the built command:
 * JSON shapes, prefixes, unknown group → 1, both schemes, stdin and binary
 * data, removed peers.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, groupOf, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const HEX64 = /^[0-9a-f]{64}$/;

describe.each(['data', 'message'] as const)('group commands, %s scheme', (scheme) => {
  type P = ReturnType<typeof newPeer>;
  let alice: P;
  let bob: P;
  let carol: P;
  let group = '';
  beforeAll(() => {
    const root = tempDir();
    const net = join(root, 'net');
    alice = newPeer(root, net, 'alice');
    bob = newPeer(root, net, 'bob');
    carol = newPeer(root, net, 'carol');
  });

  it('create prints {group,scheme}', () => {
    const out = alice.peer.ok(['create', '--scheme', scheme]);
    expect(out).toEqual([{ group: expect.stringMatching(HEX64), scheme }]);
    group = (out[0] as { group: string }).group;
  });

  it('add, update, send print their shapes; ids may be 8-char prefixes', () => {
    expect(alice.peer.ok(['add', group.slice(0, 8), bob.id.slice(0, 8)])).toEqual([{ group, op: 'add' }]);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id].sort(), removed: false }]);
    expect(alice.peer.ok(['update', group])).toEqual([{ group, op: 'update' }]);
    expect(alice.peer.ok(['send', group, 'hello bob'])).toEqual([{ group, bytes: 9 }]);
  });

  it('sync prints {processed,pending}; the receiver reads in order, its own messages included', () => {
    const [report] = bob.peer.ok(['sync']) as { processed: number; pending: number }[];
    expect(report).toMatchObject({ processed: expect.any(Number), pending: 0 });
    expect(report?.processed).toBeGreaterThan(0);
    expect(bob.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id].sort(), removed: false }]);
    expect(bob.peer.ok(['send', group, 'hi alice'])).toEqual([{ group, bytes: 8 }]);
    alice.peer.ok(['sync']);
    const read = alice.peer.ok(['read', group]);
    expect(read).toEqual([
      { sender: alice.id, data: 'hello bob', base64: Buffer.from('hello bob').toString('base64') },
      { sender: bob.id, data: 'hi alice', base64: Buffer.from('hi alice').toString('base64') },
    ]);
    expect(bob.peer.ok(['read', group])).toEqual(read);
  });

  it('send --file - reads stdin; binary data reads back as data null + base64', () => {
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    expect(bob.peer.ok(['send', group, '--file', '-'], binary)).toEqual([{ group, bytes: 4 }]);
    alice.peer.ok(['sync']);
    const read = alice.peer.ok(['read', group]) as { sender: string; data: string | null; base64: string }[];
    expect(read.at(-1)).toEqual({ sender: bob.id, data: null, base64: Buffer.from(binary).toString('base64') });
  });

  it('groups lists {group,scheme,members,removed}', () => {
    expect(alice.peer.ok(['groups'])).toEqual([{ group, scheme, members: [alice.id, bob.id].sort(), removed: false }]);
  });

  it('an unknown group is exit 1 with one stderr line and the error JSON', () => {
    for (const args of [['members', 'abcdef0123'], ['send', 'abcdef0123', 'x'], ['read', 'abcdef0123']]) {
      const r = alice.peer.run(args);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.json).toEqual([{ error: { code: 'STATE_UNKNOWN_GROUP', message: expect.any(String) } }]);
    }
    const unknownPeer = alice.peer.run(['add', group, 'abcdef0123']);
    expect(unknownPeer.status).toBe(1);
    expect(unknownPeer.json).toEqual([{ error: { code: 'STATE_UNKNOWN_MEMBER', message: expect.any(String) } }]);
  });

  it('a removed peer keeps working: sync 0, members removed:true, read keeps old data, nothing new', () => {
    alice.peer.ok(['add', group, carol.id]);
    carol.peer.ok(['sync']);
    expect(carol.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id, carol.id].sort(), removed: false }]);
    alice.peer.ok(['send', group, 'while carol is in']);
    carol.peer.ok(['sync']);
    const before = carol.peer.ok(['read', group]) as { data: string }[];
    expect(before.map((m) => m.data)).toContain('while carol is in');
    bob.peer.ok(['sync']);
    bob.peer.ok(['remove', group, carol.id]);
    alice.peer.ok(['sync']);
    alice.peer.ok(['send', group, 'after carol left']);
    bob.peer.ok(['sync']);
    const r = carol.peer.run(['sync']);
    expect(r.status).toBe(0);
    // the message sent after carol's removal is "not for me", not a skipped error (CLI.md "Removed peers")
    expect(r.json).toEqual([expect.objectContaining({ notForMe: 1, skipped: [] })]);
    expect(carol.peer.ok(['sync'])).toEqual([expect.objectContaining({ processed: 0, notForMe: 0, skipped: [] })]);
    const [view] = carol.peer.ok(['members', group]) as { removed: boolean; members: string[] }[];
    expect(view?.removed).toBe(true);
    const after = carol.peer.ok(['read', group]) as { data: string }[];
    expect(after).toEqual(before);
    expect(after.map((m) => m.data)).not.toContain('after carol left');
    expect((bob.peer.ok(['read', group]) as { data: string }[]).map((m) => m.data)).toContain('after carol left');
    const send = carol.peer.run(['send', group, 'let me back']);
    expect(send.status).toBe(1);
    expect(send.json).toHaveLength(1);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id].sort(), removed: false }]);
  });
});

describe('data scheme: a late joiner reads history; message scheme: it does not', () => {
  it.each(['data', 'message'] as const)('%s', (scheme) => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const group = groupOf(alice.peer.ok(['create', '--scheme', scheme]));
    alice.peer.ok(['send', group, 'before bob']);
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['send', group, 'after bob']);
    bob.peer.ok(['sync']);
    const read = (bob.peer.ok(['read', group]) as { data: string }[]).map((m) => m.data);
    expect(read).toContain('after bob');
    if (scheme === 'data') expect(read).toEqual(['before bob', 'after bob']);
    else expect(read).not.toContain('before bob');
  });
});
