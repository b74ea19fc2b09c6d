import { beforeAll, describe, expect, it } from 'vitest';
import {
  createApplicationMessage, createCommit, createGroup, defaultCapabilities, defaultLifetime, emptyPskIndex, generateKeyPackage, getCiphersuiteFromName,
  getCiphersuiteImpl, joinGroup, processPrivateMessage, type CiphersuiteImpl, type CiphersuiteName,
} from 'ts-mls';
import { defaultDeps, PortableCryptoProvider } from '../../src/crypto/index.js';
import {
  commitSecretGroup, createMlsCiphersuite, createSecretGroup, decryptLongTerm, decryptSenderRatchet, encryptLongTerm, encryptSenderRatchet,
  joinSecretGroup, processCommit, type MlsDeps,
} from '../../src/mls/index.js';
import { expectCode, newMember, text } from './helpers.js';

const AES: CiphersuiteName = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

describe('groupcrypt MLS ciphersuite vs stock ts-mls', () => {
  let stock: CiphersuiteImpl;
  let ours: CiphersuiteImpl;
  beforeAll(async () => {
    stock = await getCiphersuiteImpl(getCiphersuiteFromName(AES));
    ours = createMlsCiphersuite(AES);
  });

  it('computes the same hash, MAC, KDF, signatures, AEAD and derived keys', async () => {
    const rng = defaultDeps().crypto;
    for (let i = 0; i < 20; i++) {
      const data = rng.randomBytes(i * 7);
      const key = rng.randomBytes(32);
      expect(await ours.hash.digest(data)).toEqual(await stock.hash.digest(data));
      const mac = await stock.hash.mac(key, data);
      expect(await ours.hash.mac(key, data)).toEqual(mac);
      expect(await ours.hash.verifyMac(key, mac, data)).toBe(true);
      const prk = await stock.kdf.extract(key, data);
      expect(await ours.kdf.extract(key, data)).toEqual(prk);
      expect(await ours.kdf.expand(prk, data, 16 + i)).toEqual(await stock.kdf.expand(prk, data, 16 + i));
      const aeadKey = rng.randomBytes(16);
      const nonce = rng.randomBytes(12);
      const sealed = await stock.hpke.encryptAead(aeadKey, nonce, data, key);
      expect(await ours.hpke.encryptAead(aeadKey, nonce, data, key)).toEqual(sealed);
      expect(await ours.hpke.decryptAead(aeadKey, nonce, data, sealed)).toEqual(key);
      // RFC 9180 DeriveKeyPair gives the same key pair
      const a = await stock.hpke.deriveKeyPair(key);
      const b = await ours.hpke.deriveKeyPair(key);
      expect(await ours.hpke.exportPublicKey(b.publicKey)).toEqual(await stock.hpke.exportPublicKey(a.publicKey));
      expect(await ours.hpke.exportPrivateKey(b.privateKey)).toEqual(await stock.hpke.exportPrivateKey(a.privateKey));
    }
    const pair = await stock.signature.keygen();
    const message = text('MLS 1.0 test');
    const signature = await stock.signature.sign(pair.signKey, message);
    expect(await ours.signature.sign(pair.signKey, message)).toEqual(signature);
    expect(await ours.signature.verify(pair.publicKey, message, signature)).toBe(true);
    expect(await ours.signature.verify(pair.publicKey, text('other'), signature)).toBe(false);
    const mine = await ours.signature.keygen();
    expect(await stock.signature.verify(mine.publicKey, message, await ours.signature.sign(mine.signKey, message))).toBe(true);
  });

  it('HPKE seals and exports across implementations', async () => {
    const crypto = defaultDeps().crypto;
    const info = text('info');
    const aad = text('aad');
    const kp = await stock.hpke.generateKeyPair();
    const pub = await stock.hpke.exportPublicKey(kp.publicKey);
    const priv = await stock.hpke.exportPrivateKey(kp.privateKey);
    const oursPub = await ours.hpke.importPublicKey(pub);
    const oursPriv = await ours.hpke.importPrivateKey(priv);
    const sealed = await ours.hpke.seal(oursPub, text('to stock'), info, aad);
    expect(await stock.hpke.open(kp.privateKey, sealed.enc, sealed.ct, info, aad)).toEqual(text('to stock'));
    const back = await stock.hpke.seal(kp.publicKey, text('to ours'), info, aad);
    expect(await ours.hpke.open(oursPriv, back.enc, back.ct, info, aad)).toEqual(text('to ours'));
    const ctx = crypto.randomBytes(8);
    const exported = await ours.hpke.exportSecret(oursPub, ctx, 32, info);
    expect(await stock.hpke.importSecret(kp.privateKey, ctx, exported.enc, 32, info)).toEqual(exported.secret);
    await expectCode(() => ours.hpke.open(oursPriv, back.enc, back.ct, info, text('bad')), 'VERIFY_AEAD');
  });

  it('raw ts-mls groups mix stock and groupcrypt members', async () => {
    const alice = await generateKeyPackage({ credentialType: 'basic', identity: text('alice') }, defaultCapabilities(), defaultLifetime, [], stock);
    const bob = await generateKeyPackage({ credentialType: 'basic', identity: text('bob') }, defaultCapabilities(), defaultLifetime, [], ours);
    let a = await createGroup(text('mixed'), alice.publicPackage, alice.privatePackage, [], stock);
    const commit = await createCommit({ state: a, cipherSuite: stock }, { extraProposals: [{ proposalType: 'add', add: { keyPackage: bob.publicPackage } }] });
    a = commit.newState;
    let b = await joinGroup(commit.welcome!, bob.publicPackage, bob.privatePackage, emptyPskIndex, ours, a.ratchetTree);
    const update = await createCommit({ state: b, cipherSuite: ours });
    b = update.newState;
    if (update.commit.wireformat !== 'mls_private_message') throw new Error('expected private commit');
    a = (await processPrivateMessage(a, update.commit.privateMessage, emptyPskIndex, stock)).newState;
    const msg = await createApplicationMessage(a, text('hello'), stock);
    const got = await processPrivateMessage(b, msg.privateMessage, emptyPskIndex, ours);
    expect(got.kind === 'applicationMessage' ? got.message : undefined).toEqual(text('hello'));
  });

  it('Secret Groups mix members on stock, node and portable suites', { timeout: 30_000 }, async () => {
    const base = defaultDeps();
    const stockDeps: MlsDeps = { ...base, mls: stock };
    const nodeDeps: MlsDeps = { ...base, mls: ours };
    const portableDeps: MlsDeps = { ...base, mls: createMlsCiphersuite(AES, new PortableCryptoProvider()) };
    const owner = await newMember(nodeDeps, 0);
    const alice = await newMember(stockDeps);
    const bob = await newMember(portableDeps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x02 }, nodeDeps);
    const added = await commitSecretGroup(created.state, { add: [alice.packages[0]!, bob.packages[0]!] }, nodeDeps);
    let a = (await joinSecretGroup({ identity: alice.store, group: created.outputs[0].document, commit: added.outputs[0].document }, stockDeps)).state;
    let b = (await joinSecretGroup({ identity: bob.store, group: created.outputs[0].document, commit: added.outputs[0].document }, portableDeps)).state;
    const upd = await commitSecretGroup(added.state, { remove: [bob.store.publicKey] }, nodeDeps);
    a = (await processCommit(a, upd.outputs[0].document, stockDeps)).state;
    b = (await processCommit(b, upd.outputs[0].document, portableDeps)).state;
    expect(b.status).toBe('removed');
    const sr = await encryptSenderRatchet(a, text('from stock'), stockDeps);
    expect((await decryptSenderRatchet(upd.state, sr.outputs[0].message, nodeDeps)).outputs[0].plaintext).toEqual(text('from stock'));
    const lts = await encryptLongTerm(upd.state, text('long term'), nodeDeps);
    expect(decryptLongTerm(a, lts.outputs[0].message, stockDeps).plaintext).toEqual(text('long term'));
    expect(a.secrets.map((s) => s.longTermEpoch)).toEqual([0, 1]);
  });

  it('supports the ChaCha20-Poly1305 suite and rejects others', async () => {
    const chacha = createMlsCiphersuite('MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519');
    const deps: MlsDeps = { ...defaultDeps(), mls: chacha };
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x03 }, deps);
    const added = await commitSecretGroup(created.state, { add: [alice.packages[0]!] }, deps);
    const a = (await joinSecretGroup({ identity: alice.store, group: created.outputs[0].document, commit: added.outputs[0].document }, deps)).state;
    const sr = await encryptSenderRatchet(a, text('chacha'), deps);
    expect((await decryptSenderRatchet(added.state, sr.outputs[0].message, deps)).outputs[0].plaintext).toEqual(text('chacha'));
    await expectCode(() => createMlsCiphersuite('MLS_256_DHKEMP521_AES256GCM_SHA512_P521'), 'USAGE_UNSUPPORTED');
    await expectCode(() => processCommit(a, added.outputs[0].document, { ...deps, mls: ours }), 'STATE_DUPLICATE');
    await expectCode(() => encryptSenderRatchet(a, text('x'), { ...deps, mls: ours }), 'USAGE_UNSUPPORTED');
  });
});
