import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import {
  DEFAULT_PREKEY_LIFETIME_SECONDS,
  KEY_BUNDLE_VERSION,
  createKeyManager,
  decodeKeyBundle,
  encodeKeyBundle,
  generateOneTimePreKeys,
  identityOf,
  longTermBundle,
  signWithIdentity,
  signedPreKeyMessage,
  verifyKeyBundle,
  verifyWithIdentity,
} from '../../src/keys/index.js';
import type { KeyBundle } from '../../src/keys/index.js';
import { NOW, testDeps, codeOf } from './helpers.js';

const deps = testDeps();
const km = createKeyManager(deps);
const longTerm = longTermBundle(km);
const oneTime = generateOneTimePreKeys(km, deps, 1).bundles[0] as KeyBundle;

describe('identity signatures', () => {
  it('signs and verifies with XEdDSA, rejects tampering', () => {
    const identity = identityOf(km);
    const message = new TextEncoder().encode('hello');
    const sig = signWithIdentity(deps, identity, message);
    expect(sig.length).toBe(64);
    expect(verifyWithIdentity(deps, identity.publicKey, message, sig)).toBe(true);
    const bad = new Uint8Array(sig);
    bad[5] = (bad[5] as number) ^ 1;
    expect(verifyWithIdentity(deps, identity.publicKey, message, bad)).toBe(false);
    expect(verifyWithIdentity(deps, identity.publicKey, new TextEncoder().encode('hellO'), sig)).toBe(false);
    expect(verifyWithIdentity(deps, identity.publicKey, message, sig.subarray(0, 63))).toBe(false);
  });
});

describe('key bundle codec', () => {
  it.each([['long-term', longTerm], ['one-time', oneTime]] as const)('round-trips a %s bundle deterministically', (_kind, bundle) => {
    const bytes = encodeKeyBundle(bundle);
    const decoded = decodeKeyBundle(bytes);
    expect(decoded).toEqual(bundle);
    expect(toHex(encodeKeyBundle(decoded))).toBe(toHex(bytes));
    verifyKeyBundle(decoded, deps);
  });

  it('rejects truncation at every length', () => {
    const bytes = encodeKeyBundle(oneTime);
    for (let n = 0; n < bytes.length; n++) {
      expect(codeOf(() => decodeKeyBundle(bytes.subarray(0, n)))).toMatch(/^DECODE_/);
    }
  });

  it('rejects trailing bytes', () => {
    const bytes = encodeKeyBundle(longTerm);
    const longer = new Uint8Array([...bytes, 0]);
    expect(codeOf(() => decodeKeyBundle(longer))).toBe('DECODE_TRAILING_BYTES');
  });

  it('rejects an unknown version', () => {
    const value = decodeCanonical(encodeKeyBundle(longTerm), 't') as Record<string, unknown>;
    const bytes = encodeCanonical({ ...value, v: KEY_BUNDLE_VERSION + 2 });
    expect(codeOf(() => decodeKeyBundle(bytes))).toBe('DECODE_VERSION_UNSUPPORTED');
  });

  it('rejects a non-canonical encoding (unsorted map keys)', () => {
    const value = decodeCanonical(encodeKeyBundle(longTerm), 't') as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(value).reverse());
    const unsorted = encode(reversed, { mapSorter: () => 0 });
    expect(toHex(unsorted)).not.toBe(toHex(encodeKeyBundle(longTerm)));
    expect(codeOf(() => decodeKeyBundle(unsorted))).toBe('DECODE_NON_CANONICAL');
  });

  it('rejects wrong field lengths, missing and extra fields, and kind mismatch', () => {
    const value = decodeCanonical(encodeKeyBundle(oneTime), 't') as Record<string, unknown>;
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, identityKey: new Uint8Array(31) })))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, extra: 1 })))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, kind: 'long-term' })))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, kind: 'other' })))).toBe('DECODE_FIELD');
    const { oneTimePreKey: _drop, ...noOtk } = value;
    expect(codeOf(() => decodeKeyBundle(encodeCanonical(noOtk)))).toBe('DECODE_FIELD');
    const spk = value['signedPreKey'] as Record<string, unknown>;
    const inverted = { ...spk, lifetime: { notBefore: 10, notAfter: 5 } };
    expect(codeOf(() => decodeKeyBundle(encodeCanonical({ ...value, signedPreKey: inverted })))).toBe('DECODE_FIELD');
  });
});

describe('signed pre-key verification', () => {
  it('detects a tampered lifetime, key or id (the signature covers them all)', () => {
    const spk = longTerm.signedPreKey;
    const extended: KeyBundle = { ...longTerm, signedPreKey: { ...spk, lifetime: { ...spk.lifetime, notAfter: spk.lifetime.notAfter + 1 } } };
    expect(codeOf(() => verifyKeyBundle(extended, deps))).toBe('VERIFY_SIGNATURE');
    const earlier: KeyBundle = { ...longTerm, signedPreKey: { ...spk, lifetime: { ...spk.lifetime, notBefore: spk.lifetime.notBefore - 1 } } };
    expect(codeOf(() => verifyKeyBundle(earlier, deps))).toBe('VERIFY_SIGNATURE');
    const otherKey = createKeyManager(deps).signedPreKeys[0]?.publicKey as Uint8Array;
    expect(codeOf(() => verifyKeyBundle({ ...longTerm, signedPreKey: { ...spk, publicKey: otherKey } }, deps))).toBe('VERIFY_SIGNATURE');
    expect(codeOf(() => verifyKeyBundle({ ...longTerm, signedPreKey: { ...spk, id: spk.id + 1 } }, deps))).toBe('VERIFY_SIGNATURE');
    const stranger = identityOf(createKeyManager(deps)).publicKey;
    expect(codeOf(() => verifyKeyBundle({ ...longTerm, identityKey: stranger }, deps))).toBe('VERIFY_SIGNATURE');
  });

  it('signs the canonical CBOR of id, key and lifetime', () => {
    const spk = longTerm.signedPreKey;
    const message = signedPreKeyMessage(spk.id, spk.publicKey, spk.lifetime);
    expect(verifyWithIdentity(deps, longTerm.identityKey, message, spk.signature)).toBe(true);
  });

  it('rejects expired and not-yet-valid bundles', () => {
    const spk = longTerm.signedPreKey;
    expect(spk.lifetime.notAfter).toBe(NOW + DEFAULT_PREKEY_LIFETIME_SECONDS);
    verifyKeyBundle(longTerm, testDeps(spk.lifetime.notAfter));
    verifyKeyBundle(longTerm, testDeps(spk.lifetime.notBefore));
    expect(codeOf(() => verifyKeyBundle(longTerm, testDeps(spk.lifetime.notAfter + 1)))).toBe('VERIFY_EXPIRED');
    expect(codeOf(() => verifyKeyBundle(longTerm, testDeps(spk.lifetime.notBefore - 1)))).toBe('VERIFY_NOT_YET_VALID');
  });
});
