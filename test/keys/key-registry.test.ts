import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import {
  KEY_REGISTRY_VERSION,
  createKeyManager,
  createKeyRegistry,
  decodeKeyRegistry,
  encodeKeyRegistry,
  generateOneTimePreKeys,
  identityOf,
  longTermBundle,
  oneTimeBundleCount,
  registerBundle,
  rotateSignedPreKey,
  takeBundle,
} from '../../src/keys/index.js';
import type { KeyBundle, KeyRegistryState } from '../../src/keys/index.js';
import { NOW, testDeps, codeOf } from './helpers.js';

const deps = testDeps();
const bob = createKeyManager(deps, { preKeyLifetimeSeconds: 1000 });
const bobId = identityOf(bob).publicKey;
const { bundles: bobOneTime } = generateOneTimePreKeys(bob, deps, 2);

function registerAll(state: KeyRegistryState, bundles: readonly KeyBundle[]): KeyRegistryState {
  return bundles.reduce((s, b) => registerBundle(s, b, deps), state);
}

describe('KeyRegistry', () => {
  it('hands out each one-time bundle exactly once, then the long-term one', () => {
    const reg = registerAll(createKeyRegistry(), [longTermBundle(bob), ...bobOneTime]);
    const before = toHex(encodeKeyRegistry(reg));
    const t1 = takeBundle(reg, bobId, deps);
    expect(toHex(encodeKeyRegistry(reg))).toBe(before);
    expect(t1.bundle).toEqual(bobOneTime[0]);
    const t2 = takeBundle(t1.state, bobId, deps);
    expect(t2.bundle).toEqual(bobOneTime[1]);
    const t3 = takeBundle(t2.state, bobId, deps);
    expect(t3.bundle.kind).toBe('long-term');
    const t4 = takeBundle(t3.state, bobId, deps);
    expect(t4.bundle.kind).toBe('long-term');
    expect(oneTimeBundleCount(t4.state, bobId)).toBe(0);
    // a re-delivered one-time bundle is refused, so it is never handed out twice
    expect(codeOf(() => registerBundle(t4.state, bobOneTime[0] as KeyBundle, deps))).toBe('STATE_KEY_CONSUMED');
  });

  it('returns the same state object when a bundle it already holds is registered again', () => {
    const reg = registerAll(createKeyRegistry(), [longTermBundle(bob), ...bobOneTime]);
    expect(registerBundle(reg, longTermBundle(bob), deps)).toBe(reg);
    expect(registerBundle(reg, bobOneTime[0] as KeyBundle, deps)).toBe(reg);
    const rotated = rotateSignedPreKey(bob, testDeps(NOW + 1));
    expect(registerBundle(reg, longTermBundle(rotated), testDeps(NOW + 1))).not.toBe(reg);
  });

  it('refuses invalid bundles with typed errors and leaves the registry unchanged', () => {
    const reg = createKeyRegistry();
    const lt = longTermBundle(bob);
    const spk = lt.signedPreKey;
    const tampered: KeyBundle = { ...lt, signedPreKey: { ...spk, lifetime: { ...spk.lifetime, notAfter: spk.lifetime.notAfter + 10_000 } } };
    expect(codeOf(() => registerBundle(reg, tampered, deps))).toBe('VERIFY_SIGNATURE');
    expect(codeOf(() => registerBundle(reg, lt, testDeps(NOW + 1001)))).toBe('VERIFY_EXPIRED');
    expect(codeOf(() => registerBundle(reg, lt, testDeps(0)))).toBe('VERIFY_NOT_YET_VALID');
    expect(toHex(encodeKeyRegistry(reg))).toBe(toHex(encodeKeyRegistry(createKeyRegistry())));
  });

  it('STATE_NO_BUNDLE when nothing valid is held; expired one-time bundles are skipped', () => {
    expect(codeOf(() => takeBundle(createKeyRegistry(), bobId, deps))).toBe('STATE_NO_BUNDLE');
    const reg = registerAll(createKeyRegistry(), bobOneTime);
    expect(codeOf(() => takeBundle(reg, bobId, testDeps(NOW + 1001)))).toBe('STATE_NO_BUNDLE');
    const withLongTerm = registerBundle(reg, longTermBundle(rotateSignedPreKey(bob, testDeps(NOW + 500))), testDeps(NOW + 500));
    const taken = takeBundle(withLongTerm, bobId, testDeps(NOW + 1001));
    expect(taken.bundle.kind).toBe('long-term');
    expect(oneTimeBundleCount(taken.state, bobId)).toBe(0);
  });

  it('registering is idempotent; a newer long-term bundle replaces an older one but not vice versa', () => {
    const reg = registerAll(createKeyRegistry(), [longTermBundle(bob), ...bobOneTime]);
    expect(registerBundle(reg, bobOneTime[0] as KeyBundle, deps)).toBe(reg);
    const rotated = rotateSignedPreKey(bob, testDeps(NOW + 10));
    const newer = registerBundle(reg, longTermBundle(rotated), deps);
    expect(takeBundle(takeBundle(takeBundle(newer, bobId, deps).state, bobId, deps).state, bobId, deps).bundle).toEqual(longTermBundle(rotated));
    expect(registerBundle(newer, longTermBundle(bob), deps)).toBe(newer);
    const other = generateOneTimePreKeys(createKeyManager(deps, { identity: identityOf(bob) }), deps, 1).bundles[0] as KeyBundle;
    expect(codeOf(() => registerBundle(reg, other, deps))).toBe('STATE_DUPLICATE');
  });

  it('codec round-trips and rejects bad input', () => {
    const reg = takeBundle(registerAll(createKeyRegistry(), [longTermBundle(bob), ...bobOneTime]), bobId, deps).state;
    const bytes = encodeKeyRegistry(reg);
    const decoded = decodeKeyRegistry(bytes);
    expect(decoded).toEqual(reg);
    expect(toHex(encodeKeyRegistry(decoded))).toBe(toHex(bytes));
    expect(takeBundle(decoded, bobId, deps).bundle).toEqual(bobOneTime[1]);
    expect(codeOf(() => decodeKeyRegistry(bytes.subarray(0, bytes.length - 1)))).toMatch(/^DECODE_/);
    expect(codeOf(() => decodeKeyRegistry(new Uint8Array([...bytes, 0])))).toBe('DECODE_TRAILING_BYTES');
    const value = decodeCanonical(bytes, 't') as Record<string, unknown>;
    expect(codeOf(() => decodeKeyRegistry(encodeCanonical({ ...value, v: KEY_REGISTRY_VERSION + 1 })))).toBe('DECODE_VERSION_UNSUPPORTED');
    const peers = value['peers'] as Record<string, unknown>;
    const stranger = toHex(identityOf(createKeyManager(deps)).publicKey);
    const moved = { [stranger]: peers[toHex(bobId)] };
    expect(codeOf(() => decodeKeyRegistry(encodeCanonical({ ...value, peers: moved })))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyRegistry(encodeCanonical({ ...value, peers: { xyz: peers[toHex(bobId)] } })))).toBe('DECODE_FIELD');
  });
});
