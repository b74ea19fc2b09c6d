/**
 * The Secret Group documents of seed 001 ("System schemas") in
 * deterministic CBOR: `SecretGroup` (its SHA-256 is the group id and the MLS
 * group id) and `SecretGroupCommit` (MLS commit, optional Welcome, encrypted
 * long-term secrets, pointer at the previous commit).
 */
import { decodeVersionedRecord, encodeCanonical, readBytes, readText, readUint, type CborRecord, type CryptoProvider } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { MAX_DOCUMENT_BYTES } from './config.js';
import { asLtsCiphersuite, type LongTermSecretCiphersuite } from './long-term-secret.js';

/** Length of every document id (SHA-256). */
export const DOCUMENT_ID_LENGTH = 32;

/** A SecretGroup document: the group's announcement by its owner. */
export interface SecretGroupDocument {
  readonly ltsCiphersuite: LongTermSecretCiphersuite;
  /** ts-mls ciphersuite id of the MLS group (1 or 3: X25519, Ed25519; 83 or 84: X-Wing, Ed25519). */
  readonly mlsCiphersuite: number;
  /** Ed25519 public key of the owner. */
  readonly owner: Uint8Array;
  /** 16 random bytes, so two groups of one owner get distinct ids. */
  readonly nonce: Uint8Array;
}

/** A SecretGroupCommit document. */
export interface SecretGroupCommitDocument {
  readonly groupId: Uint8Array;
  /** Id of the previous commit, null for the first. */
  readonly previous: Uint8Array | null;
  /** `MLSMessage` (PublicMessage) with the commit. */
  readonly mlsCommit: Uint8Array;
  /** `MLSMessage` with the Welcome, when members were added. */
  readonly mlsWelcome: Uint8Array | null;
  /** `MLSMessage` (PrivateMessage) of the new epoch carrying the TLS-encoded long-term secrets. */
  readonly encryptedLongTermSecrets: Uint8Array;
}

/** MLS ciphersuite ids a SecretGroup document may name: 1, 3 (X25519) and 83, 84 (X-Wing), all with Ed25519. */
export const MLS_SUITE_IDS: readonly number[] = [1, 3, 83, 84];

const GROUP_KEYS = ['v', 'type', 'lts_ciphersuite', 'mls_ciphersuite', 'owner', 'nonce'];
const COMMIT_KEYS = ['v', 'type', 'group_id', 'previous', 'mls_commit', 'mls_welcome', 'encrypted_long_term_secrets'];

/** Reads a field that is either bytes of `length` or null. */
export function readOptionalBytes(record: CborRecord, key: string, what: string, length?: number | { max: number }): Uint8Array | null {
  return record[key] === null ? null : readBytes(record, key, what, length);
}

/** Reads the `type` tag of a document. */
function checkType(record: CborRecord, what: string, type: string): void {
  readText(record, 'type', what, [type]);
}

/** Encodes a SecretGroup document canonically. */
export function encodeSecretGroup(doc: SecretGroupDocument): Uint8Array {
  return encodeCanonical({
    v: 1, type: 'secret_group', lts_ciphersuite: doc.ltsCiphersuite, mls_ciphersuite: doc.mlsCiphersuite, owner: doc.owner, nonce: doc.nonce,
  });
}

/**
 * Decodes a SecretGroup document.
 * @throws DecodeError on any malformed, non-canonical or unsupported field.
 */
export function decodeSecretGroup(bytes: Uint8Array): SecretGroupDocument {
  const what = 'SecretGroup';
  const record = decodeVersionedRecord(bytes, what, 1, GROUP_KEYS, MAX_DOCUMENT_BYTES);
  checkType(record, what, 'secret_group');
  const suite = readUint(record, 'lts_ciphersuite', what, 255);
  if (suite < 1 || suite > 3) throw new DecodeError('DECODE_FIELD', `${what}.lts_ciphersuite: ${suite} is not supported`);
  const mls = readUint(record, 'mls_ciphersuite', what, 0xffff);
  if (!MLS_SUITE_IDS.includes(mls)) throw new DecodeError('DECODE_FIELD', `${what}.mls_ciphersuite: ${mls} is not supported`);
  return {
    ltsCiphersuite: asLtsCiphersuite(suite),
    mlsCiphersuite: mls,
    owner: readBytes(record, 'owner', what, 32),
    nonce: readBytes(record, 'nonce', what, 16),
  };
}

/** Document id: SHA-256 of the canonical encoding (seed 001: "the resulting hash of this document"). */
export function documentId(crypto: CryptoProvider, encoded: Uint8Array): Uint8Array {
  return crypto.sha256(encoded);
}

/** Encodes a SecretGroupCommit document canonically. */
export function encodeSecretGroupCommit(doc: SecretGroupCommitDocument): Uint8Array {
  return encodeCanonical({
    v: 1,
    type: 'secret_group_commit',
    group_id: doc.groupId,
    previous: doc.previous,
    mls_commit: doc.mlsCommit,
    mls_welcome: doc.mlsWelcome,
    encrypted_long_term_secrets: doc.encryptedLongTermSecrets,
  });
}

/**
 * Decodes a SecretGroupCommit document (MLS payloads are decoded later, by the processor).
 * @throws DecodeError on any malformed, non-canonical or unsupported field.
 */
export function decodeSecretGroupCommit(bytes: Uint8Array): SecretGroupCommitDocument {
  const what = 'SecretGroupCommit';
  const record = decodeVersionedRecord(bytes, what, 1, COMMIT_KEYS, MAX_DOCUMENT_BYTES);
  checkType(record, what, 'secret_group_commit');
  return {
    groupId: readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH),
    previous: readOptionalBytes(record, 'previous', what, DOCUMENT_ID_LENGTH),
    mlsCommit: readBytes(record, 'mls_commit', what, { min: 1 }),
    mlsWelcome: readOptionalBytes(record, 'mls_welcome', what),
    encryptedLongTermSecrets: readBytes(record, 'encrypted_long_term_secrets', what, { min: 1 }),
  };
}
