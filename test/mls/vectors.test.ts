/**
 * The official RFC 9420 interoperability vectors (mlswg/mls-implementations,
 * suites 1 and 3; see ../shared/vectors/SOURCES.md), run through ts-mls on
 * groupcrypt's ciphersuite implementation, and on stock ts-mls as the
 * control (suite 3 needs @hpke/chacha20poly1305):
 *
 * - crypto-basics: every labelled primitive;
 * - secret-tree: sender-data keys, and every leaf's handshake and application keys and nonces per generation;
 * - key-schedule: every epoch secret from the init, commit and PSK secrets and the group context, and the
 *   external HPKE key pair (external commits' init secret) derived from the external secret;
 * - passive-client-welcome / -handling-commit / -random: join from the
 *   Welcome, apply every proposal and commit, compare each epoch authenticator;
 *   once more with members' plaintext commits applied by groupcrypt's own
 *   commit processing (src/mls/member-process.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  acceptAll, decodeMlsMessage, getCiphersuiteFromName, getCiphersuiteImpl, joinGroup, makePskIndex, processMessage, type CiphersuiteImpl,
  type CiphersuiteName, type ClientState, type MLSMessage,
} from 'ts-mls';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { decodeGroupContext } from 'ts-mls/groupContext.js';
import { initializeEpoch } from 'ts-mls/keySchedule.js';
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { createSecretTree, deriveKey, deriveNonce } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js';
import { bytesToBase64 } from 'ts-mls';
import { createMlsCiphersuite } from '../../src/mls/index.js';
import { processMemberCommit } from '../../src/mls/member-process.js';
import { loadVectors } from '../helpers/vectors.js';

const SUITES: Record<number, CiphersuiteName> = {
  1: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  3: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
};

function load<T>(name: string): T[] {
  return loadVectors<T[]>(`mls/${name}.json`);
}

function hex(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function mlsMessage(value: string): MLSMessage {
  const decoded = decodeMlsMessage(hex(value), 0);
  if (decoded === undefined) throw new Error('vector: MLSMessage does not decode');
  return decoded[0];
}

const stockCache = new Map<CiphersuiteName, CiphersuiteImpl>();
async function implementation(kind: 'groupcrypt' | 'stock', suite: number): Promise<CiphersuiteImpl> {
  const name = SUITES[suite];
  if (name === undefined) throw new Error(`vector suite ${suite}`);
  if (kind === 'groupcrypt') return createMlsCiphersuite(name);
  let impl = stockCache.get(name);
  if (impl === undefined) {
    impl = await getCiphersuiteImpl(getCiphersuiteFromName(name));
    stockCache.set(name, impl);
  }
  return impl;
}

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: { priv: string; pub: string; label: string; context: string; plaintext: string; kem_output: string; ciphertext: string };
}

interface SecretTreeVector {
  cipher_suite: number;
  encryption_secret: string;
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
  leaves: { generation: number; application_key: string; application_nonce: string; handshake_key: string; handshake_nonce: string }[][];
}

interface KeyScheduleVector {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: Record<string, string>[];
}

interface PassiveClient {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
}

/** How a passive client processes a message; `ours` also counts the commits that went through groupcrypt's own path. */
type Processing = 'stock' | { readonly ours: { count: number } };

async function runPassiveClient(v: PassiveClient, cs: CiphersuiteImpl, processing: Processing = 'stock'): Promise<number> {
  const keyPackage = mlsMessage(v.key_package);
  const welcome = mlsMessage(v.welcome);
  if (keyPackage.wireformat !== 'mls_key_package' || welcome.wireformat !== 'mls_welcome') throw new Error('vector: wire formats');
  const psks: Record<string, Uint8Array> = {};
  for (const p of v.external_psks) psks[bytesToBase64(hex(p.psk_id))] = hex(p.psk);
  const tree = v.ratchet_tree === null ? undefined : decodeRatchetTree(hex(v.ratchet_tree), 0)?.[0];
  let state: ClientState = await joinGroup(welcome.welcome, keyPackage.keyPackage, {
    initPrivateKey: hex(v.init_priv), hpkePrivateKey: hex(v.encryption_priv), signaturePrivateKey: hex(v.signature_priv),
  }, makePskIndex(undefined, psks), cs, tree);
  expect(Buffer.from(state.keySchedule.epochAuthenticator).toString('hex')).toBe(v.initial_epoch_authenticator);
  for (const epoch of v.epochs) {
    for (const proposal of [...epoch.proposals, epoch.commit]) {
      const message = mlsMessage(proposal);
      if (message.wireformat !== 'mls_public_message' && message.wireformat !== 'mls_private_message') throw new Error('vector: wire format');
      const ours = processing !== 'stock' && message.wireformat === 'mls_public_message' && message.publicMessage.content.contentType === 'commit'
        && message.publicMessage.content.sender.senderType === 'member';
      if (ours) {
        state = (await processMemberCommit(state, message.publicMessage, cs, makePskIndex(state, psks))).newState;
        processing.ours.count++;
        continue;
      }
      const result = await processMessage(message, state, makePskIndex(state, psks), acceptAll, cs);
      if (result.kind !== 'newState') throw new Error('vector: expected a handshake message');
      state = result.newState;
    }
    expect(Buffer.from(state.keySchedule.epochAuthenticator).toString('hex')).toBe(epoch.epoch_authenticator);
  }
  return v.epochs.length;
}

describe.each(['groupcrypt', 'stock'] as const)('official RFC 9420 vectors on the %s ciphersuite', (kind) => {
  it('crypto-basics', async () => {
    const entries = load<CryptoBasics>('crypto-basics');
    expect(entries.map((e) => e.cipher_suite).sort()).toEqual([1, 3]);
    for (const v of entries) {
      const cs = await implementation(kind, v.cipher_suite);
      const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
      expect(toHex(await refhash(v.ref_hash.label, hex(v.ref_hash.value), cs.hash))).toBe(v.ref_hash.out);
      const e = v.expand_with_label;
      expect(toHex(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, cs.kdf))).toBe(e.out);
      expect(toHex(await deriveSecret(hex(v.derive_secret.secret), v.derive_secret.label, cs.kdf))).toBe(v.derive_secret.out);
      const t = v.derive_tree_secret;
      expect(toHex(await deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length, cs.kdf))).toBe(t.out);
      const s = v.sign_with_label;
      expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), hex(s.signature), cs.signature)).toBe(true);
      const mine = await signWithLabel(hex(s.priv), s.label, hex(s.content), cs.signature);
      expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), mine, cs.signature)).toBe(true);
      const x = v.encrypt_with_label;
      const priv = await cs.hpke.importPrivateKey(hex(x.priv));
      expect(toHex(await decryptWithLabel(priv, x.label, hex(x.context), hex(x.kem_output), hex(x.ciphertext), cs.hpke))).toBe(x.plaintext);
      const sealed = await encryptWithLabel(await cs.hpke.importPublicKey(hex(x.pub)), x.label, hex(x.context), hex(x.plaintext), cs.hpke);
      expect(toHex(await decryptWithLabel(priv, x.label, hex(x.context), sealed.enc, sealed.ct, cs.hpke))).toBe(x.plaintext);
    }
  });

  it('secret-tree', async () => {
    const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    let checked = 0;
    for (const v of load<SecretTreeVector>('secret-tree')) {
      const cs = await implementation(kind, v.cipher_suite);
      const sd = v.sender_data;
      expect(toHex(await expandSenderDataKey(cs, hex(sd.sender_data_secret), hex(sd.ciphertext)))).toBe(sd.key);
      expect(toHex(await expandSenderDataNonce(cs, hex(sd.sender_data_secret), hex(sd.ciphertext)))).toBe(sd.nonce);
      const tree = await createSecretTree(v.leaves.length, hex(v.encryption_secret), cs.kdf);
      for (const [leaf, generations] of v.leaves.entries()) {
        const node = tree[leafToNodeIndex(toLeafIndex(leaf))]!;
        for (const g of generations) {
          for (const [chain, key, nonce] of [[node.application, g.application_key, g.application_nonce], [node.handshake, g.handshake_key, g.handshake_nonce]] as const) {
            let secret = chain.secret;
            for (let i = 0; i < g.generation; i++) secret = await deriveTreeSecret(secret, 'secret', i, cs.kdf.size, cs.kdf);
            expect(toHex(await deriveKey(secret, g.generation, cs))).toBe(key);
            expect(toHex(await deriveNonce(secret, g.generation, cs))).toBe(nonce);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('key-schedule (with the external HPKE key pair)', async () => {
    const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    for (const v of load<KeyScheduleVector>('key-schedule')) {
      const cs = await implementation(kind, v.cipher_suite);
      let initSecret = hex(v.initial_init_secret);
      for (const e of v.epochs) {
        const context = decodeGroupContext(hex(e['group_context']!), 0)?.[0];
        if (context === undefined) throw new Error('vector: group context');
        expect(toHex(context.treeHash)).toBe(e['tree_hash']);
        expect(toHex(context.confirmedTranscriptHash)).toBe(e['confirmed_transcript_hash']);
        const epoch = await initializeEpoch(initSecret, hex(e['commit_secret']!), context, hex(e['psk_secret']!), cs.kdf);
        const k = epoch.keySchedule;
        expect(toHex(epoch.joinerSecret)).toBe(e['joiner_secret']);
        expect(toHex(epoch.welcomeSecret)).toBe(e['welcome_secret']);
        expect(toHex(epoch.encryptionSecret)).toBe(e['encryption_secret']);
        expect(toHex(k.senderDataSecret)).toBe(e['sender_data_secret']);
        expect(toHex(k.exporterSecret)).toBe(e['exporter_secret']);
        expect(toHex(k.externalSecret)).toBe(e['external_secret']);
        expect(toHex(k.confirmationKey)).toBe(e['confirmation_key']);
        expect(toHex(k.membershipKey)).toBe(e['membership_key']);
        expect(toHex(k.resumptionPsk)).toBe(e['resumption_psk']);
        expect(toHex(k.epochAuthenticator)).toBe(e['epoch_authenticator']);
        expect(toHex(k.initSecret)).toBe(e['init_secret']);
        // external_pub = DeriveKeyPair(external_secret).public: the key external joiners export their init secret to
        const external = await cs.hpke.deriveKeyPair(k.externalSecret);
        expect(toHex(await cs.hpke.exportPublicKey(external.publicKey))).toBe(e['external_pub']);
        initSecret = k.initSecret;
      }
    }
  });

  it.each(['passive-client-welcome', 'passive-client-handling-commit', 'passive-client-random'])('%s', { timeout: 300_000 }, async (file) => {
    const entries = load<PassiveClient>(file);
    if (kind === 'stock' && file === 'passive-client-random') return; // 200 epochs: groupcrypt's suite only (time)
    let epochs = 0;
    for (const v of entries) epochs += await runPassiveClient(v, await implementation(kind, v.cipher_suite));
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.cipher_suite))).toEqual(new Set(file === 'passive-client-random' ? [1] : [1, 3]));
    if (file === 'passive-client-random') expect(epochs).toBe(200);
  });
});

describe('official RFC 9420 passive-client vectors through groupcrypt\'s own commit processing', () => {
  // passive-client-welcome has no commits to process.
  it.each(['passive-client-handling-commit', 'passive-client-random'])('%s', { timeout: 300_000 }, async (file) => {
    const processing = { ours: { count: 0 } };
    for (const v of load<PassiveClient>(file)) await runPassiveClient(v, await implementation('groupcrypt', v.cipher_suite), processing);
    expect(processing.ours.count).toBeGreaterThan(0);
  });
});
