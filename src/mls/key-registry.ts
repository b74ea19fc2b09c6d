/**
 * A registry of other members' published key packages (seed 001,
 * "Announce members"; "Clients should send a DELETE operation to key
 * packages after they've joined"). It never hands out a deleted or an
 * already handed-out key package, so init keys are not reused.
 */
import { asRecord, bytesEqual, decodeVersionedRecord, encodeCanonical, fromHex, readArray, readBytes, toHex, type Deps } from '../crypto/index.js';
import { DecodeError, StateError, VerifyError } from '../errors.js';
import { MAX_STATE_BYTES, type MlsDeps } from './config.js';
import { DOCUMENT_ID_LENGTH } from './documents.js';
import { verifyKeyPackageDelete, verifyKeyPackageDocument } from './key-package.js';

/** One registered key package. */
export interface RegisteredKeyPackage {
  /** Hex id of the KeyPackage document. */
  readonly id: string;
  readonly author: Uint8Array;
  /** Hex id of the previous document of the author, or null. */
  readonly previous: string | null;
  /** The whole KeyPackage document as published. */
  readonly document: Uint8Array;
}

/** Registry state: live packages sorted by id, deleted/handed-out ids sorted. */
export interface KeyPackageRegistry {
  readonly v: 1;
  readonly packages: readonly RegisteredKeyPackage[];
  readonly deleted: readonly string[];
}

/** An empty registry. */
export function createKeyPackageRegistry(): KeyPackageRegistry {
  return { v: 1, packages: [], deleted: [] };
}

function sortedInsert(list: readonly string[], id: string): string[] {
  return list.includes(id) ? [...list] : [...list, id].sort();
}

/**
 * Verifies and registers a KeyPackage document. A document that is already
 * registered or deleted leaves the registry as it is.
 * @throws DecodeError / VerifyError from `verifyKeyPackageDocument`;
 * VerifyError `VERIFY_IDENTITY` when `previous` names another author's package.
 */
export async function registerKeyPackage(registry: KeyPackageRegistry, document: Uint8Array, deps: MlsDeps): Promise<{
  state: KeyPackageRegistry; id: Uint8Array; author: Uint8Array;
}> {
  const verified = await verifyKeyPackageDocument(document, deps);
  const id = toHex(verified.id);
  const previous = verified.document.previous === null ? null : toHex(verified.document.previous);
  const before = previous === null ? undefined : registry.packages.find((p) => p.id === previous);
  if (before !== undefined && !bytesEqual(before.author, verified.author)) {
    throw new VerifyError('VERIFY_IDENTITY', 'KeyPackage: previous belongs to another author');
  }
  if (registry.deleted.includes(id) || registry.packages.some((p) => p.id === id)) {
    return { state: registry, id: verified.id, author: verified.author };
  }
  const entry: RegisteredKeyPackage = { id, author: verified.author, previous, document: document.slice() };
  const packages = [...registry.packages, entry].sort((a, b) => a.id.localeCompare(b.id));
  return { state: { ...registry, packages }, id: verified.id, author: verified.author };
}

/**
 * Applies a signed delete record: the package is dropped and its id
 * remembered, also when the package itself has not arrived yet.
 * @throws VerifyError `VERIFY_SIGNATURE`, or `VERIFY_IDENTITY` when the signer is not the package's author.
 */
export function applyKeyPackageDelete(registry: KeyPackageRegistry, record: Uint8Array, deps: Deps): { state: KeyPackageRegistry } {
  const removal = verifyKeyPackageDelete(record, deps);
  const id = toHex(removal.keyPackage);
  const existing = registry.packages.find((p) => p.id === id);
  if (existing !== undefined && !bytesEqual(existing.author, removal.author)) {
    throw new VerifyError('VERIFY_IDENTITY', 'KeyPackageDelete: signer is not the author');
  }
  return { state: { v: 1, packages: registry.packages.filter((p) => p.id !== id), deleted: sortedInsert(registry.deleted, id) } };
}

/**
 * Hands out the newest live key package of `author` (the head of its
 * `previous` chain, else the first live one) and retires it, so it is never
 * handed out twice.
 * @throws StateError `STATE_NO_BUNDLE` when the author has none left.
 */
export function takeKeyPackage(registry: KeyPackageRegistry, author: Uint8Array): { state: KeyPackageRegistry; document: Uint8Array } {
  const mine = registry.packages.filter((p) => bytesEqual(p.author, author));
  const referenced = new Set(mine.map((p) => p.previous).filter((p): p is string => p !== null));
  const chosen = mine.find((p) => !referenced.has(p.id)) ?? mine[0];
  if (chosen === undefined) throw new StateError('STATE_NO_BUNDLE', 'no key package left for this member');
  return {
    state: { v: 1, packages: registry.packages.filter((p) => p.id !== chosen.id), deleted: sortedInsert(registry.deleted, chosen.id) },
    document: chosen.document,
  };
}

/** Encodes the registry (versioned CBOR). */
export function encodeKeyPackageRegistry(registry: KeyPackageRegistry): Uint8Array {
  return encodeCanonical({
    v: 1,
    packages: registry.packages.map((p) => ({ id: fromHex(p.id), author: p.author, previous: p.previous === null ? null : fromHex(p.previous), document: p.document })),
    deleted: registry.deleted.map(fromHex),
  });
}

/**
 * Decodes the registry.
 * @throws DecodeError on malformed input or unsorted entries.
 */
export function decodeKeyPackageRegistry(bytes: Uint8Array): KeyPackageRegistry {
  const what = 'KeyPackageRegistry';
  const record = decodeVersionedRecord(bytes, what, 1, ['v', 'packages', 'deleted'], MAX_STATE_BYTES);
  const packages = readArray(record, 'packages', what).map((value) => {
    const entry = asRecord(value, `${what}.packages`, ['id', 'author', 'previous', 'document']);
    const previous = entry['previous'] === null ? null : toHex(readBytes(entry, 'previous', what, DOCUMENT_ID_LENGTH));
    return { id: toHex(readBytes(entry, 'id', what, DOCUMENT_ID_LENGTH)), author: readBytes(entry, 'author', what, 32), previous, document: readBytes(entry, 'document', what) };
  });
  const deleted = readArray(record, 'deleted', what).map((value) => {
    if (!(value instanceof Uint8Array) || value.length !== DOCUMENT_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.deleted: expected ids`);
    return toHex(value);
  });
  const sorted = (ids: string[]): boolean => ids.every((id, i) => i === 0 || (ids[i - 1] ?? '') < id);
  if (!sorted(packages.map((p) => p.id)) || !sorted(deleted)) throw new DecodeError('DECODE_NON_CANONICAL', `${what}: entries not sorted`);
  return { v: 1, packages, deleted };
}
