/**
 * Issue 20, "The Secret Group (MLS) under attack": one test per finding,
 * each a proof of concept that succeeded against the code before the fix.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import {
  applyKeyPackageDelete, commitSecretGroup, createKeyPackage, createKeyPackageDelete, createKeyPackageRegistry, decodeLongTermSecretCiphertext,
  decryptLongTerm, decryptSenderRatchet, encodeLongTermSecrets, encryptLongTerm, encryptSenderRatchet, joinSecretGroup, processCommit,
  registerKeyPackage, takeKeyPackage, verifyKeyPackageDocument, type MlsDeps, type SecretGroupState,
} from '../../src/mls/index.js';
import { expectCode, newMember, nodeDeps, smallGroup, snapshot, text } from './helpers.js';

type Group = Awaited<ReturnType<typeof smallGroup>>;

function withField(bytes: Uint8Array, field: string, value: unknown): Uint8Array {
  return encodeCanonical({ ...(decodeCanonical(bytes, 'test') as Record<string, unknown>), [field]: value });
}

function field(bytes: Uint8Array, name: string): Uint8Array {
  return (decodeCanonical(bytes, 'test') as Record<string, Uint8Array>)[name]!;
}

const dec = new TextDecoder();

describe('issue 20: the Secret Group under attack', () => {
  let deps: MlsDeps;
  let g: Group;
  beforeAll(async () => {
    deps = nodeDeps();
    g = await smallGroup(deps);
  }, 30_000);

  describe('1. one commit chain for everyone', () => {
    it('a commit with a swapped Welcome is refused, and the genuine chain goes on', async () => {
      const first = await commitSecretGroup(g.owner, {}, deps);
      const second = await commitSecretGroup(first.state, {}, deps);
      const swapped = withField(first.outputs[0].document, 'mls_welcome', new Uint8Array([1, 2, 3]));
      const before = snapshot(g.alice);
      await expectCode(() => processCommit(g.alice, swapped, deps), 'VERIFY_SIGNATURE');
      expect(snapshot(g.alice)).toBe(before);
      const a1 = await processCommit(g.alice, first.outputs[0].document, deps);
      const a2 = await processCommit(a1.state, second.outputs[0].document, deps);
      expect(a2.state.lastCommit).toEqual(second.outputs[0].id);
    });

    it('an MLS message with a non-minimal length encoding is refused', async () => {
      const sent = await encryptSenderRatchet(g.alice, text('once'), deps);
      const inner = field(sent.outputs[0].message, 'mls');
      // MLSMessage: version u16, wire format u16, then group_id<V> with its 1-byte varint length 32; re-encode it in 2 bytes
      expect(inner[4]).toBe(32);
      const padded = new Uint8Array([...inner.slice(0, 4), 0x40, 32, ...inner.slice(5)]);
      const before = snapshot(g.bob);
      await expectCode(() => decryptSenderRatchet(g.bob, withField(sent.outputs[0].message, 'mls', padded), deps), 'DECODE_NON_CANONICAL');
      expect(snapshot(g.bob)).toBe(before);
      expect(dec.decode((await decryptSenderRatchet(g.bob, sent.outputs[0].message, deps)).outputs[0].plaintext)).toBe('once');
    });

    it('a joiner refuses a commit whose unsigned parts were changed (previous pointer)', async () => {
      const carol = await newMember(deps);
      const added = await commitSecretGroup(g.owner, { add: [carol.packages[0]!] }, deps);
      const rewired = withField(added.outputs[0].document, 'previous', new Uint8Array(32).fill(7));
      await expectCode(() => joinSecretGroup({ identity: carol.store, group: g.groupDoc, commit: rewired }, deps), 'VERIFY_SIGNATURE');
      const joined = await joinSecretGroup({ identity: carol.store, group: g.groupDoc, commit: added.outputs[0].document }, deps);
      expect(joined.state.lastCommit).toEqual(added.outputs[0].id);
    });
  });

  describe('2. the long-term secret list is bound to its commit', () => {
    it('an owner message with attacker-chosen bytes cannot stand in for the secret list', async () => {
      const commit = await commitSecretGroup(g.owner, {}, deps);
      const planted = encodeLongTermSecrets([...commit.state.secrets, { ...commit.state.secrets[0]!, longTermEpoch: 1_000_000 }]);
      // the owner encrypts bytes the attacker chose, in the new epoch
      const echoed = await encryptSenderRatchet(commit.state, planted, deps);
      const forged = withField(commit.outputs[0].document, 'encrypted_long_term_secrets', field(echoed.outputs[0].message, 'mls'));
      await expectCode(() => processCommit(g.alice, forged, deps), 'VERIFY_SIGNATURE');
      const genuine = await processCommit(g.alice, commit.outputs[0].document, deps);
      expect(genuine.state.secrets.map((s) => s.longTermEpoch)).toEqual([0]);
    });

    it('a secret epoch beyond the current maximum plus one is refused', async () => {
      const skewed: SecretGroupState = { ...g.owner, secrets: [...g.owner.secrets, { ...g.owner.secrets[0]!, longTermEpoch: 1_000_000 }] };
      const commit = await commitSecretGroup(skewed, {}, deps);
      const before = snapshot(g.alice);
      await expectCode(() => processCommit(g.alice, commit.outputs[0].document, deps), 'STATE_LIMIT');
      expect(snapshot(g.alice)).toBe(before);
    });
  });

  describe('3. removed members are silenced', () => {
    it('a removed member\'s sender-ratchet message on a retained past epoch is refused', async () => {
      const removal = await commitSecretGroup(g.owner, { remove: [g.bob.self] }, deps);
      let alice = (await processCommit(g.alice, removal.outputs[0].document, deps)).state;
      let owner = removal.state;
      for (let i = 0; i < 5; i++) {
        const update = await commitSecretGroup(owner, {}, deps);
        owner = update.state;
        alice = (await processCommit(alice, update.outputs[0].document, deps)).state;
      }
      // bob writes from his state before the removal
      const stale = await encryptSenderRatchet(g.bob, text('bob after his removal'), deps);
      const before = snapshot(alice);
      await expectCode(() => decryptSenderRatchet(alice, stale.outputs[0].message, deps), 'VERIFY_SENDER');
      await expectCode(() => decryptSenderRatchet(owner, stale.outputs[0].message, deps), 'VERIFY_SENDER');
      expect(snapshot(alice)).toBe(before);
    }, 30_000);

    it('a removed member\'s long-term message is refused under a secret it no longer may use', async () => {
      const removal = await commitSecretGroup(g.owner, { remove: [g.bob.self], rotate: false }, deps);
      const alice = (await processCommit(g.alice, removal.outputs[0].document, deps)).state;
      const stale = await encryptLongTerm(g.bob, text('bob after his removal'), deps);
      await expectCode(() => decryptLongTerm(alice, stale.outputs[0].message, deps), 'VERIFY_SENDER');
      await expectCode(() => decryptLongTerm(removal.state, stale.outputs[0].message, deps), 'VERIFY_SENDER');
    });

    it('history written by a removed member while a member stays readable, by a late joiner too', async () => {
      const written = await encryptLongTerm(g.bob, text('bob while a member'), deps);
      const removal = await commitSecretGroup(g.owner, { remove: [g.bob.self] }, deps);
      const alice = (await processCommit(g.alice, removal.outputs[0].document, deps)).state;
      expect(dec.decode(decryptLongTerm(alice, written.outputs[0].message, deps).plaintext)).toBe('bob while a member');
      const dave = await newMember(deps);
      const added = await commitSecretGroup(removal.state, { add: [dave.packages[0]!] }, deps);
      const joined = await joinSecretGroup({ identity: dave.store, group: g.groupDoc, commit: added.outputs[0].document }, deps);
      expect(dec.decode(decryptLongTerm(joined.state, written.outputs[0].message, deps).plaintext)).toBe('bob while a member');
    });

    it('past epochs stop reading late messages after pastEpochSeconds', async () => {
      const late = await encryptSenderRatchet(g.bob, text('late'), deps);
      const update = await commitSecretGroup(g.owner, {}, deps);
      const alice = (await processCommit(g.alice, update.outputs[0].document, deps)).state;
      const later: MlsDeps = { ...deps, now: () => deps.now() + alice.config.pastEpochSeconds + 60 };
      await expectCode(() => decryptSenderRatchet(alice, late.outputs[0].message, later), 'STATE_UNKNOWN_EPOCH');
      expect(dec.decode((await decryptSenderRatchet(alice, late.outputs[0].message, deps)).outputs[0].plaintext)).toBe('late');
    });
  });

  describe('4. key packages', () => {
    it('a delete by someone else, arriving first, does not censor the package', async () => {
      const alice = await newMember(deps, 1);
      const mallory = await newMember(deps, 0);
      const id = deps.crypto.sha256(alice.packages[0]!);
      let registry = applyKeyPackageDelete(createKeyPackageRegistry(), createKeyPackageDelete(mallory.store, id, deps), deps).state;
      registry = (await registerKeyPackage(registry, alice.packages[0]!, deps)).state;
      expect(takeKeyPackage(registry, alice.store.publicKey, deps.now()).document).toEqual(alice.packages[0]);
    });

    it('a re-wrapped key package (new previous, new id) is refused; one MLS key package is handed out once', async () => {
      const alice = await newMember(deps, 2);
      const rewrapped = withField(alice.packages[1]!, 'previous', null);
      await expectCode(() => registerKeyPackage(createKeyPackageRegistry(), rewrapped, deps), 'VERIFY_SIGNATURE');
      // the same MLS key package in a second wrapper the author signed is one entry
      const twice = await createKeyPackage(alice.store, deps);
      const sameInner = withField(twice.document, 'mls_key_package', field(alice.packages[1]!, 'mls_key_package'));
      let registry = (await registerKeyPackage(createKeyPackageRegistry(), alice.packages[1]!, deps)).state;
      await expectCode(() => registerKeyPackage(registry, sameInner, deps), 'VERIFY_SIGNATURE');
      registry = takeKeyPackage(registry, alice.store.publicKey, deps.now()).state;
      registry = (await registerKeyPackage(registry, alice.packages[1]!, deps)).state;
      await expectCode(() => takeKeyPackage(registry, alice.store.publicKey, deps.now()), 'STATE_NO_BUNDLE');
    });
  });

  describe('5. bounded cost', () => {
    it('refuses a ratchet jump beyond maxForwardSteps (1,000 by default)', async () => {
      let alice = g.alice;
      let last: Uint8Array | undefined;
      for (let i = 0; i < 1002; i++) {
        const sent = await encryptSenderRatchet(alice, text(`m${i}`), deps);
        alice = sent.state;
        last = sent.outputs[0].message;
      }
      const before = snapshot(g.bob);
      await expectCode(() => decryptSenderRatchet(g.bob, last!, deps), 'STATE_WINDOW_AHEAD');
      expect(snapshot(g.bob)).toBe(before);
    }, 60_000);

    it('a failed message is remembered: its replay does no crypto', async () => {
      const removal = await commitSecretGroup(g.owner, { remove: [g.bob.self] }, deps);
      let opened = 0;
      const counting: MlsDeps = {
        ...deps,
        mls: { ...deps.mls, hpke: { ...deps.mls.hpke, decryptAead: async (...args) => { opened++; return deps.mls.hpke.decryptAead(...args); } } },
      };
      const corrupted = await encryptSenderRatchet(g.alice, text('x'), deps);
      const inner = field(corrupted.outputs[0].message, 'mls').slice();
      inner[inner.length - 1]! ^= 1;
      const message = withField(corrupted.outputs[0].message, 'mls', inner);
      await expectCode(() => decryptSenderRatchet(removal.state, message, counting), 'VERIFY_AEAD');
      expect(opened).toBeGreaterThan(0);
      opened = 0;
      await expectCode(() => decryptSenderRatchet(removal.state, message, counting), 'VERIFY_AEAD');
      expect(opened).toBe(0);
    });
  });

  describe('6. long-term nonces', () => {
    it('two encryptions from one reused state use different nonces', async () => {
      const one = await encryptLongTerm(g.alice, text('same'), deps);
      const two = await encryptLongTerm(g.alice, text('same'), deps);
      const a = decodeLongTermSecretCiphertext(one.outputs[0].message);
      const b = decodeLongTermSecretCiphertext(two.outputs[0].message);
      expect(a.nonce).not.toEqual(b.nonce);
      expect(a.ciphertext).not.toEqual(b.ciphertext);
      expect(dec.decode(decryptLongTerm(g.bob, two.outputs[0].message, deps).plaintext)).toBe('same');
    });
  });

  describe('7. key-package lifetimes (deps.now)', () => {
    it('expired and not-yet-valid key packages are refused by verification, the registry and the owner\'s commit', async () => {
      const past: MlsDeps = { ...deps, now: () => deps.now() - 40 * 24 * 3600 };
      const future: MlsDeps = { ...deps, now: () => deps.now() + 10 * 24 * 3600 };
      const old = await newMember(past, 1);
      const early = await newMember(future, 1);
      await expectCode(() => verifyKeyPackageDocument(old.packages[0]!, deps), 'VERIFY_EXPIRED');
      await expectCode(() => registerKeyPackage(createKeyPackageRegistry(), old.packages[0]!, deps), 'VERIFY_EXPIRED');
      await expectCode(() => commitSecretGroup(g.owner, { add: [old.packages[0]!] }, deps), 'VERIFY_EXPIRED');
      await expectCode(() => commitSecretGroup(g.owner, { add: [early.packages[0]!] }, deps), 'VERIFY_NOT_YET_VALID');
      // the registry never hands out a package that expired while it waited
      const fresh = await newMember(deps, 1);
      const registry = (await registerKeyPackage(createKeyPackageRegistry(), fresh.packages[0]!, deps)).state;
      expect(() => takeKeyPackage(registry, fresh.store.publicKey, deps.now() + 60 * 24 * 3600)).toThrow(/no key package/);
    });
  });
});
