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
 *
 * Version 2 (post-quantum, only when a PQ key is present; a classic bundle
 * stays version 1 byte for byte) adds `pqPreKey` (the signed long-term
 * ML-KEM-768 pre-key) and, in one-time bundles, `pqOneTimePreKey` (a signed
 * one-time ML-KEM-768 pre-key): `{ id, kind, publicKey, lifetime, signature }`.
 * Their signatures cover key, kind and lifetime (`pqPreKeyMessage`), so a
 * one-time key cannot pass as a long-term one or the reverse.
 */
import type { CborRecord, Deps } from '../crypto/index.js';
import { asRecord, checkVersion, copyBytes, decodeCanonical, encodeCanonical, readBytes, readText, readUint } from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import { KEY_LENGTH, SIGNATURE_LENGTH, verifyWithIdentity } from './identity.js';
import type { Lifetime } from './lifetime.js';
import { checkLifetime } from './lifetime.js';
import { MAX_KEY_BUNDLE_BYTES, MAX_PQ_KEY_BUNDLE_BYTES } from './limits.js';

/** Wire version of classic key bundles. */
export const KEY_BUNDLE_VERSION = 1;
/** Wire version of key bundles carrying ML-KEM pre-keys. */
export const PQ_KEY_BUNDLE_VERSION = 2;

/** Domain label inside every PQ pre-key signature. */
export const PQ_PREKEY_LABEL = 'groupcrypt pq pre-key v1';

/** Bytes of an ML-KEM-768 public key. */
const PQ_PUBLIC_KEY_LENGTH = 1184;

/** A signed ML-KEM-768 pre-key as published: long-term (reusable while valid) or one-time. */
export interface PqPreKey {
  readonly id: number;
  readonly kind: 'long-term' | 'one-time';
  readonly publicKey: Uint8Array;
  readonly lifetime: Lifetime;
  readonly signature: Uint8Array;
}

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
  /** The signed long-term ML-KEM pre-key (post-quantum bundles only). */
  readonly pqPreKey?: PqPreKey;
}

/** A bundle with a one-time pre-key: handed out and used exactly once. */
export interface OneTimeKeyBundle {
  readonly kind: 'one-time';
  readonly identityKey: Uint8Array;
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKey: OneTimePreKey;
  /** The signed long-term ML-KEM pre-key (post-quantum bundles only). */
  readonly pqPreKey?: PqPreKey;
  /** A signed one-time ML-KEM pre-key (post-quantum one-time bundles only; same id as `oneTimePreKey`). */
  readonly pqOneTimePreKey?: PqPreKey;
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

/** The bytes an identity key signs for an ML-KEM pre-key: canonical CBOR of label, id, kind, public key and lifetime. */
export function pqPreKeyMessage(id: number, kind: PqPreKey['kind'], publicKey: Uint8Array, lifetime: Lifetime): Uint8Array {
  return encodeCanonical({
    label: PQ_PREKEY_LABEL,
    id,
    kind,
    publicKey,
    lifetime: { notBefore: lifetime.notBefore, notAfter: lifetime.notAfter },
  });
}

/**
 * Verifies an ML-KEM pre-key's signature (key, kind, lifetime) under an identity key, then its lifetime.
 * @throws VerifyError `VERIFY_SIGNATURE`, `VERIFY_NOT_YET_VALID`, `VERIFY_EXPIRED`.
 */
export function verifyPqPreKey(identityKey: Uint8Array, pq: PqPreKey, deps: Deps): void {
  if (!verifyWithIdentity(deps, identityKey, pqPreKeyMessage(pq.id, pq.kind, pq.publicKey, pq.lifetime), pq.signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `key bundle: ${pq.kind} ML-KEM pre-key ${pq.id} signature does not verify`);
  }
  checkLifetime(pq.lifetime, deps.now());
}

/**
 * Verifies a bundle's signed pre-key signature and its lifetime at `deps.now()`,
 * and likewise its ML-KEM pre-keys when present (each of the kind its slot requires).
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
  if (bundle.pqPreKey !== undefined) verifyPqPreKey(bundle.identityKey, bundle.pqPreKey, deps);
  if (bundle.kind === 'one-time' && bundle.pqOneTimePreKey !== undefined) verifyPqPreKey(bundle.identityKey, bundle.pqOneTimePreKey, deps);
}

/** True when the bundle carries an ML-KEM pre-key (so a post-quantum first round can use it). */
export function hasPqPreKey(bundle: KeyBundle): boolean {
  return bundle.pqPreKey !== undefined || (bundle.kind === 'one-time' && bundle.pqOneTimePreKey !== undefined);
}

/** The ML-KEM pre-key a first round should use: the one-time key when present, else the long-term one. */
export function pqPreKeyOf(bundle: KeyBundle): PqPreKey | undefined {
  if (bundle.kind === 'one-time' && bundle.pqOneTimePreKey !== undefined) return bundle.pqOneTimePreKey;
  return bundle.pqPreKey;
}

function pqPreKeyToCbor(pq: PqPreKey): Record<string, unknown> {
  return { id: pq.id, kind: pq.kind, publicKey: pq.publicKey, lifetime: { notBefore: pq.lifetime.notBefore, notAfter: pq.lifetime.notAfter }, signature: pq.signature };
}

function readPqPreKey(value: unknown, what: string, kind: PqPreKey['kind']): PqPreKey {
  const record = asRecord(value, what, ['id', 'kind', 'publicKey', 'lifetime', 'signature']);
  return {
    id: readUint(record, 'id', what),
    kind: readText(record, 'kind', what, [kind] as const),
    publicKey: copyBytes(readBytes(record, 'publicKey', what, PQ_PUBLIC_KEY_LENGTH)),
    lifetime: readLifetime(record['lifetime'], `${what}.lifetime`),
    signature: copyBytes(readBytes(record, 'signature', what, SIGNATURE_LENGTH)),
  };
}

/** The plain CBOR value of a bundle (used inside stored state too). */
export function keyBundleToCbor(bundle: KeyBundle): Record<string, unknown> {
  const spk = bundle.signedPreKey;
  const pq = hasPqPreKey(bundle);
  const value: Record<string, unknown> = {
    v: pq ? PQ_KEY_BUNDLE_VERSION : KEY_BUNDLE_VERSION,
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
    if (bundle.pqOneTimePreKey !== undefined) value['pqOneTimePreKey'] = pqPreKeyToCbor(bundle.pqOneTimePreKey);
  }
  if (bundle.pqPreKey !== undefined) value['pqPreKey'] = pqPreKeyToCbor(bundle.pqPreKey);
  return value;
}

/** Reads a bundle from its plain CBOR value, checking every field (no signature check). */
export function keyBundleFromCbor(value: unknown, what = 'keyBundle'): KeyBundle {
  const outer = asRecord(value, what);
  const pq = outer['v'] === PQ_KEY_BUNDLE_VERSION;
  if (!pq) checkVersion(outer, what, KEY_BUNDLE_VERSION);
  const kind = readText(outer, 'kind', what, ['long-term', 'one-time'] as const);
  const keys = ['v', 'kind', 'identityKey', 'signedPreKey'];
  // A version-2 bundle must carry at least one ML-KEM key (else it would be version 1).
  const optional = pq ? ['pqPreKey', ...(kind === 'one-time' ? ['pqOneTimePreKey'] : [])].filter((k) => k in outer) : [];
  if (pq && optional.length === 0) throw new DecodeError('DECODE_FIELD', `${what}: version 2 without an ML-KEM pre-key`);
  const record = asRecord(outer, what, [...keys, ...(kind === 'one-time' ? ['oneTimePreKey'] : []), ...optional]);
  const identityKey = copyBytes(readBytes(record, 'identityKey', what, KEY_LENGTH));
  const signedPreKey = readSignedPreKey(record['signedPreKey'], `${what}.signedPreKey`);
  const pqPreKey = 'pqPreKey' in record ? { pqPreKey: readPqPreKey(record['pqPreKey'], `${what}.pqPreKey`, 'long-term') } : {};
  if (kind === 'long-term') return { kind, identityKey, signedPreKey, ...pqPreKey };
  const otk = asRecord(record['oneTimePreKey'], `${what}.oneTimePreKey`, ['id', 'publicKey']);
  const oneTimePreKey = {
    id: readUint(otk, 'id', `${what}.oneTimePreKey`),
    publicKey: copyBytes(readBytes(otk, 'publicKey', `${what}.oneTimePreKey`, KEY_LENGTH)),
  };
  const pqOneTime = 'pqOneTimePreKey' in record ? { pqOneTimePreKey: readPqPreKey(record['pqOneTimePreKey'], `${what}.pqOneTimePreKey`, 'one-time') } : {};
  if (pqOneTime.pqOneTimePreKey !== undefined && pqOneTime.pqOneTimePreKey.id !== oneTimePreKey.id) {
    throw new DecodeError('DECODE_FIELD', `${what}.pqOneTimePreKey: id ${pqOneTime.pqOneTimePreKey.id} differs from the one-time pre-key's ${oneTimePreKey.id}`);
  }
  return { kind, identityKey, signedPreKey, oneTimePreKey, ...pqPreKey, ...pqOneTime };
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
  const bundle = keyBundleFromCbor(decodeCanonical(bytes, 'keyBundle', MAX_PQ_KEY_BUNDLE_BYTES));
  if (!hasPqPreKey(bundle) && bytes.length > MAX_KEY_BUNDLE_BYTES) {
    throw new DecodeError('DECODE_TOO_LARGE', `keyBundle: ${bytes.length} bytes exceed ${MAX_KEY_BUNDLE_BYTES} for a classic bundle`);
  }
  return bundle;
}
