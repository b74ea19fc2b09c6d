/**
 * Identity keys: one long-term X25519 key pair per member, which signs with
 * XEdDSA (Signal's XEdDSA spec) and takes part in X3DH. A member id is the hex
 * of its identity public key.
 */
import type { Deps } from '../crypto/index.js';
import { copyBytes } from '../crypto/index.js';
import { UsageError } from '../errors.js';

/** A member's long-term X25519 identity key pair; the member id is `toHex(publicKey)`. */
export interface IdentityKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
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
  const pair = deps.crypto.x25519Generate();
  return { secretKey: copyBytes(pair.secretKey), publicKey: copyBytes(pair.publicKey) };
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
