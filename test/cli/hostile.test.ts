/**
 * Issue 17 through the command (items 1, 2 and 3; item 7 is rejects.test.ts):
 * a removed member's restored home cannot write into the group; one outsider
 * file cannot brick a group; a flood of outsider envelopes cannot block a
 * legitimate message.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { encodeEnvelope } from '../../src/group/envelope.js';
import { createKeyManager, identityOf } from '../../src/keys/index.js';
import { encodeMessageItem } from '../../src/peer/wire.js';
import { ensureBuilt, groupOf, newPeer, Peer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

type Report = { processed: number; pending: number; skipped: { path: string; reason: string }[] };
type Line = { sender: string; data: string | null };

const deps = defaultDeps();

/** Writes, as an outsider would, a signed application envelope for `group` into the net (under its own folder). */
function dropOutsiderEnvelope(net: string, group: string, scheme: 'data' | 'message', size: number, counter = 0): string {
  const outsider = identityOf(createKeyManager(deps));
  const sender = toHex(outsider.publicKey);
  const c = { scheme, groupId: group, sender, epoch: 0, counter, ad: undefined };
  const { bytes: envelope } = encodeEnvelope(deps, outsider, c, outsider.publicKey.subarray(0, 4), {
    lamport: 1, nonce: scheme === 'data' ? new Uint8Array(24) : undefined, ciphertext: new Uint8Array(size),
  });
  const item = encodeMessageItem({ group, scheme, control: false, bundle: envelope, ad: null });
  const dir = join(net, sender);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${toHex(deps.crypto.sha256(item))}.msg`);
  writeFileSync(path, item);
  return path;
}

const texts = (peer: Peer, group: string): (string | null)[] => (peer.ok(['read', group]) as Line[]).map((l) => l.data);

describe.each(['data', 'message'] as const)('hostile input through the command (%s scheme)', (scheme) => {
  it('a removed member writing from a copy of its old home is skipped and never read', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const carol = newPeer(root, net, 'carol');
    const group = groupOf(alice.peer.ok(['create', '--scheme', scheme]));
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['add', group, carol.id]);
    for (const p of [bob, carol, alice, bob, carol]) p.peer.ok(['sync']);
    bob.peer.ok(['send', group, 'bob while a member']);
    for (const p of [alice, carol]) p.peer.ok(['sync']);
    // bob keeps a copy of his home
    const stale = new Peer(join(root, 'home-bob-copy'), net);
    cpSync(bob.peer.home, stale.home, { recursive: true });
    alice.peer.ok(['remove', group, bob.id]);
    carol.peer.ok(['sync']);
    carol.peer.ok(['update', group]);
    for (const p of [alice, bob, carol]) p.peer.ok(['sync']);
    stale.ok(['send', group, 'bob after his removal']);
    const reports = [alice, carol].map((p) => (p.peer.ok(['sync']) as Report[])[0] as Report);
    for (const report of reports) expect(report.skipped.length).toBeGreaterThan(0);
    for (const p of [alice, carol]) {
      expect(texts(p.peer, group)).toContain('bob while a member');
      expect(texts(p.peer, group)).not.toContain('bob after his removal');
    }
    expect(bob.peer.ok(['members', group])).toEqual([expect.objectContaining({ removed: true })]);
  });

  it('one 17 MiB outsider envelope leaves every command of every member working', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const group = groupOf(alice.peer.ok(['create', '--scheme', scheme]));
    alice.peer.ok(['add', group, bob.id]);
    bob.peer.ok(['sync']);
    dropOutsiderEnvelope(net, group, scheme, 17 * 1024 * 1024);
    for (let round = 0; round < 2; round++) {
      for (const p of [alice, bob]) {
        const [report] = p.peer.ok(['sync']) as Report[];
        if (round === 0) expect(report?.skipped.length).toBe(1);
        expect(p.peer.ok(['members', group])).toEqual([expect.objectContaining({ removed: false })]);
      }
    }
    alice.peer.ok(['send', group, 'still here']);
    bob.peer.ok(['sync']);
    expect(texts(bob.peer, group)).toEqual(['still here']);
  });

  it('a flood of 1,000 outsider envelopes does not keep a member from reading the group', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const bob = newPeer(root, net, 'bob');
    const group = groupOf(alice.peer.ok(['create', '--scheme', scheme]));
    for (let i = 0; i < 1000; i++) dropOutsiderEnvelope(net, group, scheme, 64, i);
    alice.peer.ok(['sync']);
    alice.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['send', group, 'after the flood']);
    bob.peer.ok(['sync']);
    expect(texts(bob.peer, group)).toEqual(['after the flood']);
    alice.peer.ok(['sync']);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id].sort(), removed: false }]);
  });
});
