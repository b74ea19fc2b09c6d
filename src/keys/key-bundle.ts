/**
 * Key bundles: what a member publishes so others can start X3DH with it while
 * it is offline. A long-term bundle has the identity key and the current
 * signed pre-key; a one-time bundle adds a one-time pre-key and may be used
 * once only.
 *
 * Wire format: deterministic CBOR map, version 1:
 * `{ v: 1, kind, identityKey, signedPreKey: { id, publicKey, lifetime: { notBefore, notAfter }, signature } [, oneTimePreKey: { id, publicKey }] }`.
 * The signature (XEdDSA by the identity key) covers the canonical CBOR of
 * the pre-key id, public key and lifetime together (see `signedPreKeyMessage`).
 */
import type { CborRecord, Deps } from '../crypto/index.js';
import { asRecord, checkVersion, copyBytes, decodeCanonical, encodeCanonical, readBytes, readText, readUint } from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import { KEY_LENGTH, SIGNATURE_LENGTH, verifyWithIdentity } from './identity.js';
import type { Lifetime } from './lifetime.js';
import { checkLifetime } from './lifetime.js';
import { MAX_KEY_BUNDLE_BYTES } from './limits.js';

/** Wire version of key bundles. */
export const KEY_BUNDLE_VERSION = 1;

/** Domain label inside every signed pre-key signature. */
export const SIGNED_PREKEY_LABEL = 'groupcrypt signed pre-key v1';

/** A signed pre-key as published: id, X25519 public key, lifetime and XEdDSA signature. */
export interface SignedPreKey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly lifetime: Lifetime;
  readonly signature: Uint8Array;
}

/** A one-time pre-key as published (unsigned, as in X3DH §3.2). */
export interface OneTimePreKey {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

/** A bundle that may be used any number of times while its signed pre-key is valid. */
export interface LongTermKeyBundle {
  readonly kind: 'long-term';
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKey;
}

/** A bundle with a one-time pre-key: handed out and used exactly once. */
export interface OneTimeKeyBundle {
  readonly kind: 'one-time';
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKey: OneTimePreKey;
}

/** Either kind of key bundle. */
export type KeyBundle = LongTermKeyBundle | OneTimeKeyBundle;

/**
 * The bytes an identity key signs for a signed pre-key: canonical CBOR of the
 * label, the pre-key id, its public key and its lifetime.
 */
export function signedPreKeyMessage(id: number, publicKey: Uint8Array, lifetime: Lifetime): Uint8Array {
  return encodeCanonical({
    label: SIGNED_PREKEY_LABEL,
    id,
    publicKey,
    lifetime: { notBefore: lifetime.notBefore, notAfter: lifetime.notAfter },
  });
}

/**
 * Verifies a bundle's signed pre-key signature and its lifetime at `deps.now()`.
 * Checks the signature first, so a tampered lifetime reports `VERIFY_SIGNATURE`.
 * @throws VerifyError `VERIFY_SIGNATURE`, `VERIFY_NOT_YET_VALID`, `VERIFY_EXPIRED`.
 * @example verifyKeyBundle(decodeKeyBundle(bytes), deps);
 */
export function verifyKeyBundle(bundle: KeyBundle, deps: Deps): void {
  const spk = bundle.signedPreKey;
  const message = signedPreKeyMessage(spk.id, spk.publicKey, spk.lifetime);
  if (!verifyWithIdentity(deps, bundle.identityKey, message, spk.signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `key bundle: signed pre-key ${spk.id} signature does not verify`);
  }
  checkLifetime(spk.lifetime, deps.now());
}

/** The plain CBOR value of a bundle (used inside stored state too). */
export function keyBundleToCbor(bundle: KeyBundle): Record<string, unknown> {
  const spk = bundle.signedPreKey;
  const value: Record<string, unknown> = {
    v: KEY_BUNDLE_VERSION,
    kind: bundle.kind,
    identityKey: bundle.identityKey,
    signedPreKey: {
      id: spk.id,
      publicKey: spk.publicKey,
      lifetime: { notBefore: spk.lifetime.notBefore, notAfter: spk.lifetime.notAfter },
      signature: spk.signature,
    },
  };
  if (bundle.kind === 'one-time') {
    value['oneTimePreKey'] = { id: bundle.oneTimePreKey.id, publicKey: bundle.oneTimePreKey.publicKey };
  }
  return value;
}

/** Reads a bundle from its plain CBOR value, checking every field (no signature check). */
export function keyBundleFromCbor(value: unknown, what = 'keyBundle'): KeyBundle {
  const outer = asRecord(value, what);
  checkVersion(outer, what, KEY_BUNDLE_VERSION);
  const kind = readText(outer, 'kind', what, ['long-term', 'one-time'] as const);
  const keys = ['v', 'kind', 'identityKey', 'signedPreKey'];
  const record = asRecord(outer, what, kind === 'one-time' ? [...keys, 'oneTimePreKey'] : keys);
  const identityKey = copyBytes(readBytes(record, 'identityKey', what, KEY_LENGTH));
  const signedPreKey = readSignedPreKey(record['signedPreKey'], `${what}.signedPreKey`);
  if (kind === 'long-term') return { kind, identityKey, signedPreKey };
  const otk = asRecord(record['oneTimePreKey'], `${what}.oneTimePreKey`, ['id', 'publicKey']);
  const oneTimePreKey = {
    id: readUint(otk, 'id', `${what}.oneTimePreKey`),
    publicKey: copyBytes(readBytes(otk, 'publicKey', `${what}.oneTimePreKey`, KEY_LENGTH)),
  };
  return { kind, identityKey, signedPreKey, oneTimePreKey };
}

function readSignedPreKey(value: unknown, what: string): SignedPreKey {
  const record = asRecord(value, what, ['id', 'publicKey', 'lifetime', 'signature']);
  const lifetime = readLifetime(record['lifetime'], `${what}.lifetime`);
  return {
    id: readUint(record, 'id', what),
    publicKey: copyBytes(readBytes(record, 'publicKey', what, KEY_LENGTH)),
    lifetime,
    signature: copyBytes(readBytes(record, 'signature', what, SIGNATURE_LENGTH)),
  };
}

/**
 * Reads a lifetime record `{ notBefore, notAfter }`.
 * @throws DecodeError `DECODE_FIELD` when a field is missing or `notBefore > notAfter`.
 */
export function readLifetime(value: unknown, what: string): Lifetime {
  const record: CborRecord = asRecord(value, what, ['notBefore', 'notAfter']);
  const notBefore = readUint(record, 'notBefore', what);
  const notAfter = readUint(record, 'notAfter', what);
  if (notBefore > notAfter) throw new DecodeError('DECODE_FIELD', `${what}: notBefore ${notBefore} is after notAfter ${notAfter}`);
  return { notBefore, notAfter };
}

/**
 * Encodes a bundle as deterministic, versioned CBOR.
 * @example const bytes = encodeKeyBundle(longTermBundle(keyManager));
 */
export function encodeKeyBundle(bundle: KeyBundle): Uint8Array {
  return encodeCanonical(keyBundleToCbor(bundle));
}

/**
 * Decodes a bundle, checking size, canonical form, version, fields and exact
 * lengths. Does not check the signature or lifetime: call `verifyKeyBundle`
 * (or `registerBundle`, which does).
 * @throws DecodeError `DECODE_TOO_LARGE`, `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`,
 *   `DECODE_NON_CANONICAL`, `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD`.
 */
export function decodeKeyBundle(bytes: Uint8Array): KeyBundle {
  return keyBundleFromCbor(decodeCanonical(bytes, 'keyBundle', MAX_KEY_BUNDLE_BYTES));
}
