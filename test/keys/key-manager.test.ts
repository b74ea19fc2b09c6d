import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import {
  KEY_MANAGER_VERSION,
  consumeOneTimePreKey,
  createKeyManager,
  decodeKeyManager,
  encodeKeyManager,
  findOneTimePreKeySecret,
  findSignedPreKeySecret,
  generateOneTimePreKeys,
  identityOf,
  longTermBundle,
  pruneExpiredPreKeys,
  rotateSignedPreKey,
  verifyKeyBundle,
} from '../../src/keys/index.js';
import { NOW, testDeps, codeOf } from './helpers.js';

const deps = testDeps();

describe('KeyManager', () => {
  it('creates an identity and a valid signed pre-key; identity can be given', () => {
    const km = createKeyManager(deps, { preKeyLifetimeSeconds: 100 });
    const bundle = longTermBundle(km);
    expect(bundle.identityKey).toEqual(identityOf(km).publicKey);
    expect(bundle.signedPreKey.lifetime.notAfter).toBe(NOW + 100);
    verifyKeyBundle(bundle, deps);
    const again = createKeyManager(deps, { identity: identityOf(km) });
    expect(identityOf(again)).toEqual(identityOf(km));
    expect(codeOf(() => createKeyManager(deps, { preKeyLifetimeSeconds: 0 }))).toBe('USAGE_ARGUMENT');
  });

  it('consumes a one-time pre-key exactly once, without touching the input state', () => {
    const { state: km, bundles } = generateOneTimePreKeys(createKeyManager(deps), deps, 3);
    expect(bundles.map((b) => b.oneTimePreKey.id)).toEqual([0, 1, 2]);
    for (const b of bundles) verifyKeyBundle(b, deps);
    const before = toHex(encodeKeyManager(km));
    const secret = findOneTimePreKeySecret(km, 1);
    const { state: after, secretKey } = consumeOneTimePreKey(km, 1);
    expect(secretKey).toEqual(secret);
    expect(toHex(encodeKeyManager(km))).toBe(before);
    expect(after.oneTimePreKeys.map((k) => k.id)).toEqual([0, 2]);
    expect(toHex(encodeKeyManager(after))).not.toContain(toHex(secretKey));
    expect(codeOf(() => consumeOneTimePreKey(after, 1))).toBe('STATE_KEY_CONSUMED');
    expect(codeOf(() => findOneTimePreKeySecret(after, 1))).toBe('STATE_KEY_CONSUMED');
    expect(codeOf(() => consumeOneTimePreKey(after, 3))).toBe('STATE_MISSING_KEY');
    expect(codeOf(() => generateOneTimePreKeys(km, deps, 0))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => generateOneTimePreKeys(km, deps, 1001))).toBe('USAGE_ARGUMENT');
  });

  it('rotation keeps the previous signed pre-key until it expires', () => {
    const km0 = createKeyManager(deps, { preKeyLifetimeSeconds: 100 });
    const km1 = rotateSignedPreKey(km0, deps);
    expect(longTermBundle(km1).signedPreKey.id).toBe(1);
    expect(findSignedPreKeySecret(km1, 0)).toEqual(findSignedPreKeySecret(km0, 0));
    const later = testDeps(NOW + 101);
    const km2 = rotateSignedPreKey(km1, later, { lifetimeSeconds: 1000 });
    expect(km2.signedPreKeys.map((k) => k.id)).toEqual([2]);
    expect(codeOf(() => findSignedPreKeySecret(km2, 0))).toBe('STATE_MISSING_KEY');
    verifyKeyBundle(longTermBundle(km2), later);
    const pruned = pruneExpiredPreKeys(km1, later);
    expect(pruned.signedPreKeys.map((k) => k.id)).toEqual([1]); // the current one stays even when expired
    expect(pruneExpiredPreKeys(km1, deps)).toBe(km1);
  });

  it('codec round-trips and rejects truncation, trailing bytes, wrong version, non-canonical form', () => {
    const { state: km } = generateOneTimePreKeys(rotateSignedPreKey(createKeyManager(deps), deps), deps, 2);
    const bytes = encodeKeyManager(km);
    const decoded = decodeKeyManager(bytes);
    expect(decoded).toEqual(km);
    expect(toHex(encodeKeyManager(decoded))).toBe(toHex(bytes));
    for (const n of [0, 1, 10, bytes.length - 1]) expect(codeOf(() => decodeKeyManager(bytes.subarray(0, n)))).toMatch(/^DECODE_/);
    expect(codeOf(() => decodeKeyManager(new Uint8Array([...bytes, 0])))).toBe('DECODE_TRAILING_BYTES');
    const value = decodeCanonical(bytes, 't') as Record<string, unknown>;
    expect(codeOf(() => decodeKeyManager(encodeCanonical({ ...value, v: KEY_MANAGER_VERSION + 2 })))).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(codeOf(() => decodeKeyManager(encodeCanonical({ ...value, signedPreKeys: [] })))).toBe('DECODE_FIELD');
    const bad = new Uint8Array(bytes);
    bad[0] = 0xbf; // indefinite-length map
    expect(codeOf(() => decodeKeyManager(bad))).toMatch(/^DECODE_/);
  });
});
