/**
 * What the official vectors do not exercise, cross-checked against stock
 * ts-mls on suites 1 and 3 (suite 3 through @hpke/chacha20poly1305):
 * external commits (HPKE export / import of the external init secret), key
 * generation, and a Secret Group run on the stock suite-3 implementation.
 */
import { describe, expect, it } from 'vitest';
import {
  createApplicationMessage, createCommit, createGroup, createGroupInfoWithExternalPubAndRatchetTree, defaultCapabilities, defaultLifetime, emptyPskIndex,
  generateKeyPackage, getCiphersuiteFromName, getCiphersuiteImpl, joinGroupExternal, processPrivateMessage, processPublicMessage,
  type CiphersuiteImpl, type CiphersuiteName,
} from 'ts-mls';
import { verifyKeyPackage } from 'ts-mls/keyPackage.js';
import { defaultDeps } from '../../src/crypto/index.js';
import {
  commitSecretGroup, createMlsCiphersuite, createSecretGroup, decryptLongTerm, decryptSenderRatchet, encryptLongTerm, encryptSenderRatchet,
  joinSecretGroup, processCommit, type MlsDeps,
} from '../../src/mls/index.js';
import { newMember, text } from './helpers.js';

const SUITES: readonly CiphersuiteName[] = ['MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519'];

async function pair(name: CiphersuiteName): Promise<{ stock: CiphersuiteImpl; ours: CiphersuiteImpl }> {
  return { stock: await getCiphersuiteImpl(getCiphersuiteFromName(name)), ours: createMlsCiphersuite(name) };
}

describe.each(SUITES)('interop with stock ts-mls on %s', (name) => {
  it('HPKE export / import of an external init secret, both ways', async () => {
    const { stock, ours } = await pair(name);
    const info = text('MLS 1.0 external init secret');
    const context = new Uint8Array(0);
    for (const [sender, receiver] of [[ours, stock], [stock, ours]] as const) {
      const recipient = await receiver.hpke.generateKeyPair();
      const publicKey = await sender.hpke.importPublicKey(await receiver.hpke.exportPublicKey(recipient.publicKey));
      const exported = await sender.hpke.exportSecret(publicKey, context, 32, info);
      expect(await receiver.hpke.importSecret(recipient.privateKey, context, exported.enc, 32, info)).toEqual(exported.secret);
    }
  });

  it('external commits: a joiner on one implementation, the group on the other', { timeout: 30_000 }, async () => {
    const { stock, ours } = await pair(name);
    for (const [groupSuite, joinerSuite] of [[stock, ours], [ours, stock]] as const) {
      const founder = await generateKeyPackage({ credentialType: 'basic', identity: text('founder') }, defaultCapabilities(), defaultLifetime, [], groupSuite);
      let group = await createGroup(text(`external ${groupSuite === stock ? 'a' : 'b'}`), founder.publicPackage, founder.privatePackage, [], groupSuite);
      group = (await createCommit({ state: group, cipherSuite: groupSuite })).newState;
      const info = await createGroupInfoWithExternalPubAndRatchetTree(group, [], groupSuite);
      const joiner = await generateKeyPackage({ credentialType: 'basic', identity: text('joiner') }, defaultCapabilities(), defaultLifetime, [], joinerSuite);
      const joined = await joinGroupExternal(info, joiner.publicPackage, joiner.privatePackage, false, joinerSuite);
      const applied = await processPublicMessage(group, joined.publicMessage, emptyPskIndex, groupSuite);
      expect(applied.newState.keySchedule.epochAuthenticator).toEqual(joined.newState.keySchedule.epochAuthenticator);
      expect(applied.newState.groupContext.epoch).toBe(group.groupContext.epoch + 1n);
      const hello = await createApplicationMessage(joined.newState, text('joined from outside'), joinerSuite);
      const got = await processPrivateMessage(applied.newState, hello.privateMessage, emptyPskIndex, groupSuite);
      expect(got.kind === 'applicationMessage' ? got.message : undefined).toEqual(text('joined from outside'));
    }
  });

  it('key generation: keys and key packages made by one implementation work with the other', async () => {
    const { stock, ours } = await pair(name);
    for (const [maker, user] of [[ours, stock], [stock, ours]] as const) {
      const signer = await maker.signature.keygen();
      const message = text('MLS 1.0 key generation');
      expect(await user.signature.verify(signer.publicKey, message, await maker.signature.sign(signer.signKey, message))).toBe(true);
      expect(await user.signature.sign(signer.signKey, message)).toEqual(await maker.signature.sign(signer.signKey, message));
      const hpke = await maker.hpke.generateKeyPair();
      const raw = await maker.hpke.exportPublicKey(hpke.publicKey);
      expect(raw).toHaveLength(32);
      const sealed = await user.hpke.seal(await user.hpke.importPublicKey(raw), text('to the new key'), text('info'), text('aad'));
      expect(await maker.hpke.open(hpke.privateKey, sealed.enc, sealed.ct, text('info'), text('aad'))).toEqual(text('to the new key'));
      const ikm = defaultDeps().crypto.randomBytes(32);
      const a = await maker.hpke.deriveKeyPair(ikm);
      const b = await user.hpke.deriveKeyPair(ikm);
      expect(await maker.hpke.exportPublicKey(a.publicKey)).toEqual(await user.hpke.exportPublicKey(b.publicKey));
      const made = await generateKeyPackage({ credentialType: 'basic', identity: text('kp') }, defaultCapabilities(), defaultLifetime, [], maker);
      expect(await verifyKeyPackage(made.publicPackage, user.signature)).toBe(true);
      expect(made.publicPackage.cipherSuite).toBe(name);
    }
  });

  it('a Secret Group on the stock implementation mixes with groupcrypt members', { timeout: 30_000 }, async () => {
    const { stock, ours } = await pair(name);
    const base = defaultDeps();
    const stockDeps: MlsDeps = { ...base, mls: stock };
    const oursDeps: MlsDeps = { ...base, mls: ours };
    const owner = await newMember(stockDeps, 0);
    const alice = await newMember(oursDeps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x03 }, stockDeps);
    const added = await commitSecretGroup(created.state, { add: [alice.packages[0]!] }, stockDeps);
    let a = (await joinSecretGroup({ identity: alice.store, group: created.outputs[0].document, commit: added.outputs[0].document }, oursDeps)).state;
    const update = await commitSecretGroup(added.state, { rotate: true }, stockDeps);
    a = (await processCommit(a, update.outputs[0].document, oursDeps)).state;
    const sr = await encryptSenderRatchet(a, text('from groupcrypt'), oursDeps);
    expect((await decryptSenderRatchet(update.state, sr.outputs[0].message, stockDeps)).outputs[0].plaintext).toEqual(text('from groupcrypt'));
    const lts = await encryptLongTerm(update.state, text('from stock'), stockDeps);
    expect(decryptLongTerm(a, lts.outputs[0].message, oursDeps).plaintext).toEqual(text('from stock'));
    expect(a.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1]);
  });
});
