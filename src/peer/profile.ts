/**
 * A peer's published profile: its signed LONG-TERM key bundle and its name,
 * signed together by its identity key (so the name cannot be swapped).
 * One-time pre-key bundles are not part of it: they travel as offers
 * addressed to one peer each (offers.ts), and only when the peer keeps a pool.
 *
 * Wire format: deterministic CBOR `{ v: 1, name, bundle, signature }`, the
 * XEdDSA signature over canonical CBOR `{ label, name, bundle }`.
 */
import type { Deps } from '../crypto/index.js';
import { decodeVersionedRecord, encodeCanonical, readBytes, readText, toHex } from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import type { KeyManagerState, LongTermKeyBundle } from '../keys/index.js';
import { decodeKeyBundle, encodeKeyBundle, identityOf, longTermBundle, signWithIdentity, verifyKeyBundle, verifyWithIdentity } from '../keys/index.js';

/** Wire version of profiles. */
export const PROFILE_VERSION = 1;
/** Domain label of the profile signature. */
export const PROFILE_LABEL = 'groupcrypt cli profile v1';
/** Longest peer name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 64;
const MAX_PROFILE_BYTES = 4096;

/** A verified profile. */
export interface Profile {
  /** Peer id: hex of the identity public key. */
  readonly id: string;
  readonly name: string;
  readonly bundle: LongTermKeyBundle;
}

function signedPart(name: string, bundle: Uint8Array): Uint8Array {
  return encodeCanonical({ label: PROFILE_LABEL, name, bundle });
}

/** Encodes and signs this peer's profile with its current long-term bundle. */
export function encodeProfile(keys: KeyManagerState, name: string, deps: Deps): Uint8Array {
  const bundle = encodeKeyBundle(longTermBundle(keys));
  const signature = signWithIdentity(deps, identityOf(keys), signedPart(name, bundle));
  return encodeCanonical({ v: PROFILE_VERSION, name, bundle, signature });
}

/**
 * Decodes and verifies a profile: bundle signature and lifetime, then the
 * profile signature by the same identity.
 * @throws DecodeError for malformed bytes; VerifyError `VERIFY_SIGNATURE`,
 *   `VERIFY_EXPIRED`, `VERIFY_NOT_YET_VALID`.
 */
export function decodeProfile(bytes: Uint8Array, deps: Deps): Profile {
  const what = 'profile';
  const record = decodeVersionedRecord(bytes, what, PROFILE_VERSION, ['v', 'name', 'bundle', 'signature'], MAX_PROFILE_BYTES);
  const name = readText(record, 'name', what);
  if (name.length > MAX_NAME_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.name: longer than ${MAX_NAME_LENGTH}`);
  const bundleBytes = readBytes(record, 'bundle', what, { max: MAX_PROFILE_BYTES });
  const signature = readBytes(record, 'signature', what, 64);
  const bundle = decodeKeyBundle(bundleBytes);
  if (bundle.kind !== 'long-term') throw new DecodeError('DECODE_FIELD', `${what}.bundle: expected a long-term bundle`);
  verifyKeyBundle(bundle, deps);
  if (!verifyWithIdentity(deps, bundle.identityKey, signedPart(name, bundleBytes), signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `${what}: bad signature`);
  }
  return { id: toHex(bundle.identityKey), name, bundle };
}
