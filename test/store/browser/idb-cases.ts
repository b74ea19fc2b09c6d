/**
 * IndexedDB-specific cases (run in the browser page): newer database and
 * header versions, corrupted, truncated and swapped rows, the Web Locks
 * single-writer lock, and no plaintext at rest. Nothing here runs at import
 * time, so Node can list the case names.
 */
import { decodeCanonical, encodeCanonical } from '../../../src/crypto/index.js';
import { isGroupCryptError, type ErrorCode } from '../../../src/errors.js';
import { IndexedDbStore } from '../../../src/store/index.js';
import type { ContractCase } from '../contract.js';

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`idb: ${message}`);
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  check(isGroupCryptError(error, code), `expected ${code}, got ${String((error as { code?: string } | undefined)?.code ?? error)}`);
}

const wait = <T>(request: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

function rawOpen(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Every (store, key, value) of a database, hex-encoding bytes, to prove nothing changed. */
async function snapshot(name: string): Promise<string> {
  const db = await rawOpen(name);
  try {
    const out: unknown[] = [db.version];
    for (const store of Array.from(db.objectStoreNames).sort()) {
      const tx = db.transaction(store, 'readonly');
      const keys = await wait(tx.objectStore(store).getAllKeys());
      const values = await wait(tx.objectStore(store).getAll());
      out.push(store, keys, values);
    }
    return JSON.stringify(out, (_, value: unknown) => (value instanceof Uint8Array ? `hex:${Array.from(value).join('.')}` : value));
  } finally {
    db.close();
  }
}

async function rawPut(name: string, store: string, key: IDBValidKey, edit: (value: unknown) => unknown): Promise<void> {
  const db = await rawOpen(name);
  try {
    const tx = db.transaction(store, 'readwrite');
    const value = await wait(tx.objectStore(store).get(key));
    await wait(tx.objectStore(store).put(edit(value), key));
  } finally {
    db.close();
  }
}

async function seeded(name: string, options: { encryptionKey?: Uint8Array } = {}): Promise<void> {
  const store = await IndexedDbStore.open(name, options);
  await store.commit({ states: { a: new Uint8Array([1, 2, 3]), b: new Uint8Array([4]), c: new Uint8Array([5]) }, processed: ['m1'], outbox: [{ id: 'o1', topic: 't', bytes: new Uint8Array([6]) }] });
  await store.close();
}

const unique = (label: string): string => `idb-${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** The IndexedDB-only cases. */
export function indexedDbCases(): ContractCase[] {
  return [
    { name: 'IndexedDB: a database of a newer version → STORE_VERSION_UNSUPPORTED, unchanged', run: async () => {
      const name = unique('newer');
      const db = await rawOpen(name, 2, (created) => created.createObjectStore('future').put(new Uint8Array([9]), 'k'));
      db.close();
      const before = await snapshot(name);
      await rejectsWith(IndexedDbStore.open(name), 'STORE_VERSION_UNSUPPORTED');
      check((await snapshot(name)) === before, 'database unchanged');
    } },
    { name: 'IndexedDB: a newer header or garbled meta → typed error, unchanged', run: async () => {
      const newer = unique('header');
      await seeded(newer);
      await rawPut(newer, 'meta', 'header', (value) => encodeCanonical({ ...(decodeCanonical(value as Uint8Array, 'h') as object), v: 5 }));
      const before = await snapshot(newer);
      await rejectsWith(IndexedDbStore.open(newer), 'STORE_VERSION_UNSUPPORTED');
      check((await snapshot(newer)) === before, 'unchanged after newer header');
      const garbled = unique('garbled');
      await seeded(garbled);
      await rawPut(garbled, 'meta', 'schema_version', () => 3);
      const before2 = await snapshot(garbled);
      await rejectsWith(IndexedDbStore.open(garbled), 'STORE_CORRUPT');
      check((await snapshot(garbled)) === before2, 'unchanged after bad schema_version');
    } },
    { name: 'IndexedDB: corrupted, truncated, swapped and mistyped rows → STORE_CORRUPT, nothing overwritten', run: async () => {
      for (const options of [{}, { encryptionKey: new Uint8Array(32).fill(2) }]) {
        const name = unique('damaged');
        await seeded(name, options);
        await rawPut(name, 'states', 'a', (value) => (value as Uint8Array).subarray(0, 5));
        const original = await (async () => {
          const db = await rawOpen(name);
          try {
            return await wait(db.transaction('states').objectStore('states').get('c')) as Uint8Array;
          } finally {
            db.close();
          }
        })();
        await rawPut(name, 'states', 'b', () => original);
        await rawPut(name, 'states', 'c', () => 'not bytes');
        await rawPut(name, 'outbox', 1, (row) => ({ ...(row as object), topic: 'evil' }));
        const before = await snapshot(name);
        const store = await IndexedDbStore.open(name, options);
        try {
          await rejectsWith(store.load('a'), 'STORE_CORRUPT');
          await rejectsWith(store.load('b'), 'STORE_CORRUPT');
          await rejectsWith(store.load('c'), 'STORE_CORRUPT');
          await rejectsWith(store.outbox(), 'STORE_CORRUPT');
          check(await store.isProcessed('m1'), 'processed ids still readable');
        } finally {
          await store.close();
        }
        check((await snapshot(name)) === before, 'nothing overwritten');
      }
    } },
    { name: 'IndexedDB: a second opener gets STORE_LOCKED (Web Locks) until the first closes', run: async () => {
      const name = unique('lock');
      const first = await IndexedDbStore.open(name);
      await rejectsWith(IndexedDbStore.open(name), 'STORE_LOCKED');
      await first.commit({ states: { s: new Uint8Array([1]) } });
      await first.close();
      const second = await IndexedDbStore.open(name);
      check((await second.load('s'))?.[0] === 1, 'second opener reads');
      await second.close();
    } },
    { name: 'IndexedDB: an encrypted store holds no plaintext', run: async () => {
      const name = unique('plain');
      const marker = new TextEncoder().encode('VERY-SECRET-MARKER');
      const store = await IndexedDbStore.open(name, { encryptionKey: new Uint8Array(32).fill(1) });
      await store.commit({ states: { s: marker }, outbox: [{ id: 'o', topic: 't', bytes: marker }] });
      await store.close();
      check(!(await snapshot(name)).includes(`hex:${Array.from(marker).join('.')}`), 'marker bytes not stored');
      check(!(await snapshot(name)).includes(Array.from(marker).join('.')), 'marker bytes not inside any blob');
    } },
  ];
}
