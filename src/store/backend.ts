/**
 * The raw backend interface each storage engine implements (memory, SQLite,
 * IndexedDB), and the `Store` built on top of it: validation, envelopes,
 * idempotence reporting, call serialization and post-commit wiping live
 * here once, so every engine behaves the same.
 */
import { zeroize } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import { openBlob, sealBlob, type BlobContext } from './envelope.js';
import type { CommitResult, OutboxEntry, OutboxQuery, Store, Transition } from './types.js';

/** Longest accepted state name, message id or topic (UTF-16 code units). */
export const MAX_NAME_LENGTH = 1024;

/** A row of the outbox as stored (bytes still sealed). */
export interface RawOutboxRow {
  readonly id: string;
  readonly topic: string;
  readonly blob: Uint8Array;
  readonly sent: boolean;
}

/** A transition with every blob already sealed, ready for one backend transaction. */
export interface RawTransition {
  readonly states: readonly (readonly [name: string, blob: Uint8Array | null])[];
  readonly processed: readonly string[];
  /** Processed ids to delete (after the duplicate check, in the same transaction). */
  readonly forget: readonly string[];
  readonly outbox: readonly RawOutboxRow[];
  /** True when the transition drops secrets (`consumed`) or deletes blobs: durable stores then purge old copies (WAL). */
  readonly wipes?: boolean;
}

/**
 * What a storage engine provides. `commit` must run as ONE atomic
 * transaction that first looks up every processed id and writes nothing when
 * any is present (returning those duplicates), and must refuse (throw
 * `UsageError` `USAGE_ARGUMENT`, writing nothing) an outbox id already stored.
 */
export interface Backend {
  get(name: string): Promise<Uint8Array | undefined>;
  names(prefix: string): Promise<string[]>;
  hasProcessed(id: string): Promise<boolean>;
  /** Ids starting with `prefix`; with `strip`, without the prefix. */
  processedIds(prefix: string, strip: boolean): Promise<string[]>;
  commit(raw: RawTransition): Promise<readonly string[]>;
  outbox(unsentOnly: boolean): Promise<RawOutboxRow[]>;
  markSent(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new UsageError('USAGE_ARGUMENT', `${what}: expected a string of 1..${MAX_NAME_LENGTH} characters`);
  }
  return value;
}

function checkBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', `${what}: expected a Uint8Array`);
  return value;
}

function checkUnique(values: readonly string[], what: string): void {
  if (new Set(values).size !== values.length) throw new UsageError('USAGE_ARGUMENT', `${what}: an id appears twice`);
}

/** Validates a transition and seals its blobs. @throws UsageError `USAGE_ARGUMENT`. */
export function sealTransition(context: BlobContext, transition: Transition): RawTransition {
  if (typeof transition !== 'object' || transition === null) throw new UsageError('USAGE_ARGUMENT', 'transition: expected an object');
  const states = Object.entries(transition.states ?? {}).map(([name, blob]) => {
    checkName(name, 'transition.states name');
    if (blob === null) return [name, null] as const;
    return [name, sealBlob(context, 'state', [name], checkBytes(blob, `transition.states["${name.slice(0, 80)}"]`))] as const;
  });
  const processed = (transition.processed ?? []).map((id) => checkName(id, 'transition.processed id'));
  checkUnique(processed, 'transition.processed');
  const forget = (transition.forget ?? []).map((id) => checkName(id, 'transition.forget id'));
  checkUnique(forget, 'transition.forget');
  if (forget.length > 0) {
    const recorded = new Set(processed);
    const both = forget.find((id) => recorded.has(id));
    if (both !== undefined) throw new UsageError('USAGE_ARGUMENT', `transition: id "${both.slice(0, 80)}" is both processed and forgotten`);
  }
  const outbox = (transition.outbox ?? []).map((message) => {
    const id = checkName(message.id, 'transition.outbox id');
    const topic = checkName(message.topic, 'transition.outbox topic');
    const blob = sealBlob(context, 'outbox', [id, topic], checkBytes(message.bytes, 'transition.outbox bytes'));
    return { id, topic, blob, sent: false };
  });
  checkUnique(outbox.map((row) => row.id), 'transition.outbox');
  for (const secret of transition.consumed ?? []) checkBytes(secret, 'transition.consumed');
  const wipes = (transition.consumed ?? []).length > 0 || states.some(([, blob]) => blob === null);
  return { states, processed, forget, outbox, wipes };
}

/**
 * A `Store` over a raw backend. Public store classes extend it.
 * Calls are queued so that each runs alone, in call order.
 */
export class EnvelopeStore implements Store {
  readonly #backend: Backend;
  readonly #context: BlobContext;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Wraps an opened backend; the context comes from the unlocked header. */
  protected constructor(backend: Backend, context: BlobContext) {
    this.#backend = backend;
    this.#context = context;
  }

  #run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      if (this.#closed) throw new StoreError('STORE_CLOSED', 'store is closed');
      return task();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** See `Store.load`. */
  load(name: string): Promise<Uint8Array | undefined> {
    return this.#run(async () => {
      checkName(name, 'load name');
      const blob = await this.#backend.get(name);
      return blob === undefined ? undefined : openBlob(this.#context, 'state', [name], blob);
    });
  }

  /** See `Store.names`. */
  names(prefix = ''): Promise<string[]> {
    return this.#run(async () => {
      if (typeof prefix !== 'string') throw new UsageError('USAGE_ARGUMENT', 'names prefix: expected a string');
      const names = await this.#backend.names(prefix);
      return names.filter((name) => name.startsWith(prefix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    });
  }

  /** See `Store.isProcessed`. */
  isProcessed(messageId: string): Promise<boolean> {
    return this.#run(async () => this.#backend.hasProcessed(checkName(messageId, 'isProcessed id')));
  }

  /** See `Store.processedIds`. */
  processedIds(prefix = '', options: { readonly strip?: boolean } = {}): Promise<string[]> {
    return this.#run(async () => {
      if (typeof prefix !== 'string') throw new UsageError('USAGE_ARGUMENT', 'processedIds prefix: expected a string');
      return this.#backend.processedIds(prefix, options.strip === true);
    });
  }

  /** See `Store.commit`. */
  commit(transition: Transition): Promise<CommitResult> {
    return this.#run(async () => {
      const raw = sealTransition(this.#context, transition);
      const duplicates = await this.#backend.commit(raw);
      if (duplicates.length > 0) return { applied: false, duplicates: [...duplicates] };
      zeroize(...(transition.consumed ?? []));
      return { applied: true, duplicates: [] };
    });
  }

  /** See `Store.outbox`. */
  outbox(options: OutboxQuery = {}): Promise<OutboxEntry[]> {
    return this.#run(async () => {
      const rows = await this.#backend.outbox(options.unsentOnly === true);
      return rows.map((row) => ({ id: row.id, topic: row.topic, sent: row.sent, bytes: openBlob(this.#context, 'outbox', [row.id, row.topic], row.blob) }));
    });
  }

  /** See `Store.markSent`. */
  markSent(ids: readonly string[]): Promise<void> {
    return this.#run(async () => {
      if (!Array.isArray(ids)) throw new UsageError('USAGE_ARGUMENT', 'markSent ids: expected an array');
      for (const id of ids) checkName(id, 'markSent id');
      if (ids.length > 0) await this.#backend.markSent(ids);
    });
  }

  /** See `Store.close`. Waits for queued calls, then releases the backend. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = this.#queue.then(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#context.key?.fill(0);
      await this.#backend.close();
    });
    this.#queue = done.catch(() => undefined);
    return done;
  }
}
