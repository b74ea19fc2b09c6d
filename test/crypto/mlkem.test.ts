/**
 * ML-KEM-768 (FIPS 203) on both providers: the Wycheproof files
 * mlkem_768_test.json (key generation from a seed, decapsulation) and
 * mlkem_768_encaps_test.json (encapsulation with a fixed m, invalid keys),
 * loaded from ../shared/vectors, plus cross-provider equality. Under Node ≥
 * 24.7 the node provider runs natively (keygen, decapsulation, random
 * encapsulation); encapsulation with given randomness always runs portable,
 * so invalid keys are also fed to the native random path.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, NodeCryptoProvider, toHex, type CryptoProvider } from '../../src/crypto/index.js';
import { loadWycheproof, type WycheproofTest } from '../helpers/vectors.js';
import { NODE, PORTABLE, PROVIDERS, thrownCode } from './providers.js';

const hex = (value: unknown): Uint8Array => fromHex(value as string);

function decapsCase(p: CryptoProvider, t: WycheproofTest): string | undefined {
  const seed = hex(t['seed']);
  const ciphertext = hex(t['c']);
  if (t.result === 'valid') {
    const pair = p.mlkem768KeyPairFromSeed(seed);
    if (toHex(pair.publicKey) !== t['ek']) return 'ek differs';
    if (toHex(p.mlkem768Decapsulate(pair.secretKey, ciphertext)) !== t['K']) return 'K differs';
    return undefined;
  }
  // Invalid cases: a seed or a ciphertext of the wrong length; both must be refused with a typed error.
  const code = seed.length !== 64 ? thrownCode(() => p.mlkem768KeyPairFromSeed(seed)) : thrownCode(() => p.mlkem768Decapsulate(seed, ciphertext));
  const expected = seed.length !== 64 ? 'USAGE_KEY_LENGTH' : 'USAGE_ARGUMENT';
  return code === expected ? undefined : `expected ${expected}, got ${code}`;
}

function encapsCase(p: CryptoProvider, t: WycheproofTest): string | undefined {
  const publicKey = hex(t['ek']);
  const m = hex(t['m']);
  if (t.result === 'valid') {
    const { ciphertext, sharedSecret } = p.mlkem768Encapsulate(publicKey, m);
    if (toHex(ciphertext) !== t['c'] || toHex(sharedSecret) !== t['K']) return 'c or K differs';
    // The random (native where available) path accepts the key and round-trips.
    const fresh = p.mlkem768Encapsulate(publicKey);
    return fresh.ciphertext.length === 1088 ? undefined : 'fresh encapsulation failed';
  }
  const expected = publicKey.length !== 1184 ? 'USAGE_KEY_LENGTH' : 'VERIFY_KEY';
  const given = thrownCode(() => p.mlkem768Encapsulate(publicKey, m));
  const fresh = thrownCode(() => p.mlkem768Encapsulate(publicKey));
  return given === expected && fresh === expected ? undefined : `expected ${expected}, got ${given} / ${fresh}`;
}

describe.each(PROVIDERS)('ML-KEM-768 Wycheproof, %s provider', (_name, provider) => {
  it.each([
    ['mlkem_768_test.json', decapsCase],
    ['mlkem_768_encaps_test.json', encapsCase],
  ] as const)('%s', (file, check) => {
    const vectors = loadWycheproof(file);
    const failures: string[] = [];
    const counts = { valid: 0, invalid: 0 };
    for (const group of vectors.testGroups) {
      for (const test of group.tests) {
        if (test.result === 'valid' || test.result === 'invalid') counts[test.result]++;
        else failures.push(`tcId ${test.tcId}: unexpected result ${test.result}`);
        let failure: string | undefined;
        try {
          failure = check(provider, test);
        } catch (error) {
          failure = `threw ${(error as { code?: string }).code ?? String(error)}`;
        }
        if (failure !== undefined) failures.push(`tcId ${test.tcId} (${test.result}): ${failure}`);
      }
    }
    expect(counts.valid + counts.invalid).toBe(vectors.numberOfTests);
    expect(counts.invalid).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});

describe('ML-KEM-768 across providers', () => {
  it('reports whether the node provider runs natively', () => {
    const native = (NODE as NodeCryptoProvider).nativeMlKemAvailable;
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    console.log(`node ${process.versions.node}: native ML-KEM ${native ? 'yes' : 'no (portable fallback)'}`);
    // Node ≥ 24.7 ships OpenSSL 3.5 with ML-KEM; below it the fallback must be taken.
    if (major < 24 || (major === 24 && minor < 7)) expect(native).toBe(false);
    else expect(native).toBe(true);
  });

  it('gives identical keys and secrets for the same seeds, and decapsulates the other provider\'s ciphertexts', () => {
    for (let i = 0; i < 20; i++) {
      const seed = PORTABLE.randomBytes(64);
      const a = NODE.mlkem768KeyPairFromSeed(seed);
      const b = PORTABLE.mlkem768KeyPairFromSeed(seed);
      expect(toHex(a.publicKey)).toBe(toHex(b.publicKey));
      expect(toHex(a.secretKey)).toBe(toHex(seed));
      const m = PORTABLE.randomBytes(32);
      expect(toHex(NODE.mlkem768Encapsulate(a.publicKey, m).ciphertext)).toBe(toHex(PORTABLE.mlkem768Encapsulate(b.publicKey, m).ciphertext));
      const fromNode = NODE.mlkem768Encapsulate(a.publicKey);
      const fromPortable = PORTABLE.mlkem768Encapsulate(b.publicKey);
      expect(toHex(PORTABLE.mlkem768Decapsulate(b.secretKey, fromNode.ciphertext))).toBe(toHex(fromNode.sharedSecret));
      expect(toHex(NODE.mlkem768Decapsulate(a.secretKey, fromPortable.ciphertext))).toBe(toHex(fromPortable.sharedSecret));
      // Implicit rejection agrees too: a flipped bit yields the same unrelated secret on both.
      const forged = Uint8Array.from(fromNode.ciphertext);
      forged[i] = (forged[i] as number) ^ 1;
      const rejectedNode = NODE.mlkem768Decapsulate(a.secretKey, forged);
      expect(toHex(rejectedNode)).toBe(toHex(PORTABLE.mlkem768Decapsulate(b.secretKey, forged)));
      expect(toHex(rejectedNode)).not.toBe(toHex(fromNode.sharedSecret));
    }
  });

  it('generates fresh key pairs that round-trip on both providers', () => {
    for (const [, p] of PROVIDERS) {
      const pair = p.mlkem768Generate();
      expect(pair.secretKey).toHaveLength(64);
      expect(pair.publicKey).toHaveLength(1184);
      const { ciphertext, sharedSecret } = p.mlkem768Encapsulate(pair.publicKey);
      expect(toHex(p.mlkem768Decapsulate(pair.secretKey, ciphertext))).toBe(toHex(sharedSecret));
    }
  });
});
