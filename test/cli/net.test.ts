/**
 * Shared-folder rules (CLI.md): a partition is two copies of the net merged
 * with `cp -rn`; garbage and half-written files are skipped and reported,
 * never fatal, and a half-written file is read again later; a message
 * copied into another peer's folder is neither delivered twice nor
 * misattributed; nothing but public bundles and ciphertext is in the net.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { copyNet, ensureBuilt, groupOf, mergeNet, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

type Msg = { sender: string; data: string };
type View = { group: string; members: string[]; removed: boolean };

function msgFiles(net: string, id: string): string[] {
  return readdirSync(join(net, id)).filter((f) => f.endsWith('.msg'));
}

describe('partition healed by cp -rn', () => {
  it('concurrent add and remove in two halves converge after the merge', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const carol = newPeer(root, net, 'carol');
    const dave = newPeer(root, net, 'dave');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['add', group, carol.id]);
    alice.peer.ok(['send', group, 'before the split']);
    bob.peer.ok(['sync']);
    carol.peer.ok(['sync']);
    // split
    const netA = join(root, 'A');
    const netB = join(root, 'B');
    copyNet(net, netA);
    copyNet(net, netB);
    alice.peer.net = netA;
    dave.peer.net = netA;
    bob.peer.net = netB;
    carol.peer.net = netB;
    alice.peer.ok(['add', group, dave.id]);
    bob.peer.ok(['remove', group, carol.id]);
    alice.peer.ok(['send', group, 'from A']);
    bob.peer.ok(['send', group, 'from B']);
    dave.peer.ok(['sync']);
    carol.peer.ok(['sync']);
    // heal: file union both ways
    mergeNet(netA, net);
    mergeNet(netB, net);
    for (const p of [alice, bob, carol, dave]) p.peer.net = net;
    for (let round = 0; round < 3; round++) for (const p of [alice, bob, carol, dave]) p.peer.ok(['sync']);
    const expected = [alice.id, bob.id, dave.id].sort();
    for (const p of [alice, bob, dave]) expect((p.peer.ok(['members', group])[0] as View).members).toEqual(expected);
    expect((carol.peer.ok(['members', group])[0] as View).removed).toBe(true);
    const aliceRead = (alice.peer.ok(['read', group]) as Msg[]).map((m) => m.data).sort();
    const bobRead = (bob.peer.ok(['read', group]) as Msg[]).map((m) => m.data).sort();
    expect(aliceRead).toEqual(['before the split', 'from A', 'from B']);
    expect(bobRead).toEqual(aliceRead);
    // dave, added in half A, reads history (data scheme)
    expect((dave.peer.ok(['read', group]) as Msg[]).map((m) => m.data)).toContain('before the split');
    // the merge is idempotent: merging again and syncing changes nothing
    mergeNet(netA, net);
    const [again] = alice.peer.ok(['sync']) as { processed: number }[];
    expect(again?.processed).toBe(0);
  });
});

describe('damage in the net', () => {
  it('garbage and half-written files are reported and skipped; the half-written one is read once complete', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['send', group, 'first']);
    bob.peer.ok(['sync']);
    alice.peer.ok(['send', group, 'second']);
    // newest alice message: find it by elimination (bob has processed the others)
    const newest = msgFiles(net, alice.id).map((f) => join(net, alice.id, f));
    const full = new Map(newest.map((p) => [p, readFileSync(p)]));
    // truncate every alice message file bob has not processed yet is hard to know: truncate all, bob skips processed ones by name
    for (const [path, bytes] of full) writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    // garbage with a valid-looking name, junk names, a non-peer folder
    writeFileSync(join(net, alice.id, `${'a'.repeat(64)}.msg`), 'garbage');
    writeFileSync(join(net, bob.id, 'notes.txt'), 'hi');
    mkdirSync(join(net, 'not-a-peer'));
    const r = bob.peer.run(['sync']);
    expect(r.status).toBe(0);
    const [report] = r.json as { processed: number; pending: number; skipped: { path: string; reason: string }[] }[];
    expect(report?.processed).toBe(0);
    const paths = report?.skipped.map((s) => s.path) ?? [];
    expect(paths).toContain(join(net, alice.id, `${'a'.repeat(64)}.msg`));
    expect(paths).toContain(join(net, bob.id, 'notes.txt'));
    expect(paths.some((p) => p.endsWith('not-a-peer'))).toBe(true);
    expect((bob.peer.ok(['read', group]) as Msg[]).map((m) => m.data)).toEqual(['first']);
    // the sync tool finishes copying: the message is read on the next sync
    for (const [path, bytes] of full) writeFileSync(path, bytes);
    const [later] = bob.peer.ok(['sync']) as { processed: number }[];
    expect(later?.processed).toBe(1);
    expect((bob.peer.ok(['read', group]) as Msg[]).map((m) => m.data)).toEqual(['first', 'second']);
  });

  it('a message copied into another peer folder is not delivered twice nor misattributed', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const carol = newPeer(root, net, 'carol');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['add', group, carol.id]);
    const beforeSend = new Set(msgFiles(net, alice.id));
    alice.peer.ok(['send', group, 'only once, from alice']);
    const [sent] = msgFiles(net, alice.id).filter((f) => !beforeSend.has(f));
    expect(sent).toBeDefined();
    // copy alice's message into bob's and carol's folders, and a whole folder under a made-up id
    copyFileSync(join(net, alice.id, sent as string), join(net, bob.id, sent as string));
    copyFileSync(join(net, alice.id, sent as string), join(net, carol.id, sent as string));
    const fake = 'e'.repeat(64);
    mkdirSync(join(net, fake));
    for (const f of readdirSync(join(net, alice.id))) copyFileSync(join(net, alice.id, f), join(net, fake, f));
    expect(carol.peer.run(['sync']).status).toBe(0);
    expect(bob.peer.run(['sync']).status).toBe(0);
    for (const p of [bob, carol]) {
      const read = p.peer.ok(['read', group]) as Msg[];
      expect(read).toEqual([{ sender: alice.id, data: 'only once, from alice', base64: expect.any(String) }]);
    }
    // alice does not receive her own message back
    alice.peer.ok(['sync']);
    expect((alice.peer.ok(['read', group]) as Msg[]).length).toBe(1);
  });

  it('the net holds no plaintext', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['send', group, 'TOP-SECRET-PLAINTEXT']);
    for (const f of msgFiles(net, alice.id)) expect(readFileSync(join(net, alice.id, f)).includes('TOP-SECRET-PLAINTEXT')).toBe(false);
  });
});

describe('forgeries and pre-keys without coordination', () => {
  it('a tampered message under a valid name is reported and changes nothing', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['add', group, bob.id]);
    bob.peer.ok(['sync']);
    const before = new Set(msgFiles(net, alice.id));
    alice.peer.ok(['send', group, 'genuine']);
    const [sent] = msgFiles(net, alice.id).filter((f) => !before.has(f));
    const path = join(net, alice.id, sent as string);
    // flip one bit inside the signed application envelope, re-wrap, give it its correct content-hash name
    const wrapper = decodeCanonical(new Uint8Array(readFileSync(path)), 'test') as Record<string, unknown>;
    const bundle = new Uint8Array(wrapper['bundle'] as Uint8Array);
    bundle[bundle.length - 70] = (bundle[bundle.length - 70] as number) ^ 1;
    const bytes = encodeCanonical({ ...wrapper, bundle });
    const forgedName = `${createHash('sha256').update(bytes).digest('hex')}.msg`;
    // the forgery lies in bob's own folder: location proves nothing
    writeFileSync(join(net, bob.id, forgedName), bytes);
    const [report] = bob.peer.ok(['sync']) as { processed: number; skipped: { path: string; reason: string }[] }[];
    expect(report?.processed).toBe(1);
    expect(report?.skipped.map((s) => s.path)).toEqual([join(net, bob.id, forgedName)]);
    expect(report?.skipped[0]?.reason).toMatch(/^VERIFY_/);
    expect(bob.peer.ok(['read', group])).toEqual([{ sender: alice.id, data: 'genuine', base64: expect.any(String) }]);
  });

  it('two members add the same peer concurrently in a partition, and a removed peer is re-added', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const carol = newPeer(root, net, 'carol');
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['add', group, bob.id]);
    bob.peer.ok(['sync']);
    const netA = join(root, 'A');
    const netB = join(root, 'B');
    copyNet(net, netA);
    copyNet(net, netB);
    alice.peer.net = netA;
    bob.peer.net = netB;
    alice.peer.ok(['add', group, carol.id]);
    bob.peer.ok(['add', group, carol.id]);
    mergeNet(netA, net);
    mergeNet(netB, net);
    for (const p of [alice, bob, carol]) p.peer.net = net;
    for (let round = 0; round < 2; round++) for (const p of [alice, bob, carol]) p.peer.ok(['sync']);
    const all = [alice.id, bob.id, carol.id].sort();
    for (const p of [alice, bob, carol]) expect((p.peer.ok(['members', group])[0] as View).members).toEqual(all);
    alice.peer.ok(['send', group, 'to all three']);
    for (const p of [bob, carol]) p.peer.ok(['sync']);
    expect((carol.peer.ok(['read', group]) as Msg[]).map((m) => m.data)).toContain('to all three');
    // remove and re-add carol
    alice.peer.ok(['remove', group, carol.id]);
    for (const p of [bob, carol]) p.peer.ok(['sync']);
    expect((carol.peer.ok(['members', group])[0] as View).removed).toBe(true);
    alice.peer.ok(['add', group, carol.id]);
    alice.peer.ok(['send', group, 'welcome back']);
    for (let round = 0; round < 2; round++) for (const p of [bob, carol, alice]) p.peer.ok(['sync']);
    const [view] = carol.peer.ok(['members', group]) as View[];
    expect(view).toEqual({ group, members: all, removed: false });
    expect((carol.peer.ok(['read', group]) as Msg[]).map((m) => m.data)).toContain('welcome back');
  });
});
