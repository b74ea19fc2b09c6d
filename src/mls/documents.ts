/**
 * The Secret Group documents of seed 001 ("System schemas") in
 * deterministic CBOR: `SecretGroup` (its SHA-256 is the group id and the MLS
 * group id) and `SecretGroupCommit` (MLS commit, optional Welcome, encrypted
 * long-term secrets, pointer at the previous commit).
 */
import {
  asRecord, concatBytes, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readText, readUint, utf8, type CborRecord, type CryptoProvider,
} from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import { MAX_DOCUMENT_BYTES } from './config.js';
import { asLtsCiphersuite, type LongTermSecretCiphersuite } from './long-term-secret.js';

/** Length of every document id (SHA-256). */
export const DOCUMENT_ID_LENGTH = 32;

/** A SecretGroup document: the group's announcement by its owner. */
export interface SecretGroupDocument {
  readonly ltsCiphersuite: LongTermSecretCiphersuite;
  /** ts-mls ciphersuite id of the MLS group (1 or 3: X25519, Ed25519). */
  readonly mlsCiphersuite: number;
  /** Ed25519 public key of the owner. */
  readonly owner: Uint8Array;
  /** 16 random bytes, so two groups of one owner get distinct ids. */
  readonly nonce: Uint8Array;
}

/** An ownership hand-over: the previous owner signs the next owner's identity. */
export interface Handover {
  /** Ed25519 identity of the next owner. */
  readonly to: Uint8Array;
  /** The previous owner's signature over the group id, the hand-over's index and `to`. */
  readonly signature: Uint8Array;
}

/** A removed member and the newest long-term epoch it held while a member. */
export interface FormerMember {
  readonly member: Uint8Array;
  readonly until: number;
}

/**
 * A SecretGroupCommit document (v2). The committing owner signs every field
 * (so nothing — Welcome, secrets, pointer — can be swapped), and its id is
 * the SHA-256 of the unsigned encoding, so it cannot change either.
 */
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
  /** All earlier hand-overs, oldest first: the committer is the owner they lead to. */
  readonly handovers: readonly Handover[];
  /** A hand-over made by this commit (ownership passes after it), or null. */
  readonly handover: Handover | null;
  /** Removed members so far (only with a Welcome: joiners check history's senders against it). */
  readonly former: readonly FormerMember[];
  /** Ids of members' proposals this commit settles (committed, or refused as invalid), sorted. */
  readonly settled: readonly Uint8Array[];
  /** The committer's Ed25519 signature over the unsigned encoding. */
  readonly signature: Uint8Array;
}

/** Most hand-overs and former members a document may list. */
export const MAX_LISTED = 100_000;

const GROUP_KEYS = ['v', 'type', 'lts_ciphersuite', 'mls_ciphersuite', 'owner', 'nonce'];
const UNSIGNED_COMMIT_KEYS = [
  'v', 'type', 'group_id', 'previous', 'mls_commit', 'mls_welcome', 'encrypted_long_term_secrets', 'handovers', 'handover', 'former', 'settled',
];
const COMMIT_KEYS = [...UNSIGNED_COMMIT_KEYS, 'signature'];
const COMMIT_VERSION = 2;
const COMMIT_SIGN_LABEL = utf8('groupcrypt mls secret group commit v2');
const HANDOVER_SIGN_LABEL = utf8('groupcrypt mls owner handover v1');

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
  if (mls !== 1 && mls !== 3) throw new DecodeError('DECODE_FIELD', `${what}.mls_ciphersuite: ${mls} is not supported`);
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

function unsignedCommitRecord(doc: Omit<SecretGroupCommitDocument, 'signature'>): CborRecord {
  return {
    v: COMMIT_VERSION,
    type: 'secret_group_commit',
    group_id: doc.groupId,
    previous: doc.previous,
    mls_commit: doc.mlsCommit,
    mls_welcome: doc.mlsWelcome,
    encrypted_long_term_secrets: doc.encryptedLongTermSecrets,
    handovers: doc.handovers.map((h) => ({ to: h.to, signature: h.signature })),
    handover: doc.handover === null ? null : { to: doc.handover.to, signature: doc.handover.signature },
    former: doc.former.map((f) => ({ member: f.member, until: f.until })),
    settled: [...doc.settled],
  };
}

/** The unsigned encoding of a commit: what the owner signs (after a label) and what its id hashes. */
export function unsignedCommitBytes(doc: Omit<SecretGroupCommitDocument, 'signature'>): Uint8Array {
  return encodeCanonical(unsignedCommitRecord(doc));
}

/** Id of a commit document: SHA-256 of its unsigned encoding (independent of the signature's bytes). */
export function commitId(crypto: CryptoProvider, doc: Omit<SecretGroupCommitDocument, 'signature'>): Uint8Array {
  return crypto.sha256(unsignedCommitBytes(doc));
}

/** Signs a commit document with the committer's Ed25519 seed and encodes it. */
export function signSecretGroupCommit(crypto: CryptoProvider, secretKey: Uint8Array, doc: Omit<SecretGroupCommitDocument, 'signature'>): {
  document: Uint8Array; id: Uint8Array;
} {
  const unsigned = unsignedCommitBytes(doc);
  const signature = crypto.ed25519Sign(secretKey, concatBytes(COMMIT_SIGN_LABEL, unsigned));
  return { document: encodeSecretGroupCommit({ ...doc, signature }), id: crypto.sha256(unsigned) };
}

/** True when `signer` signed the commit document. */
export function verifyCommitSignature(crypto: CryptoProvider, doc: SecretGroupCommitDocument, signer: Uint8Array): boolean {
  return crypto.ed25519Verify(signer, concatBytes(COMMIT_SIGN_LABEL, unsignedCommitBytes(doc)), doc.signature);
}

function handoverTbs(groupId: Uint8Array, index: number, to: Uint8Array): Uint8Array {
  return concatBytes(HANDOVER_SIGN_LABEL, encodeCanonical({ group_id: groupId, index, to }));
}

/** The owner's signed hand-over (the `index`-th of the group) to `to`. */
export function signHandover(crypto: CryptoProvider, ownerSecretKey: Uint8Array, groupId: Uint8Array, index: number, to: Uint8Array): Handover {
  return { to: to.slice(), signature: crypto.ed25519Sign(ownerSecretKey, handoverTbs(groupId, index, to)) };
}

/**
 * Follows a chain of hand-overs from the creator; returns the owner it leads to.
 * @throws VerifyError `VERIFY_SIGNATURE` when a link is not signed by the owner before it.
 */
export function ownerAfter(crypto: CryptoProvider, groupId: Uint8Array, creator: Uint8Array, handovers: readonly Handover[]): Uint8Array {
  let owner = creator;
  handovers.forEach((h, index) => {
    if (!crypto.ed25519Verify(owner, handoverTbs(groupId, index, h.to), h.signature)) {
      throw new VerifyError('VERIFY_SIGNATURE', `owner hand-over ${index}: not signed by the owner before it`);
    }
    owner = h.to;
  });
  return owner;
}

/** Encodes a signed SecretGroupCommit document canonically. */
export function encodeSecretGroupCommit(doc: SecretGroupCommitDocument): Uint8Array {
  return encodeCanonical({ ...unsignedCommitRecord(doc), signature: doc.signature });
}

function readHandover(value: unknown, what: string): Handover {
  const h = asRecord(value, `${what}.handover`, ['to', 'signature']);
  return { to: readBytes(h, 'to', what, 32), signature: readBytes(h, 'signature', what, 64) };
}

/**
 * Decodes a SecretGroupCommit document (MLS payloads and signatures are checked later, by the processor).
 * @throws DecodeError on any malformed, non-canonical or unsupported field (`DECODE_VERSION_UNSUPPORTED` for v1).
 */
export function decodeSecretGroupCommit(bytes: Uint8Array): SecretGroupCommitDocument {
  const what = 'SecretGroupCommit';
  const record = decodeVersionedRecord(bytes, what, COMMIT_VERSION, COMMIT_KEYS, MAX_DOCUMENT_BYTES);
  checkType(record, what, 'secret_group_commit');
  const former = readArray(record, 'former', what, MAX_LISTED).map((value) => {
    const f = asRecord(value, `${what}.former`, ['member', 'until']);
    return { member: readBytes(f, 'member', what, 32), until: readUint(f, 'until', what) };
  });
  return {
    groupId: readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH),
    previous: readOptionalBytes(record, 'previous', what, DOCUMENT_ID_LENGTH),
    mlsCommit: readBytes(record, 'mls_commit', what, { min: 1 }),
    mlsWelcome: readOptionalBytes(record, 'mls_welcome', what),
    encryptedLongTermSecrets: readBytes(record, 'encrypted_long_term_secrets', what, { min: 1 }),
    handovers: readArray(record, 'handovers', what, MAX_LISTED).map((value) => readHandover(value, what)),
    handover: record['handover'] === null ? null : readHandover(record['handover'], what),
    former,
    settled: readArray(record, 'settled', what, MAX_LISTED).map((value) => {
      if (!(value instanceof Uint8Array) || value.length !== DOCUMENT_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.settled: expected ids`);
      return value;
    }),
    signature: readBytes(record, 'signature', what, 64),
  };
}
