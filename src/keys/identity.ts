/**
 * Identity keys: one long-term X25519 key pair per member, which signs with
 * XEdDSA (Signal's XEdDSA spec) and takes part in X3DH. A member id is the hex
 * of its identity public key.
 *
 * Fast signing: a generated identity comes from an Ed25519 seed whose Edwards
 * public key has sign bit 0 (about every second seed); its X25519 secret is
 * the seed's RFC 8032 secret scalar. Such an identity signs with native
 * Ed25519 (≈ 15× faster than XEdDSA in JavaScript) and every verifier checks
 * the signature exactly as XEdDSA: the Edwards form (sign bit 0) of its X25519
 * public key is that Ed25519 public key. Identities without a seed (imported
 * from an X25519 secret) sign with XEdDSA.
 */
import type { Deps } from '../crypto/index.js';
import { copyBytes, x25519SecretFromEd25519Seed } from '../crypto/index.js';
import { UsageError } from '../errors.js';

/** A member's long-term X25519 identity key pair; the member id is `toHex(publicKey)`. */
export interface IdentityKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Ed25519 seed this identity was derived from (see the module comment); absent for imported identities. */
  readonly signingSeed?: Uint8Array;
}

/** Length in bytes of X25519 keys. */
export const KEY_LENGTH = 32;
/** Length in bytes of an XEdDSA signature. */
export const SIGNATURE_LENGTH = 64;

/**
 * Generates a fresh identity key pair.
 * @param deps randomness comes from `deps.crypto`.
 * @returns a new X25519 key pair.
 * @example const identity = generateIdentity(defaultDeps());
 */
export function generateIdentity(deps: Deps): IdentityKeyPair {
  for (;;) {
    const seed = deps.crypto.randomBytes(KEY_LENGTH);
    const edwards = deps.crypto.ed25519PublicKey(seed);
    if (((edwards[31] as number) & 0x80) !== 0) {
      seed.fill(0);
      continue; // XEdDSA verifies under the sign-bit-0 Edwards key only
    }
    const secretKey = x25519SecretFromEd25519Seed(seed);
    return { secretKey, publicKey: deps.crypto.x25519PublicKey(secretKey), signingSeed: seed };
  }
}

/**
 * Rebuilds an identity key pair from its secret key (public key recomputed).
 * @throws UsageError `USAGE_KEY_LENGTH` when the secret key is not 32 bytes.
 */
export function identityFromSecretKey(deps: Deps, secretKey: Uint8Array): IdentityKeyPair {
  assertKey(secretKey, 'identity.secretKey');
  return { secretKey: copyBytes(secretKey), publicKey: deps.crypto.x25519PublicKey(secretKey) };
}

/**
 * Signs `message` with the identity key (XEdDSA, 64 bytes).
 * Signal's XEdDSA spec §2.3: the signature verifies as Ed25519 under the
 * Edwards form of the X25519 public key.
 * @example const sig = signWithIdentity(deps, identity, utf8('hello'));
 */
export function signWithIdentity(deps: Deps, identity: IdentityKeyPair, message: Uint8Array): Uint8Array {
  assertKey(identity.secretKey, 'identity.secretKey');
  if (identity.signingSeed) return deps.crypto.ed25519Sign(identity.signingSeed, message);
  return deps.crypto.xeddsaSign(identity.secretKey, message);
}

/**
 * Verifies an XEdDSA signature under an identity public key.
 * @returns false on any failure (wrong lengths included); never throws.
 */
export function verifyWithIdentity(deps: Deps, identityPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (identityPublicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  try {
    return deps.crypto.xeddsaVerify(identityPublicKey, message, signature);
  } catch {
    return false;
  }
}

/**
 * Asserts an X25519 key is 32 bytes.
 * @throws UsageError `USAGE_KEY_LENGTH`, naming the field.
 */
export function assertKey(key: Uint8Array, field: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new UsageError('USAGE_KEY_LENGTH', `${field}: expected ${KEY_LENGTH} bytes`);
  }
}
