/**
 * Generated identities sign with native Ed25519 (fast path) and every
 * signature still verifies as XEdDSA under the X25519 identity key, with both
 * providers; imported identities sign with XEdDSA.
 */
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeCryptoProvider, PortableCryptoProvider, bytesEqual, utf8, xeddsaEdwardsPublicKey } from '../../src/crypto/index.js';
import { createKeyManager, decodeKeyManager, encodeKeyManager, generateIdentity, identityFromSecretKey, identityOf, signWithIdentity, verifyWithIdentity } from '../../src/keys/index.js';

const providers = [new NodeCryptoProvider(), new PortableCryptoProvider()];
const depsOf = (crypto: NodeCryptoProvider | PortableCryptoProvider) => ({ crypto, now: () => 1_700_000_000 });

describe('identity signing', () => {
  it.each(providers.map((p) => [p.name, p] as const))('generated identities sign with Ed25519 and verify as XEdDSA (%s)', (_name, crypto) => {
    const deps = depsOf(crypto);
    for (let i = 0; i < 20; i++) {
      const identity = generateIdentity(deps);
      expect(identity.signingSeed).toBeDefined();
      // The X25519 key pair is consistent, and its Edwards form is the seed's Ed25519 key.
      expect(bytesEqual(crypto.x25519PublicKey(identity.secretKey), identity.publicKey)).toBe(true);
      expect(bytesEqual(xeddsaEdwardsPublicKey(identity.publicKey)!, crypto.ed25519PublicKey(identity.signingSeed!))).toBe(true);
      const message = utf8(`message ${i}`);
      const signature = signWithIdentity(deps, identity, message);
      for (const verifier of providers) expect(verifyWithIdentity(depsOf(verifier), identity.publicKey, message, signature)).toBe(true);
      expect(verifyWithIdentity(deps, identity.publicKey, utf8('other'), signature)).toBe(false);
      const tampered = new Uint8Array(signature);
      tampered[5] = (tampered[5] as number) ^ 1;
      expect(verifyWithIdentity(deps, identity.publicKey, message, tampered)).toBe(false);
    }
  });

  it('the signature is plain RFC 8032 Ed25519 (node:crypto agrees)', () => {
    const deps = depsOf(new NodeCryptoProvider());
    const identity = generateIdentity(deps);
    const message = utf8('interop');
    const signature = signWithIdentity(deps, identity, message);
    const edwards = xeddsaEdwardsPublicKey(identity.publicKey)!;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(edwards).toString('base64url') }, format: 'jwk' });
    expect(verify(null, message, key, signature)).toBe(true);
  });

  it('an identity imported from its X25519 secret signs with XEdDSA, verifiable the same way', () => {
    const deps = depsOf(new NodeCryptoProvider());
    const imported = identityFromSecretKey(deps, generateIdentity(deps).secretKey);
    expect(imported.signingSeed).toBeUndefined();
    const signature = signWithIdentity(deps, imported, utf8('x'));
    expect(verifyWithIdentity(deps, imported.publicKey, utf8('x'), signature)).toBe(true);
  });

  it('the key manager keeps the signing seed across its codec', () => {
    const deps = depsOf(new NodeCryptoProvider());
    const manager = createKeyManager(deps);
    const decoded = decodeKeyManager(encodeKeyManager(manager));
    expect(bytesEqual(identityOf(decoded).signingSeed!, identityOf(manager).signingSeed!)).toBe(true);
    expect(bytesEqual(encodeKeyManager(decoded), encodeKeyManager(manager))).toBe(true);
  });
});
