/**
 * store — state persistence, generic over opaque encoded bytes: named state
 * blobs, processed incoming message ids and an outbox, all written by one
 * `commit(transition)` in ONE transaction. Implementations: `MemoryStore`,
 * `SqliteStore` (on-disk default, Node), `IndexedDbStore` (browsers).
 * Every blob is enveloped (version + checksum, or XChaCha20-Poly1305 when
 * encrypted at rest) and bound to its name and the store id.
 */
export type { CommitResult, OutboxEntry, OutboxMessage, OutboxQuery, ScryptParams, Store, StoreEncryption, StoreOptions, Transition } from './types.js';
export { MAX_NAME_LENGTH } from './backend.js';
export { ENVELOPE_VERSION, MAX_BLOB_BYTES } from './envelope.js';
export { DEFAULT_SCRYPT, SCRYPT_LIMITS, STORE_FORMAT_VERSION } from './header.js';
export { MemoryStore } from './memory-store.js';
export { SQLITE_APPLICATION_ID, SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { IndexedDbStore } from './indexeddb-store.js';
export type { IndexedDbStoreOptions } from './indexeddb-store.js';
