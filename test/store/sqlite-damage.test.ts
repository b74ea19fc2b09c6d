/**
 * SqliteStore against damaged and foreign files: corrupted rows, truncated
 * and swapped blobs, newer versions. Every case gets a typed error and leaves
 * the file's rows (or bytes) exactly as they were.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { isGroupCryptError, type ErrorCode } from '../../src/errors.js';
import { SqliteStore, type StoreOptions } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'groupcrypt-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error, `expected ${code}`).toBeDefined();
  expect(isGroupCryptError(error) ? error.code : String(error)).toBe(code);
}

/** A closed store with two states and two outbox entries. */
async function seeded(options: StoreOptions = {}): Promise<string> {
  counter += 1;
  const path = join(dir, `s${counter}.db`);
  const store = await SqliteStore.open(path, options);
  await store.commit({ states: { a: new Uint8Array([1, 2, 3, 4]), b: new Uint8Array([5, 6]) }, processed: ['m1'], outbox: [{ id: 'o1', topic: 't', bytes: new Uint8Array([7]) }, { id: 'o2', topic: 't', bytes: new Uint8Array([8]) }] });
  await store.close();
  return path;
}

function raw(path: string, action: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    action(db);
  } finally {
    db.close();
  }
}

/** Every row of every table, to prove nothing was overwritten. */
function rows(path: string): string {
  let out = '';
  raw(path, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    out = JSON.stringify(tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}"`).all()]), (_, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value);
  });
  return out;
}

const fileHash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const blobOf = (db: Database.Database, name: string): Buffer => db.prepare('SELECT blob FROM states WHERE name = ?').pluck().get(name) as Buffer;

describe.each([
  ['plain', {}],
  ['encrypted', { encryptionKey: new Uint8Array(32).fill(3) }],
] as const)('SqliteStore damaged rows (%s)', (_label, options: StoreOptions) => {
  const cases: [string, (db: Database.Database) => void, (store: SqliteStore) => Promise<unknown>, ErrorCode][] = [
    ['a flipped byte in a state blob', (db) => {
      const blob = blobOf(db, 'a');
      blob[blob.length - 2] = (blob[blob.length - 2] ?? 0) ^ 1;
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(blob, 'a');
    }, (store) => store.load('a'), 'STORE_CORRUPT'],
    ['a truncated state blob', (db) => {
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(blobOf(db, 'a').subarray(0, 10), 'a');
    }, (store) => store.load('a'), 'STORE_CORRUPT'],
    ['an empty state blob', (db) => {
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(Buffer.alloc(0), 'a');
    }, (store) => store.load('a'), 'STORE_CORRUPT'],
    ['a state blob moved to another name', (db) => {
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(blobOf(db, 'b'), 'a');
    }, (store) => store.load('a'), 'STORE_CORRUPT'],
    ['a state blob with a newer envelope version', (db) => {
      const envelope = decodeCanonical(new Uint8Array(blobOf(db, 'a')), 'test') as Record<string, unknown>;
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(encodeCanonical({ ...envelope, v: 2 }), 'a');
    }, (store) => store.load('a'), 'STORE_VERSION_UNSUPPORTED'],
    ['a state blob with an unknown envelope field', (db) => {
      const envelope = decodeCanonical(new Uint8Array(blobOf(db, 'a')), 'test') as Record<string, unknown>;
      db.prepare('UPDATE states SET blob = ? WHERE name = ?').run(encodeCanonical({ ...envelope, x: 1 }), 'a');
    }, (store) => store.load('a'), 'STORE_CORRUPT'],
    ['a flipped byte in an outbox blob', (db) => {
      const blob = db.prepare("SELECT blob FROM outbox WHERE id = 'o2'").pluck().get() as Buffer;
      blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0x80;
      db.prepare("UPDATE outbox SET blob = ? WHERE id = 'o2'").run(blob);
    }, (store) => store.outbox(), 'STORE_CORRUPT'],
    ['an outbox row re-addressed to another topic', (db) => {
      db.prepare("UPDATE outbox SET topic = 'evil' WHERE id = 'o1'").run();
    }, (store) => store.outbox(), 'STORE_CORRUPT'],
    ['an outbox row with a bad sent flag', (db) => {
      db.prepare("UPDATE outbox SET sent = 5 WHERE id = 'o1'").run();
    }, (store) => store.outbox(), 'STORE_CORRUPT'],
    ['an outbox row with a text blob', (db) => {
      db.prepare("UPDATE outbox SET blob = 'text' WHERE id = 'o1'").run();
    }, (store) => store.outbox(), 'STORE_CORRUPT'],
  ];
  for (const [name, damage, read, code] of cases) {
    it(`${name} → ${code}, nothing overwritten, other data still readable`, async () => {
      const path = await seeded(options);
      raw(path, damage);
      const before = rows(path);
      const store = await SqliteStore.open(path, options);
      try {
        await rejectsWith(read(store), code);
        await rejectsWith(read(store), code);
        expect(await store.isProcessed('m1')).toBe(true);
        expect(await store.load('b') ?? await store.load('a')).toBeDefined();
      } finally {
        await store.close();
      }
      expect(rows(path)).toBe(before);
    });
  }
});

describe('SqliteStore foreign, damaged and newer files', () => {
  const openCases: [string, (path: string) => void, StoreOptions, ErrorCode][] = [
    ['a newer user_version', (path) => raw(path, (db) => db.pragma('user_version = 2')), {}, 'STORE_VERSION_UNSUPPORTED'],
    ['a newer header version', (path) => raw(path, (db) => {
      const header = decodeCanonical(new Uint8Array(db.prepare("SELECT value FROM meta WHERE key = 'header'").pluck().get() as Buffer), 'h') as Record<string, unknown>;
      db.prepare("UPDATE meta SET value = ? WHERE key = 'header'").run(encodeCanonical({ ...header, v: 9 }));
    }), {}, 'STORE_VERSION_UNSUPPORTED'],
    ['a garbled header', (path) => raw(path, (db) => db.prepare("UPDATE meta SET value = X'a1' WHERE key = 'header'").run()), {}, 'STORE_CORRUPT'],
    ['a missing header', (path) => raw(path, (db) => db.prepare("DELETE FROM meta WHERE key = 'header'").run()), {}, 'STORE_CORRUPT'],
    ['a schema_version row disagreeing with user_version', (path) => raw(path, (db) => db.prepare("UPDATE meta SET value = 7 WHERE key = 'schema_version'").run()), {}, 'STORE_CORRUPT'],
    ['a foreign application_id', (path) => raw(path, (db) => db.pragma('application_id = 1')), {}, 'STORE_CORRUPT'],
    ['scrypt parameters beyond the bounds (memory exhaustion)', (path) => raw(path, (db) => {
      const header = decodeCanonical(new Uint8Array(db.prepare("SELECT value FROM meta WHERE key = 'header'").pluck().get() as Buffer), 'h') as Record<string, unknown>;
      db.prepare("UPDATE meta SET value = ? WHERE key = 'header'").run(encodeCanonical({ ...header, N: 2 ** 30 }));
    }), { passphrase: 'pw', scrypt: { N: 1024, r: 8, p: 1 } }, 'STORE_CORRUPT'],
    ['a tampered key check (encrypted store)', (path) => raw(path, (db) => {
      const header = decodeCanonical(new Uint8Array(db.prepare("SELECT value FROM meta WHERE key = 'header'").pluck().get() as Buffer), 'h') as Record<string, Uint8Array>;
      const check = Uint8Array.from(header['check'] ?? []);
      check[check.length - 1] = (check[check.length - 1] ?? 0) ^ 1;
      db.prepare("UPDATE meta SET value = ? WHERE key = 'header'").run(encodeCanonical({ ...header, check }));
    }), { encryptionKey: new Uint8Array(32) }, 'STORE_KEY'],
  ];
  for (const [name, damage, options, code] of openCases) {
    it(`opening a store with ${name} → ${code}, file bytes unchanged`, async () => {
      const path = await seeded(options);
      damage(path);
      const before = fileHash(path);
      const beforeRows = rows(path);
      await rejectsWith(SqliteStore.open(path, options), code);
      expect(fileHash(path)).toBe(before);
      expect(rows(path)).toBe(beforeRows);
    });
  }

  it('a file that is not a database → STORE_CORRUPT, file unchanged', async () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, new Uint8Array(4096).fill(0x5a));
    const before = fileHash(path);
    await rejectsWith(SqliteStore.open(path), 'STORE_CORRUPT');
    expect(fileHash(path)).toBe(before);
  });

  it('another application\'s SQLite database → STORE_CORRUPT, unchanged', async () => {
    const path = join(dir, 'foreign.db');
    raw(path, (db) => db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi')"));
    const before = fileHash(path);
    await rejectsWith(SqliteStore.open(path), 'STORE_CORRUPT');
    expect(fileHash(path)).toBe(before);
  });
});

describe('SqliteStore locking and settings', () => {
  it('a second writer gets STORE_LOCKED until the first closes', async () => {
    const path = join(dir, 'locked.db');
    const first = await SqliteStore.open(path, { busyTimeoutMs: 0 });
    await first.commit({ states: { s: new Uint8Array([1]) } });
    await rejectsWith(SqliteStore.open(path, { busyTimeoutMs: 0 }), 'STORE_LOCKED');
    expect(await first.load('s')).toEqual(new Uint8Array([1]));
    await first.close();
    const second = await SqliteStore.open(path, { busyTimeoutMs: 0 });
    expect(await second.load('s')).toEqual(new Uint8Array([1]));
    await second.close();
  });

  it('uses the WAL journal, marks the file as a groupcrypt store, and leaves no WAL after close', async () => {
    const path = await seeded();
    raw(path, (db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('application_id', { simple: true })).toBe(0x47435354);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
    });
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('an encrypted store holds no plaintext blob bytes', async () => {
    counter += 1;
    const path = join(dir, `plaintext-${counter}.db`);
    const marker = new TextEncoder().encode('VERY-SECRET-MARKER-0123456789');
    const store = await SqliteStore.open(path, { encryptionKey: new Uint8Array(32).fill(1) });
    await store.commit({ states: { s: marker }, outbox: [{ id: 'o', topic: 't', bytes: marker }] });
    await store.close();
    expect(Buffer.from(readFileSync(path)).includes(Buffer.from(marker))).toBe(false);
  });
});
