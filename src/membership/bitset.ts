/**
 * Small immutable bit sets over operation indices (bit i = operation i in a
 * state's processing order). Stored trimmed (no trailing zero byte) so that
 * equal sets have equal bytes and encode identically.
 */

/** The empty set. */
export const EMPTY_BITS: Uint8Array = new Uint8Array(0);

/** True when bit `i` is set. */
export function hasBit(bits: Uint8Array, i: number): boolean {
  const byte = bits[i >> 3];
  return byte !== undefined && (byte & (1 << (i & 7))) !== 0;
}

/** A new set equal to `bits` plus bit `i`. */
export function withBit(bits: Uint8Array, i: number): Uint8Array {
  const length = Math.max(bits.length, (i >> 3) + 1);
  const out = new Uint8Array(length);
  out.set(bits);
  out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  return out;
}

/** A new set, the union of `a` and `b` (both trimmed, so the result is too). */
export function unionBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const out = new Uint8Array(long);
  for (let i = 0; i < short.length; i++) out[i] = (out[i] ?? 0) | (short[i] ?? 0);
  return out;
}

/** A new set, the bits of `a` also in `b` (trimmed). */
export function intersectBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  let end = Math.min(a.length, b.length);
  while (end > 0 && ((a[end - 1] ?? 0) & (b[end - 1] ?? 0)) === 0) end--;
  const out = new Uint8Array(end);
  for (let i = 0; i < end; i++) out[i] = (a[i] ?? 0) & (b[i] ?? 0);
  return out;
}

/** True when `a` and `b` share a bit. */
export function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (((a[i] ?? 0) & (b[i] ?? 0)) !== 0) return true;
  return false;
}

/** The set of `bits` with each index i moved to `map(i)` (undefined: dropped), trimmed; one pass, no copy per bit. */
export function mapBits(bits: Uint8Array, map: (i: number) => number | undefined): Uint8Array {
  const moved: number[] = [];
  let top = -1;
  for (const i of bitIndices(bits)) {
    const j = map(i);
    if (j === undefined) continue;
    moved.push(j);
    if (j > top) top = j;
  }
  if (top < 0) return EMPTY_BITS;
  const out = new Uint8Array((top >> 3) + 1);
  for (const j of moved) out[j >> 3] = (out[j >> 3] as number) | (1 << (j & 7));
  return out;
}

/** True when every bit of `a` is set in `b`. */
export function isSubset(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    if ((x & (b[i] ?? 0)) !== x) return false;
  }
  return true;
}

/**
 * True when `bits` holds the past of each op it holds (`pastOf(j)`, each
 * already known to be closed itself). Walks the ops from the top down and
 * checks only those not yet in the past of a checked one: the past of an op
 * inside a closed past is inside it too. So a past costs one subset check
 * per concurrent branch, not one per op (a welcome of h ops decoded in
 * O(h² / 8), not O(h³ / 8)).
 */
export function isCausallyClosed(bits: Uint8Array, pastOf: (op: number) => Uint8Array): boolean {
  let covered: Uint8Array = EMPTY_BITS;
  const indices = bitIndices(bits);
  for (let k = indices.length - 1; k >= 0; k--) {
    const j = indices[k] as number;
    if (hasBit(covered, j)) continue;
    const past = pastOf(j);
    if (!isSubset(past, bits)) return false;
    covered = unionBits(covered, past);
  }
  return true;
}

/** True when the two sets hold the same bits. */
export function equalBits(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && isSubset(a, b) && isSubset(b, a);
}

/** The indices of the set bits, ascending. */
export function bitIndices(bits: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits.length; i++) {
    const byte = bits[i] ?? 0;
    if (byte === 0) continue;
    for (let j = 0; j < 8; j++) if ((byte & (1 << j)) !== 0) out.push(i * 8 + j);
  }
  return out;
}

/** Set bits of each byte value (DCGKA counts a seen set for every message it reads: issue 13). */
const BYTE_BITS = Uint8Array.from({ length: 256 }, (_, byte) => {
  let n = 0;
  for (let x = byte; x !== 0; x &= x - 1) n++;
  return n;
});

/** Number of set bits. */
export function countBits(bits: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) n += BYTE_BITS[bits[i] as number] as number;
  return n;
}

/** True when the set is trimmed: empty, or its last byte is non-zero. */
export function isTrimmed(bits: Uint8Array): boolean {
  return bits.length === 0 || bits[bits.length - 1] !== 0;
}

/** The op index of a base entry (compact.ts): an add that every past and every scope holds. */
export const BASE_OP = -1;

/** `hasBit`, with the base (BASE_OP) held by every set. */
export function holdsOp(bits: Uint8Array, op: number): boolean {
  return op < 0 || hasBit(bits, op);
}

/** The lowest index below `limit` whose bit is clear, or `limit` when bits 0..limit-1 are all set. */
export function firstClear(bits: Uint8Array, limit: number): number {
  for (let i = 0; i < limit; i += 8) {
    const byte = bits[i >> 3] ?? 0;
    if (byte === 0xff) continue;
    for (let j = 0; j < 8 && i + j < limit; j++) if ((byte & (1 << j)) === 0) return i + j;
  }
  return limit;
}

/** The set with its first `k` bits dropped and every other bit moved down by `k` (trimmed). */
export function shiftDown(bits: Uint8Array, k: number): Uint8Array {
  const bytes = k >> 3;
  const shift = k & 7;
  if (bits.length <= bytes) return EMPTY_BITS;
  if (shift === 0) return bits.slice(bytes);
  const out = new Uint8Array(bits.length - bytes);
  for (let i = 0; i < out.length; i++) out[i] = ((bits[bytes + i] ?? 0) >> shift) | (((bits[bytes + i + 1] ?? 0) << (8 - shift)) & 0xff);
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return end === out.length ? out : out.slice(0, end);
}
