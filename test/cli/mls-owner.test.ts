/**
 * An MLS Secret Group through the built command over a shared folder, the
 * owner's side: ownership handed over by a commit (who may, to whom, what
 * the old owner's actions become, proposals waiting while the owner is
 * offline), and a partition in which a member keeps sending on a past epoch
 * that the others still read (retained epochs) until the past is too old.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyNet, ensureBuilt, groupOf, mergeNet, Peer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

function mlsPeer(root: string, net: string, name: string): { peer: Peer; id: string } {
  const peer = new Peer(join(root, `home-${name}`), net);
  const [info] = peer.ok(['init', '--name', name, '--mls']) as { id: string }[];
  return { peer, id: (info as { id: string }).id };
}

const texts = (lines: unknown[]): string[] => lines.map((l) => (l as { data: string }).data);
const errorCode = (lines: unknown[]): string | undefined => (lines.find((l) => (l as { error?: unknown })?.error !== undefined) as { error: { code: string } } | undefined)?.error.code;

describe('MLS ownership transfer through the command', () => {
  it('only the owner hands over, to a member; the old owner proposes; proposals wait for an offline owner; the creator leaves', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    const alice = mlsPeer(root, net, 'alice');
    const bob = mlsPeer(root, net, 'bob');
    const carol = mlsPeer(root, net, 'carol');

    const group = groupOf(olivia.peer.ok(['create', '--scheme', 'mls']));
    olivia.peer.ok(['add', group, alice.id]);
    olivia.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['sync']);
    bob.peer.ok(['sync']);

    // a member cannot hand over; nobody hands over to a non-member
    const notOwner = alice.peer.run(['handover', group, bob.id]);
    expect(notOwner.status).toBe(1);
    expect(errorCode(notOwner.json)).toBe('STATE_NOT_OWNER');
    const notMember = olivia.peer.run(['handover', group, carol.id]);
    expect(notMember.status).toBe(1);
    expect(errorCode(notMember.json)).toBe('STATE_UNKNOWN_MEMBER');
    expect(olivia.peer.ok(['members', group])).toMatchObject([{ owner: olivia.id, pending: [] }]);

    // the hand-over is a commit: the old owner sees the new owner at once
    expect(olivia.peer.ok(['handover', group, alice.id.slice(0, 10)])).toEqual([{ group, op: 'handover', owner: alice.id }]);
    const three = [olivia.id, alice.id, bob.id].sort();
    expect(olivia.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: alice.id, pending: [] }]);
    // the old owner's change is now a proposal the new owner commits
    expect(olivia.peer.ok(['add', group, carol.id])).toEqual([{ group, op: 'add' }]);
    expect(olivia.peer.ok(['members', group])).toEqual([{
      group, members: three, removed: false, owner: alice.id, pending: [{ action: 'add', subject: carol.id, from: olivia.id }],
    }]);
    const handoverAgain = olivia.peer.run(['handover', group, bob.id]);
    expect(handoverAgain.status).toBe(1);
    expect(errorCode(handoverAgain.json)).toBe('STATE_NOT_OWNER');

    // the new owner is offline: Bob sees the hand-over and the proposal waiting; nothing commits it
    expect(bob.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(bob.peer.ok(['members', group])).toEqual([{
      group, members: three, removed: false, owner: alice.id, pending: [{ action: 'add', subject: carol.id, from: olivia.id }],
    }]);
    bob.peer.ok(['send', group, 'bob while alice is away']);
    bob.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'bob, sender ratchet, before carol']);
    expect(carol.peer.ok(['groups'])).toEqual([]);

    // the new owner comes back: it commits the waiting proposal; Carol joins and reads the long-term history
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    const four = [olivia.id, alice.id, bob.id, carol.id].sort();
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: four, removed: false, owner: alice.id, pending: [] }]);
    // what was sent or proposed in epochs before Carol joined is "not for me" (settled), never skipped as an error
    expect(carol.peer.ok(['sync'])).toEqual([{ processed: expect.any(Number), pending: 0, notForMe: 2, skipped: [] }]);
    expect(carol.peer.ok(['sync'])).toEqual([{ processed: 0, pending: 0, notForMe: 0, skipped: [] }]);
    expect(carol.peer.ok(['members', group])).toEqual([{ group, members: four, removed: false, owner: alice.id, pending: [] }]);
    expect(texts(carol.peer.ok(['read', group]))).toEqual(['bob while alice is away']);

    // the creator leaves: the group goes on without it
    alice.peer.ok(['remove', group, olivia.id]);
    alice.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'after olivia']);
    alice.peer.ok(['send', group, 'after olivia, long-term']);
    // what was sent after her removal is "not for me" (settled), never skipped as an error (CLI.md "Removed peers")
    expect(olivia.peer.ok(['sync'])).toEqual([{ processed: expect.any(Number), pending: 0, notForMe: 2, skipped: [] }]);
    expect(olivia.peer.ok(['sync'])).toEqual([{ processed: 0, pending: 0, notForMe: 0, skipped: [] }]);
    // the last members she knew (CLI.md "Removed peers"), herself not among them
    expect(olivia.peer.ok(['members', group])).toEqual([{ group, members: [alice.id, bob.id, carol.id].sort(), removed: true, owner: alice.id, pending: [] }]);
    expect(texts(olivia.peer.ok(['read', group])).sort()).toEqual(['bob while alice is away', 'bob, sender ratchet, before carol']);
    const removedHandover = olivia.peer.run(['handover', group, bob.id]);
    expect(removedHandover.status).toBe(1);
    expect(errorCode(removedHandover.json)).toBe('STATE_REMOVED');
    const removedAdd = olivia.peer.run(['add', group, bob.id]);
    expect(removedAdd.status).toBe(1);
    expect(errorCode(removedAdd.json)).toBe('STATE_REMOVED');

    for (const member of [bob, carol]) {
      expect(member.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
      const three2 = [alice.id, bob.id, carol.id].sort();
      expect(member.peer.ok(['members', group])).toEqual([{ group, members: three2, removed: false, owner: alice.id, pending: [] }]);
      expect(texts(member.peer.ok(['read', group]))).toContain('after olivia');
    }
  }, 180_000);
});

describe('MLS partition: a member sends on a past epoch', () => {
  it('the others read it while the epoch is retained; beyond retention it is skipped, and the sender catches up', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    const alice = mlsPeer(root, net, 'alice');
    const bob = mlsPeer(root, net, 'bob');
    const group = groupOf(olivia.peer.ok(['create', '--scheme', 'mls']));
    olivia.peer.ok(['add', group, alice.id]);
    olivia.peer.ok(['add', group, bob.id]);
    alice.peer.ok(['sync']);
    bob.peer.ok(['sync']);
    const three = [olivia.id, alice.id, bob.id].sort();

    // partition: Bob works on his own copy of the folder
    const netB = join(root, 'net-b');
    copyNet(net, netB);
    bob.peer.net = netB;
    for (let i = 0; i < 3; i++) olivia.peer.ok(['update', group]);
    olivia.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'olivia, three epochs on']);
    alice.peer.ok(['sync']);
    bob.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'bob on a past epoch']);
    bob.peer.ok(['send', group, 'bob long-term, partitioned']);
    expect(bob.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);

    // healed: the others read Bob's past-epoch message (retained epochs), Bob reads theirs
    mergeNet(netB, net);
    bob.peer.net = net;
    for (const member of [olivia, alice]) {
      expect(member.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
      expect(texts(member.peer.ok(['read', group]))).toEqual(expect.arrayContaining(['bob on a past epoch', 'bob long-term, partitioned']));
    }
    expect(bob.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(texts(bob.peer.ok(['read', group]))).toEqual(expect.arrayContaining(['olivia, three epochs on', 'bob on a past epoch']));
    expect(bob.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
    bob.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'bob caught up']);
    olivia.peer.ok(['sync']);
    expect(texts(olivia.peer.ok(['read', group]))).toContain('bob caught up');

    // a longer partition: more commits than the 8 retained epochs; Bob's sender-ratchet message is then
    // skipped for good (reported, exit 0, nothing read), his long-term message is still read
    copyNet(net, netB);
    bob.peer.net = netB;
    for (let i = 0; i < 9; i++) olivia.peer.ok(['update', group]);
    bob.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'bob too far behind']);
    bob.peer.ok(['send', group, 'bob long-term, long partition']);
    mergeNet(netB, net);
    bob.peer.net = net;
    const late = olivia.peer.run(['sync']);
    expect(late.status).toBe(0);
    const skipped = (late.json[0] as { skipped: { reason: string }[] }).skipped;
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.reason).toMatch(/^STATE_WINDOW_BEHIND/);
    const read = texts(olivia.peer.ok(['read', group]));
    expect(read).toContain('bob long-term, long partition');
    expect(read).not.toContain('bob too far behind');
    // settled: a second sync does not report it again
    expect(olivia.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(bob.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(bob.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
  }, 180_000);
});

describe('MLS partition: a member proposes while the owner commits', () => {
  it('(suite 3) the stale proposal is settled (not skipped) at the owner; its author proposes again; the owner commits it; nothing is lost', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    const alice = mlsPeer(root, net, 'alice');
    const carol = mlsPeer(root, net, 'carol');
    // on MLS ciphersuite 3 (ChaCha20-Poly1305): Alice joins from her suite-3 key package
    const group = groupOf(olivia.peer.ok(['create', '--scheme', 'mls', '--mls-suite', '3']));
    olivia.peer.ok(['add', group, alice.id]);
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);

    const netB = join(root, 'net-b');
    copyNet(net, netB);
    alice.peer.net = netB;
    alice.peer.ok(['add', group, carol.id]);
    olivia.peer.ok(['update', group]);
    mergeNet(netB, net);
    alice.peer.net = net;

    // the owner had committed without seeing it: the proposal is stale there, settled without an error
    expect(olivia.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(olivia.peer.ok(['members', group])).toMatchObject([{ members: [olivia.id, alice.id].sort(), pending: [] }]);
    // its author sees the commit that dropped it and proposes it again, in the new epoch
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(alice.peer.ok(['members', group])).toEqual([{
      group, members: [olivia.id, alice.id].sort(), removed: false, owner: olivia.id, pending: [{ action: 'add', subject: carol.id, from: alice.id }],
    }]);
    expect(olivia.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    const three = [olivia.id, alice.id, carol.id].sort();
    expect(olivia.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
    carol.peer.ok(['sync']);
    expect(carol.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: three, removed: false, owner: olivia.id, pending: [] }]);
  }, 120_000);
});
