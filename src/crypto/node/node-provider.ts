/**
 * The Node provider: primitives on node:crypto (OpenSSL), reached through
 * `process.getBuiltinModule` so that no static `node:crypto` import ends up
 * in browser bundles. Byte-identical to `PortableCryptoProvider`.
 *
 * Fast paths: keys are imported once as JWK (much cheaper than DER) and the
 * KeyObjects cached (`key-cache.ts`); HMAC and HKDF run on `createHmac`;
 * XChaCha20-Poly1305 = portable HChaCha20 sub-key + native
 * ChaCha20-Poly1305; XEdDSA verification converts the X25519 key to its
 * Edwards form once (cached) and verifies natively as Ed25519. XEdDSA
 * signing reuses the portable code (node:crypto has no custom-nonce Ed25519).
 */
// A type-only import first keeps the module comment above in the .d.ts.
import type { AeadAlgorithm, CryptoProvider, Ed25519KeyPair, X25519KeyPair } from '../provider.js';
import type * as NodeCrypto from 'node:crypto';
import { UsageError, VerifyError } from '../../errors.js';
import { zeroize } from '../bytes.js';
import { assertAeadArgs, assertBytes, assertLength, HKDF_MAX_LENGTH, isAllZero, KEY_LENGTH, SIGNATURE_LENGTH, XEDDSA_RANDOM_LENGTH } from '../checks.js';
import { hchacha20 } from '../hchacha20.js';
import { hmacSha256Js, hmacSha256Key, hmacSha256KeyInto, sha256Js, wipeHmacKey, type HmacSha256Key } from '../hmac-sha256.js';
import { HpkeOnPrimitives } from '../hpke-provider.js';
import {
  assertMlKemCiphertext,
  assertMlKemPublicKey,
  assertMlKemRandom,
  assertMlKemSeed,
  MLKEM768_SEED_LENGTH,
  PortableMlKem,
  type MlKemEncapsulation,
  type MlKemKeyPair,
} from '../mlkem.js';
import { AEAD_TAG_LENGTH } from '../provider.js';
import { ed25519PublicKeyAcceptable, xeddsaCalculateKeyPair, xeddsaEdwardsPublicKey, xeddsaSignWithKeyPair, type XeddsaKeyPair } from '../xeddsa.js';
import { PublicKeyCache, SecretKeyCache } from './key-cache.js';

type NodeCryptoModule = typeof NodeCrypto;
type KeyObject = NodeCrypto.KeyObject;

const EMPTY = new Uint8Array(0);
/** The one-byte HKDF-Expand counters 1..255 (no allocation per block). */
const COUNTER_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));

/** node:crypto's KEM calls (Node ≥ 24.7 with OpenSSL 3.5); absent from the Node 20 typings. */
interface NativeKem {
  encapsulate(key: KeyObject): { sharedKey: Uint8Array; ciphertext: Uint8Array };
  decapsulate(key: KeyObject, ciphertext: Uint8Array): Uint8Array;
}

/** PKCS#8 prefix of a raw X25519 / Ed25519 secret key (RFC 8410); the byte at OKP_CURVE_OID_OFFSET is 0x6e (X25519) or 0x70 (Ed25519). */
const OKP_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const OKP_CURVE_OID_OFFSET = 11;

/** DER prefixes wrapping raw ML-KEM-768 keys (draft-ietf-lamps-kyber-certificates: OID 2.16.840.1.101.3.4.4.2). */
const MLKEM768_PKCS8_SEED_PREFIX = Uint8Array.from([
  0x30, 0x54, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02, 0x04, 0x42, 0x80, 0x40,
]);
const MLKEM768_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x82, 0x04, 0xb2, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02, 0x03, 0x82, 0x04, 0xa1, 0x00,
]);

function loadNodeCrypto(): NodeCryptoModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  return proc.getBuiltinModule('node:crypto') as NodeCryptoModule | undefined;
}

/** True when node:crypto is reachable (Node ≥ 20.16 with `process.getBuiltinModule`). */
export function nodeCryptoAvailable(): boolean {
  return loadNodeCrypto() !== undefined;
}

/** A Buffer's bytes as a fresh `Uint8Array` (no Buffer leaves this module). */
function own(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function zeroSharedSecret(cause?: unknown): VerifyError {
  return new VerifyError('VERIFY_ZERO_SHARED_SECRET', 'x25519: all-zero shared secret (low-order public key)', { cause });
}

/** Longest message the JavaScript HMAC and SHA-256 take (beyond, native is faster). */
const JS_HMAC_MAX_MESSAGE = 256;

interface ImportedSecret {
  readonly key: KeyObject;
  readonly publicKey: Uint8Array;
}

/**
 * `CryptoProvider` on node:crypto; see the module comment.
 * @throws UsageError `USAGE_UNSUPPORTED` from the constructor when node:crypto is unavailable.
 * @example
 * const crypto = nodeCryptoAvailable() ? new NodeCryptoProvider() : new PortableCryptoProvider();
 */
export class NodeCryptoProvider extends HpkeOnPrimitives implements CryptoProvider {
  /** Provider name. */
  readonly name: string = 'node';
  private readonly nc: NodeCryptoModule;
  private readonly x25519Secrets = new SecretKeyCache<ImportedSecret>();
  private readonly ed25519Secrets = new SecretKeyCache<ImportedSecret>();
  private readonly x25519Publics = new PublicKeyCache<KeyObject>();
  private readonly ed25519Publics = new PublicKeyCache<KeyObject | null>();
  private readonly xeddsaPublics = new PublicKeyCache<KeyObject | null>();
  private readonly xeddsaSecrets = new SecretKeyCache<XeddsaKeyPair>();
  private readonly mlkemSecrets = new SecretKeyCache<KeyObject>();
  private readonly mlkemPublics = new PublicKeyCache<KeyObject>();
  private readonly portableMlKem = new PortableMlKem();
  private nativeKem: NativeKem | null | undefined;
  private jwkPlaceholderAccepted = true;
  private emptyHmacKey: HmacSha256Key | undefined;
  /** The keyed state of the HMAC in progress (wiped after each call). */
  private readonly hmacScratch: HmacSha256Key = { inner: new Int32Array(8), outer: new Int32Array(8) };

  constructor() {
    super();
    const nc = loadNodeCrypto();
    if (nc === undefined) throw new UsageError('USAGE_UNSUPPORTED', 'node:crypto is not available in this runtime');
    this.nc = nc;
  }

  /**
   * Secure random bytes, drawn from the CSPRNG at each call: no pool drawn
   * ahead, so a memory snapshot never holds the randomness of keys not made
   * yet (post-compromise security: the next update must be fresh).
   */
  randomBytes(length: number): Uint8Array {
    assertLength(length, 'randomBytes length', 2 ** 31);
    return this.nc.randomFillSync(new Uint8Array(length));
  }

  /** SHA-256 (short messages in JavaScript: MLS hashes hundreds of tree nodes of a few hundred bytes per commit). */
  sha256(data: Uint8Array): Uint8Array {
    assertBytes(data, 'sha256 data');
    if (data.length <= JS_HMAC_MAX_MESSAGE) return sha256Js(data);
    return own(this.nc.createHash('sha256').update(data).digest());
  }

  /**
   * HMAC-SHA256 of a short message in JavaScript: the keyed state (SHA-256
   * midstates after the ipad and opad blocks) is computed into one scratch
   * state and wiped right after, so no key outlives its call (forward
   * secrecy: a consumed chain key must not stay in the provider). The empty
   * key (HKDF's default salt) is public and kept.
   */
  private hmacJs(key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
    if (key.length === 0) return hmacSha256Js((this.emptyHmacKey ??= hmacSha256Key(key)), ...parts);
    const state = this.hmacScratch;
    hmacSha256KeyInto(key, state);
    try {
      return hmacSha256Js(state, ...parts);
    } finally {
      wipeHmacKey(state);
    }
  }

  /** HMAC-SHA256 (short messages in JavaScript, long ones native). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    assertBytes(key, 'hmac key');
    assertBytes(data, 'hmac data');
    if (data.length <= JS_HMAC_MAX_MESSAGE) return this.hmacJs(key, data);
    return own(this.nc.createHmac('sha256', key).update(data).digest());
  }

  /** HKDF-Extract (RFC 5869 §2.2) = HMAC(salt, ikm). */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    assertBytes(ikm, 'hkdf ikm');
    return this.hmacSha256(assertBytes(salt, 'hkdf salt'), ikm);
  }

  /** HKDF-Expand (RFC 5869 §2.3). @throws UsageError `USAGE_ARGUMENT` when `length` > 8160. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    assertBytes(prk, 'hkdf prk');
    assertBytes(info, 'hkdf info');
    assertLength(length, 'hkdf length', HKDF_MAX_LENGTH);
    if (length <= 32 && info.length < JS_HMAC_MAX_MESSAGE) {
      // One block, T(1) = HMAC(prk, info || 0x01): the common case (every MLS and HPKE derivation).
      const block = this.hmacJs(prk, info, COUNTER_BYTES[1] as Uint8Array);
      if (length === 32) return block;
      const out = block.slice(0, length);
      block.fill(0);
      return out;
    }
    const out = new Uint8Array(length);
    let previous: Buffer | undefined;
    for (let offset = 0, i = 1; offset < length; offset += 32, i++) {
      const hmac = this.nc.createHmac('sha256', prk);
      if (previous !== undefined) hmac.update(previous);
      const block = hmac.update(info).update(COUNTER_BYTES[i] as Uint8Array).digest();
      // A plain view, not Buffer#subarray (much slower per call on Node 20); one block is the common case.
      out.set(new Uint8Array(block.buffer, block.byteOffset, Math.min(32, length - offset)), offset);
      previous?.fill(0);
      previous = block;
    }
    previous?.fill(0);
    return out;
  }

  /** HKDF (extract then expand). */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    assertLength(length, 'hkdf length', HKDF_MAX_LENGTH);
    const prk = this.hkdfExtract(salt, ikm);
    try {
      return this.hkdfExpand(prk, info, length);
    } finally {
      zeroize(prk);
    }
  }

  /**
   * Imports a raw OKP secret key. JWK needs an `x`; Node 20 derives the
   * public key from `d` alone, so `x` is a placeholder there (cheapest
   * import). Newer Node checks `x` against `d` and refuses the placeholder:
   * then every import goes through PKCS#8 DER (decided on the first refusal).
   */
  private importSecret(curve: 'X25519' | 'Ed25519', secret: Uint8Array): ImportedSecret {
    let key: KeyObject | undefined;
    if (this.jwkPlaceholderAccepted) {
      const d = b64url(secret);
      try {
        key = this.nc.createPrivateKey({ key: { kty: 'OKP', crv: curve, d, x: d }, format: 'jwk' });
      } catch {
        this.jwkPlaceholderAccepted = false;
      }
    }
    key ??= this.importSecretDer(curve, secret);
    // The private key's JWK carries its public key: cheaper than a public KeyObject and its export.
    const jwk = key.export({ format: 'jwk' });
    if (jwk.d !== undefined) jwk.d = ''; // the exported copy of the secret is dropped at once
    return { key, publicKey: own(Buffer.from(jwk.x ?? '', 'base64url')) };
  }

  private importSecretDer(curve: 'X25519' | 'Ed25519', secret: Uint8Array): KeyObject {
    const der = new Uint8Array(OKP_PKCS8_PREFIX.length + KEY_LENGTH);
    der.set(OKP_PKCS8_PREFIX, 0);
    der[OKP_CURVE_OID_OFFSET] = curve === 'X25519' ? 0x6e : 0x70;
    der.set(secret, OKP_PKCS8_PREFIX.length);
    try {
      return this.nc.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    } finally {
      zeroize(der);
    }
  }

  private importPublic(curve: 'X25519' | 'Ed25519', publicKey: Uint8Array): KeyObject {
    return this.nc.createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64url(publicKey) }, format: 'jwk' });
  }

  private x25519Secret(secretKey: Uint8Array): ImportedSecret {
    return this.x25519Secrets.get(secretKey, (s) => this.importSecret('X25519', s));
  }

  /** X25519 public key. @throws UsageError `USAGE_KEY_LENGTH`. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array {
    assertBytes(secretKey, 'x25519 secretKey', KEY_LENGTH);
    return Uint8Array.from(this.x25519Secret(secretKey).publicKey);
  }

  /**
   * A fresh X25519 key pair: random bytes imported once (the KeyObject is
   * cached for the DH that usually follows). Not `generateKeyPairSync` plus a
   * JWK export of its key: on Node 20 that can deadlock — the export holds the
   * key's mutex, a GC in it runs the finished key-generation job's destructor,
   * which takes the same mutex (seen in the DCGKA bench: main thread in
   * `~KeyGenJob` under `ExportJWKEdKey`).
   */
  x25519Generate(): X25519KeyPair {
    const secretKey = this.randomBytes(KEY_LENGTH);
    return { secretKey, publicKey: this.x25519PublicKey(secretKey) };
  }

  /**
   * HPKE Encap's DH half: a fresh X25519 key pair, used once for its DH with
   * `recipientPublicKey`. Unlike `x25519Generate` + `x25519`, the ephemeral
   * key is imported once and not cached (it is wiped on return): no cache
   * entry, no copies, for the 127 ephemerals of a commit at n = 128.
   * @throws VerifyError `VERIFY_ZERO_SHARED_SECRET`; UsageError `USAGE_KEY_LENGTH`.
   */
  x25519Ephemeral(recipientPublicKey: Uint8Array): { readonly publicKey: Uint8Array; readonly shared: Uint8Array } {
    assertBytes(recipientPublicKey, 'x25519 publicKey', KEY_LENGTH);
    const secretKey = this.randomBytes(KEY_LENGTH);
    try {
      const ephemeral = this.importSecret('X25519', secretKey);
      const peer = this.x25519Publics.get(recipientPublicKey, (p) => this.importPublic('X25519', p));
      let shared: Uint8Array;
      try {
        shared = own(this.nc.diffieHellman({ privateKey: ephemeral.key, publicKey: peer }));
      } catch (cause) {
        throw zeroSharedSecret(cause);
      }
      if (isAllZero(shared)) throw zeroSharedSecret();
      return { publicKey: ephemeral.publicKey, shared };
    } finally {
      zeroize(secretKey);
    }
  }

  /** X25519. @throws VerifyError `VERIFY_ZERO_SHARED_SECRET`; UsageError `USAGE_KEY_LENGTH`. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    assertBytes(publicKey, 'x25519 publicKey', KEY_LENGTH);
    assertBytes(secretKey, 'x25519 secretKey', KEY_LENGTH);
    const privateKey = this.x25519Secret(secretKey).key;
    const peer = this.x25519Publics.get(publicKey, (p) => this.importPublic('X25519', p));
    let shared: Uint8Array;
    try {
      shared = own(this.nc.diffieHellman({ privateKey, publicKey: peer }));
    } catch (cause) {
      // OpenSSL refuses to return an all-zero X25519 result; lengths are already checked.
      throw zeroSharedSecret(cause);
    }
    if (isAllZero(shared)) throw zeroSharedSecret();
    return shared;
  }

  private ed25519Secret(secretKey: Uint8Array): ImportedSecret {
    return this.ed25519Secrets.get(secretKey, (s) => this.importSecret('Ed25519', s));
  }

  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
    assertBytes(secretKey, 'ed25519 secretKey', KEY_LENGTH);
    return Uint8Array.from(this.ed25519Secret(secretKey).publicKey);
  }

  /** A fresh Ed25519 key pair. */
  ed25519Generate(): Ed25519KeyPair {
    const secretKey = this.randomBytes(KEY_LENGTH);
    return { secretKey, publicKey: this.ed25519PublicKey(secretKey) };
  }

  /** Ed25519 signature (RFC 8032). */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    assertBytes(secretKey, 'ed25519 secretKey', KEY_LENGTH);
    assertBytes(message, 'ed25519 message');
    return own(this.nc.sign(null, message, this.ed25519Secret(secretKey).key));
  }

  private verifyWith(key: KeyObject | null, message: Uint8Array, signature: Uint8Array): boolean {
    if (key === null) return false;
    try {
      return this.nc.verify(null, message, key, signature);
    } catch {
      return false;
    }
  }

  /** Strict Ed25519 verification (shared key rule + OpenSSL); false on any failure. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
    if (publicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
    const key = this.ed25519Publics.get(publicKey, (p) => this.tryImportEd25519(p));
    return this.verifyWith(key, message, signature);
  }

  /** The verification key, or null for a key the shared rule refuses (non-canonical, small order) or OpenSSL cannot import. */
  private tryImportEd25519(publicKey: Uint8Array): KeyObject | null {
    if (!ed25519PublicKeyAcceptable(publicKey)) return null;
    try {
      return this.importPublic('Ed25519', publicKey);
    } catch {
      return null;
    }
  }

  /** XEdDSA signature (portable arithmetic, calculate_key_pair cached per key). @throws UsageError `USAGE_KEY_LENGTH` / `USAGE_ARGUMENT`. */
  xeddsaSign(x25519SecretKey: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array {
    assertBytes(x25519SecretKey, 'xeddsa secretKey', KEY_LENGTH);
    assertBytes(message, 'xeddsa message');
    const z = random ?? this.randomBytes(XEDDSA_RANDOM_LENGTH);
    assertBytes(z, 'xeddsa random', XEDDSA_RANDOM_LENGTH, 'USAGE_ARGUMENT');
    try {
      return xeddsaSignWithKeyPair(this.xeddsaSecrets.get(x25519SecretKey, xeddsaCalculateKeyPair), message, z);
    } finally {
      if (random === undefined) zeroize(z);
    }
  }

  /** XEdDSA verification: cached Edwards form of the key + native Ed25519. */
  xeddsaVerify(x25519PublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!(x25519PublicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
    if (x25519PublicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
    const key = this.xeddsaPublics.get(x25519PublicKey, (u) => {
      const edwards = xeddsaEdwardsPublicKey(u);
      return edwards === undefined ? null : this.tryImportEd25519(edwards);
    });
    return this.verifyWith(key, message, signature);
  }

  /** AEAD seal: ciphertext ‖ tag. */
  aeadSeal(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    assertAeadArgs(algorithm, key, nonce, plaintext, aad);
    if (algorithm === 'xchacha20-poly1305') {
      const { subKey, subNonce } = xchachaSubKey(key, nonce);
      try {
        return this.nativeSeal('chacha20-poly1305', subKey, subNonce, plaintext, aad);
      } finally {
        zeroize(subKey);
      }
    }
    return this.nativeSeal(algorithm, key, nonce, plaintext, aad);
  }

  private nativeSeal(algorithm: 'chacha20-poly1305' | 'aes-128-gcm' | 'aes-256-gcm', key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const cipher = this.nc.createCipheriv(algorithm as 'chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    const last = cipher.final();
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(body.length + last.length + AEAD_TAG_LENGTH);
    out.set(body, 0);
    out.set(last, body.length);
    out.set(tag, body.length + last.length);
    return out;
  }

  /** AEAD open. @throws VerifyError `VERIFY_AEAD`. */
  aeadOpen(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    assertAeadArgs(algorithm, key, nonce, sealed, aad);
    if (sealed.length < AEAD_TAG_LENGTH) throw new VerifyError('VERIFY_AEAD', `${algorithm}: input of ${sealed.length} bytes is shorter than the tag`);
    if (algorithm === 'xchacha20-poly1305') {
      const { subKey, subNonce } = xchachaSubKey(key, nonce);
      try {
        return this.nativeOpen('chacha20-poly1305', subKey, subNonce, sealed, aad);
      } finally {
        zeroize(subKey);
      }
    }
    return this.nativeOpen(algorithm, key, nonce, sealed, aad);
  }

  private nativeOpen(algorithm: 'chacha20-poly1305' | 'aes-128-gcm' | 'aes-256-gcm', key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
    const split = sealed.length - AEAD_TAG_LENGTH;
    const decipher = this.nc.createDecipheriv(algorithm as 'chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    decipher.setAuthTag(sealed.subarray(split));
    decipher.setAAD(aad, { plaintextLength: split });
    const body = decipher.update(sealed.subarray(0, split));
    let last: Uint8Array;
    try {
      last = decipher.final();
    } catch (cause) {
      zeroize(body);
      throw new VerifyError('VERIFY_AEAD', `${algorithm}: authentication failed`, { cause });
    }
    // A stream cipher's final() adds nothing: when update() gave a buffer of its own (not a view into a shared pool),
    // the plaintext is handed out as a plain Uint8Array over that memory instead of copied (a large message costs
    // a copy and a wipe less).
    if (last.length === 0 && body.byteOffset === 0 && body.buffer.byteLength === body.length) return new Uint8Array(body.buffer, 0, body.length);
    const out = new Uint8Array(body.length + last.length);
    out.set(body, 0);
    out.set(last, body.length);
    zeroize(body);
    return out;
  }

  /**
   * node:crypto's ML-KEM when this runtime has it (probed once by importing a
   * seed key), else null: then every ML-KEM call runs on the portable code.
   */
  private nativeMlKem(): NativeKem | null {
    if (this.nativeKem === undefined) {
      const candidate = this.nc as unknown as Partial<NativeKem>;
      let found: NativeKem | null = null;
      if (typeof candidate.encapsulate === 'function' && typeof candidate.decapsulate === 'function') {
        try {
          this.importMlKemSeed(new Uint8Array(MLKEM768_SEED_LENGTH));
          found = candidate as NativeKem;
        } catch {
          found = null;
        }
      }
      this.nativeKem = found;
    }
    return this.nativeKem;
  }

  /** True when ML-KEM runs natively (Node ≥ 24.7); false means the portable fallback. */
  get nativeMlKemAvailable(): boolean {
    return this.nativeMlKem() !== null;
  }

  private importMlKemSeed(seed: Uint8Array): KeyObject {
    const der = new Uint8Array(MLKEM768_PKCS8_SEED_PREFIX.length + MLKEM768_SEED_LENGTH);
    der.set(MLKEM768_PKCS8_SEED_PREFIX, 0);
    der.set(seed, MLKEM768_PKCS8_SEED_PREFIX.length);
    try {
      return this.nc.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    } finally {
      zeroize(der);
    }
  }

  private importMlKemPublic(publicKey: Uint8Array): KeyObject {
    const der = new Uint8Array(MLKEM768_SPKI_PREFIX.length + publicKey.length);
    der.set(MLKEM768_SPKI_PREFIX, 0);
    der.set(publicKey, MLKEM768_SPKI_PREFIX.length);
    return this.nc.createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' });
  }

  /** A fresh ML-KEM-768 key pair. */
  mlkem768Generate(): MlKemKeyPair {
    const seed = this.randomBytes(MLKEM768_SEED_LENGTH);
    try {
      return this.mlkem768KeyPairFromSeed(seed);
    } finally {
      zeroize(seed);
    }
  }

  /** ML-KEM-768 key pair of a 64-byte seed (native import of the seed when available). @throws UsageError `USAGE_KEY_LENGTH`. */
  mlkem768KeyPairFromSeed(seed: Uint8Array): MlKemKeyPair {
    assertMlKemSeed(seed);
    if (this.nativeMlKem() === null) return this.portableMlKem.keyPairFromSeed(seed);
    const secretKey = Uint8Array.from(seed);
    const key = this.mlkemSecrets.get(secretKey, (s) => this.importMlKemSeed(s));
    const spki = this.nc.createPublicKey(key).export({ format: 'der', type: 'spki' });
    return { secretKey, publicKey: own(spki.subarray(MLKEM768_SPKI_PREFIX.length)) };
  }

  /**
   * ML-KEM-768 encapsulation: native with fresh randomness; given randomness
   * (deterministic tests, vectors) runs on the portable code, as node:crypto
   * takes none. The key is checked (FIPS 203 §7.2) on every call, cached or not.
   */
  mlkem768Encapsulate(publicKey: Uint8Array, random?: Uint8Array): MlKemEncapsulation {
    const native = this.nativeMlKem();
    if (native === null || random !== undefined) {
      const m = random ?? this.randomBytes(32);
      try {
        return this.portableMlKem.encapsulate(publicKey, assertMlKemRandom(m));
      } finally {
        if (random === undefined) zeroize(m);
      }
    }
    const key = this.mlkemPublics.get(assertMlKemPublicKey(publicKey), (p) => this.importMlKemPublic(p));
    const { sharedKey, ciphertext } = native.encapsulate(key);
    return { ciphertext: own(ciphertext), sharedSecret: own(sharedKey) };
  }

  /** ML-KEM-768 decapsulation (implicit rejection), native when available. */
  mlkem768Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const native = this.nativeMlKem();
    if (native === null) return this.portableMlKem.decapsulate(secretKey, ciphertext);
    assertMlKemSeed(secretKey);
    assertMlKemCiphertext(ciphertext);
    const key = this.mlkemSecrets.get(secretKey, (s) => this.importMlKemSeed(s));
    return own(native.decapsulate(key, ciphertext));
  }
}

/** XChaCha20 → ChaCha20 (draft-irtf-cfrg-xchacha-03 §2.3): sub-key from the first 16 nonce bytes, 4 zero bytes ‖ last 8. */
function xchachaSubKey(key: Uint8Array, nonce: Uint8Array): { subKey: Uint8Array; subNonce: Uint8Array } {
  const subNonce = new Uint8Array(12);
  subNonce.set(nonce.subarray(16, 24), 4);
  return { subKey: hchacha20(key, nonce.subarray(0, 16)), subNonce };
}
