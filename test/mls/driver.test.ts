/**
 * The runtime-facing driver (issue 15): members' proposals committed by the
 * owner, the pending view, owner hand-over, chain order and skips, and the
 * key-package pool.
 */
import { describe, expect, it } from 'vitest';
import {
  actSecretGroup, commitPosition, createKeyPackageRegistry, createMemberKeyStore, createSecretGroup, decodeKeyPackageDocument, decodeSecretGroupState,
  encodeSecretGroupState, joinSecretGroup, receiveSecretGroup, registerKeyPackage, replenishKeyPackages, secretGroupDocumentKind, takeKeyPackage,
  viewSecretGroup, type MlsDeps, type SecretGroupOutput, type SecretGroupState, type SecretGroupStep,
} from '../../src/mls/index.js';
import { newMember, nodeDeps, text } from './helpers.js';

const dec = new TextDecoder();

function published(step: SecretGroupStep, type: 'commit' | 'proposal' | 'message'): Uint8Array {
  const out = step.outputs.find((o): o is Extract<SecretGroupOutput, { kind: 'publish' }> => o.kind === 'publish' && o.type === type);
  if (out === undefined) throw new Error(`no ${type} published: ${JSON.stringify(step.outputs.map((o) => o.kind))}`);
  return out.bytes;
}

function kinds(step: SecretGroupStep): string[] {
  return step.outputs.map((o) => (o.kind === 'skipped' ? `skipped:${o.code}` : o.kind));
}

async function feed(state: SecretGroupState, inputs: { kind: 'commit' | 'proposal'; document: Uint8Array }[], deps: MlsDeps): Promise<SecretGroupState> {
  let s = state;
  for (const input of inputs) {
    const step = await receiveSecretGroup(s, input, deps);
    expect(kinds(step).filter((k) => k.startsWith('skipped'))).toEqual([]);
    s = decodeSecretGroupState(encodeSecretGroupState(step.state));
  }
  return s;
}

describe('Secret Group driver', () => {
  it('members propose, the owner commits when it next sees them, the pending view clears', { timeout: 60_000 }, async () => {
    const deps = nodeDeps();
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const bob = await newMember(deps);
    const carol = await newMember(deps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x01 }, deps);
    const groupDoc = created.outputs[0].document;
    expect(secretGroupDocumentKind(groupDoc)).toBe('group');
    const added = await actSecretGroup(created.state, { kind: 'add', keyPackage: alice.packages[0]! }, deps);
    const add2 = await actSecretGroup(added.state, { kind: 'add', keyPackage: bob.packages[0]! }, deps);
    let o = add2.state;
    let a = (await joinSecretGroup({ identity: alice.store, group: groupDoc, commit: published(added, 'commit') }, deps)).state;
    a = await feed(a, [{ kind: 'commit', document: published(add2, 'commit') }], deps);
    let b = (await joinSecretGroup({ identity: bob.store, group: groupDoc, commit: published(add2, 'commit') }, deps)).state;

    // alice (not the owner) asks to add carol and to remove bob: proposals, pending in her view
    const p1 = await actSecretGroup(a, { kind: 'add', keyPackage: carol.packages[0]! }, deps);
    const p2 = await actSecretGroup(p1.state, { kind: 'remove', member: bob.store.publicKey }, deps);
    a = p2.state;
    expect(kinds(p1)).toEqual(['publish', 'pending']);
    expect(viewSecretGroup(a, deps).pending.map((p) => p.action).sort()).toEqual(['add', 'remove']);
    expect(viewSecretGroup(a, deps).pending.find((p) => p.action === 'add')?.subject).toEqual(carol.store.publicKey);
    const proposals = [published(p1, 'proposal'), published(p2, 'proposal')];
    expect(secretGroupDocumentKind(proposals[0]!)).toBe('proposal');
    // bob sees them pending too; the owner queues them and commits them with its next commit
    b = await feed(b, proposals.map((document) => ({ kind: 'proposal' as const, document })), deps);
    expect(viewSecretGroup(b, deps).pending).toHaveLength(2);
    o = await feed(o, proposals.map((document) => ({ kind: 'proposal' as const, document })), deps);
    const flushed = await actSecretGroup(o, { kind: 'commit' }, deps);
    o = flushed.state;
    expect(viewSecretGroup(o, deps).pending).toEqual([]);
    const commit = published(flushed, 'commit');
    const aStep = await receiveSecretGroup(a, { kind: 'commit', document: commit }, deps);
    a = aStep.state;
    expect(kinds(aStep)).toEqual(['secrets', 'membership']);
    expect(viewSecretGroup(a, deps).pending).toEqual([]);
    expect(viewSecretGroup(a, deps).members).toHaveLength(3);
    const bStep = await receiveSecretGroup(b, { kind: 'commit', document: commit }, deps);
    expect(kinds(bStep)).toEqual(['removed']);
    expect(viewSecretGroup(bStep.state, deps).status).toBe('removed');
    const c = (await joinSecretGroup({ identity: carol.store, group: groupDoc, commit }, deps)).state;
    expect(c.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1]);

    // an empty flush publishes nothing; members cannot commit or rotate
    expect((await actSecretGroup(o, { kind: 'commit' }, deps)).outputs).toEqual([]);
    await expect(actSecretGroup(a, { kind: 'rotate' }, deps)).rejects.toMatchObject({ code: 'STATE_NOT_OWNER' });

    // messages: sent through act, delivered through receive; ahead of us is "retry later"
    const sent = await actSecretGroup(c, { kind: 'send', plaintext: text('hello'), scheme: 'sender_ratchet' }, deps);
    const got = await receiveSecretGroup(a, { kind: 'message', message: published(sent, 'message') }, deps);
    expect(got.outputs[0]).toMatchObject({ kind: 'delivered', scheme: 'sender_ratchet', sender: carol.store.publicKey });
    const rotated = await actSecretGroup(o, { kind: 'rotate' }, deps);
    const fresh = await actSecretGroup(rotated.state, { kind: 'send', plaintext: text('new'), scheme: 'long_term' }, deps);
    const early = await receiveSecretGroup(a, { kind: 'message', message: published(fresh, 'message') }, deps);
    expect(early.outputs[0]).toMatchObject({ kind: 'skipped', code: 'STATE_UNKNOWN_EPOCH', retry: true });
    expect(early.state).toBe(a);
    const later = await feed(a, [{ kind: 'commit', document: published(rotated, 'commit') }], deps);
    const read = await receiveSecretGroup(later, { kind: 'message', message: published(fresh, 'message') }, deps);
    expect(read.outputs[0]).toMatchObject({ kind: 'delivered', scheme: 'long_term', epoch: 2 });
  });

  it('hands ownership over by a commit; the group survives its creator leaving', { timeout: 60_000 }, async () => {
    const deps = nodeDeps();
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const bob = await newMember(deps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x03 }, deps);
    const groupDoc = created.outputs[0].document;
    const add = await actSecretGroup(created.state, { kind: 'add', keyPackage: alice.packages[0]! }, deps);
    const add2 = await actSecretGroup(add.state, { kind: 'add', keyPackage: bob.packages[0]! }, deps);
    let a = (await joinSecretGroup({ identity: alice.store, group: groupDoc, commit: published(add, 'commit') }, deps)).state;
    a = await feed(a, [{ kind: 'commit', document: published(add2, 'commit') }], deps);
    let b = (await joinSecretGroup({ identity: bob.store, group: groupDoc, commit: published(add2, 'commit') }, deps)).state;

    const handover = await actSecretGroup(add2.state, { kind: 'handover', to: alice.store.publicKey }, deps);
    let o = handover.state;
    expect(viewSecretGroup(o, deps).isOwner).toBe(false);
    const aStep = await receiveSecretGroup(a, { kind: 'commit', document: published(handover, 'commit') }, deps);
    a = aStep.state;
    expect(aStep.outputs).toContainEqual({ kind: 'owner', owner: alice.store.publicKey });
    expect(viewSecretGroup(a, deps).isOwner).toBe(true);
    b = await feed(b, [{ kind: 'commit', document: published(handover, 'commit') }], deps);
    expect(viewSecretGroup(b, deps).owner).toEqual(alice.store.publicKey);
    // the old owner is a member now: its request is a proposal; alice commits it, removing the creator
    const leave = await actSecretGroup(o, { kind: 'remove', member: owner.store.publicKey }, deps);
    expect(kinds(leave)).toEqual(['publish', 'pending']);
    await expect(actSecretGroup(o, { kind: 'rotate' }, deps)).rejects.toMatchObject({ code: 'STATE_NOT_OWNER' });
    // the old owner's commits are refused now
    const stale = await actSecretGroup(add2.state, { kind: 'update' }, deps);
    const refused = await receiveSecretGroup(b, { kind: 'commit', document: published(stale, 'commit') }, deps);
    expect(refused.outputs[0]).toMatchObject({ kind: 'skipped', code: 'STATE_BROKEN_CHAIN', retry: false });
    a = await feed(a, [{ kind: 'proposal', document: published(leave, 'proposal') }], deps);
    const removal = await actSecretGroup(a, { kind: 'commit' }, deps);
    a = removal.state;
    b = await feed(b, [{ kind: 'proposal', document: published(leave, 'proposal') }, { kind: 'commit', document: published(removal, 'commit') }], deps);
    o = (await receiveSecretGroup(o, { kind: 'commit', document: published(removal, 'commit') }, deps)).state;
    expect(o.status).toBe('removed');
    expect(viewSecretGroup(b, deps).members).toEqual(viewSecretGroup(a, deps).members);
    expect(viewSecretGroup(b, deps).members).toHaveLength(2);
    // a late joiner under the new owner checks the hand-over chain
    const dave = await newMember(deps);
    const added = await actSecretGroup(a, { kind: 'add', keyPackage: dave.packages[0]! }, deps);
    const d = await joinSecretGroup({ identity: dave.store, group: groupDoc, commit: published(added, 'commit') }, deps);
    expect(viewSecretGroup(d.state, deps).owner).toEqual(alice.store.publicKey);
    expect(d.state.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1]);
  });

  it('orders commits by previous: next, later (missing predecessor, retry), fork (skipped for good), applied', async () => {
    const deps = nodeDeps();
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x01 }, deps);
    const add = await actSecretGroup(created.state, { kind: 'add', keyPackage: alice.packages[0]! }, deps);
    const a = (await joinSecretGroup({ identity: alice.store, group: created.outputs[0].document, commit: published(add, 'commit') }, deps)).state;
    const c1 = await actSecretGroup(add.state, { kind: 'update' }, deps);
    const c2 = await actSecretGroup(c1.state, { kind: 'update' }, deps);
    const fork = await actSecretGroup(add.state, { kind: 'update' }, deps);
    expect(commitPosition(a, published(c1, 'commit'), deps)).toBe('next');
    expect(commitPosition(a, published(c2, 'commit'), deps)).toBe('later');
    expect(commitPosition(a, published(add, 'commit'), deps)).toBe('applied');
    const early = await receiveSecretGroup(a, { kind: 'commit', document: published(c2, 'commit') }, deps);
    expect(early.outputs[0]).toMatchObject({ kind: 'skipped', code: 'STATE_CAUSALITY', retry: true });
    const a1 = (await receiveSecretGroup(a, { kind: 'commit', document: published(c1, 'commit') }, deps)).state;
    expect(commitPosition(a1, published(fork, 'commit'), deps)).toBe('fork');
    const forked = await receiveSecretGroup(a1, { kind: 'commit', document: published(fork, 'commit') }, deps);
    expect(forked.outputs[0]).toMatchObject({ kind: 'skipped', code: 'STATE_BROKEN_CHAIN', retry: false });
    const dup = await receiveSecretGroup(a1, { kind: 'commit', document: published(add, 'commit') }, deps);
    expect(dup.outputs[0]).toMatchObject({ kind: 'skipped', code: 'STATE_DUPLICATE', retry: false });
    const a2 = (await receiveSecretGroup(a1, { kind: 'commit', document: published(c2, 'commit') }, deps)).state;
    expect(a2.lastCommit).toEqual(c2.state.lastCommit);
    const junk = await receiveSecretGroup(a2, { kind: 'proposal', document: new Uint8Array([1, 2, 3]) }, deps);
    expect(junk.outputs[0]).toMatchObject({ kind: 'skipped', retry: false });
    expect(junk.state).toBe(a2);
  });

  it('keeps a small key-package pool: previous pointers, replenished after use, expiring ones deleted', async () => {
    const deps = nodeDeps();
    let store = createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32));
    const first = await replenishKeyPackages(store, deps);
    store = first.state;
    expect(first.outputs.map((o) => o.kind)).toEqual(['key_package', 'key_package', 'key_package']);
    const docs = first.outputs.flatMap((o) => (o.kind === 'key_package' ? [o] : []));
    expect(decodeKeyPackageDocument(docs[1]!.document).previous).toEqual(docs[0]!.id);
    expect((await replenishKeyPackages(store, deps)).outputs).toEqual([]);
    // the owner takes one from its registry and adds us; the join consumes it
    const owner = await newMember(deps, 0);
    let registry = createKeyPackageRegistry();
    for (const doc of docs) registry = (await registerKeyPackage(registry, doc.document, deps)).state;
    const taken = takeKeyPackage(registry, store.publicKey, deps.now());
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x01 }, deps);
    const add = await actSecretGroup(created.state, { kind: 'add', keyPackage: taken.document }, deps);
    const joined = await joinSecretGroup({ identity: store, group: created.outputs[0].document, commit: published(add, 'commit') }, deps);
    expect(joined.identity.pending).toHaveLength(2);
    const refill = await replenishKeyPackages(joined.identity, deps);
    expect(refill.outputs.map((o) => o.kind)).toEqual(['key_package']);
    expect(decodeKeyPackageDocument((refill.outputs[0] as { document: Uint8Array }).document).previous).toEqual(docs[2]!.id);
    // near expiry: every pending package is deleted (signed records) and replaced
    const later: MlsDeps = { ...deps, now: () => deps.now() + 27 * 24 * 3600 };
    const renewed = await replenishKeyPackages(refill.state, later);
    expect(renewed.outputs.map((o) => o.kind)).toEqual(['key_package_delete', 'key_package_delete', 'key_package_delete', 'key_package', 'key_package', 'key_package']);
    expect(secretGroupDocumentKind((renewed.outputs[0] as { record: Uint8Array }).record)).toBe('key_package_delete');
    expect(renewed.state.pending).toHaveLength(3);
    expect(dec.decode(text('ok'))).toBe('ok');
  });
});
