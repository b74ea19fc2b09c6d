/**
 * Public keys that accept forged signatures. A small-order Ed25519 key A (or a non-canonical encoding of one)
 * verifies the fixed signature R = identity, s = 0 for every message whose h = H(R ‖ A ‖ M) is a multiple of A's
 * order: [0]B − [h]A = identity = R. Both providers must refuse these keys, including the Node provider, where
 * OpenSSL decodes non-canonical encodings leniently and accepts such forgeries itself (checked below). The same
 * holds for XEdDSA keys whose Edwards form is of small order.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import * as nodeCrypto from 'node:crypto';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../../src/crypto/index.js';
import { x25519SecretFromEd25519Seed, xeddsaEdwardsPublicKey } from '../../src/crypto/xeddsa.js';
import { PROVIDERS } from './providers.js';

const Point = ed25519.Point;
const P = Point.Fp.ORDER;
const Q = Point.Fn.ORDER;

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
function withSignBit(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[31] = (out[31] as number) | 0x80;
  return out;
}
const leToNumber = (bytes: Uint8Array) => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);

/** R = canonical identity, s = 0. */
const FORGED = (() => {
  const signature = new Uint8Array(64);
  signature[0] = 1;
  return signature;
})();

/**
 * A message for which FORGED verifies under `key` by the bare equation (lenient decoding), so that only the key
 * rule can refuse it.
 */
function forgeableMessage(key: Uint8Array): Uint8Array {
  const a = Point.fromBytes(key, true); // ZIP 215 decoding: accepts non-canonical y and x = 0 with the sign bit
  for (let i = 0; i < 256; i++) {
    const message = utf8(`forged message ${i}`);
    const h = leToNumber(sha512(concatBytes(FORGED.subarray(0, 32), key, message))) % Q;
    if (h === 0n || a.multiplyUnsafe(h).is0()) return message;
  }
  throw new Error('no forgeable message found');
}

/** The 8 points of small order (noble's list of the torsion subgroup, each checked to have order dividing 8). */
const SMALL_ORDER_CANONICAL: readonly (readonly [string, Uint8Array])[] = ED25519_TORSION_SUBGROUP.map((hex) => [`small-order point ${hex}`, Point.fromHex(hex).toBytes()] as const);

const NON_CANONICAL: readonly (readonly [string, Uint8Array])[] = [
  ['identity as y = p + 1', littleEndian(P + 1n)],
  ['order-4 point as y = p', littleEndian(P)],
  ['identity with the sign bit (x = 0)', withSignBit(littleEndian(1n))],
  ['order-2 point (0, −1) with the sign bit (x = 0)', withSignBit(littleEndian(P - 1n))],
];

describe('keys that accept forged Ed25519 signatures', () => {
  it('there are 8 distinct small-order points, the identity among them', () => {
    expect(new Set(SMALL_ORDER_CANONICAL.map(([label]) => label)).size).toBe(8);
    for (const [, bytes] of SMALL_ORDER_CANONICAL) expect(Point.fromBytes(bytes).multiplyUnsafe(8n).is0()).toBe(true);
    expect(SMALL_ORDER_CANONICAL.some(([, bytes]) => Point.fromBytes(bytes).is0())).toBe(true);
  });

  it('OpenSSL 3.0 (Node 20) alone accepts a forgery under a non-canonical identity, newer OpenSSL (Node 24) refuses it (why the shared key rule runs first)', () => {
    const key = littleEndian(P + 1n);
    const jwk = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key).toString('base64url') }, format: 'jwk' });
    const openssl30 = process.versions.openssl.startsWith('3.0.');
    expect(nodeCrypto.verify(null, forgeableMessage(key), jwk, FORGED)).toBe(openssl30);
  });

  describe.each(PROVIDERS)('%s provider', (_name, p) => {
    it.each([...SMALL_ORDER_CANONICAL, ...NON_CANONICAL])('refuses %s', (_label, key) => {
      expect(p.ed25519Verify(key, forgeableMessage(key), FORGED)).toBe(false);
    });

    it('still accepts genuine signatures, also under keys with the sign bit set', () => {
      let signBitSeen = false;
      for (let i = 0; i < 8; i++) {
        const seed = new Uint8Array(32).fill(i + 1);
        const publicKey = p.ed25519PublicKey(seed);
        signBitSeen ||= ((publicKey[31] as number) & 0x80) !== 0;
        const message = utf8(`genuine ${i}`);
        expect(p.ed25519Verify(publicKey, message, p.ed25519Sign(seed, message))).toBe(true);
      }
      expect(signBitSeen).toBe(true);
    });

    it('XEdDSA: refuses forgeries under X25519 keys whose Edwards form has small order (u = 0, u = 1, u = p − 1)', () => {
      for (const u of [0n, 1n, P - 1n]) {
        const x25519Key = littleEndian(u);
        const edwards = xeddsaEdwardsPublicKey(x25519Key);
        expect(edwards).toBeDefined();
        const message = forgeableMessage(edwards as Uint8Array);
        expect(p.xeddsaVerify(x25519Key, message, FORGED)).toBe(false);
      }
    });

    it('verification never throws, whatever the argument types', () => {
      const good = { publicKey: p.ed25519PublicKey(new Uint8Array(32).fill(9)) };
      const signature = p.ed25519Sign(new Uint8Array(32).fill(9), utf8('m'));
      const notBytes = 'not bytes' as unknown as Uint8Array;
      expect(p.ed25519Verify(notBytes, utf8('m'), signature)).toBe(false);
      expect(p.ed25519Verify(good.publicKey, notBytes, signature)).toBe(false);
      expect(p.ed25519Verify(good.publicKey, utf8('m'), notBytes)).toBe(false);
      expect(p.ed25519Verify(good.publicKey.subarray(1), utf8('m'), signature)).toBe(false);
      expect(p.ed25519Verify(good.publicKey, utf8('m'), signature.subarray(1))).toBe(false);
      expect(p.ed25519Verify(good.publicKey, utf8('m'), signature)).toBe(true);
    });
  });
});

describe('x25519SecretFromEd25519Seed', () => {
  it('is the clamped first half of SHA-512(seed), the X25519 form of the Ed25519 key (as libsodium)', () => {
    for (let i = 0; i < 4; i++) {
      const seed = new Uint8Array(32).fill(i * 37 + 1);
      const secret = x25519SecretFromEd25519Seed(seed);
      expect(secret).toHaveLength(32);
      expect(Buffer.from(secret).toString('hex')).toBe(Buffer.from(ed25519.utils.toMontgomerySecret(seed)).toString('hex'));
      const [, p] = PROVIDERS[0]!;
      expect(Buffer.from(p.x25519PublicKey(secret)).toString('hex')).toBe(Buffer.from(ed25519.utils.toMontgomery(ed25519.getPublicKey(seed))).toString('hex'));
    }
  });

  it('leaves the seed unchanged', () => {
    const seed = new Uint8Array(32).fill(5);
    x25519SecretFromEd25519Seed(seed);
    expect(seed).toEqual(new Uint8Array(32).fill(5));
  });
});
