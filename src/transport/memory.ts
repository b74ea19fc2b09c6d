/**
 * An in-process transport: every `MemoryTransport` opened on the same
 * `MemoryNet` sees what the others publish (live, and by catching up).
 * For tests, demos and single-process simulations; the net can also be
 * edited directly (drop, inject or corrupt items) to test hostile input.
 */
import type { CryptoProvider } from '../crypto/index.js';
import { defaultCryptoProvider, toHex } from '../crypto/index.js';
import { StoreError } from '../errors.js';
import type { CatchUpOptions, IsKnown, ItemRef, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';

/** Options of a `MemoryNet`. */
export interface MemoryNetOptions {
  /**
   * When true, the net behaves as a log transport: each publisher appends to
   * its own log (named by the publisher, `injected` for `inject`), and items
   * carry their `position` (as Hypercore's do). Default false.
   */
  readonly logs?: boolean;
}

/** The shared medium: every item ever published, in publication order. */
export class MemoryNet {
  readonly items = new Map<string, TransportItem>();
  readonly #subscribers = new Set<MemoryTransport>();
  readonly #logs: Map<string, number> | undefined;
  /** When false, publications are stored but not pushed live (a partitioned or offline net). */
  live = true;

  constructor(options: MemoryNetOptions = {}) {
    this.#logs = options.logs === true ? new Map() : undefined;
  }

  /** @internal */
  add(item: TransportItem, from: MemoryTransport | undefined): void {
    if (this.items.has(item.id)) return;
    if (this.#logs !== undefined) {
      const log = item.origin.startsWith('memory:') ? item.origin.slice('memory:'.length) : item.origin;
      const seq = this.#logs.get(log) ?? 0;
      this.#logs.set(log, seq + 1);
      item = { ...item, origin: `log:${log}:${seq}`, position: { log, seq } };
    }
    this.items.set(item.id, item);
    if (!this.live) return;
    for (const subscriber of this.#subscribers) if (subscriber !== from) subscriber.deliver(item);
  }

  /** Puts arbitrary bytes on the net as if someone published them (for hostile-input tests). */
  inject(kind: TransportKind, bytes: Uint8Array, crypto: CryptoProvider = defaultCryptoProvider()): string {
    const id = toHex(crypto.sha256(bytes));
    this.add({ kind, id, bytes, origin: 'memory:injected' }, undefined);
    return id;
  }

  /** @internal */
  attach(transport: MemoryTransport): void {
    this.#subscribers.add(transport);
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    this.#subscribers.delete(transport);
  }
}

/**
 * One peer's view of a `MemoryNet`.
 * @example
 * const net = new MemoryNet();
 * const alice = await Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) });
 */
export class MemoryTransport implements Transport {
  readonly #net: MemoryNet;
  readonly #self: string;
  readonly #crypto: CryptoProvider;
  readonly #listeners = new Set<(item: TransportItem | TransportProblem) => void>();
  #closed = false;

  constructor(net: MemoryNet, self: string, crypto: CryptoProvider = defaultCryptoProvider()) {
    this.#net = net;
    this.#self = self;
    this.#crypto = crypto;
    net.attach(this);
  }

  /** @internal called by the net for live arrivals. */
  deliver(item: TransportItem): void {
    queueMicrotask(() => {
      if (this.#closed) return;
      for (const listener of this.#listeners) listener(item);
    });
  }

  /** See `Transport.publish`. */
  async publish(kind: TransportKind, bytes: Uint8Array): Promise<string> {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'memory transport is closed');
    const id = toHex(this.#crypto.sha256(bytes));
    this.#net.add({ kind, id, bytes: new Uint8Array(bytes), origin: `memory:${this.#self}` }, this);
    return id;
  }

  /** See `Transport.catchUp`: every item of the net not known (nor below a settled mark), in publication order. */
  async *catchUp(isKnown: IsKnown, options: CatchUpOptions = {}): AsyncIterable<TransportItem | TransportProblem> {
    for (const item of [...this.#net.items.values()]) {
      if (options.kinds !== undefined && !options.kinds.includes(item.kind)) continue;
      const at = item.position;
      if (at !== undefined && at.seq < (options.settled?.get(at.log) ?? 0)) continue;
      if (await isKnown(item.id, at)) continue;
      yield item;
    }
  }

  /** See `Transport.fetch`. */
  async fetch(ref: ItemRef): Promise<Uint8Array | TransportProblem> {
    const item = this.#net.items.get(ref.id);
    return item === undefined ? { kind: 'problem', origin: ref.origin, reason: 'vanished', permanent: false } : item.bytes;
  }

  /** See `Transport.subscribe`. */
  subscribe(listener: (item: TransportItem | TransportProblem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** See `Transport.close`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#net.detach(this);
  }
}
