/**
 * KeyObject caches for the Node provider: importing a key costs more than
 * using it, so each key is imported once.
 *
 * - Secret keys: a `WeakMap` keyed by the caller's `Uint8Array` (the entry
 *   dies with the array). The entry keeps a copy of the bytes and is
 *   re-imported when the array's content changed (zeroized or reused), so a
 *   stale KeyObject is never used.
 * - Public keys: a bounded `Map` keyed by hex (public data), oldest entry
 *   evicted first.
 */
import { constantTimeEqual, toHex } from '../bytes.js';

/** Default bound on cached public keys per cache. */
export const PUBLIC_KEY_CACHE_SIZE = 4096;

/**
 * A cache of values derived from secret byte arrays: a `WeakMap` keyed by the
 * caller's `Uint8Array` (the entry dies with the array). The entry keeps a copy
 * of the bytes and is re-imported when the array's content changed (zeroized or
 * reused), so a stale KeyObject is never used.
 */
export class SecretKeyCache<T> {
  private readonly entries = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly value: T }>();

  /** The cached value for `secret`, or the one `create` makes (then cached). */
  get(secret: Uint8Array, create: (secret: Uint8Array) => T): T {
    const hit = this.entries.get(secret);
    if (hit !== undefined && constantTimeEqual(hit.bytes, secret)) return hit.value;
    const value = create(secret);
    this.entries.set(secret, { bytes: Uint8Array.from(secret), value });
    return value;
  }
}

/** A bounded cache of values derived from public bytes, keyed by hex. */
export class PublicKeyCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly limit: number = PUBLIC_KEY_CACHE_SIZE) {}

  /** The cached value for `publicBytes`, or the one `create` makes (then cached). */
  get(publicBytes: Uint8Array, create: (publicBytes: Uint8Array) => T): T {
    const id = toHex(publicBytes);
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit;
    const value = create(publicBytes);
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(id, value);
    return value;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.entries.size;
  }
}
