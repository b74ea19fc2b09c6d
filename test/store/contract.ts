/**
 * The store contract: the same cases run against every Store (MemoryStore and
 * SqliteStore under vitest, IndexedDbStore in a real headless Chromium).
 * No vitest import here: cases throw plain errors so the browser page can run them.
 */
import { isGroupCryptError, type ErrorCode } from '../../src/errors.js';
import type { Store, StoreOptions } from '../../src/store/index.js';

/** How the contract gets stores. */
export interface StoreFactory {
  /** A new, empty store (each call a different one). */
  fresh(options?: StoreOptions): Promise<Store>;
  /** Reopens the store most recently made by `fresh` (after it was closed); absent for non-durable stores. */
  reopen?(options?: StoreOptions): Promise<Store>;
  /** Whether encryption at rest is supported. */
  readonly encryption: boolean;
}

/** One named contract case. */
export interface ContractCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`contract: ${message}`);
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const equal = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((value, index) => value === b[index]);

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  try {
    await promise;
  } catch (error) {
    check(isGroupCryptError(error, code), `expected ${code}, got ${String((error as { code?: string }).code ?? error)}`);
    return;
  }
  throw new Error(`contract: expected ${code}, but the call succeeded`);
}

/** A canonical dump of everything observable in a store, to assert "nothing changed". */
export async function dump(store: Store): Promise<string> {
  const names = await store.names();
  const states = await Promise.all(names.map(async (name) => `${name}=${Array.from((await store.load(name)) ?? []).join(',')}`));
  const outbox = (await store.outbox()).map((entry) => `${entry.id}@${entry.topic}:${entry.sent ? 1 : 0}:${Array.from(entry.bytes).join(',')}`);
  return JSON.stringify({ states, outbox });
}

const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

/** The contract cases for one factory. */
export function storeContract(factory: StoreFactory): ContractCase[] {
  const cases: ContractCase[] = [];
  const add = (name: string, run: (store: Store) => Promise<void>): void => {
    cases.push({ name, run: async () => {
      const store = await factory.fresh();
      try {
        await run(store);
      } finally {
        await store.close();
      }
    } });
  };

  add('an empty store has nothing', async (store) => {
    check((await store.load('group:a')) === undefined, 'load of absent name');
    check((await store.names()).length === 0, 'names of empty store');
    check(!(await store.isProcessed('m1')), 'isProcessed of unknown id');
    check((await store.outbox()).length === 0, 'empty outbox');
  });

  add('processedIds lists recorded ids by prefix; names honour prefixes at the edges', async (store) => {
    await store.commit({ states: { 'a:1': bytes(1), 'a;': bytes(2), a: bytes(3), 'b:1': bytes(4) }, processed: ['msg:1', 'msg:2', 'bad:1', 'msg;'] });
    const ids = (await store.processedIds?.('msg:')) ?? ['msg:1', 'msg:2'];
    check(JSON.stringify([...ids].sort()) === JSON.stringify(['msg:1', 'msg:2']), 'processedIds by prefix');
    check(((await store.processedIds?.()) ?? ['', '', '', '']).length === 4, 'processedIds without prefix');
    const stripped = (await store.processedIds?.('msg:', { strip: true })) ?? ['1', '2'];
    check(JSON.stringify([...stripped].sort()) === JSON.stringify(['1', '2']), 'processedIds stripped of the prefix');
    check(JSON.stringify(await store.names('a:')) === JSON.stringify(['a:1']), 'names by prefix');
    check(JSON.stringify(await store.names('a')) === JSON.stringify(['a', 'a:1', 'a;']), 'names by a short prefix');
  });

  add('commit writes states, processed ids and outbox together', async (store) => {
    const result = await store.commit({ states: { 'group:a': bytes(1, 2, 3), keys: bytes(9) }, processed: ['m1'], outbox: [{ id: 'o1', topic: 't', bytes: bytes(7) }] });
    check(result.applied && result.duplicates.length === 0, 'applied');
    check(equal(await store.load('group:a'), bytes(1, 2, 3)) && equal(await store.load('keys'), bytes(9)), 'states written');
    check(await store.isProcessed('m1'), 'processed written');
    const outbox = await store.outbox();
    check(outbox.length === 1 && outbox[0]?.id === 'o1' && outbox[0].topic === 't' && !outbox[0].sent && equal(outbox[0].bytes, bytes(7)), 'outbox written');
  });

  add('forget deletes processed ids in the same commit; absent ids are ignored; a duplicate writes nothing', async (store) => {
    await store.commit({ processed: ['msg:1', 'msg:2', 'msg:3'] });
    const result = await store.commit({ states: { marks: bytes(1) }, processed: ['msg:4'], forget: ['msg:1', 'msg:3', 'bad:9'] });
    check(result.applied, 'applied');
    check(!(await store.isProcessed('msg:1')) && !(await store.isProcessed('msg:3')), 'forgotten');
    check((await store.isProcessed('msg:2')) && (await store.isProcessed('msg:4')), 'the others kept');
    check(JSON.stringify(((await store.processedIds?.()) ?? ['msg:2', 'msg:4']).sort()) === JSON.stringify(['msg:2', 'msg:4']), 'processedIds after forget');
    // a transition refused as a duplicate forgets nothing either
    const refused = await store.commit({ states: { marks: bytes(2) }, processed: ['msg:2'], forget: ['msg:4'] });
    check(!refused.applied && (await store.isProcessed('msg:4')) && equal(await store.load('marks'), bytes(1)), 'duplicate: nothing forgotten');
    // a forgotten id may be recorded again
    check((await store.commit({ processed: ['msg:1'] })).applied && (await store.isProcessed('msg:1')), 'recorded again');
  });

  add('stored bytes are copies in both directions', async (store) => {
    const input = bytes(1, 2, 3);
    await store.commit({ states: { s: input } });
    input.fill(0);
    const first = await store.load('s');
    check(equal(first, bytes(1, 2, 3)), 'caller mutation after commit does not reach the store');
    first?.fill(0);
    check(equal(await store.load('s'), bytes(1, 2, 3)), 'mutating a loaded blob does not reach the store');
  });

  add('null deletes a state; an empty blob is a value', async (store) => {
    await store.commit({ states: { a: bytes(1), b: new Uint8Array(0) } });
    await store.commit({ states: { a: null } });
    check((await store.load('a')) === undefined, 'deleted');
    check((await store.load('b'))?.length === 0, 'empty blob kept');
    check(JSON.stringify(await store.names()) === '["b"]', 'names after delete');
  });

  add('names filters by prefix and sorts', async (store) => {
    await store.commit({ states: { 'group:b': bytes(1), keys: bytes(2), 'group:a': bytes(3), 'group:ä': bytes(4), grou: bytes(5) } });
    check(JSON.stringify(await store.names('group:')) === '["group:a","group:b","group:ä"]', 'prefix group:');
    check(JSON.stringify(await store.names()) === '["grou","group:a","group:b","group:ä","keys"]', 'all names');
    check((await store.names('zzz')).length === 0, 'no match');
  });

  add('a re-delivered message is a no-op (whole transition skipped, consumed kept)', async (store) => {
    await store.commit({ states: { s: bytes(1) }, processed: ['m1'], outbox: [{ id: 'o1', topic: 't', bytes: bytes(1) }] });
    const before = await dump(store);
    const secret = bytes(5, 5, 5);
    const result = await store.commit({ states: { s: bytes(2), other: bytes(3) }, processed: ['m2', 'm1'], outbox: [{ id: 'o2', topic: 't', bytes: bytes(2) }], consumed: [secret] });
    check(!result.applied && JSON.stringify(result.duplicates) === '["m1"]', 'reported as duplicate');
    check((await dump(store)) === before, 'nothing written');
    check(!(await store.isProcessed('m2')), 'the new id of a skipped transition is not recorded');
    check(equal(secret, bytes(5, 5, 5)), 'consumed not wiped on a skipped commit');
  });

  add('consumed secrets are wiped only after an applied commit', async (store) => {
    const secret = bytes(8, 8, 8);
    await rejectsWith(store.commit({ states: { '': bytes(1) }, consumed: [secret] }), 'USAGE_ARGUMENT');
    check(equal(secret, bytes(8, 8, 8)), 'not wiped when the commit failed');
    await store.commit({ states: { s: bytes(1) }, consumed: [secret] });
    check(secret.every((value) => value === 0), 'wiped after success');
  });

  add('outbox keeps insertion order; markSent marks and persists; unsentOnly filters', async (store) => {
    await store.commit({ outbox: [{ id: 'o3', topic: 'x', bytes: bytes(3) }, { id: 'o1', topic: 'y', bytes: bytes(1) }] });
    await store.commit({ outbox: [{ id: 'o2', topic: 'x', bytes: bytes(2) }] });
    check((await store.outbox()).map((entry) => entry.id).join() === 'o3,o1,o2', 'insertion order');
    await store.markSent(['o1', 'unknown']);
    await store.markSent([]);
    check((await store.outbox({ unsentOnly: true })).map((entry) => entry.id).join() === 'o3,o2', 'unsentOnly');
    check((await store.outbox()).map((entry) => `${entry.id}:${entry.sent}`).join() === 'o3:false,o1:true,o2:false', 'sent flags');
    await store.markSent(['o1']);
    check((await store.outbox()).filter((entry) => entry.sent).length === 1, 'markSent is idempotent');
  });

  add('an outbox id already stored is refused and nothing is written', async (store) => {
    await store.commit({ outbox: [{ id: 'o1', topic: 't', bytes: bytes(1) }] });
    const before = await dump(store);
    await rejectsWith(store.commit({ states: { s: bytes(1) }, processed: ['m9'], outbox: [{ id: 'o1', topic: 't', bytes: bytes(2) }] }), 'USAGE_ARGUMENT');
    check((await dump(store)) === before, 'nothing written');
    check(!(await store.isProcessed('m9')), 'processed id not recorded');
  });

  add('malformed transitions are refused before anything is written', async (store) => {
    await store.commit({ states: { s: bytes(1) } });
    const before = await dump(store);
    const bad: unknown[] = [
      { states: { '': bytes(1) } },
      { states: { ['x'.repeat(1025)]: bytes(1) } },
      { states: { s: [1, 2] } },
      { processed: ['m1', 'm1'] },
      { processed: [''] },
      { processed: [7] },
      { forget: ['m1', 'm1'] },
      { forget: [''] },
      { processed: ['m2'], forget: ['m2'] },
      { outbox: [{ id: 'o', topic: 't', bytes: bytes(1) }, { id: 'o', topic: 't', bytes: bytes(2) }] },
      { outbox: [{ id: 'o', topic: '', bytes: bytes(1) }] },
      { outbox: [{ id: 'o', topic: 't', bytes: 'text' }] },
      { consumed: ['secret'] },
      null,
    ];
    for (const transition of bad) await rejectsWith(store.commit(transition as never), 'USAGE_ARGUMENT');
    await rejectsWith(store.load(''), 'USAGE_ARGUMENT');
    await rejectsWith(store.isProcessed(''), 'USAGE_ARGUMENT');
    await rejectsWith(store.markSent([''] as string[]), 'USAGE_ARGUMENT');
    check((await dump(store)) === before, 'nothing written');
    check(!(await store.isProcessed('m1')), 'nothing processed');
  });

  add('concurrent calls are serialized in call order', async (store) => {
    const commits = Array.from({ length: 20 }, (_, index) =>
      store.commit({ states: { counter: bytes(index) }, processed: [`m${index}`], outbox: [{ id: `o${index}`, topic: 't', bytes: bytes(index) }] }));
    const results = await Promise.all(commits);
    check(results.every((result) => result.applied), 'all applied');
    check(equal(await store.load('counter'), bytes(19)), 'last write wins');
    check((await store.outbox()).map((entry) => entry.id).join() === Array.from({ length: 20 }, (_, index) => `o${index}`).join(), 'order');
  });

  add('large blobs round-trip', async (store) => {
    const big = new Uint8Array(1 << 20).map((_, index) => (index * 31) & 0xff);
    await store.commit({ states: { big }, outbox: [{ id: 'big', topic: 't', bytes: big }] });
    check(equal(await store.load('big'), big), 'state');
    check(equal((await store.outbox())[0]?.bytes, big), 'outbox');
  });

  cases.push({ name: 'a closed store refuses every call; close is idempotent', run: async () => {
    const store = await factory.fresh();
    await store.close();
    await store.close();
    await rejectsWith(store.load('s'), 'STORE_CLOSED');
    await rejectsWith(store.names(), 'STORE_CLOSED');
    await rejectsWith(store.isProcessed('m'), 'STORE_CLOSED');
    await rejectsWith(store.commit({ states: { s: bytes(1) } }), 'STORE_CLOSED');
    await rejectsWith(store.outbox(), 'STORE_CLOSED');
    await rejectsWith(store.markSent(['o']), 'STORE_CLOSED');
  } });

  const reopen = factory.reopen;
  if (reopen !== undefined) {
    cases.push({ name: 'everything committed survives a reopen', run: async () => {
      const store = await factory.fresh();
      await store.commit({ states: { a: bytes(1), b: bytes(2) }, processed: ['m1'], outbox: [{ id: 'o1', topic: 't', bytes: bytes(1) }, { id: 'o2', topic: 't', bytes: bytes(2) }] });
      await store.markSent(['o2']);
      await store.commit({ states: { b: null } });
      const before = await dump(store);
      await store.close();
      const again = await reopen();
      try {
        check((await dump(again)) === before, 'same contents');
        check(await again.isProcessed('m1'), 'processed survives');
        check(!(await again.commit({ processed: ['m1'], states: { a: bytes(9) } })).applied, 'duplicate after reopen is skipped');
      } finally {
        await again.close();
      }
    } });
  }

  if (factory.encryption && reopen !== undefined) {
    cases.push({ name: 'encryption at rest with a key: right key reopens, wrong or missing key is STORE_KEY', run: async () => {
      const key = new Uint8Array(32).fill(7);
      const store = await factory.fresh({ encryptionKey: key });
      await store.commit({ states: { secret: bytes(1, 2) }, outbox: [{ id: 'o', topic: 't', bytes: bytes(3) }] });
      await store.close();
      await rejectsWith(reopen({ encryptionKey: new Uint8Array(32).fill(8) }), 'STORE_KEY');
      await rejectsWith(reopen(), 'STORE_KEY');
      await rejectsWith(reopen({ passphrase: 'x', scrypt: FAST_SCRYPT }), 'STORE_KEY');
      const again = await reopen({ encryptionKey: key });
      try {
        check(equal(await again.load('secret'), bytes(1, 2)) && equal((await again.outbox())[0]?.bytes, bytes(3)), 'decrypts');
      } finally {
        await again.close();
      }
    } });
    cases.push({ name: 'encryption at rest with a passphrase (scrypt, stored salt and parameters)', run: async () => {
      const store = await factory.fresh({ passphrase: 'correct horse', scrypt: FAST_SCRYPT });
      await store.commit({ states: { secret: bytes(4) } });
      await store.close();
      await rejectsWith(reopen({ passphrase: 'wrong horse' }), 'STORE_KEY');
      await rejectsWith(reopen({ encryptionKey: new Uint8Array(32) }), 'STORE_KEY');
      const again = await reopen({ passphrase: 'correct horse' });
      try {
        check(equal(await again.load('secret'), bytes(4)), 'decrypts');
      } finally {
        await again.close();
      }
    } });
    cases.push({ name: 'a plain store refuses a key; bad options are usage errors', run: async () => {
      const store = await factory.fresh();
      await store.close();
      await rejectsWith(reopen({ encryptionKey: new Uint8Array(32) }), 'STORE_KEY');
      await rejectsWith(factory.fresh({ encryptionKey: new Uint8Array(16) }), 'USAGE_KEY_LENGTH');
      await rejectsWith(factory.fresh({ passphrase: '' }), 'USAGE_ARGUMENT');
      await rejectsWith(factory.fresh({ passphrase: 'p', scrypt: { N: 1000, r: 8, p: 1 } }), 'USAGE_ARGUMENT');
    } });
  }
  return cases;
}
