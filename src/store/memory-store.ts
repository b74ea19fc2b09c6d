/**
 * In-memory store: for tests, ephemeral peers and as the reference of the
 * contract. Same envelopes and checks as the durable stores; nothing
 * survives the process.
 */
import { copyBytes, defaultCryptoProvider } from '../crypto/index.js';
import type { CryptoProvider } from '../crypto/index.js';
import { UsageError } from '../errors.js';
import { EnvelopeStore, type Backend, type RawOutboxRow, type RawTransition } from './backend.js';

class MemoryBackend implements Backend {
  readonly states = new Map<string, Uint8Array>();
  readonly processed = new Set<string>();
  readonly rows: RawOutboxRow[] = [];
  /** Position of each outbox row by id (marking sent stays O(1) per id in long runs). */
  readonly outboxIds = new Map<string, number>();

  async get(name: string): Promise<Uint8Array | undefined> {
    const blob = this.states.get(name);
    return blob === undefined ? undefined : copyBytes(blob);
  }

  async names(prefix: string): Promise<string[]> {
    return [...this.states.keys()].filter((name) => name.startsWith(prefix));
  }

  async hasProcessed(id: string): Promise<boolean> {
    return this.processed.has(id);
  }

  async processedIds(prefix: string, strip: boolean): Promise<string[]> {
    const ids = [...this.processed].filter((id) => id.startsWith(prefix));
    return strip ? ids.map((id) => id.slice(prefix.length)) : ids;
  }

  async commit(raw: RawTransition): Promise<readonly string[]> {
    const duplicates = raw.processed.filter((id) => this.processed.has(id));
    if (duplicates.length > 0) return duplicates;
    for (const row of raw.outbox) {
      if (this.outboxIds.has(row.id)) throw new UsageError('USAGE_ARGUMENT', `outbox id "${row.id.slice(0, 80)}" already stored`);
    }
    for (const [name, blob] of raw.states) {
      if (blob === null) this.states.delete(name);
      else this.states.set(name, copyBytes(blob));
    }
    for (const id of raw.processed) this.processed.add(id);
    for (const id of raw.forget) this.processed.delete(id);
    for (const row of raw.outbox) {
      this.outboxIds.set(row.id, this.rows.length);
      this.rows.push({ ...row, blob: copyBytes(row.blob) });
    }
    return [];
  }

  async outbox(unsentOnly: boolean): Promise<RawOutboxRow[]> {
    return this.rows.filter((row) => !unsentOnly || !row.sent).map((row) => ({ ...row, blob: copyBytes(row.blob) }));
  }

  async markSent(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const index = this.outboxIds.get(id);
      const row = index === undefined ? undefined : this.rows[index];
      if (index !== undefined && row !== undefined) this.rows[index] = { ...row, sent: true };
    }
  }

  async close(): Promise<void> {
    this.states.clear();
    this.processed.clear();
    this.rows.length = 0;
    this.outboxIds.clear();
  }
}

/**
 * A store held in memory. Blobs are copied in and out, so wiping consumed
 * secrets or mutating returned arrays never reaches stored data.
 *
 * @example
 * const store = new MemoryStore();
 * await store.commit({ states: { keys: new Uint8Array([1]) }, processed: ['m1'] });
 */
export class MemoryStore extends EnvelopeStore {
  /** Creates an empty in-memory store (clear blobs with checksums; no encryption). */
  constructor(options: { readonly crypto?: CryptoProvider } = {}) {
    const crypto = options.crypto ?? defaultCryptoProvider();
    super(new MemoryBackend(), { crypto, storeId: crypto.randomBytes(16), key: undefined });
  }
}
