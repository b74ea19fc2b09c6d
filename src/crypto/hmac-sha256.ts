/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) in plain JavaScript for short
 * messages, with the keyed state computed once per key.
 *
 * Why: MLS and HPKE derive almost every secret with one HMAC over a few
 * dozen bytes, and most keys are used several times (a secret tree node
 * keys four derivations, an HPKE key-schedule secret two or three). A
 * node:crypto HMAC costs a native object, a key import and a Buffer per
 * call — more than the four compressions of the work itself, and garbage
 * for the GC. Here a key costs two compressions once (the ipad and opad
 * blocks, kept as midstates), and each message after that two or three.
 *
 * Constant time in the data: only 32-bit additions, rotations and logic on
 * the message and key; no table lookup or branch depends on them (the round
 * constants are indexed by the round number). Checked against node:crypto
 * for every length 0…300 and against RFC 4231 (test/crypto/hmac-sha256.test.ts).
 */

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const ROUND_CONSTANTS = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const INITIAL_STATE = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Message schedule, reused by every compression (single-threaded JS: no call overlaps another). */
const schedule = new Int32Array(64);

/** FIPS 180-4 §6.2.2: folds the 64-byte block at `offset` of `block` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    w[i] = ((block[j] as number) << 24) | ((block[j + 1] as number) << 16) | ((block[j + 2] as number) << 8) | (block[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15] as number;
    const y = w[i - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const sigma1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const choose = (e & f) ^ (~e & g);
    const t1 = (h + sigma1 + choose + (ROUND_CONSTANTS[i] as number) + (w[i] as number)) | 0;
    const sigma0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const majority = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (sigma0 + majority) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/** A running SHA-256 over whole blocks plus a partial one. */
class Sha256Stream {
  readonly state = new Int32Array(8);
  private readonly pending = new Uint8Array(BLOCK_BYTES);
  private pendingLength = 0;
  private total = 0;

  /** Starts from `midstate`, which already covers `covered` bytes (a multiple of 64). */
  reset(midstate: Int32Array, covered: number): void {
    this.state.set(midstate);
    this.pendingLength = 0;
    this.total = covered;
  }

  update(data: Uint8Array): void {
    const length = data.length;
    const pending = this.pending;
    let offset = 0;
    this.total += length;
    if (this.pendingLength > 0) {
      // Byte copies, not subarray + set: the parts are a few dozen bytes, and a view per call is garbage.
      const take = Math.min(BLOCK_BYTES - this.pendingLength, length);
      for (let i = 0; i < take; i++) pending[this.pendingLength + i] = data[i] as number;
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < BLOCK_BYTES) return;
      compress(this.state, pending, 0);
      this.pendingLength = 0;
    }
    for (; offset + BLOCK_BYTES <= length; offset += BLOCK_BYTES) compress(this.state, data, offset);
    for (let i = offset; i < length; i++) pending[this.pendingLength++] = data[i] as number;
  }

  /** Pads (FIPS 180-4 §5.1.1), writes the digest into `out` at `outOffset` and wipes the buffered bytes. */
  finish(out: Uint8Array, outOffset: number): void {
    const bits = this.total * 8;
    const pending = this.pending;
    pending.fill(0, this.pendingLength);
    pending[this.pendingLength] = 0x80;
    if (this.pendingLength >= BLOCK_BYTES - 8) {
      compress(this.state, pending, 0);
      pending.fill(0);
    }
    const high = Math.floor(bits / 0x1_0000_0000);
    pending[56] = high >>> 24;
    pending[57] = (high >>> 16) & 0xff;
    pending[58] = (high >>> 8) & 0xff;
    pending[59] = high & 0xff;
    pending[60] = (bits >>> 24) & 0xff;
    pending[61] = (bits >>> 16) & 0xff;
    pending[62] = (bits >>> 8) & 0xff;
    pending[63] = bits & 0xff;
    compress(this.state, pending, 0);
    pending.fill(0);
    for (let i = 0; i < 8; i++) {
      const word = this.state[i] as number;
      out[outOffset + 4 * i] = word >>> 24;
      out[outOffset + 4 * i + 1] = (word >>> 16) & 0xff;
      out[outOffset + 4 * i + 2] = (word >>> 8) & 0xff;
      out[outOffset + 4 * i + 3] = word & 0xff;
    }
    this.state.fill(0);
    this.pendingLength = 0;
  }
}

const stream = new Sha256Stream();
const innerDigest = new Uint8Array(DIGEST_BYTES);

/** SHA-256 of the concatenation of `parts`. */
export function sha256Js(...parts: readonly Uint8Array[]): Uint8Array {
  stream.reset(INITIAL_STATE, 0);
  for (const part of parts) stream.update(part);
  const out = new Uint8Array(DIGEST_BYTES);
  stream.finish(out, 0);
  return out;
}

/** The keyed state of HMAC-SHA256: SHA-256 midstates after the ipad and opad blocks. Secret: wipe with `wipeHmacKey`. */
export interface HmacSha256Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** The keyed state for `key` (RFC 2104: a key longer than a block is hashed first). */
export function hmacSha256Key(key: Uint8Array): HmacSha256Key {
  const state = { inner: new Int32Array(8), outer: new Int32Array(8) };
  hmacSha256KeyInto(key, state);
  return state;
}

const keyBlock = new Uint8Array(BLOCK_BYTES);

/** Writes the keyed state for `key` into `target` (no allocation for keys up to a block). */
export function hmacSha256KeyInto(key: Uint8Array, target: HmacSha256Key): void {
  keyBlock.fill(0);
  keyBlock.set(key.length > BLOCK_BYTES ? sha256Js(key) : key);
  for (let i = 0; i < BLOCK_BYTES; i++) keyBlock[i] = (keyBlock[i] as number) ^ 0x36;
  target.inner.set(INITIAL_STATE);
  compress(target.inner, keyBlock, 0);
  for (let i = 0; i < BLOCK_BYTES; i++) keyBlock[i] = (keyBlock[i] as number) ^ 0x36 ^ 0x5c;
  target.outer.set(INITIAL_STATE);
  compress(target.outer, keyBlock, 0);
  keyBlock.fill(0);
  schedule.fill(0);
}

/** Wipes a keyed state (best effort). */
export function wipeHmacKey(key: HmacSha256Key): void {
  key.inner.fill(0);
  key.outer.fill(0);
}

/** HMAC-SHA256 under a keyed state of the concatenation of `parts`, written into `out` at `outOffset`. */
export function hmacSha256Into(key: HmacSha256Key, parts: readonly Uint8Array[], out: Uint8Array, outOffset: number): void {
  stream.reset(key.inner, BLOCK_BYTES);
  for (const part of parts) stream.update(part);
  stream.finish(innerDigest, 0);
  stream.reset(key.outer, BLOCK_BYTES);
  stream.update(innerDigest);
  stream.finish(out, outOffset);
  innerDigest.fill(0);
  schedule.fill(0);
}

/** HMAC-SHA256 under a keyed state of the concatenation of `parts`. */
export function hmacSha256Js(key: HmacSha256Key, ...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  hmacSha256Into(key, parts, out, 0);
  return out;
}
