/**
 * Byte-identical results between the node:crypto and portable providers for
 * every primitive (fast-check), including cross-provider decryption.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, type AeadAlgorithm, type HpkeAeadId } from '../../src/crypto/index.js';
import { hpkeContextExport, hpkeContextSeal, hpkeSetupSender } from '../../src/crypto/hpke.js';
import { NODE, PORTABLE } from './providers.js';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const key32 = bytes(32, 32);
const RUNS = { numRuns: 40 };
const same = (a: Uint8Array, b: Uint8Array): void => expect(toHex(a)).toBe(toHex(b));

describe('cross-provider equality', () => {
  it('sha256 and hmacSha256', () => {
    fc.assert(
      fc.property(bytes(0, 300), bytes(0, 100), (data, key) => {
        same(NODE.sha256(data), PORTABLE.sha256(data));
        same(NODE.hmacSha256(key, data), PORTABLE.hmacSha256(key, data));
      }),
      RUNS,
    );
  });

  it('hkdfExtract, hkdfExpand and hkdf', () => {
    fc.assert(
      fc.property(bytes(0, 80), bytes(0, 80), bytes(0, 80), fc.integer({ min: 0, max: 600 }), (ikm, salt, info, length) => {
        const prk = NODE.hkdfExtract(salt, ikm);
        same(prk, PORTABLE.hkdfExtract(salt, ikm));
        same(NODE.hkdfExpand(prk, info, length), PORTABLE.hkdfExpand(prk, info, length));
        same(NODE.hkdf(ikm, salt, info, length), PORTABLE.hkdf(ikm, salt, info, length));
        expect(NODE.hkdf(ikm, salt, info, length)).toHaveLength(length);
      }),
      RUNS,
    );
  });

  it('x25519 public keys and shared secrets', () => {
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const pa = NODE.x25519PublicKey(a);
        same(pa, PORTABLE.x25519PublicKey(a));
        const pb = PORTABLE.x25519PublicKey(b);
        same(NODE.x25519(a, pb), PORTABLE.x25519(a, pb));
        same(NODE.x25519(a, pb), PORTABLE.x25519(b, pa));
      }),
      RUNS,
    );
  });

  it('x25519 on arbitrary (also non-canonical, twist) public keys', () => {
    fc.assert(
      fc.property(key32, key32, (sk, u) => {
        let n: string;
        let p: string;
        try {
          n = toHex(NODE.x25519(sk, u));
        } catch (error) {
          n = (error as { code: string }).code;
        }
        try {
          p = toHex(PORTABLE.x25519(sk, u));
        } catch (error) {
          p = (error as { code: string }).code;
        }
        expect(n).toBe(p);
      }),
      RUNS,
    );
  });

  it('ed25519 public key, signature and verification', () => {
    fc.assert(
      fc.property(key32, bytes(0, 200), (seed, msg) => {
        const pk = NODE.ed25519PublicKey(seed);
        same(pk, PORTABLE.ed25519PublicKey(seed));
        const sig = NODE.ed25519Sign(seed, msg);
        same(sig, PORTABLE.ed25519Sign(seed, msg));
        expect(PORTABLE.ed25519Verify(pk, msg, sig)).toBe(true);
        expect(NODE.ed25519Verify(pk, msg, sig)).toBe(true);
      }),
      RUNS,
    );
  });

  it('ed25519 verification agrees on random garbage', () => {
    fc.assert(
      fc.property(key32, bytes(0, 20), bytes(64, 64), (pk, msg, sig) => {
        expect(NODE.ed25519Verify(pk, msg, sig)).toBe(PORTABLE.ed25519Verify(pk, msg, sig));
        expect(NODE.xeddsaVerify(pk, msg, sig)).toBe(PORTABLE.xeddsaVerify(pk, msg, sig));
      }),
      RUNS,
    );
  });

  it.each(['chacha20-poly1305', 'xchacha20-poly1305', 'aes-128-gcm', 'aes-256-gcm'] as AeadAlgorithm[])('%s seal/open', (algorithm) => {
    const keyLength = algorithm === 'aes-128-gcm' ? 16 : 32;
    const nonceLength = algorithm === 'xchacha20-poly1305' ? 24 : 12;
    fc.assert(
      fc.property(bytes(keyLength, keyLength), bytes(nonceLength, nonceLength), bytes(0, 300), bytes(0, 50), (key, nonce, pt, aad) => {
        const sealed = NODE.aeadSeal(algorithm, key, nonce, pt, aad);
        same(sealed, PORTABLE.aeadSeal(algorithm, key, nonce, pt, aad));
        same(PORTABLE.aeadOpen(algorithm, key, nonce, sealed, aad), pt);
        same(NODE.aeadOpen(algorithm, key, nonce, sealed, aad), pt);
      }),
      RUNS,
    );
  });

  it('HPKE: same context and ciphertexts for a fixed ephemeral key; cross open and export', () => {
    fc.assert(
      fc.property(key32, key32, bytes(0, 40), bytes(0, 40), bytes(0, 200), fc.constantFrom<HpkeAeadId>(1, 2, 3), (skR, skE, info, aad, pt, aead) => {
        const suite = { kem: 0x0020, kdf: 0x0001, aead } as const;
        const pkR = NODE.x25519PublicKey(skR);
        const n = hpkeSetupSender(NODE, suite, pkR, info, { ephemeralSecretKey: skE });
        const p = hpkeSetupSender(PORTABLE, suite, pkR, info, { ephemeralSecretKey: skE });
        same(n.enc, p.enc);
        same(hpkeContextSeal(NODE, n.context, aad, pt).ciphertext, hpkeContextSeal(PORTABLE, p.context, aad, pt).ciphertext);
        same(hpkeContextExport(NODE, n.context, aad, 42), hpkeContextExport(PORTABLE, p.context, aad, 42));
        const sealed = NODE.hpkeSeal(suite, pkR, info, aad, pt);
        same(PORTABLE.hpkeOpen(suite, skR, sealed.enc, info, aad, sealed.ciphertext), pt);
        const sealed2 = PORTABLE.hpkeSeal(suite, pkR, info, aad, pt);
        same(NODE.hpkeOpen(suite, skR, sealed2.enc, info, aad, sealed2.ciphertext), pt);
        const exported = PORTABLE.hpkeSendExport(suite, pkR, info, aad, 32);
        same(NODE.hpkeReceiveExport(suite, skR, exported.enc, info, aad, 32), exported.secret);
      }),
      { numRuns: 20 },
    );
  });
});
