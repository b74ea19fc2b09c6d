/**
 * XEdDSA (Signal's spec): signatures from either provider verify with
 * standard Ed25519 in node:crypto under the Edwards form of the X25519
 * public key; both providers produce identical signatures for the same Z and
 * agree on verification; tampering, malleated s, u ≥ p and bad lengths fail.
 */
import * as nodeCrypto from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.js';
import { xeddsaCalculateKeyPair, xeddsaEdwardsPublicKey } from '../../src/crypto/xeddsa.js';
import { NODE, PORTABLE, PROVIDERS, thrownCode } from './providers.js';

const Q = ed25519.Point.Fn.ORDER;
const P = ed25519.Point.Fp.ORDER;

function nodeEd25519Verify(edwardsPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(edwardsPublicKey).toString('base64url') }, format: 'jwk' });
  return nodeCrypto.verify(null, message, key, signature);
}

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArb = fc.uint8Array({ maxLength: 200 });
const randomArb = fc.uint8Array({ minLength: 64, maxLength: 64 });

describe('XEdDSA key conversion', () => {
  it('the Edwards key (sign bit 0) maps back to the X25519 public key (independent noble conversion)', () => {
    fc.assert(
      fc.property(secretArb, (sk) => {
        const u = x25519.getPublicKey(sk);
        const edwards = xeddsaEdwardsPublicKey(u);
        expect(edwards).toBeDefined();
        expect((edwards![31]! & 0x80)).toBe(0);
        expect(toHex(ed25519.utils.toMontgomery(edwards!))).toBe(toHex(u));
        expect(toHex(xeddsaCalculateKeyPair(sk).publicKey)).toBe(toHex(edwards!));
      }),
      { numRuns: 30 },
    );
  });

  it('rejects u >= p and the wrong length', () => {
    expect(xeddsaEdwardsPublicKey(littleEndian(P))).toBeUndefined();
    expect(xeddsaEdwardsPublicKey(littleEndian(P + 5n))).toBeUndefined();
    expect(xeddsaEdwardsPublicKey(new Uint8Array(31))).toBeUndefined();
    expect(xeddsaEdwardsPublicKey(littleEndian(P - 2n))).toBeDefined();
  });
});

describe('XEdDSA across providers', () => {
  it('identical signatures for the same Z; each verifies with node:crypto Ed25519 and with both providers', () => {
    fc.assert(
      fc.property(secretArb, messageArb, randomArb, (sk, msg, z) => {
        const u = PORTABLE.x25519PublicKey(sk);
        const sigNode = NODE.xeddsaSign(sk, msg, z);
        const sigPortable = PORTABLE.xeddsaSign(sk, msg, z);
        expect(toHex(sigNode)).toBe(toHex(sigPortable));
        expect(nodeEd25519Verify(xeddsaEdwardsPublicKey(u)!, msg, sigNode)).toBe(true);
        expect(NODE.xeddsaVerify(u, msg, sigNode)).toBe(true);
        expect(PORTABLE.xeddsaVerify(u, msg, sigNode)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('different Z gives different signatures, all valid', () => {
    const { secretKey, publicKey } = NODE.x25519Generate();
    const msg = new TextEncoder().encode('hello');
    const a = NODE.xeddsaSign(secretKey, msg);
    const b = NODE.xeddsaSign(secretKey, msg);
    expect(toHex(a)).not.toBe(toHex(b));
    for (const [, p] of PROVIDERS) {
      expect(p.xeddsaVerify(publicKey, msg, a)).toBe(true);
      expect(p.xeddsaVerify(publicKey, msg, b)).toBe(true);
    }
  });
});

describe.each(PROVIDERS)('XEdDSA rejection, %s provider', (_name, p) => {
  const { secretKey, publicKey } = p.x25519Generate();
  const msg = new TextEncoder().encode('the message');
  const sig = p.xeddsaSign(secretKey, msg);

  it('tampered messages and signatures fail (every bit of the signature)', () => {
    expect(p.xeddsaVerify(publicKey, msg, sig)).toBe(true);
    const other = Uint8Array.from(msg);
    other[0] = other[0]! ^ 1;
    expect(p.xeddsaVerify(publicKey, other, sig)).toBe(false);
    expect(p.xeddsaVerify(publicKey, msg.subarray(1), sig)).toBe(false);
    for (let bit = 0; bit < 512; bit++) {
      const bad = Uint8Array.from(sig);
      bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
      expect(p.xeddsaVerify(publicKey, msg, bad)).toBe(false);
    }
  });

  it('a malleated s (s + q) fails, as do a wrong key, u >= p and bad lengths', () => {
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
    const malleated = Uint8Array.from(sig);
    malleated.set(littleEndian(s + Q), 32);
    expect(p.xeddsaVerify(publicKey, msg, malleated)).toBe(false);
    expect(p.xeddsaVerify(p.x25519Generate().publicKey, msg, sig)).toBe(false);
    const highBit = Uint8Array.from(publicKey);
    highBit[31] = highBit[31]! | 0x80;
    expect(p.xeddsaVerify(highBit, msg, sig)).toBe(false);
    expect(p.xeddsaVerify(publicKey.subarray(1), msg, sig)).toBe(false);
    expect(p.xeddsaVerify(publicKey, msg, sig.subarray(1))).toBe(false);
    expect(p.xeddsaVerify(new Uint8Array(32), msg, sig)).toBe(false);
  });

  it('signing rejects bad key and random lengths with UsageError codes', () => {
    expect(thrownCode(() => p.xeddsaSign(new Uint8Array(31), msg))).toBe('USAGE_KEY_LENGTH');
    expect(thrownCode(() => p.xeddsaSign(secretKey, msg, new Uint8Array(63)))).toBe('USAGE_ARGUMENT');
  });
});
