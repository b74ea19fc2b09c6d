/**
 * IndexedDB store for browsers.
 *
 * The IndexedDB database version is the store format version, so a database
 * written by a newer format makes `open` fail with `VersionError`, mapped to
 * `STORE_VERSION_UNSUPPORTED`, before anything changes. Each `commit` is one
 * `readwrite` transaction with `durability: 'strict'`; the duplicate check
 * and every write happen inside it, driven by request callbacks (no awaits
 * inside the transaction, so it cannot auto-commit half-way).
 *
 * Single writer: where the Web Locks API exists, the store holds the lock
 * `groupcrypt-store:<name>` until `close()`; a second opener (another tab)
 * gets `STORE_LOCKED`. Without Web Locks, two writers are not detected.
 */
import { defaultCryptoProvider } from '../crypto/index.js';
import { GroupCryptError, StoreError, UsageError } from '../errors.js';
import { EnvelopeStore, type Backend, type RawOutboxRow, type RawTransition } from './backend.js';
import { createHeader, STORE_FORMAT_VERSION, unlockHeader } from './header.js';
import type { StoreOptions } from './types.js';

const STORES = ['meta', 'states', 'processed', 'outbox'] as const;
const WRITE = { durability: 'strict' } as const;

function mapError(cause: unknown, what: string): GroupCryptError {
  if (cause instanceof GroupCryptError) return cause;
  const name = typeof cause === 'object' && cause !== null && 'name' in cause ? String((cause as { name: unknown }).name) : '';
  if (name === 'VersionError') return new StoreError('STORE_VERSION_UNSUPPORTED', `${what}: the database was written by a newer format`, { cause });
  if (name === 'DataError' || name === 'DataCloneError') return new StoreError('STORE_CORRUPT', `${what}: ${name}`, { cause });
  return new StoreError('STORE_IO', `${what}: ${name || 'IndexedDB failure'}`, { cause });
}

function asBlob(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreError('STORE_CORRUPT', `${what}: expected bytes`);
  return value;
}

/**
 * Runs one transaction. `body` issues requests; `done(value)` sets the result
 * delivered on completion, `fail(error)` aborts and rejects, `rollback(value)`
 * aborts (writing nothing) and resolves with `value`.
 */
function transact<T>(db: IDBDatabase, names: readonly string[], mode: IDBTransactionMode, what: string,
  body: (tx: IDBTransaction, done: (value: T) => void, fail: (error: unknown) => void, rollback: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    let rolledBack: { value: T } | undefined;
    let failure: unknown;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([...names], mode, mode === 'readwrite' ? WRITE : undefined);
    } catch (cause) {
      reject(mapError(cause, what));
      return;
    }
    tx.oncomplete = () => (result === undefined ? reject(new StoreError('STORE_IO', `${what}: transaction ended without a result`)) : resolve(result.value));
    tx.onabort = () => {
      if (failure === undefined && rolledBack !== undefined) resolve(rolledBack.value);
      else reject(failure !== undefined ? mapError(failure, what) : mapError(tx.error, what));
    };
    const abort = (): void => {
      try {
        tx.abort();
      } catch {
        // already finished: onabort/oncomplete reports
      }
    };
    const fail = (error: unknown): void => {
      failure ??= error;
      abort();
    };
    const rollback = (value: T): void => {
      rolledBack = { value };
      abort();
    };
    try {
      body(tx, (value) => { result = { value }; }, fail, rollback);
    } catch (cause) {
      fail(cause);
    }
  });
}

/** Calls `then` with a request's result, or aborts the transaction on a callback error. */
function on<T>(request: IDBRequest<T>, fail: (error: unknown) => void, then: (value: T) => void): void {
  request.onsuccess = () => {
    try {
      then(request.result);
    } catch (cause) {
      fail(cause);
    }
  };
}

class IndexedDbBackend implements Backend {
  readonly #db: IDBDatabase;
  readonly #release: () => void;

  constructor(db: IDBDatabase, release: () => void) {
    this.#db = db;
    this.#release = release;
  }

  get(name: string): Promise<Uint8Array | undefined> {
    return transact(this.#db, ['states'], 'readonly', 'load', (tx, done, fail) => {
      on(tx.objectStore('states').get(name), fail, (value) => done(value === undefined ? undefined : asBlob(value, `state "${name.slice(0, 80)}"`)));
    });
  }

  names(prefix: string): Promise<string[]> {
    return transact(this.#db, ['states'], 'readonly', 'names', (tx, done, fail) => {
      on(tx.objectStore('states').getAllKeys(), fail, (keys) => done(keys.filter((key): key is string => typeof key === 'string' && key.startsWith(prefix))));
    });
  }

  hasProcessed(id: string): Promise<boolean> {
    return transact(this.#db, ['processed'], 'readonly', 'isProcessed', (tx, done, fail) => {
      on(tx.objectStore('processed').count(id), fail, (count) => done(count > 0));
    });
  }

  processedIds(prefix: string, strip: boolean): Promise<string[]> {
    return transact(this.#db, ['processed'], 'readonly', 'processedIds', (tx, done, fail) => {
      on(tx.objectStore('processed').getAllKeys(), fail, (keys) => {
        const ids = keys.filter((key): key is string => typeof key === 'string' && key.startsWith(prefix));
        done(strip ? ids.map((id) => id.slice(prefix.length)) : ids);
      });
    });
  }

  commit(raw: RawTransition): Promise<readonly string[]> {
    return transact(this.#db, ['states', 'processed', 'outbox'], 'readwrite', 'commit', (tx, done, fail, rollback) => {
      const states = tx.objectStore('states');
      const processed = tx.objectStore('processed');
      const outbox = tx.objectStore('outbox');
      const seen = new Set<string>();
      let clash: string | undefined;
      let pending = raw.processed.length + raw.outbox.length;
      const write = (): void => {
        const duplicates = raw.processed.filter((id) => seen.has(id));
        if (duplicates.length > 0) {
          rollback(duplicates);
          return;
        }
        if (clash !== undefined) throw new UsageError('USAGE_ARGUMENT', `outbox id "${clash.slice(0, 80)}" already stored`);
        for (const [name, blob] of raw.states) {
          if (blob === null) states.delete(name);
          else states.put(blob, name);
        }
        for (const id of raw.processed) processed.put(1, id);
        for (const id of raw.forget) processed.delete(id);
        for (const row of raw.outbox) outbox.add({ id: row.id, topic: row.topic, blob: row.blob, sent: 0 });
        done([]);
      };
      const settle = (): void => {
        pending -= 1;
        if (pending === 0) write();
      };
      if (pending === 0) write();
      for (const id of raw.processed) on(processed.count(id), fail, (count) => { if (count > 0) seen.add(id); settle(); });
      for (const row of raw.outbox) on(outbox.index('id').count(row.id), fail, (count) => { if (count > 0) clash ??= row.id; settle(); });
    });
  }

  outbox(unsentOnly: boolean): Promise<RawOutboxRow[]> {
    return transact(this.#db, ['outbox'], 'readonly', 'outbox', (tx, done, fail) => {
      on(tx.objectStore('outbox').getAll(), fail, (rows: unknown[]) => {
        const parsed = rows.map((row) => {
          const r = row as { id?: unknown; topic?: unknown; blob?: unknown; sent?: unknown } | null;
          if (r === null || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.topic !== 'string' || (r.sent !== 0 && r.sent !== 1)) {
            throw new StoreError('STORE_CORRUPT', 'outbox: malformed row');
          }
          return { id: r.id, topic: r.topic, blob: asBlob(r.blob, `outbox "${r.id.slice(0, 80)}"`), sent: r.sent === 1 };
        });
        done(parsed.filter((row) => !unsentOnly || !row.sent));
      });
    });
  }

  markSent(ids: readonly string[]): Promise<void> {
    return transact(this.#db, ['outbox'], 'readwrite', 'markSent', (tx, done, fail) => {
      const outbox = tx.objectStore('outbox');
      for (const id of ids) {
        on(outbox.index('id').getKey(id), fail, (key) => {
          if (key === undefined) return;
          on(outbox.get(key), fail, (row: { sent: number } | undefined) => {
            if (row !== undefined && row.sent !== 1) outbox.put({ ...row, sent: 1 }, key);
          });
        });
      }
      done(undefined);
    });
  }

  async close(): Promise<void> {
    this.#db.close();
    this.#release();
  }
}

/** Options of `IndexedDbStore.open`. */
export type IndexedDbStoreOptions = StoreOptions & {
  /** The IndexedDB factory; `globalThis.indexedDB` when omitted. */
  readonly indexedDB?: IDBFactory;
  /** Skip the Web Locks single-writer lock (only when the app serializes writers itself). */
  readonly noLock?: boolean;
};

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void>): Promise<void>;
}

/** Takes the Web Lock for `name` if the API exists; resolves with its release function. */
async function acquireLock(name: string, skip: boolean): Promise<() => void> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (skip || locks === undefined) return () => undefined;
  return new Promise((resolve, reject) => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((done) => { release = done; });
    locks.request(`groupcrypt-store:${name}`, { ifAvailable: true }, async (lock) => {
      if (lock === null) {
        reject(new StoreError('STORE_LOCKED', `indexeddb store "${name.slice(0, 80)}": held by another writer`));
        return;
      }
      resolve(release);
      await held;
    }).catch((cause: unknown) => reject(mapError(cause, 'lock')));
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, STORE_FORMAT_VERSION);
    } catch (cause) {
      reject(mapError(cause, 'open'));
      return;
    }
    request.onupgradeneeded = (event) => {
      if (event.oldVersion !== 0) return; // no older formats exist yet
      const db = request.result;
      for (const store of STORES) {
        const created = store === 'outbox' ? db.createObjectStore(store, { autoIncrement: true }) : db.createObjectStore(store);
        if (store === 'outbox') created.createIndex('id', 'id', { unique: true });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(mapError(request.error, 'open'));
    request.onblocked = () => reject(new StoreError('STORE_LOCKED', 'open: blocked by another connection'));
  });
}

/** Reads the meta rows; `undefined` when the store has no header yet. */
function readMeta(db: IDBDatabase): Promise<Uint8Array | undefined> {
  return transact(db, ['meta'], 'readonly', 'open', (tx, done, fail) => {
    const meta = tx.objectStore('meta');
    on(meta.get('schema_version'), fail, (schema: unknown) => {
      on(meta.get('header'), fail, (header: unknown) => {
        if (schema === undefined && header === undefined) return done(undefined);
        if (schema !== STORE_FORMAT_VERSION) throw new StoreError('STORE_CORRUPT', 'indexeddb store: schema_version row disagrees with the database version');
        done(asBlob(header, 'indexeddb store header'));
      });
    });
  });
}

/**
 * The browser store on IndexedDB. Open with `IndexedDbStore.open(name, options)`.
 *
 * @example
 * const store = await IndexedDbStore.open('groupcrypt', { encryptionKey: key });
 * await store.commit({ states: { keys: bytes }, outbox: [{ id: 'm1', topic: 'g', bytes: message }] });
 */
export class IndexedDbStore extends EnvelopeStore {
  /**
   * Opens (creating when absent) the IndexedDB database `name`.
   * @throws StoreError `STORE_VERSION_UNSUPPORTED`, `STORE_CORRUPT`,
   *   `STORE_KEY`, `STORE_LOCKED`, `STORE_IO`; UsageError `USAGE_UNSUPPORTED`
   *   without IndexedDB.
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    if (typeof name !== 'string' || name.length === 0) throw new UsageError('USAGE_ARGUMENT', 'IndexedDbStore.open name: expected a non-empty string');
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) throw new UsageError('USAGE_UNSUPPORTED', 'IndexedDbStore needs IndexedDB');
    const crypto = options.crypto ?? defaultCryptoProvider();
    const release = await acquireLock(name, options.noLock === true);
    let db: IDBDatabase | undefined;
    try {
      db = await openDatabase(factory, name);
      db.onversionchange = () => db?.close();
      const header = await readMeta(db);
      if (header !== undefined) return new IndexedDbStore(new IndexedDbBackend(db, release), await unlockHeader(header, options, crypto));
      const created = await createHeader(options, crypto);
      const opened = db;
      await transact<void>(opened, ['meta'], 'readwrite', 'create', (tx, done) => {
        const meta = tx.objectStore('meta');
        meta.add(STORE_FORMAT_VERSION, 'schema_version');
        meta.add(created.bytes, 'header');
        done(undefined);
      });
      return new IndexedDbStore(new IndexedDbBackend(opened, release), created.context);
    } catch (error) {
      db?.close();
      release();
      throw error;
    }
  }
}
