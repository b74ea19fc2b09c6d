/**
 * A peer's home folder: its private state in one `SqliteStore`
 * (`HOME/groupcrypt.db`). Named blobs: `keys` (KeyManager), `name`, `registry`
 * (verified bundles of peers), `group:<hex>` (group state), `meta:<hex>`
 * (CLI facts about a group), `app:<hex>:<seq>` (decrypted application data).
 *
 * Outgoing net files go through the store's outbox: a command commits its
 * new state and its outgoing files in ONE transaction, then copies unsent
 * outbox entries into the net and marks them sent. A crash in between
 * loses nothing: the next command publishes them.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../crypto/index.js';
import { defaultDeps, toHex, utf8 } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import { createKeyManager, createKeyRegistry, decodeKeyManager, decodeKeyRegistry, encodeKeyManager, encodeKeyRegistry, identityOf } from '../keys/index.js';
import type { OutboxMessage, Store, Transition } from '../store/index.js';
import { SqliteStore } from '../store/index.js';
import type { NetKind } from './net.js';
import { publishFile } from './net.js';
import { encodeProfile } from './profile.js';

/** File name of the store inside the home folder. */
export const HOME_DB = 'groupcrypt.db';

/** An opened, initialised home. Close it when done. */
export class Home {
  readonly store: Store;
  readonly deps: Deps;
  readonly dir: string;
  keys: KeyManagerState;
  name: string;

  private constructor(dir: string, store: Store, deps: Deps, keys: KeyManagerState, name: string) {
    this.dir = dir;
    this.store = store;
    this.deps = deps;
    this.keys = keys;
    this.name = name;
  }

  /** This peer's id (hex of its identity public key). */
  get id(): string {
    return toHex(identityOf(this.keys).publicKey);
  }

  /**
   * Creates a new identity in `dir` (created when absent) and queues its
   * profile for the net, in one commit.
   * @throws StateError `STATE_DUPLICATE` when the home is already initialised.
   */
  static async init(dir: string, name: string | undefined, deps: Deps = defaultDeps()): Promise<Home> {
    await mkdir(dir, { recursive: true });
    const store = await SqliteStore.open(join(dir, HOME_DB), { crypto: deps.crypto });
    try {
      if ((await store.load('keys')) !== undefined) throw new StateError('STATE_DUPLICATE', `${dir} already holds an identity`);
      const keys = createKeyManager(deps);
      const chosen = name ?? `peer-${toHex(identityOf(keys).publicKey).slice(0, 8)}`;
      const profile = encodeProfile(keys, chosen, deps);
      const hash = toHex(deps.crypto.sha256(profile));
      await store.commit({
        states: { keys: encodeKeyManager(keys), name: utf8(chosen), registry: encodeKeyRegistry(createKeyRegistry()) },
        outbox: [{ id: `bundle:${hash}`, topic: 'bundle', bytes: profile }],
      });
      return new Home(dir, store, deps, keys, chosen);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * Opens an initialised home.
   * @throws UsageError `USAGE_ARGUMENT` when `dir` holds no identity (run `init`).
   */
  static async open(dir: string, deps: Deps = defaultDeps()): Promise<Home> {
    const path = join(dir, HOME_DB);
    const found = await stat(path).then(() => true, () => false);
    if (!found) throw new UsageError('USAGE_ARGUMENT', `${dir} is not a groupcrypt home (run "groupcrypt init" first)`);
    const store = await SqliteStore.open(path, { crypto: deps.crypto });
    try {
      const keysBytes = await store.load('keys');
      const nameBytes = await store.load('name');
      if (keysBytes === undefined || nameBytes === undefined) throw new UsageError('USAGE_ARGUMENT', `${dir} is not initialised (run "groupcrypt init")`);
      return new Home(dir, store, deps, decodeKeyManager(keysBytes), new TextDecoder().decode(nameBytes));
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** The registry of peers' verified bundles. */
  async registry(): Promise<KeyRegistryState> {
    const bytes = await this.store.load('registry');
    return bytes === undefined ? createKeyRegistry() : decodeKeyRegistry(bytes);
  }

  /** Builds an outbox message for a net file (its id is the content hash). */
  outgoing(kind: NetKind, bytes: Uint8Array): { message: OutboxMessage; hash: string } {
    const hash = toHex(this.deps.crypto.sha256(bytes));
    return { message: { id: `${kind}:${hash}`, topic: kind, bytes }, hash };
  }

  /**
   * Commits one transition; throws when it was skipped as a duplicate
   * (another process applied the same message first).
   * @throws StateError `STATE_DUPLICATE`.
   */
  async commit(transition: Transition): Promise<void> {
    const result = await this.store.commit(transition);
    if (!result.applied) throw new StateError('STATE_DUPLICATE', `already processed: ${result.duplicates.join(', ')}`);
  }

  /** Copies every unsent outbox entry into `NET/<id>/` and marks it sent. */
  async flush(net: string): Promise<number> {
    const pending = await this.store.outbox({ unsentOnly: true });
    for (const entry of pending) {
      await publishFile(net, this.id, entry.topic === 'bundle' ? 'bundle' : 'msg', entry.bytes, this.deps.crypto);
    }
    if (pending.length > 0) await this.store.markSent(pending.map((e) => e.id));
    return pending.length;
  }

  /** Releases the store. */
  async close(): Promise<void> {
    await this.store.close();
  }
}
