/**
 * Misuse and failure paths of both providers: typed errors with stable
 * codes, the all-zero X25519 rejection, AEAD tamper detection, HPKE contexts
 * left unchanged on failure, the Node key cache never serving stale keys,
 * and the default provider choice.
 */
import { describe, expect, it } from 'vitest';
import { defaultCryptoProvider, fromHex, HPKE_DEFAULT_SUITE, toHex, type AeadAlgorithm, type HpkeSuite } from '../../src/crypto/index.js';
import { hchacha20 } from '../../src/crypto/hchacha20.js';
import { hpkeContextOpen, hpkeContextSeal, hpkeSetupRecipient, hpkeSetupSender } from '../../src/crypto/hpke.js';
import { NODE, PROVIDERS, thrownCode } from './providers.js';

const ALGORITHMS: readonly (readonly [AeadAlgorithm, number, number])[] = [
  ['chacha20-poly1305', 32, 12],
  ['xchacha20-poly1305', 32, 24],
  ['aes-128-gcm', 16, 12],
  ['aes-256-gcm', 32, 12],
];

describe.each(PROVIDERS)('%s provider errors', (name, p) => {
  it('has its name', () => {
    expect(p.name).toBe(name);
  });

  it('known answers: SHA-256("abc"), empty HKDF output', () => {
    expect(toHex(p.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(p.hkdfExpand(new Uint8Array(32), new Uint8Array(0), 0)).toHaveLength(0);
  });

  it('X25519 and Ed25519 reject bad key lengths with USAGE_KEY_LENGTH', () => {
    const k = new Uint8Array(32).fill(9);
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
      expect(thrownCode(() => p.x25519PublicKey(bad))).toBe('USAGE_KEY_LENGTH');
      expect(thrownCode(() => p.x25519(bad, k))).toBe('USAGE_KEY_LENGTH');
      expect(thrownCode(() => p.x25519(k, bad))).toBe('USAGE_KEY_LENGTH');
      expect(thrownCode(() => p.ed25519PublicKey(bad))).toBe('USAGE_KEY_LENGTH');
      expect(thrownCode(() => p.ed25519Sign(bad, k))).toBe('USAGE_KEY_LENGTH');
      expect(p.ed25519Verify(bad, k, new Uint8Array(64))).toBe(false);
    }
    expect(thrownCode(() => p.x25519PublicKey('00' as unknown as Uint8Array))).toBe('USAGE_ARGUMENT');
  });

  it('X25519 rejects every low-order point with VERIFY_ZERO_SHARED_SECRET', () => {
    const lowOrder = ['0000000000000000000000000000000000000000000000000000000000000000', '0100000000000000000000000000000000000000000000000000000000000000', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'];
    const { secretKey } = p.x25519Generate();
    for (const u of lowOrder) expect(thrownCode(() => p.x25519(secretKey, fromHex(u)))).toBe('VERIFY_ZERO_SHARED_SECRET');
  });

  it.each(ALGORITHMS)('%s: bad key/nonce lengths, tampering, short input', (algorithm, keyLength, nonceLength) => {
    const key = p.randomBytes(keyLength);
    const nonce = p.randomBytes(nonceLength);
    const pt = new TextEncoder().encode('plaintext');
    const aad = Uint8Array.of(1, 2);
    expect(thrownCode(() => p.aeadSeal(algorithm, key.subarray(1), nonce, pt))).toBe('USAGE_KEY_LENGTH');
    expect(thrownCode(() => p.aeadSeal(algorithm, key, nonce.subarray(1), pt))).toBe('USAGE_NONCE_LENGTH');
    expect(thrownCode(() => p.aeadOpen(algorithm, new Uint8Array(keyLength + 1), nonce, new Uint8Array(20)))).toBe('USAGE_KEY_LENGTH');
    expect(thrownCode(() => p.aeadOpen(algorithm, key, new Uint8Array(nonceLength + 1), new Uint8Array(20)))).toBe('USAGE_NONCE_LENGTH');
    const sealed = p.aeadSeal(algorithm, key, nonce, pt, aad);
    expect(sealed).toHaveLength(pt.length + 16);
    expect(toHex(p.aeadOpen(algorithm, key, nonce, sealed, aad))).toBe(toHex(pt));
    for (const i of [0, pt.length, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[i] = bad[i]! ^ 0x80;
      expect(thrownCode(() => p.aeadOpen(algorithm, key, nonce, bad, aad))).toBe('VERIFY_AEAD');
    }
    expect(thrownCode(() => p.aeadOpen(algorithm, key, nonce, sealed, Uint8Array.of(1)))).toBe('VERIFY_AEAD');
    expect(thrownCode(() => p.aeadOpen(algorithm, key, nonce, sealed.subarray(0, 15), aad))).toBe('VERIFY_AEAD');
    expect(thrownCode(() => p.aeadSeal('aes-192-gcm' as AeadAlgorithm, key, nonce, pt))).toBe('USAGE_UNSUPPORTED');
  });

  it('HKDF rejects lengths above 255 × 32 and negative or fractional lengths', () => {
    const prk = new Uint8Array(32);
    expect(p.hkdfExpand(prk, new Uint8Array(0), 8160)).toHaveLength(8160);
    for (const bad of [8161, -1, 1.5]) {
      expect(thrownCode(() => p.hkdfExpand(prk, new Uint8Array(0), bad))).toBe('USAGE_ARGUMENT');
      expect(thrownCode(() => p.hkdf(prk, new Uint8Array(0), new Uint8Array(0), bad))).toBe('USAGE_ARGUMENT');
    }
  });

  it('HPKE: unsupported suite, half a PSK, bad enc, tampered ciphertext', () => {
    const r = p.x25519Generate();
    const info = Uint8Array.of(7);
    const bad = { kem: 0x0010, kdf: 0x0001, aead: 0x0003 } as unknown as HpkeSuite;
    expect(thrownCode(() => p.hpkeSeal(bad, r.publicKey, info, info, info))).toBe('USAGE_UNSUPPORTED');
    expect(thrownCode(() => p.hpkeSeal({ ...HPKE_DEFAULT_SUITE, aead: 0xffff } as unknown as HpkeSuite, r.publicKey, info, info, info))).toBe('USAGE_UNSUPPORTED');
    expect(thrownCode(() => hpkeSetupSender(p, HPKE_DEFAULT_SUITE, r.publicKey, info, { psk: new Uint8Array(32) }))).toBe('USAGE_ARGUMENT');
    const sealed = p.hpkeSeal(HPKE_DEFAULT_SUITE, r.publicKey, info, info, info);
    expect(thrownCode(() => p.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, sealed.enc.subarray(1), info, info, sealed.ciphertext))).toBe('USAGE_KEY_LENGTH');
    expect(thrownCode(() => p.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, new Uint8Array(32), info, info, sealed.ciphertext))).toBe('VERIFY_ZERO_SHARED_SECRET');
    const tampered = Uint8Array.from(sealed.ciphertext);
    tampered[0] = tampered[0]! ^ 1;
    expect(thrownCode(() => p.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, sealed.enc, info, info, tampered))).toBe('VERIFY_AEAD');
    expect(thrownCode(() => p.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, sealed.enc, Uint8Array.of(8), info, sealed.ciphertext))).toBe('VERIFY_AEAD');
    expect(toHex(p.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, sealed.enc, info, info, sealed.ciphertext))).toBe(toHex(info));
  });

  it('HPKE context: a failed open leaves the context unchanged and usable; sequence numbers advance', () => {
    const r = p.x25519Generate();
    const { enc, context: sender } = hpkeSetupSender(p, HPKE_DEFAULT_SUITE, r.publicKey, new Uint8Array(0));
    const receiver = hpkeSetupRecipient(p, HPKE_DEFAULT_SUITE, r.secretKey, enc, new Uint8Array(0));
    const before = JSON.stringify({ ...receiver, key: toHex(receiver.key), baseNonce: toHex(receiver.baseNonce), exporterSecret: toHex(receiver.exporterSecret) });
    const first = hpkeContextSeal(p, sender, new Uint8Array(0), Uint8Array.of(1));
    const second = hpkeContextSeal(p, first.context, new Uint8Array(0), Uint8Array.of(2));
    expect(second.context.seq).toBe(2);
    expect(thrownCode(() => hpkeContextOpen(p, receiver, new Uint8Array(0), second.ciphertext))).toBe('VERIFY_AEAD');
    const after = JSON.stringify({ ...receiver, key: toHex(receiver.key), baseNonce: toHex(receiver.baseNonce), exporterSecret: toHex(receiver.exporterSecret) });
    expect(after).toBe(before);
    const opened = hpkeContextOpen(p, receiver, new Uint8Array(0), first.ciphertext);
    expect(Array.from(opened.plaintext)).toEqual([1]);
    expect(Array.from(hpkeContextOpen(p, opened.context, new Uint8Array(0), second.ciphertext).plaintext)).toEqual([2]);
  });

  it('randomBytes gives the requested length and differs between calls', () => {
    expect(p.randomBytes(0)).toHaveLength(0);
    expect(toHex(p.randomBytes(32))).not.toBe(toHex(p.randomBytes(32)));
    expect(thrownCode(() => p.randomBytes(-1))).toBe('USAGE_ARGUMENT');
  });
});

describe('node provider specifics', () => {
  it('never serves a stale cached key after the caller changes or zeroizes the array', () => {
    const sk = NODE.randomBytes(32);
    const pk1 = NODE.x25519PublicKey(sk);
    const seed = Uint8Array.from(sk);
    const ed1 = NODE.ed25519PublicKey(seed);
    sk.set(NODE.randomBytes(32));
    seed.fill(0x42);
    const pk2 = NODE.x25519PublicKey(sk);
    expect(toHex(pk2)).not.toBe(toHex(pk1));
    expect(toHex(pk2)).toBe(toHex(PROVIDERS[1]![1].x25519PublicKey(sk)));
    expect(toHex(NODE.ed25519PublicKey(seed))).toBe(toHex(PROVIDERS[1]![1].ed25519PublicKey(seed)));
    expect(toHex(NODE.ed25519PublicKey(seed))).not.toBe(toHex(ed1));
  });

  it('XEdDSA signing follows a changed secret array (cached key pair re-derived)', () => {
    const sk = NODE.randomBytes(32);
    const msg = Uint8Array.of(5);
    expect(NODE.xeddsaVerify(NODE.x25519PublicKey(sk), msg, NODE.xeddsaSign(sk, msg))).toBe(true);
    sk.set(NODE.randomBytes(32));
    const z = NODE.randomBytes(64);
    const sig = NODE.xeddsaSign(sk, msg, z);
    expect(toHex(sig)).toBe(toHex(PROVIDERS[1]![1].xeddsaSign(sk, msg, z)));
    expect(NODE.xeddsaVerify(NODE.x25519PublicKey(sk), msg, sig)).toBe(true);
  });

  it('returned public keys are copies (mutating one does not poison the cache)', () => {
    const sk = NODE.randomBytes(32);
    const pk = NODE.x25519PublicKey(sk);
    const copy = Uint8Array.from(pk);
    pk.fill(0);
    expect(toHex(NODE.x25519PublicKey(sk))).toBe(toHex(copy));
  });

  it('HChaCha20 matches draft-irtf-cfrg-xchacha-03 §2.2.1', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = fromHex('000000090000004a0000000031415927');
    expect(toHex(hchacha20(key, nonce))).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('is the default provider under Node', () => {
    expect(defaultCryptoProvider().name).toBe('node');
  });
});
