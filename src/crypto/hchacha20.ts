/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): one ChaCha20 block without
 * the final addition, used to derive XChaCha20's sub-key. Portable (plain
 * 32-bit arithmetic); the Node provider pairs it with native
 * ChaCha20-Poly1305 to get XChaCha20-Poly1305 (§2.3 of the same draft).
 */
import { zeroize } from './bytes.js';

/** "expand 32-byte k" as four little-endian words (RFC 8439 §2.3). */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

function readLE32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] as number) | ((bytes[offset + 1] as number) << 8) | ((bytes[offset + 2] as number) << 16) | ((bytes[offset + 3] as number) << 24)) >>> 0;
}

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  let va = s[a] as number, vb = s[b] as number, vc = s[c] as number, vd = s[d] as number;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 16) | (vd >>> 16)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 12) | (vb >>> 20)) >>> 0;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 8) | (vd >>> 24)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 7) | (vb >>> 25)) >>> 0;
  s[a] = va; s[b] = vb; s[c] = vc; s[d] = vd;
}

/**
 * HChaCha20(key, nonce16): the 32-byte sub-key (state words 0–3 and 12–15
 * after 20 rounds). Expects a 32-byte key and a 16-byte nonce (checked by the caller).
 */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  for (let i = 0; i < 4; i++) s[i] = SIGMA[i] as number;
  for (let i = 0; i < 8; i++) s[4 + i] = readLE32(key, 4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = readLE32(nonce16, 4 * i);
  for (let round = 0; round < 10; round++) {
    quarterRound(s, 0, 4, 8, 12);
    quarterRound(s, 1, 5, 9, 13);
    quarterRound(s, 2, 6, 10, 14);
    quarterRound(s, 3, 7, 11, 15);
    quarterRound(s, 0, 5, 10, 15);
    quarterRound(s, 1, 6, 11, 12);
    quarterRound(s, 2, 7, 8, 13);
    quarterRound(s, 3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const words = [0, 1, 2, 3, 12, 13, 14, 15];
  for (let i = 0; i < 8; i++) {
    const w = s[words[i] as number] as number;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
  zeroize(new Uint8Array(s.buffer));
  return out;
}
