/**
 * The portable provider: every primitive on @noble/hashes, @noble/curves and
 * @noble/ciphers, so it runs in any JavaScript runtime with
 * `crypto.getRandomValues` (browsers, Deno, Bun, Node). HPKE and XEdDSA come
 * from the shared modules `../hpke.ts` and `../xeddsa.ts`.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { UsageError, VerifyError } from '../../errors.js';
import { assertAeadArgs, assertBytes, assertLength, HKDF_MAX_LENGTH, isAllZero, KEY_LENGTH, XEDDSA_RANDOM_LENGTH } from '../checks.js';
import { HpkeOnPrimitives } from '../hpke-provider.js';
import { MLKEM768_RANDOM_LENGTH, MLKEM768_SEED_LENGTH, PortableMlKem, type MlKemEncapsulation, type MlKemKeyPair } from '../mlkem.js';
import { AEAD_TAG_LENGTH, type AeadAlgorithm, type CryptoProvider, type Ed25519KeyPair, type X25519KeyPair } from '../provider.js';
import { ed25519VerifyPortable, xeddsaSignPortable, xeddsaVerifyPortable } from '../xeddsa.js';

const EMPTY = new Uint8Array(0);

function nobleAead(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) {
  switch (algorithm) {
    case 'chacha20-poly1305':
      return chacha20poly1305(key, nonce, aad);
    case 'xchacha20-poly1305':
      return xchacha20poly1305(key, nonce, aad);
    case 'aes-128-gcm':
    case 'aes-256-gcm':
      return gcm(key, nonce, aad);
  }
}

/**
 * `CryptoProvider` on @noble/*; byte-identical to `NodeCryptoProvider`.
 * @example
 * const crypto = new PortableCryptoProvider();
 * const { publicKey } = crypto.x25519Generate();
 */
export class PortableCryptoProvider extends HpkeOnPrimitives implements CryptoProvider {
  /** Provider name. */
  readonly name: string = 'portable';
  private readonly mlkem = new PortableMlKem();

  /** Secure random bytes from `crypto.getRandomValues`. */
  randomBytes(length: number): Uint8Array {
    assertLength(length, 'randomBytes length', 2 ** 31);
    return randomBytes(length);
  }

  /** SHA-256. */
  sha256(data: Uint8Array): Uint8Array {
    return sha256(assertBytes(data, 'sha256 data'));
  }

  /** HMAC-SHA256. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(sha256, assertBytes(key, 'hmac key'), assertBytes(data, 'hmac data'));
  }

  /** HKDF-Extract (RFC 5869 §2.2). */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return extract(sha256, assertBytes(ikm, 'hkdf ikm'), assertBytes(salt, 'hkdf salt'));
  }

  /** HKDF-Expand (RFC 5869 §2.3). @throws UsageError `USAGE_ARGUMENT` when `length` > 8160. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    assertBytes(prk, 'hkdf prk');
    assertBytes(info, 'hkdf info');
    assertLength(length, 'hkdf length', HKDF_MAX_LENGTH);
    if (length === 0) return new Uint8Array(0);
    return expand(sha256, prk, info, length);
  }

  /** HKDF (extract then expand). */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    assertLength(length, 'hkdf length', HKDF_MAX_LENGTH);
    const prk = this.hkdfExtract(salt, ikm);
    try {
      return this.hkdfExpand(prk, info, length);
    } finally {
      prk.fill(0);
    }
  }

  /** X25519 public key. @throws UsageError `USAGE_KEY_LENGTH`. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array {
    return x25519.getPublicKey(assertBytes(secretKey, 'x25519 secretKey', KEY_LENGTH));
  }

  /** A fresh X25519 key pair. */
  x25519Generate(): X25519KeyPair {
    const secretKey = this.randomBytes(KEY_LENGTH);
    return { secretKey, publicKey: this.x25519PublicKey(secretKey) };
  }

  /** X25519. @throws VerifyError `VERIFY_ZERO_SHARED_SECRET`; UsageError `USAGE_KEY_LENGTH`. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    assertBytes(publicKey, 'x25519 publicKey', KEY_LENGTH);
    assertBytes(secretKey, 'x25519 secretKey', KEY_LENGTH);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(secretKey, publicKey);
    } catch (cause) {
      // noble throws only for an all-zero result once lengths are checked.
      throw new VerifyError('VERIFY_ZERO_SHARED_SECRET', 'x25519: all-zero shared secret (low-order public key)', { cause });
    }
    if (isAllZero(shared)) throw new VerifyError('VERIFY_ZERO_SHARED_SECRET', 'x25519: all-zero shared secret (low-order public key)');
    return shared;
  }

  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
    return ed25519.getPublicKey(assertBytes(secretKey, 'ed25519 secretKey', KEY_LENGTH));
  }

  /** A fresh Ed25519 key pair. */
  ed25519Generate(): Ed25519KeyPair {
    const secretKey = this.randomBytes(KEY_LENGTH);
    return { secretKey, publicKey: this.ed25519PublicKey(secretKey) };
  }

  /** Ed25519 signature (RFC 8032). */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    assertBytes(secretKey, 'ed25519 secretKey', KEY_LENGTH);
    return ed25519.sign(assertBytes(message, 'ed25519 message'), secretKey);
  }

  /** Strict cofactorless Ed25519 verification (same rule as node:crypto). */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return ed25519VerifyPortable(publicKey, message, signature);
  }

  /** XEdDSA signature. @throws UsageError `USAGE_KEY_LENGTH` / `USAGE_ARGUMENT`. */
  xeddsaSign(x25519SecretKey: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array {
    assertBytes(x25519SecretKey, 'xeddsa secretKey', KEY_LENGTH);
    assertBytes(message, 'xeddsa message');
    const z = random ?? this.randomBytes(XEDDSA_RANDOM_LENGTH);
    assertBytes(z, 'xeddsa random', XEDDSA_RANDOM_LENGTH, 'USAGE_ARGUMENT');
    try {
      return xeddsaSignPortable(x25519SecretKey, message, z);
    } finally {
      if (random === undefined) z.fill(0);
    }
  }

  /** XEdDSA verification. */
  xeddsaVerify(x25519PublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return xeddsaVerifyPortable(x25519PublicKey, message, signature);
  }

  /** AEAD seal: ciphertext ‖ tag. */
  aeadSeal(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    assertAeadArgs(algorithm, key, nonce, plaintext, aad);
    return nobleAead(algorithm, key, nonce, aad).encrypt(plaintext);
  }

  /** AEAD open. @throws VerifyError `VERIFY_AEAD`. */
  aeadOpen(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    assertAeadArgs(algorithm, key, nonce, sealed, aad);
    if (sealed.length < AEAD_TAG_LENGTH) throw new VerifyError('VERIFY_AEAD', `${algorithm}: input of ${sealed.length} bytes is shorter than the tag`);
    try {
      return nobleAead(algorithm, key, nonce, aad).decrypt(sealed);
    } catch (cause) {
      if (cause instanceof UsageError) throw cause;
      throw new VerifyError('VERIFY_AEAD', `${algorithm}: authentication failed`, { cause });
    }
  }

  /** A fresh ML-KEM-768 key pair. */
  mlkem768Generate(): MlKemKeyPair {
    const seed = this.randomBytes(MLKEM768_SEED_LENGTH);
    try {
      return this.mlkem.keyPairFromSeed(seed);
    } finally {
      seed.fill(0);
    }
  }

  /** ML-KEM-768 key pair of a 64-byte seed. @throws UsageError `USAGE_KEY_LENGTH`. */
  mlkem768KeyPairFromSeed(seed: Uint8Array): MlKemKeyPair {
    return this.mlkem.keyPairFromSeed(seed);
  }

  /** ML-KEM-768 encapsulation. @throws UsageError / VerifyError `VERIFY_KEY` (see the interface). */
  mlkem768Encapsulate(publicKey: Uint8Array, random?: Uint8Array): MlKemEncapsulation {
    const m = random ?? this.randomBytes(MLKEM768_RANDOM_LENGTH);
    try {
      return this.mlkem.encapsulate(publicKey, m);
    } finally {
      if (random === undefined) m.fill(0);
    }
  }

  /** ML-KEM-768 decapsulation (implicit rejection). */
  mlkem768Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return this.mlkem.decapsulate(secretKey, ciphertext);
  }
}
