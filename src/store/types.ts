/**
 * The store contract: what every persistence backend (memory, SQLite,
 * IndexedDB) promises. The store is generic over opaque encoded bytes: it
 * never interprets a state blob; the group layer encodes and decodes them.
 */
import type { CryptoProvider } from '../crypto/index.js';

/** One outgoing message in the outbox (sent at least once, then marked sent). */
export interface OutboxEntry {
  /** Unique id chosen by the caller (e.g. the message hash in hex). */
  readonly id: string;
  /** Where to send it (a group id, a peer id, a folder name: opaque to the store). */
  readonly topic: string;
  /** The encoded message. A fresh copy on every read. */
  readonly bytes: Uint8Array;
  /** True once `markSent` recorded it. */
  readonly sent: boolean;
}

/** An outgoing message to add to the outbox. */
export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  readonly bytes: Uint8Array;
}

/**
 * Everything one state transition changes, written by `Store.commit` in ONE
 * transaction: either all of it is durable afterwards, or none of it.
 */
export interface Transition {
  /** Named state blobs to write (e.g. `group:<hex>`, `keys`); `null` deletes the blob. */
  readonly states?: Readonly<Record<string, Uint8Array | null>>;
  /** Ids of incoming messages this transition processed (see `Store.commit` for idempotence). */
  readonly processed?: readonly string[];
  /**
   * Processed ids to delete (ids absent are ignored). For a caller that can
   * tell an input is settled for good by other means (a log position below
   * its settled mark), so the processed table does not grow with the
   * transport. An id may not be both in `processed` and here.
   */
  readonly forget?: readonly string[];
  /** Outgoing messages produced by this transition. Ids must be new to the store. */
  readonly outbox?: readonly OutboxMessage[];
  /**
   * Secrets this transition dropped from state. The store wipes them
   * (`fill(0)`) only AFTER the commit succeeded and was applied: until then
   * the caller's previous state, which shares these arrays, stays usable.
   */
  readonly consumed?: readonly Uint8Array[];
}

/** What `Store.commit` did. */
export interface CommitResult {
  /** True when the transition was written; false when it was skipped as a duplicate. */
  readonly applied: boolean;
  /** The ids of `transition.processed` that were already recorded (non-empty iff `applied` is false). */
  readonly duplicates: readonly string[];
}

/** Options for `Store.outbox`. */
export interface OutboxQuery {
  /** Only entries not yet marked sent. */
  readonly unsentOnly?: boolean;
}

/**
 * A persistence backend. All methods are async so the same contract fits
 * SQLite (synchronous underneath) and IndexedDB (asynchronous).
 *
 * Calls on one store instance are serialized in call order. After `close()`
 * every call rejects with `StoreError` `STORE_CLOSED`.
 *
 * Errors: `StoreError` `STORE_CORRUPT` (a blob or row fails its checksum or
 * decoding: nothing is overwritten), `STORE_VERSION_UNSUPPORTED` (written by
 * a newer format), `STORE_KEY` (wrong or missing encryption key),
 * `STORE_LOCKED` (another writer holds the store), `STORE_IO`;
 * `UsageError` `USAGE_ARGUMENT` for malformed transitions.
 */
export interface Store {
  /** The named state blob, or `undefined` when absent. A fresh copy. */
  load(name: string): Promise<Uint8Array | undefined>;
  /** Names of stored state blobs starting with `prefix` (all when omitted), sorted by UTF-16 code units. */
  names(prefix?: string): Promise<string[]>;
  /** True when an incoming message id was recorded as processed by a committed transition. */
  isProcessed(messageId: string): Promise<boolean>;
  /**
   * Every recorded processed id starting with `prefix` (all when omitted),
   * in no particular order: lets a caller check a long backlog against one
   * in-memory set instead of one call per id. With `strip`, the prefix is
   * cut off each id (less work for long lists). Optional for other stores.
   */
  processedIds?(prefix?: string, options?: { readonly strip?: boolean }): Promise<string[]>;
  /**
   * Writes the whole transition in ONE transaction.
   *
   * Idempotence: inside that transaction the store checks every id of
   * `transition.processed`. If ANY of them is already recorded, NOTHING of
   * the transition is written (no state, no processed id, no outbox entry),
   * the consumed secrets are NOT wiped, and the result is
   * `{ applied: false, duplicates }`. The caller should then drop the state
   * it computed and reload. Otherwise everything is written and
   * `{ applied: true, duplicates: [] }` is returned, after which the
   * consumed secrets are wiped. On a thrown error nothing was written and
   * nothing was wiped.
   *
   * @throws UsageError `USAGE_ARGUMENT` for an invalid name or id, an id
   *   repeated inside the transition, or an outbox id the store already holds.
   */
  commit(transition: Transition): Promise<CommitResult>;
  /** Outbox entries in insertion order. */
  outbox(options?: OutboxQuery): Promise<OutboxEntry[]>;
  /** Marks outbox entries sent (unknown ids are ignored), in one transaction. */
  markSent(ids: readonly string[]): Promise<void>;
  /** Releases the store (and its writer lock). Idempotent. */
  close(): Promise<void>;
}

/** Scrypt cost parameters (RFC 7914), stored in the store header. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/**
 * Optional encryption at rest. Either a 32-byte key the application holds
 * (e.g. from an OS keychain), or a passphrase stretched with scrypt (the salt
 * and parameters are kept in the store). Without either, blobs are stored in
 * the clear with an integrity checksum.
 */
export type StoreEncryption =
  | { readonly encryptionKey?: Uint8Array; readonly passphrase?: undefined }
  | { readonly passphrase?: string; readonly scrypt?: ScryptParams; readonly encryptionKey?: undefined };

/** Options shared by every store. */
export type StoreOptions = StoreEncryption & {
  /** The crypto provider (checksums, XChaCha20-Poly1305, HKDF); the platform default when omitted. */
  readonly crypto?: CryptoProvider;
};
