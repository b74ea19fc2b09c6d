/**
 * The broadcast-channel transport: peers in browser tabs of one origin (or
 * in one page) exchange items over a `BroadcastChannel`. A channel object
 * never hears its own posts, so every peer opens its own.
 *
 * Nothing is stored by the channel: a peer that opens late asks the others
 * (`want`) to post again what they published in this session; what it still
 * misses arrives as new messages are written (the layers above buffer what
 * is not causally ready). Items are named by the SHA-256 of their bytes like
 * on every transport; where an item came from says nothing about its author.
 */
import type { CryptoProvider } from '../crypto/index.js';
import { defaultCryptoProvider, toHex } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import type { CatchUpOptions, IsKnown, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';

/** The part of `BroadcastChannel` this transport uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** Options of `BroadcastChannelTransport`. */
export interface BroadcastChannelTransportOptions {
  /** The channel name: peers on the same name hear each other. */
  readonly name: string;
  readonly crypto?: CryptoProvider;
  /** Opens the channel (default `new BroadcastChannel(name)`). */
  readonly open?: (name: string) => ChannelLike;
  /** Most items kept to answer `want` (oldest forgotten first; default 10,000). */
  readonly maxHeld?: number;
}

type Wire = { readonly t: 'item'; readonly kind: TransportKind; readonly bytes: Uint8Array } | { readonly t: 'want' };

const MAX_ITEM_BYTES = 64 * 1024 * 1024;

/**
 * A transport over one `BroadcastChannel`.
 * @example
 * const transport = new BroadcastChannelTransport({ name: 'my-app' });
 */
export class BroadcastChannelTransport implements Transport {
  readonly #crypto: CryptoProvider;
  readonly #channel: ChannelLike;
  readonly #listeners = new Set<(item: TransportItem | TransportProblem) => void>();
  /** Items this peer published in this session, by id (posted again on `want`). */
  readonly #published = new Map<string, { kind: TransportKind; bytes: Uint8Array }>();
  /** Items heard before anyone subscribed (handed out by the next `catchUp`). */
  #early: (TransportItem | TransportProblem)[] = [];
  readonly #maxHeld: number;
  #closed = false;
  /** Time (ms) of the last post or arrival: lets a page wait until the channel is quiet. */
  lastActivity = Date.now();

  constructor(options: BroadcastChannelTransportOptions) {
    if (typeof options.name !== 'string' || options.name.length === 0) throw new UsageError('USAGE_ARGUMENT', 'BroadcastChannelTransport name: expected a non-empty string');
    this.#crypto = options.crypto ?? defaultCryptoProvider();
    this.#maxHeld = options.maxHeld ?? 10_000;
    const open = options.open ?? ((name: string) => new BroadcastChannel(name) as unknown as ChannelLike);
    this.#channel = open(options.name);
    this.#channel.onmessage = (event: MessageEvent) => this.#arrive(event.data as unknown);
  }

  #arrive(data: unknown): void {
    if (this.#closed) return;
    this.lastActivity = Date.now();
    const wire = data as Partial<Wire> | null;
    if (wire?.t === 'want') {
      for (const [, item] of this.#published) this.#post({ t: 'item', kind: item.kind, bytes: item.bytes });
      return;
    }
    let found: TransportItem | TransportProblem;
    if (wire?.t !== 'item' || (wire.kind !== 'bundle' && wire.kind !== 'msg') || !(wire.bytes instanceof Uint8Array) || wire.bytes.length > MAX_ITEM_BYTES) {
      found = { kind: 'problem', origin: 'broadcast-channel', reason: 'DECODE_MALFORMED: not a transport item', permanent: true };
    } else {
      found = { kind: wire.kind, id: toHex(this.#crypto.sha256(wire.bytes)), bytes: wire.bytes, origin: 'broadcast-channel' };
    }
    if (this.#listeners.size === 0) {
      if (this.#early.length < this.#maxHeld) this.#early.push(found);
      return;
    }
    for (const listener of this.#listeners) listener(found);
  }

  #post(wire: Wire): void {
    this.lastActivity = Date.now();
    this.#channel.postMessage(wire);
  }

  /** See `Transport.publish`: posts the item (again when already published). @throws StoreError `STORE_CLOSED`. */
  async publish(kind: TransportKind, bytes: Uint8Array): Promise<string> {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'broadcast-channel transport is closed');
    const id = toHex(this.#crypto.sha256(bytes));
    if (!this.#published.has(id)) {
      this.#published.set(id, { kind, bytes: new Uint8Array(bytes) });
      if (this.#published.size > this.#maxHeld) this.#published.delete(this.#published.keys().next().value as string);
    }
    this.#post({ t: 'item', kind, bytes });
    return id;
  }

  /** See `Transport.catchUp`: items heard before a subscriber existed; asks the other peers to post theirs again. */
  async *catchUp(isKnown: IsKnown, options: CatchUpOptions = {}): AsyncIterable<TransportItem | TransportProblem> {
    const early = this.#early;
    this.#early = [];
    if (!this.#closed) this.#post({ t: 'want' });
    for (const item of early) {
      if (item.kind !== 'problem' && options.kinds !== undefined && !options.kinds.includes(item.kind)) continue;
      if (item.kind !== 'problem' && (await isKnown(item.id))) continue;
      yield item;
    }
  }

  /** See `Transport.subscribe`. */
  subscribe(listener: (item: TransportItem | TransportProblem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the channel; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#channel.close();
  }
}
