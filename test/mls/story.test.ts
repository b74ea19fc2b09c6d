import { describe, expect, it } from 'vitest';
import {
  commitSecretGroup, createSecretGroup, decodeSecretGroupState, encodeSecretGroupState, decryptLongTerm, decryptSecretGroupMessage, decryptSenderRatchet, encryptLongTerm, encryptSenderRatchet,
  groupMembers, joinSecretGroup, processCommit, rotateLongTermSecret, type SecretGroupState,
} from '../../src/mls/index.js';
import { expectCode, newMember, nodeDeps, snapshot, stockDeps, text } from './helpers.js';

const dec = new TextDecoder();

describe.each([
  ['stock ts-mls suite', stockDeps, false],
  ['groupcrypt suite', async () => nodeDeps(), false],
  ['groupcrypt suite, states persisted after every step', async () => nodeDeps(), true],
])('Secret Group story (seed 001) on the %s', (_name, makeDeps, persist) => {
  /** With `persist`, every state goes through its encoding (fresh byte arrays, no decode cache). */
  const keep = (state: SecretGroupState): SecretGroupState => (persist ? decodeSecretGroupState(encodeSecretGroupState(state)) : state);

  it('create, add, remove, rotate, late join, partition', { timeout: 60_000 }, async () => {
    const deps = await makeDeps();
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const bob = await newMember(deps);
    const carol = await newMember(deps);
    const dave = await newMember(deps);

    // create: epoch 0, first long-term secret
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x01 }, deps);
    const groupDoc = created.outputs[0].document;
    let o: SecretGroupState = keep(created.state);
    expect(o.secrets.map((s) => s.longTermEpoch)).toEqual([0]);
    expect(o.groupId).toEqual(deps.crypto.sha256(groupDoc));

    // long-term data written before anyone joined
    const early = await encryptLongTerm(o, text('early wiki page'), deps);
    o = keep(early.state);
    const earlyLts = early.outputs[0].message;
    const earlySr = await encryptSenderRatchet(o, text('early chat'), deps);
    o = keep(earlySr.state);

    // add alice, bob, carol with one commit (Welcome)
    const add1 = await commitSecretGroup(o, { add: [alice.packages[0]!, bob.packages[0]!, carol.packages[0]!] }, deps);
    o = keep(add1.state);
    const c1 = add1.outputs[0].document;
    const ja = await joinSecretGroup({ identity: alice.store, group: groupDoc, commit: c1 }, deps);
    const jb = await joinSecretGroup({ identity: bob.store, group: groupDoc, commit: c1 }, deps);
    const jc = await joinSecretGroup({ identity: carol.store, group: groupDoc, commit: c1 }, deps);
    let a = keep(ja.state);
    let b = keep(jb.state);
    let c = keep(jc.state);
    expect(ja.identity.pending).toHaveLength(0);
    expect(ja.outputs[0].kind).toBe('key_package_delete');
    expect(groupMembers(a, deps)).toHaveLength(4);
    expect(a.secrets.map((s) => s.longTermEpoch)).toEqual([0]);

    // late joiners read old long-term data, not old sender-ratchet data
    expect(dec.decode(decryptLongTerm(a, earlyLts, deps).plaintext)).toBe('early wiki page');
    await expectCode(() => decryptSenderRatchet(a, earlySr.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');

    // sender ratchet among members, with the dispatching decrypt
    const hi = await encryptSenderRatchet(a, text('hi all'), deps, text('ad'));
    a = keep(hi.state);
    const bHi = await decryptSecretGroupMessage(b, hi.outputs[0].message, deps, text('ad'));
    b = keep(bHi.state);
    expect(dec.decode(bHi.outputs[0].plaintext)).toBe('hi all');
    expect(bHi.outputs[0].sender).toEqual(alice.store.publicKey);
    const oHi = await decryptSenderRatchet(o, hi.outputs[0].message, deps, text('ad'));
    o = keep(oHi.state);

    // partition: carol misses an update commit
    const upd = await commitSecretGroup(o, {}, deps);
    o = keep(upd.state);
    const c2 = upd.outputs[0].document;
    a = keep((await processCommit(a, c2, deps)).state);
    b = keep((await processCommit(b, c2, deps)).state);
    // carol (behind) still talks; the others decrypt from the retained past epoch
    const stale = await encryptSenderRatchet(c, text('from the partition'), deps);
    c = keep(stale.state);
    const aStale = await decryptSenderRatchet(a, stale.outputs[0].message, deps);
    a = keep(aStale.state);
    expect(dec.decode(aStale.outputs[0].plaintext)).toBe('from the partition');
    o = keep((await decryptSenderRatchet(o, stale.outputs[0].message, deps)).state);
    // a message of the new epoch is ahead of carol until she catches up
    const fresh = await encryptSenderRatchet(b, text('new epoch'), deps);
    b = keep(fresh.state);
    await expectCode(() => decryptSenderRatchet(c, fresh.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');
    c = keep((await processCommit(c, c2, deps)).state);
    const cFresh = await decryptSenderRatchet(c, fresh.outputs[0].message, deps);
    c = keep(cFresh.state);
    expect(dec.decode(cFresh.outputs[0].plaintext)).toBe('new epoch');

    // remove bob (rotates the long-term secret from the new epoch)
    const rm = await commitSecretGroup(o, { remove: [bob.store.publicKey] }, deps);
    o = keep(rm.state);
    const c3 = rm.outputs[0].document;
    expect(o.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1]);
    const bRm = await processCommit(b, c3, deps);
    b = keep(bRm.state);
    expect(bRm.outputs).toEqual([{ kind: 'removed' }]);
    expect(b.status).toBe('removed');
    const aRm = await processCommit(a, c3, deps);
    a = keep(aRm.state);
    expect(aRm.outputs).toEqual([{ kind: 'secrets', epochs: [1] }, { kind: 'membership', added: [], removed: [bob.store.publicKey] }]);
    c = keep((await processCommit(c, c3, deps)).state);
    expect(groupMembers(a, deps)).toHaveLength(3);

    // bob cannot read what follows his removal
    const after = await encryptLongTerm(a, text('after bob'), deps);
    a = keep(after.state);
    await expectCode(() => decryptLongTerm(b, after.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');
    expect(dec.decode(decryptLongTerm(c, after.outputs[0].message, deps).plaintext)).toBe('after bob');
    const srAfter = await encryptSenderRatchet(c, text('sr after bob'), deps);
    c = keep(srAfter.state);
    await expectCode(() => decryptSenderRatchet(b, srAfter.outputs[0].message, deps), 'STATE_REMOVED');
    // ...but still reads old long-term data
    expect(dec.decode(decryptLongTerm(b, earlyLts, deps).plaintext)).toBe('early wiki page');

    // explicit rotate, announced by the next commit, which also adds dave
    o = keep((await rotateLongTermSecret(o, deps)).state);
    expect(o.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1, 2]);
    await expectCode(() => rotateLongTermSecret(a, deps), 'STATE_NOT_OWNER');
    const add2 = await commitSecretGroup(o, { add: [dave.packages[0]!] }, deps);
    o = keep(add2.state);
    const c4 = add2.outputs[0].document;
    a = keep((await processCommit(a, c4, deps)).state);
    c = keep((await processCommit(c, c4, deps)).state);
    const d = (await joinSecretGroup({ identity: dave.store, group: groupDoc, commit: c4 }, deps)).state;
    expect(d.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1, 2]);
    expect(a.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1, 2]);
    // dave reads history written with epochs 0 and 1
    expect(dec.decode(decryptLongTerm(d, earlyLts, deps).plaintext)).toBe('early wiki page');
    expect(dec.decode(decryptLongTerm(d, after.outputs[0].message, deps).plaintext)).toBe('after bob');
    // new long-term data uses epoch 2
    const latest = await encryptLongTerm(d, text('dave here'), deps);
    const read = decryptLongTerm(o, latest.outputs[0].message, deps);
    expect(read.epoch).toBe(2);
    expect(read.sender).toEqual(dave.store.publicKey);
    expect(snapshot(latest.state)).not.toBe(snapshot(d));
  });
});
