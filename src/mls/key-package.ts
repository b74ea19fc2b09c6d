/**
 * Member announcements (seed 001, "Announce members"): a member's Ed25519
 * public key is its MLS basic credential and signs its MLS key packages. A
 * `KeyPackage` document points at the member's previous one; a signed
 * delete record retires a used one. The member keeps the private halves in
 * a `MemberKeyStore` until a Welcome consumes them.
 */
import { encodeMlsMessage, generateKeyPackageWithKey, type Capabilities, type CiphersuiteName, type KeyPackage } from 'ts-mls';
import { makeKeyPackageRef, verifyKeyPackage } from 'ts-mls/keyPackage.js';
import {
  bytesEqual, concatBytes, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readText, toHex, utf8, asRecord,
  type CryptoProvider, type Deps,
} from '../crypto/index.js';
import { DecodeError, UsageError, VerifyError } from '../errors.js';
import { KEY_PACKAGE_CLOCK_SKEW_SECONDS, KEY_PACKAGE_LIFETIME_SECONDS, MAX_DOCUMENT_BYTES, MAX_STATE_BYTES, type MlsDeps } from './config.js';
import { DOCUMENT_ID_LENGTH, readOptionalBytes } from './documents.js';
import { callMls, decodeKeyPackageMessage, IDENTITY_LENGTH } from './mls-adapter.js';

/** MLS ciphersuites a Secret Group may use (X25519 + Ed25519 identities). */
export const SUPPORTED_MLS_SUITES: readonly CiphersuiteName[] = [
  'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
];

/** Capabilities of our leaves: fixed, no GREASE (deterministic apart from key generation). */
export const MEMBER_CAPABILITIES: Capabilities = {
  versions: ['mls10'],
  ciphersuites: [...SUPPORTED_MLS_SUITES],
  extensions: [],
  proposals: [],
  credentials: ['basic'],
};

/** A published KeyPackage document (v2: the author signs the wrapper, `previous` included). */
export interface KeyPackageDocument {
  /** Id of the author's previous KeyPackage document, or null. */
  readonly previous: Uint8Array | null;
  /** `MLSMessage` carrying the signed MLS key package. */
  readonly mlsKeyPackage: Uint8Array;
  /** The author's Ed25519 signature over the label and the unsigned wrapper. */
  readonly signature: Uint8Array;
}

/** A key-package delete record, signed by the author. */
export interface KeyPackageDelete {
  readonly keyPackage: Uint8Array;
  readonly author: Uint8Array;
  readonly signature: Uint8Array;
}

/** A private key package the member still holds. */
export interface PendingKeyPackage {
  readonly id: Uint8Array;
  readonly mlsKeyPackage: Uint8Array;
  readonly initPrivateKey: Uint8Array;
  readonly hpkePrivateKey: Uint8Array;
}

/** A member's identity and unused key packages (plain data, versioned). */
export interface MemberKeyStore {
  readonly v: 1;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  /** Id of the last KeyPackage document published, or null. */
  readonly last: Uint8Array | null;
  /** Unused key packages, sorted by id. */
  readonly pending: readonly PendingKeyPackage[];
}

const DELETE_LABEL = utf8('groupcrypt mls key package delete v1');
const WRAPPER_LABEL = utf8('groupcrypt mls key package v2');
const KEY_PACKAGE_VERSION = 2;

function unsignedWrapper(previous: Uint8Array | null, mlsKeyPackage: Uint8Array): Uint8Array {
  return concatBytes(WRAPPER_LABEL, encodeCanonical({ v: KEY_PACKAGE_VERSION, type: 'key_package', previous, mls_key_package: mlsKeyPackage }));
}

/** A store for the Ed25519 identity `secretKey` (32-byte seed). */
export function createMemberKeyStore(crypto: CryptoProvider, secretKey: Uint8Array): MemberKeyStore {
  if (secretKey.length !== 32) throw new UsageError('USAGE_KEY_LENGTH', `identity secret key: expected 32 bytes, got ${secretKey.length}`);
  return { v: 1, publicKey: crypto.ed25519PublicKey(secretKey), secretKey: secretKey.slice(), last: null, pending: [] };
}

/** Encodes a KeyPackage document canonically. */
export function encodeKeyPackageDocument(doc: KeyPackageDocument): Uint8Array {
  return encodeCanonical({ v: KEY_PACKAGE_VERSION, type: 'key_package', previous: doc.previous, mls_key_package: doc.mlsKeyPackage, signature: doc.signature });
}

/** Decodes a KeyPackage document (the MLS key package is verified by `verifyKeyPackageDocument`). */
export function decodeKeyPackageDocument(bytes: Uint8Array): KeyPackageDocument {
  const what = 'KeyPackage';
  const record = decodeVersionedRecord(bytes, what, KEY_PACKAGE_VERSION, ['v', 'type', 'previous', 'mls_key_package', 'signature'], MAX_DOCUMENT_BYTES);
  readText(record, 'type', what, ['key_package']);
  return {
    previous: readOptionalBytes(record, 'previous', what, DOCUMENT_ID_LENGTH),
    mlsKeyPackage: readBytes(record, 'mls_key_package', what, { min: 1 }),
    signature: readBytes(record, 'signature', what, 64),
  };
}

/** Generates a signed MLS key package for the identity in `store` (not published, not stored). */
export async function generateMlsKeyPackage(store: MemberKeyStore, deps: MlsDeps): Promise<{ keyPackage: KeyPackage; initPrivateKey: Uint8Array; hpkePrivateKey: Uint8Array }> {
  const now = deps.now();
  const lifetime = {
    notBefore: BigInt(Math.max(0, now - KEY_PACKAGE_CLOCK_SKEW_SECONDS)),
    notAfter: BigInt(now + KEY_PACKAGE_LIFETIME_SECONDS),
  };
  const credential = { credentialType: 'basic' as const, identity: store.publicKey.slice() };
  const generated = await callMls('create key package', () => generateKeyPackageWithKey(credential, MEMBER_CAPABILITIES, lifetime, [],
    { signKey: store.secretKey, publicKey: store.publicKey }, deps.mls));
  return { keyPackage: generated.publicPackage, initPrivateKey: generated.privatePackage.initPrivateKey, hpkePrivateKey: generated.privatePackage.hpkePrivateKey };
}

/**
 * Creates and signs a new key package; the document points at the previous one.
 * @returns the new store (private keys kept), the document to publish and its id.
 */
export async function createKeyPackage(store: MemberKeyStore, deps: MlsDeps): Promise<{ state: MemberKeyStore; document: Uint8Array; id: Uint8Array }> {
  const generated = await generateMlsKeyPackage(store, deps);
  const mlsKeyPackage = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: generated.keyPackage });
  const signature = deps.crypto.ed25519Sign(store.secretKey, unsignedWrapper(store.last, mlsKeyPackage));
  const document = encodeKeyPackageDocument({ previous: store.last, mlsKeyPackage, signature });
  const id = deps.crypto.sha256(document);
  const entry: PendingKeyPackage = { id, mlsKeyPackage, initPrivateKey: generated.initPrivateKey, hpkePrivateKey: generated.hpkePrivateKey };
  const pending = [...store.pending, entry].sort((a, b) => toHex(a.id).localeCompare(toHex(b.id)));
  return { state: { ...store, last: id, pending }, document, id };
}

/**
 * Checks a key package's lifetime against `now` (seconds): valid from
 * `notBefore` (less the clock skew) to `notAfter`, and no longer in total
 * than we would issue (ts-mls never reads its `maximumTotalLifetime`).
 * @throws VerifyError `VERIFY_NOT_YET_VALID`, `VERIFY_EXPIRED`, `VERIFY_KEY` (lifetime too long).
 */
export function checkKeyPackageLifetime(keyPackage: KeyPackage, now: number): void {
  const lifetime = keyPackage.leafNode.leafNodeSource === 'key_package' ? keyPackage.leafNode.lifetime : undefined;
  if (lifetime === undefined) throw new VerifyError('VERIFY_KEY', 'KeyPackage: no lifetime');
  const at = BigInt(Math.floor(now));
  if (lifetime.notAfter - lifetime.notBefore > BigInt(KEY_PACKAGE_LIFETIME_SECONDS + 2 * KEY_PACKAGE_CLOCK_SKEW_SECONDS)) {
    throw new VerifyError('VERIFY_KEY', 'KeyPackage: lifetime longer than allowed');
  }
  if (at + BigInt(KEY_PACKAGE_CLOCK_SKEW_SECONDS) < lifetime.notBefore) throw new VerifyError('VERIFY_NOT_YET_VALID', 'KeyPackage: not valid yet');
  if (at > lifetime.notAfter) throw new VerifyError('VERIFY_EXPIRED', 'KeyPackage: expired');
}

/** Expiry (`notAfter`, seconds) of a key package, or 0 when it has no lifetime. */
export function keyPackageNotAfter(keyPackage: KeyPackage): number {
  return keyPackage.leafNode.leafNodeSource === 'key_package' ? Number(keyPackage.leafNode.lifetime.notAfter) : 0;
}

/**
 * Decodes and verifies a KeyPackage document: the author's signature over
 * the wrapper (with `previous`), the MLS signature, a basic credential
 * whose identity is the signing key, a supported suite, and the lifetime
 * at `deps.now()`.
 * @returns the document, its id, the author, the MLS key package and its KeyPackageRef.
 * @throws DecodeError on malformed input; VerifyError `VERIFY_SIGNATURE` / `VERIFY_IDENTITY` / `VERIFY_KEY` /
 * `VERIFY_EXPIRED` / `VERIFY_NOT_YET_VALID`.
 */
export async function verifyKeyPackageDocument(bytes: Uint8Array, deps: MlsDeps): Promise<{
  document: KeyPackageDocument; id: Uint8Array; author: Uint8Array; keyPackage: KeyPackage; ref: Uint8Array;
}> {
  const document = decodeKeyPackageDocument(bytes);
  const keyPackage = decodeKeyPackageMessage(document.mlsKeyPackage);
  const leaf = keyPackage.leafNode;
  if (leaf.credential.credentialType !== 'basic' || leaf.credential.identity.length !== IDENTITY_LENGTH
    || !bytesEqual(leaf.credential.identity, leaf.signaturePublicKey)) {
    throw new VerifyError('VERIFY_IDENTITY', 'KeyPackage: credential is not the Ed25519 signing key');
  }
  if (keyPackage.cipherSuite !== deps.mls.name) throw new VerifyError('VERIFY_KEY', `KeyPackage: suite ${keyPackage.cipherSuite}`);
  const valid = await callMls('verify key package', () => verifyKeyPackage(keyPackage, deps.mls.signature), 'VERIFY_SIGNATURE');
  if (!valid) throw new VerifyError('VERIFY_SIGNATURE', 'KeyPackage: bad signature');
  if (!deps.crypto.ed25519Verify(leaf.signaturePublicKey, unsignedWrapper(document.previous, document.mlsKeyPackage), document.signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', 'KeyPackage: the wrapper is not signed by the key package\'s author');
  }
  checkKeyPackageLifetime(keyPackage, deps.now());
  const ref = await callMls('key package ref', () => makeKeyPackageRef(keyPackage, deps.mls.hash));
  return { document, id: deps.crypto.sha256(bytes), author: leaf.signaturePublicKey, keyPackage, ref };
}

function deleteTbs(keyPackage: Uint8Array, author: Uint8Array): Uint8Array {
  return concatBytes(DELETE_LABEL, encodeCanonical({ v: 1, type: 'key_package_delete', key_package: keyPackage, author }));
}

/** Signs a delete record for one of the member's key packages. */
export function createKeyPackageDelete(store: MemberKeyStore, keyPackageId: Uint8Array, deps: Deps): Uint8Array {
  const signature = deps.crypto.ed25519Sign(store.secretKey, deleteTbs(keyPackageId, store.publicKey));
  return encodeCanonical({ v: 1, type: 'key_package_delete', key_package: keyPackageId, author: store.publicKey, signature });
}

/**
 * Decodes a delete record and verifies its signature.
 * @throws DecodeError on malformed input; VerifyError `VERIFY_SIGNATURE`.
 */
export function verifyKeyPackageDelete(bytes: Uint8Array, deps: Deps): KeyPackageDelete {
  const what = 'KeyPackageDelete';
  const record = decodeVersionedRecord(bytes, what, 1, ['v', 'type', 'key_package', 'author', 'signature'], MAX_DOCUMENT_BYTES);
  readText(record, 'type', what, ['key_package_delete']);
  const keyPackage = readBytes(record, 'key_package', what, DOCUMENT_ID_LENGTH);
  const author = readBytes(record, 'author', what, IDENTITY_LENGTH);
  const signature = readBytes(record, 'signature', what, 64);
  if (!deps.crypto.ed25519Verify(author, deleteTbs(keyPackage, author), signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `${what}: bad signature`);
  }
  return { keyPackage, author, signature };
}

/** Drops a pending key package (after a join used it). */
export function removePendingKeyPackage(store: MemberKeyStore, id: Uint8Array): MemberKeyStore {
  return { ...store, pending: store.pending.filter((entry) => !bytesEqual(entry.id, id)) };
}

/** Encodes a member key store (versioned CBOR; holds secrets). */
export function encodeMemberKeyStore(store: MemberKeyStore): Uint8Array {
  return encodeCanonical({
    v: 1, public_key: store.publicKey, secret_key: store.secretKey, last: store.last,
    pending: store.pending.map((p) => ({ id: p.id, kp: p.mlsKeyPackage, init: p.initPrivateKey, hpke: p.hpkePrivateKey })),
  });
}

/**
 * Decodes a member key store.
 * @throws DecodeError on malformed input or a key that does not match.
 */
export function decodeMemberKeyStore(bytes: Uint8Array, crypto: CryptoProvider): MemberKeyStore {
  const what = 'MemberKeyStore';
  const record = decodeVersionedRecord(bytes, what, 1, ['v', 'public_key', 'secret_key', 'last', 'pending'], MAX_STATE_BYTES);
  const publicKey = readBytes(record, 'public_key', what, 32);
  const secretKey = readBytes(record, 'secret_key', what, 32);
  if (!bytesEqual(crypto.ed25519PublicKey(secretKey), publicKey)) throw new DecodeError('DECODE_FIELD', `${what}: key pair mismatch`);
  const pending = readArray(record, 'pending', what, 10_000).map((value) => {
    const entry = asRecord(value, `${what}.pending`, ['id', 'kp', 'init', 'hpke']);
    return {
      id: readBytes(entry, 'id', what, DOCUMENT_ID_LENGTH),
      mlsKeyPackage: readBytes(entry, 'kp', what, { min: 1 }),
      initPrivateKey: readBytes(entry, 'init', what, 32),
      hpkePrivateKey: readBytes(entry, 'hpke', what, 32),
    };
  });
  return { v: 1, publicKey, secretKey, last: readOptionalBytes(record, 'last', what, DOCUMENT_ID_LENGTH), pending };
}

/** Default size of a member's key-package pool. */
export const KEY_PACKAGE_POOL_SIZE = 3;

/** Renew a pending key package this long (seconds) before it expires. */
export const KEY_PACKAGE_RENEW_SECONDS = 2 * 24 * 3600;

/**
 * Keeps a member's pool of published key packages at `size`: pending
 * packages that expire within `KEY_PACKAGE_RENEW_SECONDS` are dropped (with
 * a signed delete to publish), then new ones are created, each pointing at
 * the previous (seed 001, "Announce members"). Run it after every join (a
 * join consumes one) and now and then.
 * @returns the new store and what to publish: key packages and delete records.
 */
export async function replenishKeyPackages(store: MemberKeyStore, deps: MlsDeps, size: number = KEY_PACKAGE_POOL_SIZE): Promise<{
  state: MemberKeyStore;
  outputs: ({ kind: 'key_package'; document: Uint8Array; id: Uint8Array } | { kind: 'key_package_delete'; record: Uint8Array })[];
}> {
  if (!Number.isSafeInteger(size) || size < 0 || size > 1000) throw new UsageError('USAGE_ARGUMENT', `key-package pool size ${size}`);
  const outputs: ({ kind: 'key_package'; document: Uint8Array; id: Uint8Array } | { kind: 'key_package_delete'; record: Uint8Array })[] = [];
  const soon = deps.now() + KEY_PACKAGE_RENEW_SECONDS;
  let state = store;
  for (const entry of store.pending) {
    const notAfter = keyPackageNotAfter(decodeKeyPackageMessage(entry.mlsKeyPackage));
    if (notAfter < soon) {
      outputs.push({ kind: 'key_package_delete', record: createKeyPackageDelete(store, entry.id, deps) });
      state = removePendingKeyPackage(state, entry.id);
    }
  }
  while (state.pending.length < size) {
    const made = await createKeyPackage(state, deps);
    state = made.state;
    outputs.push({ kind: 'key_package', document: made.document, id: made.id });
  }
  return { state, outputs };
}
