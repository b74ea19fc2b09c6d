import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import {
  commitSecretGroup, decryptLongTerm, decryptSenderRatchet, encryptLongTerm, encryptSenderRatchet, joinSecretGroup, processCommit,
  rotateLongTermSecret, type MlsDeps,
} from '../../src/mls/index.js';
import { expectCode, newMember, smallGroup, snapshot, stockDeps, text } from './helpers.js';

type Group = Awaited<ReturnType<typeof smallGroup>>;

function mutate(message: Uint8Array, field: string, change: (value: Uint8Array) => Uint8Array): Uint8Array {
  const record = { ...(decodeCanonical(message, 'test') as Record<string, unknown>) };
  record[field] = change(record[field] as Uint8Array);
  return encodeCanonical(record);
}

function flipLast(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 1;
  return out;
}

describe('Secret Group bad input', () => {
  let deps: MlsDeps;
  let g: Group;
  beforeAll(async () => {
    deps = await stockDeps();
    g = await smallGroup(deps);
  }, 30_000);

  it('rejects a commit from a member who is not the owner, state unchanged', async () => {
    // alice pretends to be the owner locally and commits
    const forged = await commitSecretGroup({ ...g.alice, owner: g.alice.self }, {}, deps);
    const before = snapshot(g.bob);
    await expectCode(() => processCommit(g.bob, forged.outputs[0].document, deps), 'VERIFY_SIGNATURE');
    expect(snapshot(g.bob)).toBe(before);
    await expectCode(() => commitSecretGroup(g.alice, {}, deps), 'STATE_NOT_OWNER');
  });

  it('rejects commits that do not continue the chain, and duplicates', async () => {
    const first = await commitSecretGroup(g.owner, {}, deps);
    const second = await commitSecretGroup(first.state, {}, deps);
    const before = snapshot(g.alice);
    await expectCode(() => processCommit(g.alice, second.outputs[0].document, deps), 'STATE_CAUSALITY');
    expect(snapshot(g.alice)).toBe(before);
    const applied = await processCommit(g.alice, first.outputs[0].document, deps);
    const mid = snapshot(applied.state);
    await expectCode(() => processCommit(applied.state, first.outputs[0].document, deps), 'STATE_DUPLICATE');
    expect(snapshot(applied.state)).toBe(mid);
    // a commit whose previous pointer is rewritten: new id, chain broken
    const rewired = mutate(second.outputs[0].document, 'previous', () => new Uint8Array(32));
    await expectCode(() => processCommit(applied.state, rewired, deps), 'STATE_CAUSALITY');
    // a second commit on the same predecessor forks the chain
    const fork = await commitSecretGroup(g.owner, {}, deps);
    await expectCode(() => processCommit(applied.state, fork.outputs[0].document, deps), 'STATE_BROKEN_CHAIN');
    // the owner's own commit is the head of its chain already
    await expectCode(() => processCommit(first.state, first.outputs[0].document, deps), 'STATE_DUPLICATE');
    const next = await processCommit(applied.state, second.outputs[0].document, deps);
    expect(next.outputs[0]?.kind).toBe('secrets');
  });

  it('rejects a tampered commit and tampered secrets with typed errors', async () => {
    const commit = await commitSecretGroup(g.owner, {}, deps);
    const before = snapshot(g.bob);
    const badCommit = mutate(commit.outputs[0].document, 'mls_commit', flipLast);
    await expectCode(() => processCommit(g.bob, badCommit, deps), 'VERIFY_SIGNATURE');
    // every field is under the owner's signature
    const badSecrets = mutate(commit.outputs[0].document, 'encrypted_long_term_secrets', flipLast);
    await expectCode(() => processCommit(g.bob, badSecrets, deps), 'VERIFY_SIGNATURE');
    expect(snapshot(g.bob)).toBe(before);
    await expectCode(() => processCommit(g.bob, commit.outputs[0].document.slice(0, 50), deps), 'DECODE_MALFORMED');
  });

  it('rejects tampered long-term and sender-ratchet ciphertexts, state unchanged', async () => {
    const lts = await encryptLongTerm(g.alice, text('secret'), deps, text('ad'));
    const before = snapshot(g.bob);
    await expectCode(() => decryptLongTerm(g.bob, mutate(lts.outputs[0].message, 'ciphertext', flipLast), deps, text('ad')), 'VERIFY_SIGNATURE');
    await expectCode(() => decryptLongTerm(g.bob, lts.outputs[0].message, deps, text('other ad')), 'VERIFY_AEAD');
    await expectCode(() => decryptLongTerm(g.bob, mutate(lts.outputs[0].message, 'group_id', () => new Uint8Array(32)), deps, text('ad')), 'VERIFY_GROUP');
    expect(new TextDecoder().decode(decryptLongTerm(g.bob, lts.outputs[0].message, deps, text('ad')).plaintext)).toBe('secret');

    const sr = await encryptSenderRatchet(g.alice, text('ratchet'), deps);
    const tampered = mutate(sr.outputs[0].message, 'mls', flipLast);
    await expectCode(() => decryptSenderRatchet(g.bob, tampered, deps), 'VERIFY_AEAD');
    await expectCode(() => decryptSenderRatchet(g.bob, sr.outputs[0].message, deps, text('ad')), 'VERIFY_AEAD');
    expect(snapshot(g.bob)).toBe(before);
    const ok = await decryptSenderRatchet(g.bob, sr.outputs[0].message, deps);
    expect(new TextDecoder().decode(ok.outputs[0].plaintext)).toBe('ratchet');
    expect(snapshot(g.bob)).toBe(before);
  });

  it('rejects unknown epochs, state unchanged', async () => {
    // a rotated secret not yet announced by a commit
    const rotated = await rotateLongTermSecret(g.owner, deps);
    const lts = await encryptLongTerm(rotated.state, text('too new'), deps);
    const before = snapshot(g.alice);
    await expectCode(() => decryptLongTerm(g.alice, lts.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');
    // a sender-ratchet message from an epoch we have not reached
    const commit = await commitSecretGroup(g.owner, {}, deps);
    const ahead = await encryptSenderRatchet(commit.state, text('ahead'), deps);
    await expectCode(() => decryptSenderRatchet(g.alice, ahead.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');
    expect(snapshot(g.alice)).toBe(before);
  });

  it('drops past epochs beyond the configured bound', async () => {
    const old = await encryptSenderRatchet(g.bob, text('old'), deps);
    let owner = g.owner;
    for (let i = 0; i < 9; i++) owner = (await commitSecretGroup(owner, {}, deps)).state;
    await expectCode(() => decryptSenderRatchet(owner, old.outputs[0].message, deps), 'STATE_UNKNOWN_EPOCH');
    let near = g.owner;
    for (let i = 0; i < 3; i++) near = (await commitSecretGroup(near, {}, deps)).state;
    expect((await decryptSenderRatchet(near, old.outputs[0].message, deps)).outputs[0].plaintext).toEqual(text('old'));
  }, 30_000);

  it('refuses a join without our key package, and bad owner commits', async () => {
    const stranger = await newMember(deps);
    await expectCode(() => joinSecretGroup({ identity: stranger.store, group: g.groupDoc, commit: g.commit }, deps), 'STATE_NOT_MEMBER');
    const update = await commitSecretGroup(g.owner, {}, deps);
    await expectCode(() => joinSecretGroup({ identity: stranger.store, group: g.groupDoc, commit: update.outputs[0].document }, deps), 'STATE_NOT_MEMBER');
    await expectCode(() => commitSecretGroup(g.owner, { remove: [stranger.store.publicKey] }, deps), 'STATE_UNKNOWN_MEMBER');
    await expectCode(() => commitSecretGroup(g.owner, { remove: [g.owner.self] }, deps), 'USAGE_ARGUMENT');
    const again = await newMember(deps);
    await expectCode(() => commitSecretGroup(g.owner, { add: [again.packages[0]!, again.packages[0]!] }, deps), 'USAGE_ARGUMENT');
    await expectCode(() => commitSecretGroup(g.owner, { add: [mutate(again.packages[0]!, 'mls_key_package', flipLast)] }, deps), 'VERIFY_SIGNATURE');
  });
});
