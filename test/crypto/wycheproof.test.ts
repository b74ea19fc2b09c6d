/**
 * Wycheproof conformance of BOTH providers over every file in
 * ../shared/vectors/wycheproof (see SOURCES.md there).
 *
 * Rules: a `valid` case must succeed and match; an `invalid` case must be
 * rejected; an unknown `result` fails. `acceptable` cases, decided per flag:
 * - x25519 `ZeroSharedSecret` (all-zero output): must be REJECTED with
 *   VerifyError VERIFY_ZERO_SHARED_SECRET (groupcrypt's rule, as OpenSSL).
 * - x25519 other acceptable flags (Twist, NonCanonicalPublic,
 *   EdgeCaseMultiplication, ...): must be ACCEPTED and match, as RFC 7748
 *   requires (mask the top bit, reduce non-canonical u, accept twist points).
 * Unsupported by design (counted as `unsupported-rejected`, must throw the
 * stated UsageError): AES-192 keys (USAGE_KEY_LENGTH) and GCM IVs other than
 * 96 bits (USAGE_NONCE_LENGTH: groupcrypt only uses 12-byte nonces).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { constantTimeEqual, fromHex, toHex, type AeadAlgorithm, type CryptoProvider } from '../../src/crypto/index.js';
import { loadWycheproof, VectorTally, type CaseOutcome, type WycheproofGroup, type WycheproofTest } from '../helpers/vectors.js';
import { PROVIDERS, thrownCode } from './providers.js';

const tally = new VectorTally();
afterAll(() => {
  console.log(`Wycheproof vectors per file and provider:\n${tally.format()}`);
});

const hex = (value: unknown): Uint8Array => fromHex(value as string);
const num = (value: unknown): number => value as number;

type Check = (p: CryptoProvider, group: WycheproofGroup, test: WycheproofTest) => CaseOutcome;

function byResult(test: WycheproofTest, ok: boolean, whenValid: boolean): CaseOutcome {
  if (test.result === 'valid') return ok === whenValid && ok ? 'valid-passed' : 'failed';
  if (test.result === 'invalid') return ok ? 'failed' : 'invalid-rejected';
  return 'failed';
}

const x25519Check: Check = (p, _group, t) => {
  const run = (): Uint8Array => p.x25519(hex(t['private']), hex(t['public']));
  const zero = t.flags.includes('ZeroSharedSecret');
  if (t.result === 'valid') return toHex(run()) === t['shared'] ? 'valid-passed' : 'failed';
  if (t.result === 'acceptable') {
    if (zero) return thrownCode(run) === 'VERIFY_ZERO_SHARED_SECRET' ? 'acceptable-handled' : 'failed';
    return toHex(run()) === t['shared'] ? 'acceptable-handled' : 'failed';
  }
  if (t.result === 'invalid') return thrownCode(run) !== 'no error' ? 'invalid-rejected' : 'failed';
  return 'failed';
};

const ed25519Check: Check = (p, group, t) => {
  const publicKey = hex((group['publicKey'] as { pk: string }).pk);
  const ok = p.ed25519Verify(publicKey, hex(t['msg']), hex(t['sig']));
  return byResult(t, ok, true);
};

function aeadCheck(pick: (group: WycheproofGroup) => { algorithm: AeadAlgorithm; unsupported?: string }): Check {
  return (p, group, t) => {
    const { algorithm, unsupported } = pick(group);
    const key = hex(t['key']);
    const iv = hex(t['iv']);
    const aad = hex(t['aad']);
    const msg = hex(t['msg']);
    const sealed = fromHex(`${t['ct'] as string}${t['tag'] as string}`);
    if (unsupported !== undefined) {
      const codes = [thrownCode(() => p.aeadSeal(algorithm, key, iv, msg, aad)), thrownCode(() => p.aeadOpen(algorithm, key, iv, sealed, aad))];
      if (codes.some((code) => code !== unsupported)) return 'failed';
      return t.result === 'invalid' ? 'invalid-rejected' : t.result === 'valid' ? 'unsupported-rejected' : 'failed';
    }
    if (t.result === 'valid') {
      const ok = toHex(p.aeadSeal(algorithm, key, iv, msg, aad)) === toHex(sealed) && toHex(p.aeadOpen(algorithm, key, iv, sealed, aad)) === toHex(msg);
      return ok ? 'valid-passed' : 'failed';
    }
    if (t.result === 'invalid') return thrownCode(() => p.aeadOpen(algorithm, key, iv, sealed, aad)) === 'VERIFY_AEAD' ? 'invalid-rejected' : 'failed';
    return 'failed';
  };
}

const chachaCheck = aeadCheck((g) => ({ algorithm: 'chacha20-poly1305', ...(num(g['ivSize']) !== 96 ? { unsupported: 'USAGE_NONCE_LENGTH' } : {}) }));
const xchachaCheck = aeadCheck((g) => ({ algorithm: 'xchacha20-poly1305', ...(num(g['ivSize']) !== 192 ? { unsupported: 'USAGE_NONCE_LENGTH' } : {}) }));
const aesGcmCheck = aeadCheck((g) => {
  const keySize = num(g['keySize']);
  if (keySize === 192) return { algorithm: 'aes-256-gcm', unsupported: 'USAGE_KEY_LENGTH' };
  const algorithm: AeadAlgorithm = keySize === 128 ? 'aes-128-gcm' : 'aes-256-gcm';
  return { algorithm, ...(num(g['ivSize']) !== 96 ? { unsupported: 'USAGE_NONCE_LENGTH' } : {}) };
});

const hkdfCheck: Check = (p, _group, t) => {
  const run = (): Uint8Array => p.hkdf(hex(t['ikm']), hex(t['salt']), hex(t['info']), num(t['size']));
  if (t.result === 'valid') return toHex(run()) === t['okm'] ? 'valid-passed' : 'failed';
  if (t.result === 'invalid') return thrownCode(run) === 'USAGE_ARGUMENT' ? 'invalid-rejected' : 'failed';
  return 'failed';
};

const hmacCheck: Check = (p, group, t) => {
  const tag = p.hmacSha256(hex(t['key']), hex(t['msg'])).subarray(0, num(group['tagSize']) / 8);
  return byResult(t, constantTimeEqual(tag, hex(t['tag'])), true);
};

const FILES: readonly (readonly [string, Check])[] = [
  ['x25519_test.json', x25519Check],
  ['ed25519_test.json', ed25519Check],
  ['chacha20_poly1305_test.json', chachaCheck],
  ['xchacha20_poly1305_test.json', xchachaCheck],
  ['aes_gcm_test.json', aesGcmCheck],
  ['hkdf_sha256_test.json', hkdfCheck],
  ['hmac_sha256_test.json', hmacCheck],
];

describe.each(PROVIDERS)('Wycheproof, %s provider', (name, provider) => {
  it.each(FILES)('%s', (file, check) => {
    const vectors = loadWycheproof(file);
    const failures: string[] = [];
    let count = 0;
    for (const group of vectors.testGroups) {
      for (const test of group.tests) {
        count++;
        let outcome: CaseOutcome;
        try {
          outcome = check(provider, group, test);
        } catch (error) {
          outcome = 'failed';
          failures.push(`tcId ${test.tcId} threw ${(error as { code?: string }).code ?? String(error)}`);
        }
        tally.add(file, name, outcome);
        if (outcome === 'failed') failures.push(`tcId ${test.tcId} (${test.result}, ${test.flags.join(',')})`);
      }
    }
    expect(count).toBe(vectors.numberOfTests);
    expect(failures).toEqual([]);
  });
});
