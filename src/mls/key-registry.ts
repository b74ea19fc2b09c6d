/**
 * A registry of other members' published key packages (seed 001,
 * "Announce members"; "Clients should send a DELETE operation to key
 * packages after they've joined"). It never hands out a deleted or an
 * already handed-out key package, so init keys are not reused.
 */
import { asRecord, bytesEqual, decodeVersionedRecord, encodeCanonical, fromHex, readArray, readBytes, readUint, toHex, type Deps } from '../crypto/index.js';
import { DecodeError, StateError, VerifyError } from '../errors.js';
import { MAX_STATE_BYTES, type MlsDeps } from './config.js';
import { DOCUMENT_ID_LENGTH } from './documents.js';
import { keyPackageNotAfter, verifyKeyPackageDelete, verifyKeyPackageDocument } from './key-package.js';

/** One registered key package. */
export interface RegisteredKeyPackage {
  /** Hex id of the KeyPackage document. */
  readonly id: string;
  /** Hex MLS KeyPackageRef (one MLS key package is one entry, whatever its wrapper). */
  readonly ref: string;
  readonly author: Uint8Array;
  /** Hex id of the previous document of the author, or null. */
  readonly previous: string | null;
  /** Expiry of the MLS key package (seconds). */
  readonly notAfter: number;
  /** The whole KeyPackage document as published. */
  readonly document: Uint8Array;
}

/** A delete record seen: the document id and the author who signed it (it only retires that author's package). */
export interface KeyPackageTombstone {
  readonly id: string;
  readonly author: Uint8Array;
}

/**
 * Registry state: live packages sorted by id; tombstones sorted by id then
 * author; refs of packages handed out or deleted (sorted), never handed out again.
 */
export interface KeyPackageRegistry {
  readonly v: 2;
  readonly packages: readonly RegisteredKeyPackage[];
  readonly tombstones: readonly KeyPackageTombstone[];
  readonly retired: readonly string[];
}

/** An empty registry. */
export function createKeyPackageRegistry(): KeyPackageRegistry {
  return { v: 2, packages: [], tombstones: [], retired: [] };
}

function sortedInsert(list: readonly string[], id: string): string[] {
  return list.includes(id) ? [...list] : [...list, id].sort();
}

function tombstoned(registry: KeyPackageRegistry, id: string, author: Uint8Array): boolean {
  return registry.tombstones.some((t) => t.id === id && bytesEqual(t.author, author));
}

/**
 * Verifies (at `deps.now()`) and registers a KeyPackage document. A package
 * already registered, handed out or deleted by its author (by document id or
 * by KeyPackageRef) leaves the registry as it is.
 * @throws DecodeError / VerifyError from `verifyKeyPackageDocument` (incl. `VERIFY_EXPIRED`);
 * VerifyError `VERIFY_IDENTITY` when `previous` names another author's package.
 */
export async function registerKeyPackage(registry: KeyPackageRegistry, document: Uint8Array, deps: MlsDeps): Promise<{
  state: KeyPackageRegistry; id: Uint8Array; author: Uint8Array;
}> {
  const verified = await verifyKeyPackageDocument(document, deps);
  const id = toHex(verified.id);
  const ref = toHex(verified.ref);
  const previous = verified.document.previous === null ? null : toHex(verified.document.previous);
  const before = previous === null ? undefined : registry.packages.find((p) => p.id === previous);
  if (before !== undefined && !bytesEqual(before.author, verified.author)) {
    throw new VerifyError('VERIFY_IDENTITY', 'KeyPackage: previous belongs to another author');
  }
  const unchanged = { state: registry, id: verified.id, author: verified.author };
  if (registry.retired.includes(ref) || registry.packages.some((p) => p.id === id || p.ref === ref)) return unchanged;
  if (tombstoned(registry, id, verified.author)) {
    return { state: { ...registry, retired: sortedInsert(registry.retired, ref) }, id: verified.id, author: verified.author };
  }
  const entry: RegisteredKeyPackage = {
    id, ref, author: verified.author, previous, notAfter: keyPackageNotAfter(verified.keyPackage), document: document.slice(),
  };
  const packages = [...registry.packages, entry].sort((a, b) => a.id.localeCompare(b.id));
  return { state: { ...registry, packages }, id: verified.id, author: verified.author };
}

/**
 * Applies a signed delete record: its author's package is dropped and its
 * ref retired. A delete arriving before its package is kept as a tombstone
 * with its author: it only ever retires a package of that same author.
 * @throws VerifyError `VERIFY_SIGNATURE`, or `VERIFY_IDENTITY` when the signer is not the package's author.
 */
export function applyKeyPackageDelete(registry: KeyPackageRegistry, record: Uint8Array, deps: Deps): { state: KeyPackageRegistry } {
  const removal = verifyKeyPackageDelete(record, deps);
  const id = toHex(removal.keyPackage);
  const existing = registry.packages.find((p) => p.id === id);
  if (existing !== undefined && !bytesEqual(existing.author, removal.author)) {
    throw new VerifyError('VERIFY_IDENTITY', 'KeyPackageDelete: signer is not the author');
  }
  if (existing !== undefined) {
    return { state: { ...registry, packages: registry.packages.filter((p) => p.id !== id), retired: sortedInsert(registry.retired, existing.ref) } };
  }
  if (tombstoned(registry, id, removal.author)) return { state: registry };
  const tombstones = [...registry.tombstones, { id, author: removal.author.slice() }]
    .sort((a, b) => a.id.localeCompare(b.id) || toHex(a.author).localeCompare(toHex(b.author)));
  return { state: { ...registry, tombstones } };
}

/**
 * Hands out the newest live, unexpired key package of `author` (the head of
 * its `previous` chain, else the first live one) and retires it, so it is
 * never handed out twice. Expired packages are dropped on the way.
 * @param now seconds (`deps.now()`); packages past their `notAfter` are never handed out.
 * @throws StateError `STATE_NO_BUNDLE` when the author has none left.
 */
export function takeKeyPackage(registry: KeyPackageRegistry, author: Uint8Array, now: number): { state: KeyPackageRegistry; document: Uint8Array } {
  const pruned = pruneKeyPackages(registry, now);
  const mine = pruned.packages.filter((p) => bytesEqual(p.author, author));
  const referenced = new Set(mine.map((p) => p.previous).filter((p): p is string => p !== null));
  const chosen = mine.find((p) => !referenced.has(p.id)) ?? mine[0];
  if (chosen === undefined) throw new StateError('STATE_NO_BUNDLE', 'no key package left for this member');
  return {
    state: { ...pruned, packages: pruned.packages.filter((p) => p.id !== chosen.id), retired: sortedInsert(pruned.retired, chosen.ref) },
    document: chosen.document,
  };
}

/** Drops expired packages (their refs are retired). */
export function pruneKeyPackages(registry: KeyPackageRegistry, now: number): KeyPackageRegistry {
  const expired = registry.packages.filter((p) => p.notAfter < now);
  if (expired.length === 0) return registry;
  let retired = registry.retired;
  for (const p of expired) retired = sortedInsert(retired, p.ref);
  return { ...registry, packages: registry.packages.filter((p) => p.notAfter >= now), retired };
}

/** Number of live key packages of `author` (for pool replenishment). */
export function countKeyPackages(registry: KeyPackageRegistry, author: Uint8Array, now: number): number {
  return registry.packages.filter((p) => p.notAfter >= now && bytesEqual(p.author, author)).length;
}

/** Encodes the registry (versioned CBOR). */
export function encodeKeyPackageRegistry(registry: KeyPackageRegistry): Uint8Array {
  return encodeCanonical({
    v: 2,
    packages: registry.packages.map((p) => ({
      id: fromHex(p.id), ref: fromHex(p.ref), author: p.author, previous: p.previous === null ? null : fromHex(p.previous), not_after: p.notAfter, document: p.document,
    })),
    tombstones: registry.tombstones.map((t) => ({ id: fromHex(t.id), author: t.author })),
    retired: registry.retired.map(fromHex),
  });
}

/**
 * Decodes the registry.
 * @throws DecodeError on malformed input or unsorted entries.
 */
export function decodeKeyPackageRegistry(bytes: Uint8Array): KeyPackageRegistry {
  const what = 'KeyPackageRegistry';
  const record = decodeVersionedRecord(bytes, what, 2, ['v', 'packages', 'tombstones', 'retired'], MAX_STATE_BYTES);
  const packages = readArray(record, 'packages', what).map((value) => {
    const entry = asRecord(value, `${what}.packages`, ['id', 'ref', 'author', 'previous', 'not_after', 'document']);
    const previous = entry['previous'] === null ? null : toHex(readBytes(entry, 'previous', what, DOCUMENT_ID_LENGTH));
    return {
      id: toHex(readBytes(entry, 'id', what, DOCUMENT_ID_LENGTH)), ref: toHex(readBytes(entry, 'ref', what, { min: 1, max: 64 })),
      author: readBytes(entry, 'author', what, 32), previous, notAfter: readUint(entry, 'not_after', what), document: readBytes(entry, 'document', what),
    };
  });
  const tombstones = readArray(record, 'tombstones', what).map((value) => {
    const entry = asRecord(value, `${what}.tombstones`, ['id', 'author']);
    return { id: toHex(readBytes(entry, 'id', what, DOCUMENT_ID_LENGTH)), author: readBytes(entry, 'author', what, 32) };
  });
  const retired = readArray(record, 'retired', what).map((value) => {
    if (!(value instanceof Uint8Array) || value.length === 0 || value.length > 64) throw new DecodeError('DECODE_FIELD', `${what}.retired: expected refs`);
    return toHex(value);
  });
  const sorted = (ids: string[]): boolean => ids.every((id, i) => i === 0 || (ids[i - 1] ?? '') < id);
  const tombKeys = tombstones.map((t) => `${t.id}${toHex(t.author)}`);
  if (!sorted(packages.map((p) => p.id)) || !sorted(retired) || !sorted(tombKeys)) {
    throw new DecodeError('DECODE_NON_CANONICAL', `${what}: entries not sorted`);
  }
  return { v: 2, packages, tombstones, retired };
}
