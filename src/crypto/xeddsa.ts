/**
 * XEdDSA (Signal, "The XEdDSA and VXEdDSA Signature Schemes", rev. 1,
 * §2.3) over Curve25519, plus the strict cofactorless Ed25519 check both
 * use. Portable (@noble/curves point arithmetic); the Node provider reuses
 * `xeddsaSignPortable` and `xeddsaEdwardsPublicKey`.
 *
 * - Signing: calculate_key_pair(k) with sign bit 0 (§2.3), then
 *   r = hash1(a ‖ M ‖ Z) mod q, R = rB, h = SHA-512(R ‖ A ‖ M) mod q,
 *   s = r + h·a mod q. hash1(X) = SHA-512((2^256 − 2 as 32 LE bytes) ‖ X).
 * - Verification: reject u ≥ p, convert u to the Edwards y = (u − 1)/(u + 1)
 *   with sign bit 0 (so a signature verifies as plain Ed25519 under that
 *   key), then check R = sB − hA by comparing encodings. s must be < q
 *   (stricter than the spec's s < 2^253, matching RFC 8032 and node:crypto,
 *   so signatures are not malleable).
 *
 * Limits (noble-curves README): bigints cannot be wiped; arithmetic on them
 * is not guaranteed constant time.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InternalError } from '../errors.js';
import { bytesEqual, concatBytes, fromHex, zeroize } from './bytes.js';
import { KEY_LENGTH, SIGNATURE_LENGTH } from './checks.js';

const Point = ed25519.Point;
const P = Point.Fp.ORDER;
const Q = Point.Fn.ORDER;

/** hash1's prefix: 2^256 − 1 − 1 encoded as 32 little-endian bytes (XEdDSA §2.5). */
const HASH1_PREFIX = (() => {
  const prefix = new Uint8Array(32).fill(0xff);
  prefix[0] = 0xfe;
  return prefix;
})();

/** Canonical encodings of the eight points of small order (the torsion subgroup). */
const SMALL_ORDER_POINTS = ED25519_TORSION_SUBGROUP.map((hex) => fromHex(hex));

/**
 * Public-key rule shared by both providers, checked before any verification:
 * a canonical RFC 8032 §5.1.3 encoding (y < p, no x = 0 with sign bit 1) of
 * a point that is not of small order (such keys accept forged signatures).
 * OpenSSL alone decodes leniently, so the Node provider checks this first.
 * Expects 32 bytes.
 */
export function ed25519PublicKeyAcceptable(publicKey: Uint8Array): boolean {
  const last = publicKey[31] as number;
  const y = bytesToNumberLE(publicKey) & ((1n << 255n) - 1n);
  if (y >= P) return false;
  if ((last & 0x80) !== 0 && (y === 1n || y === P - 1n)) return false;
  return !SMALL_ORDER_POINTS.some((point) => bytesEqual(point, publicKey));
}

function modQ(bytes: Uint8Array): bigint {
  return bytesToNumberLE(bytes) % Q;
}

/** The scalar X25519 uses for a 32-byte secret key (RFC 7748 §5 clamping). */
function clampedScalar(secretKey: Uint8Array): bigint {
  const k = Uint8Array.from(secretKey);
  k[0] = (k[0] as number) & 248;
  k[31] = ((k[31] as number) & 127) | 64;
  try {
    return bytesToNumberLE(k);
  } finally {
    zeroize(k);
  }
}

/**
 * calculate_key_pair (XEdDSA §2.3): the Edwards public key A with sign bit 0
 * and the matching private scalar a for an X25519 secret key.
 * Expects a 32-byte `secretKey` (checked by the caller).
 */
export function xeddsaCalculateKeyPair(secretKey: Uint8Array): XeddsaKeyPair {
  const k = clampedScalar(secretKey) % Q;
  if (k === 0n) throw new InternalError('INTERNAL', 'xeddsa: secret scalar is zero mod q');
  const e = Point.BASE.multiply(k).toBytes();
  const negative = ((e[31] as number) & 0x80) !== 0;
  e[31] = (e[31] as number) & 0x7f;
  return { publicKey: e, scalar: negative ? Q - k : k };
}

/** The output of calculate_key_pair: Edwards public key A (sign bit 0) and private scalar a. */
export interface XeddsaKeyPair {
  readonly publicKey: Uint8Array;
  readonly scalar: bigint;
}

/**
 * xeddsa_sign (XEdDSA §2.3). Expects a 32-byte X25519 secret key and 64
 * random bytes `random` (checked by the caller).
 * @returns the 64-byte signature R ‖ s.
 */
export function xeddsaSignPortable(secretKey: Uint8Array, message: Uint8Array, random: Uint8Array): Uint8Array {
  return xeddsaSignWithKeyPair(xeddsaCalculateKeyPair(secretKey), message, random);
}

/** xeddsa_sign given the result of `xeddsaCalculateKeyPair` (lets a provider cache it per key). */
export function xeddsaSignWithKeyPair(keyPair: XeddsaKeyPair, message: Uint8Array, random: Uint8Array): Uint8Array {
  const { publicKey, scalar } = keyPair;
  const aBytes = numberToBytesLE(scalar, 32);
  const nonceInput = concatBytes(HASH1_PREFIX, aBytes, message, random);
  const nonceHash = sha512(nonceInput);
  try {
    const r = modQ(nonceHash);
    if (r === 0n) throw new InternalError('INTERNAL', 'xeddsa: nonce is zero mod q');
    const rBytes = Point.BASE.multiply(r).toBytes();
    const h = modQ(sha512(concatBytes(rBytes, publicKey, message)));
    const s = (r + h * scalar) % Q;
    return concatBytes(rBytes, numberToBytesLE(s, 32));
  } finally {
    zeroize(aBytes, nonceInput, nonceHash);
  }
}

/**
 * convert_mont (XEdDSA §2.2 with the §2.3 check u < p): the 32-byte Edwards
 * public key (sign bit 0) of an X25519 public key, or `undefined` when
 * u ≥ p or the length is wrong. u = −1 maps to y = 0 (inv(0) = 0).
 */
export function xeddsaEdwardsPublicKey(x25519PublicKey: Uint8Array): Uint8Array | undefined {
  if (!(x25519PublicKey instanceof Uint8Array) || x25519PublicKey.length !== KEY_LENGTH) return undefined;
  const u = bytesToNumberLE(x25519PublicKey);
  if (u >= P) return undefined;
  const Fp = Point.Fp;
  const denominator = Fp.add(u, 1n);
  const y = Fp.is0(denominator) ? 0n : Fp.div(Fp.sub(u, 1n), denominator);
  return numberToBytesLE(y, 32);
}

/**
 * Strict cofactorless Ed25519 verification (RFC 8032 §5.1.7 with the
 * unbatched equation R = [s]B − [h]A compared by encoding, as OpenSSL does):
 * s ≥ q, a public key failing `ed25519PublicKeyAcceptable` or off the
 * curve, or an R that is not the canonical encoding of the computed point
 * all fail. Never throws.
 */
export function ed25519VerifyPortable(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  if (publicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  if (!ed25519PublicKeyAcceptable(publicKey)) return false;
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= Q) return false;
  let a;
  try {
    a = Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  const rBytes = signature.subarray(0, 32);
  const h = modQ(sha512(concatBytes(rBytes, publicKey, message)));
  const check = Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(h));
  return bytesEqual(check.toBytes(), rBytes);
}

/** xeddsa_verify (XEdDSA §2.3): false on any failure, never throws. */
export function xeddsaVerifyPortable(x25519PublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const edwards = xeddsaEdwardsPublicKey(x25519PublicKey);
  if (edwards === undefined) return false;
  return ed25519VerifyPortable(edwards, message, signature);
}

/**
 * The X25519 secret key of an Ed25519 seed (RFC 8032 §5.1.5 secret scalar:
 * the clamped first half of SHA-512(seed)), as libsodium's
 * `crypto_sign_ed25519_sk_to_curve25519`. An identity made this way, whose
 * Edwards public key has sign bit 0, can sign with native Ed25519 and its
 * signatures still verify as XEdDSA under the X25519 public key.
 */
export function x25519SecretFromEd25519Seed(seed: Uint8Array): Uint8Array {
  const digest = sha512(seed);
  const secret = digest.slice(0, 32);
  digest.fill(0);
  secret[0] = (secret[0] as number) & 248;
  secret[31] = ((secret[31] as number) & 127) | 64;
  return secret;
}
