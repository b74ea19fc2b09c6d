/**
 * SQLite store (better-sqlite3 12): the embedded on-disk default.
 *
 * Secrets at rest: `secure_delete=ON` zeroes freed cells and pages, and a
 * commit that drops secrets (`consumed`) or deletes blobs is followed by
 * `wal_checkpoint(TRUNCATE)`, so old copies do not survive in the WAL.
 *
 * Durability: WAL journal with `synchronous=FULL`, so a commit that returned
 * survives a power loss too (with NORMAL, the last commits could roll back
 * after their outbox messages were sent, and a peer could then reuse keys or
 * nonces it already used). Each `commit` is one SQLite transaction.
 *
 * Single writer: the connection runs in `locking_mode=EXCLUSIVE` and takes
 * the lock at open, so a second opener (another process or connection)
 * gets `StoreError` `STORE_LOCKED` until the first closes or dies (the OS
 * drops the lock of a killed process; WAL recovery runs at the next open).
 *
 * better-sqlite3 is loaded lazily through `process.getBuiltinModule`, so
 * bundling `store/` for a browser never pulls in the native module.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { defaultCryptoProvider } from '../crypto/index.js';
import { GroupCryptError, StoreError, UsageError } from '../errors.js';
import { EnvelopeStore, type Backend, type RawOutboxRow, type RawTransition } from './backend.js';
import { createHeader, STORE_FORMAT_VERSION, unlockHeader } from './header.js';
import type { StoreOptions } from './types.js';

/** `PRAGMA application_id` of groupcrypt stores ("GCST"). */
export const SQLITE_APPLICATION_ID = 0x47435354;

type Database = BetterSqlite3.Database;

const SCHEMA = [
  'CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value ANY NOT NULL) STRICT',
  'CREATE TABLE states (name TEXT PRIMARY KEY NOT NULL, blob BLOB NOT NULL) STRICT',
  'CREATE TABLE processed (id TEXT PRIMARY KEY NOT NULL) STRICT, WITHOUT ROWID',
  'CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, blob BLOB NOT NULL, sent INTEGER NOT NULL)',
];

function loadDriver(): typeof BetterSqlite3 {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeModule = proc?.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined;
  if (nodeModule === undefined) throw new UsageError('USAGE_UNSUPPORTED', 'SqliteStore needs Node.js ≥ 20.16 (better-sqlite3)');
  return nodeModule.createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
}

/** Maps a driver error to a `StoreError` with a stable code (typed errors pass through). */
function mapError(cause: unknown, what: string): GroupCryptError {
  if (cause instanceof GroupCryptError) return cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new StoreError('STORE_LOCKED', `${what}: the store is held by another writer`, { cause });
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return new StoreError('STORE_CORRUPT', `${what}: not a valid database (${code})`, { cause });
  return new StoreError('STORE_IO', `${what}: ${code || 'I/O failure'}`, { cause });
}

function guard<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (cause) {
    throw mapError(cause, what);
  }
}

function asBlob(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreError('STORE_CORRUPT', `${what}: expected a blob column`);
  return new Uint8Array(value);
}

/**
 * The least string above every string that starts with `prefix` (SQLite
 * compares TEXT by UTF-8 bytes, which is code point order): the prefix with
 * its last code point incremented; null (no bound) when there is none.
 */
function upperBound(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next);
  }
  return null;
}

type Inspection = { readonly fresh: true } | { readonly fresh: false; readonly header: Uint8Array };

/** Reads format information without writing. @throws StoreError `STORE_VERSION_UNSUPPORTED` / `STORE_CORRUPT`. */
function inspect(db: Database): Inspection {
  const applicationId = db.pragma('application_id', { simple: true });
  const userVersion = db.pragma('user_version', { simple: true });
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  if (applicationId === 0 && userVersion === 0 && tables.n === 0) return { fresh: true };
  if (applicationId !== SQLITE_APPLICATION_ID) throw new StoreError('STORE_CORRUPT', 'sqlite store: not a groupcrypt store (application_id)');
  if (typeof userVersion !== 'number' || userVersion < 1) throw new StoreError('STORE_CORRUPT', 'sqlite store: bad schema version');
  if (userVersion > STORE_FORMAT_VERSION) {
    throw new StoreError('STORE_VERSION_UNSUPPORTED', `sqlite store: format ${userVersion} is newer than ${STORE_FORMAT_VERSION}`);
  }
  const rows = db.prepare("SELECT key, value FROM meta WHERE key IN ('schema_version', 'header')").all() as { key: string; value: unknown }[];
  const schema = rows.find((row) => row.key === 'schema_version')?.value;
  if (schema !== userVersion) throw new StoreError('STORE_CORRUPT', 'sqlite store: schema_version row disagrees with user_version');
  const header = rows.find((row) => row.key === 'header');
  if (header === undefined) throw new StoreError('STORE_CORRUPT', 'sqlite store: header row missing');
  return { fresh: false, header: asBlob(header.value, 'sqlite store header') };
}

class SqliteBackend implements Backend {
  readonly #db: Database;
  readonly #getState;
  readonly #names;
  readonly #putState;
  readonly #deleteState;
  readonly #hasProcessed;
  readonly #processedIds;
  readonly #putProcessed;
  readonly #deleteProcessed;
  readonly #hasOutbox;
  readonly #putOutbox;
  readonly #markSent;
  readonly #commit: (raw: RawTransition) => readonly string[];

  constructor(db: Database) {
    this.#db = db;
    this.#getState = db.prepare('SELECT blob FROM states WHERE name = ?');
    // `name >= prefix` lets SQLite walk the primary-key index from the prefix on; `< upper` ends the walk
    this.#names = db.prepare('SELECT name FROM states WHERE name >= @prefix AND (@upper IS NULL OR name < @upper) AND substr(name, 1, length(@prefix)) = @prefix').pluck();
    this.#putState = db.prepare('INSERT INTO states (name, blob) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET blob = excluded.blob');
    this.#deleteState = db.prepare('DELETE FROM states WHERE name = ?');
    this.#hasProcessed = db.prepare('SELECT 1 FROM processed WHERE id = ?').pluck();
    this.#processedIds = db.prepare('SELECT substr(id, @from) FROM processed WHERE id >= @prefix AND (@upper IS NULL OR id < @upper) AND substr(id, 1, length(@prefix)) = @prefix').pluck();
    this.#putProcessed = db.prepare('INSERT INTO processed (id) VALUES (?)');
    this.#deleteProcessed = db.prepare('DELETE FROM processed WHERE id = ?');
    this.#hasOutbox = db.prepare('SELECT 1 FROM outbox WHERE id = ?').pluck();
    this.#putOutbox = db.prepare('INSERT INTO outbox (id, topic, blob, sent) VALUES (?, ?, ?, 0)');
    this.#markSent = db.prepare('UPDATE outbox SET sent = 1 WHERE id = ?');
    this.#commit = db.transaction((raw: RawTransition): readonly string[] => {
      const duplicates = raw.processed.filter((id) => this.#hasProcessed.get(id) !== undefined);
      if (duplicates.length > 0) return duplicates;
      for (const row of raw.outbox) {
        if (this.#hasOutbox.get(row.id) !== undefined) throw new UsageError('USAGE_ARGUMENT', `outbox id "${row.id.slice(0, 80)}" already stored`);
      }
      for (const [name, blob] of raw.states) {
        if (blob === null) this.#deleteState.run(name);
        else this.#putState.run(name, blob);
      }
      for (const id of raw.processed) this.#putProcessed.run(id);
      for (const id of raw.forget) this.#deleteProcessed.run(id);
      for (const row of raw.outbox) this.#putOutbox.run(row.id, row.topic, row.blob);
      return [];
    });
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    const row = guard('load', () => this.#getState.get(name)) as { blob: unknown } | undefined;
    return row === undefined ? undefined : asBlob(row.blob, `state "${name.slice(0, 80)}"`);
  }

  async names(prefix: string): Promise<string[]> {
    const rows = guard('names', () => this.#names.all({ prefix, upper: upperBound(prefix) })) as unknown[];
    return rows.map((name) => {
      if (typeof name !== 'string') throw new StoreError('STORE_CORRUPT', 'states: name is not text');
      return name;
    });
  }

  async hasProcessed(id: string): Promise<boolean> {
    return guard('isProcessed', () => this.#hasProcessed.get(id) !== undefined);
  }

  async processedIds(prefix: string, strip: boolean): Promise<string[]> {
    const from = strip ? prefix.length + 1 : 1;
    const rows = guard('processedIds', () => this.#processedIds.all({ prefix, upper: upperBound(prefix), from })) as unknown[];
    return rows.filter((id): id is string => typeof id === 'string');
  }

  async commit(raw: RawTransition): Promise<readonly string[]> {
    const duplicates = guard('commit', () => this.#commit(raw));
    // Deleted or overwritten values (dropped secrets) live on in old WAL frames
    // until a checkpoint copies the pages back and the WAL is cut to zero.
    if (duplicates.length === 0 && raw.wipes === true) guard('checkpoint', () => this.#db.pragma('wal_checkpoint(TRUNCATE)'));
    return duplicates;
  }

  async outbox(unsentOnly: boolean): Promise<RawOutboxRow[]> {
    const sql = `SELECT id, topic, blob, sent FROM outbox${unsentOnly ? ' WHERE sent = 0' : ''} ORDER BY seq`;
    const rows = guard('outbox', () => this.#db.prepare(sql).all()) as { id: unknown; topic: unknown; blob: unknown; sent: unknown }[];
    return rows.map((row) => {
      if (typeof row.id !== 'string' || typeof row.topic !== 'string' || (row.sent !== 0 && row.sent !== 1)) {
        throw new StoreError('STORE_CORRUPT', 'outbox: malformed row');
      }
      return { id: row.id, topic: row.topic, blob: asBlob(row.blob, `outbox "${row.id.slice(0, 80)}"`), sent: row.sent === 1 };
    });
  }

  async markSent(ids: readonly string[]): Promise<void> {
    guard('markSent', () => this.#db.transaction(() => {
      for (const id of ids) this.#markSent.run(id);
    })());
  }

  async close(): Promise<void> {
    guard('close', () => this.#db.close());
  }
}

/** Options of `SqliteStore.open`. */
export type SqliteStoreOptions = StoreOptions & {
  /** How long to wait for another writer's lock before `STORE_LOCKED` (default 200 ms). */
  readonly busyTimeoutMs?: number;
};

/**
 * The on-disk store on SQLite. Open with `SqliteStore.open(path, options)`.
 *
 * @example
 * const store = await SqliteStore.open('peer.db', { passphrase: 'correct horse' });
 * await store.commit({ states: { 'group:ab': bytes }, processed: ['m1'] });
 * await store.close();
 */
export class SqliteStore extends EnvelopeStore {
  /**
   * Opens (creating when absent) the store at `path`. A store written by an
   * unknown newer format is refused before anything is written.
   * @throws StoreError `STORE_VERSION_UNSUPPORTED`, `STORE_CORRUPT`,
   *   `STORE_KEY`, `STORE_LOCKED`, `STORE_IO`; UsageError for bad options.
   */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (typeof path !== 'string' || path.length === 0) throw new UsageError('USAGE_ARGUMENT', 'SqliteStore.open path: expected a non-empty string');
    const crypto = options.crypto ?? defaultCryptoProvider();
    const Driver = loadDriver();
    const db = guard('open', () => new Driver(path, { timeout: options.busyTimeoutMs ?? 200 }));
    try {
      guard('open', () => inspect(db));
      guard('open', () => {
        db.pragma('locking_mode = EXCLUSIVE');
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        // freed cells and pages are zeroed: deleted secrets do not linger in the file
        db.pragma('secure_delete = ON');
        db.exec('BEGIN IMMEDIATE; COMMIT');
      });
      let found = guard('open', () => inspect(db));
      if (found.fresh) {
        const header = await createHeader(options, crypto);
        guard('create', () => db.transaction(() => {
          for (const statement of SCHEMA) db.exec(statement);
          db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('header', ?)").run(STORE_FORMAT_VERSION, header.bytes);
          db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
          db.pragma(`user_version = ${STORE_FORMAT_VERSION}`);
        })());
        found = guard('open', () => inspect(db));
        if (found.fresh) throw new StoreError('STORE_IO', 'sqlite store: schema creation did not persist');
        return new SqliteStore(new SqliteBackend(db), header.context);
      }
      const context = await unlockHeader(found.header, options, crypto);
      return new SqliteStore(new SqliteBackend(db), context);
    } catch (error) {
      db.close();
      throw error;
    }
  }
}
