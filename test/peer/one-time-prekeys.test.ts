/**
 * Issue 18, "pre-key hygiene": a pool of one-time pre-keys where they can be
 * kept single-use. Each offer is addressed to one peer and signed by its
 * owner, so only that peer uses it, once; the owner deletes the secret at the
 * X3DH that uses it (state and store bytes) and replaces it at its next
 * sync; an adder with no offer left, or offered none, uses the signed
 * pre-key; offers under a superseded signed pre-key are dropped by adders and
 * deleted by their owner once that pre-key is.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, decodeCanonical, defaultDeps, encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import { openWireBundle } from '../../src/group/index.js';
import { decodeKeyManager } from '../../src/keys/index.js';
import { Peer } from '../../src/peer/index.js';
import { decodeOffer } from '../../src/peer/offers.js';
import { decodeMessageItem } from '../../src/peer/wire.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';
import { decodeTwoPartyMessage } from '../../src/twoparty/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function open(net: MemoryNet, name: string, pool: number, deps: Deps = defaultDeps()): Promise<{ peer: Peer; store: MemoryStore }> {
  const store = new MemoryStore();
  const peer = await Peer.create({ store, deps, oneTimePreKeys: pool, transport: (self) => new MemoryTransport(net, self) }, { name });
  return { peer, store };
}

/** The X3DH header of the first 2SM part to `to` in the create/add messages `from` published since `seen`. */
function firstRounds(net: MemoryNet, seen: ReadonlySet<string>, to: Peer): { oneTimePreKeyId: number | null; signedPreKeyId: number }[] {
  const out: { oneTimePreKeyId: number | null; signedPreKeyId: number }[] = [];
  for (const item of net.items.values()) {
    if (item.kind !== 'msg' || seen.has(item.id)) continue;
    const m = decodeMessageItem(item.bytes);
    const direct = m.control ? openWireBundle(m.bundle, to.id).direct : undefined;
    if (direct === undefined) continue;
    const header = decodeTwoPartyMessage(direct);
    if (header.kind === 'x3dh') out.push({ oneTimePreKeyId: header.oneTimePreKeyId, signedPreKeyId: header.signedPreKeyId });
  }
  return out;
}

async function storedSecretOf(store: MemoryStore, id: number): Promise<Uint8Array> {
  const keys = decodeKeyManager((await store.load('keys')) as Uint8Array);
  const secret = keys.oneTimePreKeys.find((k) => k.id === id)?.secretKey;
  if (secret === undefined) throw new Error(`no one-time pre-key ${id}`);
  return secret;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  for (let i = 0; i + needle.length <= haystack.length; i++) if (bytesEqual(haystack.subarray(i, i + needle.length), needle)) return true;
  return false;
}

describe('one-time pre-key offers', () => {
  it('are used once by their addressee, deleted at that X3DH (state and store) and replaced at the next sync', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 2);
    const bob = await open(net, 'bob', 2);
    await alice.peer.sync();
    const offered = alice.peer.oneTimePreKeyIds;
    expect(offered).toHaveLength(2);
    await bob.peer.sync();
    const seen = new Set(net.items.keys());
    const { group } = await bob.peer.create('data', { members: [alice.peer.id] });
    await bob.peer.send(group, utf8('first round'));
    const [round] = firstRounds(net, seen, alice.peer);
    expect(round?.oneTimePreKeyId).not.toBeNull();
    const used = round?.oneTimePreKeyId as number;
    expect(offered).toContain(used);
    const secret = await storedSecretOf(alice.store, used);

    const report = await alice.peer.sync();
    expect(report.skipped).toEqual([]);
    expect((await alice.peer.read(group)).map((e) => text(e.data))).toEqual(['first round']);
    // gone from the state and the stored keys, and replaced: two offered to bob again
    expect(alice.peer.oneTimePreKeyIds).not.toContain(used);
    expect(alice.peer.oneTimePreKeyIds).toHaveLength(2);
    expect(contains((await alice.store.load('keys')) as Uint8Array, secret)).toBe(false);
  });

  it('a forged offer (re-addressed to another peer) is skipped and never used', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 1);
    const bob = await open(net, 'bob', 0);
    const mallory = await open(net, 'mallory', 0);
    await alice.peer.sync(); // offers to bob and mallory
    const offers = [...net.items.values()].filter((i) => i.kind === 'bundle').flatMap((i) => {
      try {
        return [{ bytes: i.bytes, offer: decodeOffer(i.bytes, defaultDeps()) }];
      } catch {
        return [];
      }
    });
    expect(offers.map((o) => o.offer.to).sort()).toEqual([bob.peer.id, mallory.peer.id].sort());
    // mallory re-addresses hers to bob: the signature no longer matches
    const mine = offers.find((o) => o.offer.to === mallory.peer.id)?.bytes as Uint8Array;
    const record = decodeCanonical(mine, 'offer') as Record<string, unknown>;
    net.inject('bundle', encodeCanonical({ ...record, to: fromHex(bob.peer.id) }));
    const report = await bob.peer.sync();
    expect(report.skipped.map((x) => x.reason.split(':')[0])).toEqual(['VERIFY_SIGNATURE']);
    const seen = new Set(net.items.keys());
    await bob.peer.create('data', { members: [alice.peer.id] });
    await bob.peer.create('data', { members: [alice.peer.id] });
    // bob's own offer first, then the signed pre-key: the forged one was never registered
    expect(firstRounds(net, seen, alice.peer).map((r) => r.oneTimePreKeyId === null)).toEqual([false, true]);
    expect((await alice.peer.sync()).skipped.map((x) => x.reason.split(':')[0])).toEqual(['VERIFY_SIGNATURE']);
    expect(await alice.peer.groups()).toHaveLength(2);
  });

  it('a post-quantum group uses the offer\'s one-time ML-KEM pre-key too', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 1);
    const bob = await open(net, 'bob', 0);
    await alice.peer.sync();
    await bob.peer.sync();
    const seen = new Set(net.items.keys());
    const { group } = await bob.peer.create('message', { members: [alice.peer.id], pq: true });
    await bob.peer.send(group, utf8('pq first round'));
    const headers = [...net.items.values()].filter((i) => i.kind === 'msg' && !seen.has(i.id)).flatMap((i) => {
      const m = decodeMessageItem(i.bytes);
      const direct = m.control ? openWireBundle(m.bundle, alice.peer.id).direct : undefined;
      return direct === undefined ? [] : [decodeTwoPartyMessage(direct)];
    });
    const first = headers.find((h) => h.kind === 'x3dh');
    expect(first?.kind === 'x3dh' && first.oneTimePreKeyId !== null && first.pq?.kind === 'one-time').toBe(true);
    expect((await alice.peer.sync()).skipped).toEqual([]);
    expect((await alice.peer.read(group)).map((e) => text(e.data))).toEqual(['pq first round']);
  });

  it('an adder with no offer left falls back to the signed pre-key, and nothing fails', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 2);
    const bob = await open(net, 'bob', 0);
    await alice.peer.sync();
    await bob.peer.sync();
    const seen = new Set(net.items.keys());
    const groups: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { group } = await bob.peer.create(i % 2 === 0 ? 'data' : 'message', { members: [alice.peer.id] });
      await bob.peer.send(group, utf8(`group ${i}`));
      groups.push(group);
    }
    const rounds = firstRounds(net, seen, alice.peer);
    expect(rounds.map((r) => r.oneTimePreKeyId === null)).toEqual([false, false, true]);
    expect(new Set(rounds.map((r) => r.oneTimePreKeyId)).size).toBe(3);
    expect((await alice.peer.sync()).skipped).toEqual([]);
    for (const [i, group] of groups.entries()) expect((await alice.peer.read(group)).map((e) => text(e.data))).toEqual([`group ${i}`]);
  });

  it('an offer is used by its addressee only: a third peer sees it and uses the signed pre-key', async () => {
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 1);
    const bob = await open(net, 'bob', 0);
    await alice.peer.sync(); // offers to bob only: carol is not known yet
    const carol = await open(net, 'carol', 0);
    const report = await carol.peer.sync();
    expect(report.skipped).toEqual([]);
    const seen = new Set(net.items.keys());
    await carol.peer.create('data', { members: [alice.peer.id] });
    expect(firstRounds(net, seen, alice.peer).map((r) => r.oneTimePreKeyId)).toEqual([null]);
    await bob.peer.sync();
    const seenByBob = new Set(net.items.keys());
    await bob.peer.create('data', { members: [alice.peer.id] });
    expect(firstRounds(net, seenByBob, alice.peer).map((r) => r.oneTimePreKeyId)).not.toEqual([null]);
    expect((await alice.peer.sync()).skipped).toEqual([]);
    expect(await alice.peer.groups()).toHaveLength(2);
  });

  it('after a rotation, adders use offers under the new signed pre-key; the old offers\' secrets go with the old pre-key', async () => {
    let now = 1_800_000_000;
    const deps = defaultDeps({ now: () => now });
    const net = new MemoryNet();
    net.live = false;
    const alice = await open(net, 'alice', 2, deps);
    const bob = await open(net, 'bob', 0, deps);
    await alice.peer.sync();
    const old = alice.peer.oneTimePreKeyIds;
    now += 7 * 24 * 3600 + 1;
    await alice.peer.sync(); // rotates to pre-key 1 and offers two more under it
    expect(alice.peer.signedPreKeyIds).toEqual([0, 1]);
    expect(alice.peer.oneTimePreKeyIds).toHaveLength(4);
    await bob.peer.sync();
    const seen = new Set(net.items.keys());
    await bob.peer.create('data', { members: [alice.peer.id] });
    const [round] = firstRounds(net, seen, alice.peer);
    expect(round?.signedPreKeyId).toBe(1);
    expect(old).not.toContain(round?.oneTimePreKeyId);
    expect((await alice.peer.sync()).skipped).toEqual([]);
    now += 7 * 24 * 3600 + 1;
    await alice.peer.sync(); // pre-key 0 deleted: so are the offers made under it
    expect(alice.peer.signedPreKeyIds).not.toContain(0);
    for (const id of old) expect(alice.peer.oneTimePreKeyIds).not.toContain(id);
  });

  it('a pool of 0 (the default) publishes no offers; turned off, published offers stay usable until their pre-key goes', async () => {
    let now = 1_800_000_000;
    const deps = defaultDeps({ now: () => now });
    const net = new MemoryNet();
    net.live = false;
    // a store that outlives its peer (closed only by the test's end)
    const store = new (class extends MemoryStore {
      override close(): Promise<void> {
        return Promise.resolve();
      }
    })();
    const alice = await Peer.create({ store, deps, oneTimePreKeys: 2, transport: (self) => new MemoryTransport(net, self) }, { name: 'alice' });
    const bob = await open(net, 'bob', 0, deps);
    await alice.sync();
    const offered = alice.oneTimePreKeyIds;
    expect(offered).toHaveLength(2);
    await alice.close();
    const items = net.items.size;
    const again = await Peer.open({ store, deps, transport: (self) => new MemoryTransport(net, self) });
    await again.sync();
    expect(net.items.size).toBe(items);
    expect(again.oneTimePreKeyIds).toEqual(offered);
    // bob still uses one of them, and alice opens it
    await bob.peer.sync();
    const seen = new Set(net.items.keys());
    const { group } = await bob.peer.create('data', { members: [again.id] });
    await bob.peer.send(group, utf8('late use'));
    expect(offered).toContain(firstRounds(net, seen, again)[0]?.oneTimePreKeyId);
    expect((await again.sync()).skipped).toEqual([]);
    expect((await again.read(group)).map((e) => text(e.data))).toEqual(['late use']);
    expect(again.oneTimePreKeyIds).toHaveLength(1);
    // two weeks on, pre-key 0 is deleted, and the last offer with it
    for (let i = 0; i < 2; i++) {
      now += 7 * 24 * 3600 + 1;
      await again.sync();
    }
    expect(again.signedPreKeyIds).not.toContain(0);
    expect(again.oneTimePreKeyIds).toEqual([]);
    expect(await store.load('otk-offers')).toBeUndefined();
    expect(bob.peer.oneTimePreKeyIds).toEqual([]);
  });
});
