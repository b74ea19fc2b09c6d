import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/crypto/index.js';
import type { KeyBundle, OneTimeKeyBundle } from '../../src/keys/index.js';
import { findOneTimePreKeySecret, findSignedPreKeySecret } from '../../src/keys/index.js';
import { X3DH_INFO, x3dhInitiate, x3dhRespond } from '../../src/twoparty/index.js';
import { NOW, codeOf, makeParty, testDeps } from './helpers.js';

const deps = testDeps();
const alice = makeParty(deps);
const bob = makeParty(deps);

describe('X3DH', () => {
  it.each([['with', bob.oneTime], ['without', bob.longTerm]] as const)('%s a one-time pre-key: both sides derive SK per the spec', (_w, bundle: KeyBundle) => {
    const ek = deps.crypto.x25519Generate();
    const init = x3dhInitiate(deps, alice.identity, bundle, ek);
    const otk = bundle.kind === 'one-time' ? findOneTimePreKeySecret(bob.keyManager, bundle.oneTimePreKey.id) : null;
    const resp = x3dhRespond(deps, {
      identity: bob.identity,
      signedPreKeySecret: findSignedPreKeySecret(bob.keyManager, bundle.signedPreKey.id),
      oneTimePreKeySecret: otk,
      initiatorIdentityKey: alice.identity.publicKey,
      ephemeralPublicKey: init.ephemeralPublicKey,
    });
    expect(toHex(resp.sharedSecret)).toBe(toHex(init.sharedSecret));
    expect(init.associatedData).toEqual(concatBytes(alice.identity.publicKey, bob.identity.publicKey));
    expect(resp.associatedData).toEqual(init.associatedData);
    expect(init.oneTimePreKeyId).toBe(bundle.kind === 'one-time' ? (bundle as OneTimeKeyBundle).oneTimePreKey.id : null);
    // independent recomputation with @noble: F || DH1 || DH2 || DH3 [|| DH4], zero salt, fixed info
    const spk = bundle.signedPreKey.publicKey;
    const dhs = [x25519.getSharedSecret(alice.identity.secretKey, spk), x25519.getSharedSecret(ek.secretKey, bob.identity.publicKey), x25519.getSharedSecret(ek.secretKey, spk)];
    if (bundle.kind === 'one-time') dhs.push(x25519.getSharedSecret(ek.secretKey, bundle.oneTimePreKey.publicKey));
    const expected = hkdf(sha256, concatBytes(new Uint8Array(32).fill(0xff), ...dhs), new Uint8Array(32), new TextEncoder().encode(X3DH_INFO), 32);
    expect(toHex(init.sharedSecret)).toBe(toHex(expected));
  });

  it('differs with and without the one-time pre-key', () => {
    const ek = deps.crypto.x25519Generate();
    const withOtk = x3dhInitiate(deps, alice.identity, bob.oneTime, ek);
    const without = x3dhInitiate(deps, alice.identity, { kind: 'long-term', identityKey: bob.oneTime.identityKey, signedPreKey: bob.oneTime.signedPreKey }, ek);
    expect(toHex(withOtk.sharedSecret)).not.toBe(toHex(without.sharedSecret));
  });

  it('verifies the bundle first: tampered lifetime, expiry, not-yet-valid', () => {
    const spk = bob.longTerm.signedPreKey;
    const tampered: KeyBundle = { ...bob.longTerm, signedPreKey: { ...spk, lifetime: { ...spk.lifetime, notAfter: spk.lifetime.notAfter + 1 } } };
    expect(codeOf(() => x3dhInitiate(deps, alice.identity, tampered))).toBe('VERIFY_SIGNATURE');
    expect(codeOf(() => x3dhInitiate(testDeps(spk.lifetime.notAfter + 1), alice.identity, bob.longTerm))).toBe('VERIFY_EXPIRED');
    expect(codeOf(() => x3dhInitiate(testDeps(NOW - 10_000), alice.identity, bob.longTerm))).toBe('VERIFY_NOT_YET_VALID');
  });

  it('rejects a low-order ephemeral key on the responder side', () => {
    expect(codeOf(() => x3dhRespond(deps, {
      identity: bob.identity,
      signedPreKeySecret: findSignedPreKeySecret(bob.keyManager, 0),
      oneTimePreKeySecret: null,
      initiatorIdentityKey: alice.identity.publicKey,
      ephemeralPublicKey: new Uint8Array(32),
    }))).toBe('VERIFY_ZERO_SHARED_SECRET');
  });
});
