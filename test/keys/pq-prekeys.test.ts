/**
 * Post-quantum pre-keys: the signed long-term ML-KEM pre-key and signed
 * one-time ML-KEM pre-keys, in bundles (version 2), the KeyManager (state
 * version 2) and the KeyRegistry. Classic bundles and states stay version 1.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import {
  KEY_BUNDLE_VERSION,
  PQ_KEY_BUNDLE_VERSION,
  consumeOneTimePreKey,
  createKeyManager,
  createKeyRegistry,
  decodeKeyBundle,
  decodeKeyManager,
  enablePqPreKeys,
  encodeKeyBundle,
  encodeKeyManager,
  findPqPreKeySecret,
  generateOneTimePreKeys,
  hasPqPreKey,
  longTermBundle,
  pqPreKeyOf,
  registerBundle,
  rotateSignedPreKey,
  signWithIdentity,
  pqPreKeyMessage,
  takeBundle,
  verifyKeyBundle,
} from '../../src/keys/index.js';
import type { KeyBundle, OneTimeKeyBundle, PqPreKey } from '../../src/keys/index.js';
import { codeOf, testDeps } from './helpers.js';

const deps = testDeps();
const km = createKeyManager(deps, { pq: true });
const longTerm = longTermBundle(km);
const { state: kmWithOneTime, bundles } = generateOneTimePreKeys(km, deps, 2);
const oneTime = bundles[0] as OneTimeKeyBundle;

describe('PQ key bundles', () => {
  it('carry a signed long-term ML-KEM pre-key, and one-time bundles a signed one-time one of the same id', () => {
    expect(longTerm.pqPreKey?.publicKey).toHaveLength(1184);
    expect(longTerm.pqPreKey?.kind).toBe('long-term');
    expect(longTerm.pqPreKey?.id).toBe(longTerm.signedPreKey.id);
    expect(longTerm.pqPreKey?.lifetime).toEqual(longTerm.signedPreKey.lifetime);
    expect(oneTime.pqOneTimePreKey?.kind).toBe('one-time');
    expect(oneTime.pqOneTimePreKey?.id).toBe(oneTime.oneTimePreKey.id);
    expect(pqPreKeyOf(oneTime)).toBe(oneTime.pqOneTimePreKey);
    expect(pqPreKeyOf(longTerm)).toBe(longTerm.pqPreKey);
    verifyKeyBundle(longTerm, deps);
    verifyKeyBundle(oneTime, deps);
  });

  it('encode as version 2, round-trip deterministically; classic bundles stay version 1', () => {
    for (const bundle of [longTerm, oneTime] as KeyBundle[]) {
      const bytes = encodeKeyBundle(bundle);
      expect((decodeCanonical(bytes, 't') as { v: number }).v).toBe(PQ_KEY_BUNDLE_VERSION);
      const decoded = decodeKeyBundle(bytes);
      expect(decoded).toEqual(bundle);
      expect(toHex(encodeKeyBundle(decoded))).toBe(toHex(bytes));
    }
    const classic = longTermBundle(createKeyManager(deps));
    expect(hasPqPreKey(classic)).toBe(false);
    expect((decodeCanonical(encodeKeyBundle(classic), 't') as { v: number }).v).toBe(KEY_BUNDLE_VERSION);
  });

  it('refuse a version-2 bundle without PQ keys, a classic bundle with one, a one-time key in the long-term slot and a wrong-length key', () => {
    const value = decodeCanonical(encodeKeyBundle(oneTime), 't') as Record<string, unknown>;
    const { pqPreKey: _a, pqOneTimePreKey: _b, ...bare } = value;
    expect(codeOf(() => decodeKeyBundle(encodeCanonical(bare)))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, v: KEY_BUNDLE_VERSION })))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, pqPreKey: value['pqOneTimePreKey'] })))).toBe('DECODE_FIELD');
    const short = { ...(value['pqPreKey'] as Record<string, unknown>), publicKey: new Uint8Array(1183) };
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, pqPreKey: short })))).toBe('DECODE_FIELD');
  });

  it('signatures cover key, kind and lifetime: any change is VERIFY_SIGNATURE', () => {
    const pq = longTerm.pqPreKey as PqPreKey;
    const flipped = Uint8Array.from(pq.publicKey);
    flipped[100] = (flipped[100] as number) ^ 1;
    const tampered: PqPreKey[] = [
      { ...pq, publicKey: flipped },
      { ...pq, lifetime: { ...pq.lifetime, notAfter: pq.lifetime.notAfter + 1 } },
      { ...pq, id: pq.id + 1 },
    ];
    for (const bad of tampered) expect(codeOf(() => verifyKeyBundle({ ...longTerm, pqPreKey: bad }, deps))).toBe('VERIFY_SIGNATURE');
    // The kind is signed: a one-time key's signature does not pass for a long-term key of the same id and bytes.
    const ot = oneTime.pqOneTimePreKey as PqPreKey;
    expect(codeOf(() => verifyKeyBundle({ ...oneTime, pqOneTimePreKey: { ...ot, kind: 'long-term' } }, deps))).toBe('VERIFY_SIGNATURE');
    // A correctly signed key under the wrong kind label verifies only with its own kind.
    const relabel = signWithIdentity(deps, km.identity, pqPreKeyMessage(ot.id, 'long-term', ot.publicKey, ot.lifetime));
    expect(codeOf(() => verifyKeyBundle({ ...oneTime, pqOneTimePreKey: { ...ot, signature: relabel } }, deps))).toBe('VERIFY_SIGNATURE');
    expect(codeOf(() => verifyKeyBundle(longTerm, testDeps(pq.lifetime.notAfter + 1)))).toBe('VERIFY_EXPIRED');
  });

  it('a registry refuses a bundle whose PQ signature is wrong and stays unchanged', () => {
    const registry = createKeyRegistry();
    const pq = longTerm.pqPreKey as PqPreKey;
    const badSig = Uint8Array.from(pq.signature);
    badSig[0] = (badSig[0] as number) ^ 1;
    expect(codeOf(() => registerBundle(registry, { ...longTerm, pqPreKey: { ...pq, signature: badSig } }, deps))).toBe('VERIFY_SIGNATURE');
    const withOneTime = registerBundle(registry, oneTime, deps);
    const taken = takeBundle(withOneTime, oneTime.identityKey, deps);
    expect(taken.bundle).toEqual(oneTime);
  });
});

describe('PQ KeyManager', () => {
  it('holds the secrets matching the published keys; consuming a one-time pre-key consumes its ML-KEM twin', () => {
    const id = oneTime.oneTimePreKey.id;
    const seed = findPqPreKeySecret(kmWithOneTime, 'one-time', id);
    expect(toHex(deps.crypto.mlkem768KeyPairFromSeed(seed).publicKey)).toBe(toHex((oneTime.pqOneTimePreKey as PqPreKey).publicKey));
    const longSeed = findPqPreKeySecret(kmWithOneTime, 'long-term', longTerm.pqPreKey?.id ?? -1);
    expect(toHex(deps.crypto.mlkem768KeyPairFromSeed(longSeed).publicKey)).toBe(toHex((longTerm.pqPreKey as PqPreKey).publicKey));
    const consumed = consumeOneTimePreKey(kmWithOneTime, id);
    expect(consumed.pqSecretKey).toEqual(seed);
    expect(codeOf(() => findPqPreKeySecret(consumed.state, 'one-time', id))).toBe('STATE_KEY_CONSUMED');
    expect(codeOf(() => findPqPreKeySecret(consumed.state, 'long-term', 99))).toBe('STATE_MISSING_KEY');
  });

  it('rotates the ML-KEM pre-key with the signed pre-key', () => {
    const rotated = rotateSignedPreKey(km, deps);
    const bundle = longTermBundle(rotated);
    expect(bundle.pqPreKey?.id).toBe(bundle.signedPreKey.id);
    expect(toHex(bundle.pqPreKey?.publicKey ?? new Uint8Array())).not.toBe(toHex(longTerm.pqPreKey?.publicKey ?? new Uint8Array()));
    verifyKeyBundle(bundle, deps);
  });

  it('encodes as version 2 and round-trips; a classic state stays version 1 and can be upgraded', () => {
    const bytes = encodeKeyManager(kmWithOneTime);
    expect((decodeCanonical(bytes, 't') as { v: number }).v).toBe(2);
    const decoded = decodeKeyManager(bytes);
    expect(decoded).toEqual(kmWithOneTime);
    expect(toHex(encodeKeyManager(decoded))).toBe(toHex(bytes));
    const classic = createKeyManager(deps);
    expect((decodeCanonical(encodeKeyManager(classic), 't') as { v: number }).v).toBe(1);
    const upgraded = enablePqPreKeys(classic, deps);
    expect(longTermBundle(upgraded).pqPreKey).toBeDefined();
    expect(enablePqPreKeys(upgraded, deps)).toBe(upgraded);
    const value = decodeCanonical(bytes, 't') as Record<string, unknown>;
    expect(codeOf(() => decodeKeyManager(encodeCanonical({ ...value, pqPreKeys: [] })))).toBe('DECODE_FIELD');
  });
});
