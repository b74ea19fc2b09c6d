/**
 * The JavaScript SHA-256 / HMAC-SHA256 (src/crypto/hmac-sha256.ts) against
 * node:crypto for every message length around the padding edges and keys
 * shorter than, equal to and longer than a block, against RFC 4231; and the
 * Node provider's HMAC / HKDF paths built on it (last-key state, wiped or
 * reused key arrays, multi-block HKDF output) against the portable provider.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeCryptoProvider, fromHex, toHex, utf8 } from '../../src/crypto/index.js';
import { hmacSha256Js, hmacSha256Key, sha256Js } from '../../src/crypto/hmac-sha256.js';
import { NODE, PORTABLE } from './providers.js';

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 17 + 7) & 0xff);
}

describe('JavaScript SHA-256 and HMAC-SHA256', () => {
  it('SHA-256 equals node:crypto for every length 0…300, also split into parts', () => {
    for (let length = 0; length <= 300; length++) {
      const data = bytes(length, length);
      const expected = createHash('sha256').update(data).digest('hex');
      expect(toHex(sha256Js(data))).toBe(expected);
      const cut = Math.floor(length / 3);
      expect(toHex(sha256Js(data.subarray(0, cut), data.subarray(cut, 2 * cut), data.subarray(2 * cut)))).toBe(expected);
    }
  });

  it('HMAC-SHA256 equals node:crypto for keys of 0…200 bytes and messages of 0…300 bytes', () => {
    for (const keyLength of [0, 1, 31, 32, 33, 63, 64, 65, 100, 200]) {
      const key = bytes(keyLength, keyLength + 1);
      const state = hmacSha256Key(key);
      for (let length = 0; length <= 300; length += keyLength === 32 ? 1 : 7) {
        const data = bytes(length, length + 3);
        const expected = createHmac('sha256', key).update(data).digest('hex');
        expect(toHex(hmacSha256Js(state, data))).toBe(expected);
        expect(toHex(hmacSha256Js(state, data.subarray(0, length >> 1), data.subarray(length >> 1)))).toBe(expected);
      }
    }
  });

  it('RFC 4231 test cases 1, 2 and 6', () => {
    expect(toHex(hmacSha256Js(hmacSha256Key(new Uint8Array(20).fill(0x0b)), utf8('Hi There'))))
      .toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(toHex(hmacSha256Js(hmacSha256Key(utf8('Jefe')), utf8('what do ya want for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(toHex(hmacSha256Js(hmacSha256Key(new Uint8Array(131).fill(0xaa)), utf8('Test Using Larger Than Block-Size Key - Hash Key First'))))
      .toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });
});

describe('Node provider HMAC and HKDF on the JavaScript HMAC', () => {
  it('match the portable provider: HMAC and SHA-256 around the native cut-over, HKDF extract, expand of 1…100 bytes', () => {
    const key = bytes(32, 1);
    for (const length of [0, 1, 64, 255, 256, 257, 1000]) {
      const data = bytes(length, 2);
      expect(NODE.hmacSha256(key, data)).toEqual(PORTABLE.hmacSha256(key, data));
      expect(NODE.sha256(data)).toEqual(PORTABLE.sha256(data));
      expect(NODE.hkdfExtract(data.subarray(0, 40), key)).toEqual(PORTABLE.hkdfExtract(data.subarray(0, 40), key));
    }
    expect(NODE.hkdfExtract(new Uint8Array(0), key)).toEqual(PORTABLE.hkdfExtract(new Uint8Array(0), key));
    for (let length = 1; length <= 100; length++) {
      expect(NODE.hkdfExpand(key, utf8('info'), length)).toEqual(PORTABLE.hkdfExpand(key, utf8('info'), length));
    }
    expect(NODE.hkdfExpand(key, bytes(300, 3), 32)).toEqual(PORTABLE.hkdfExpand(key, bytes(300, 3), 32));
  });

  it('RFC 5869 test case 1 (extract then expand to 42 bytes)', () => {
    const prk = NODE.hkdfExtract(fromHex('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b));
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(toHex(NODE.hkdfExpand(prk, fromHex('f0f1f2f3f4f5f6f7f8f9'), 42)))
      .toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('no keyed state outlives its call: after an HMAC and an HKDF-Expand, the provider\'s scratch state is all zeros (a consumed key must not stay in the provider)', () => {
    const provider = new NodeCryptoProvider();
    const scratch = (provider as unknown as { hmacScratch: { inner: Int32Array; outer: Int32Array } }).hmacScratch;
    provider.hmacSha256(bytes(32, 5), utf8('message'));
    expect([...scratch.inner, ...scratch.outer].every((w) => w === 0)).toBe(true);
    provider.hkdfExpand(bytes(32, 6), utf8('info'), 32);
    expect([...scratch.inner, ...scratch.outer].every((w) => w === 0)).toBe(true);
  });

  it('a key array reused with new content, or wiped, gives the HMAC of its new content', () => {
    const key = bytes(32, 9);
    const data = utf8('message');
    const first = NODE.hmacSha256(key, data);
    expect(NODE.hmacSha256(key, data)).toEqual(first);
    key[0] = (key[0] as number) ^ 1;
    expect(NODE.hmacSha256(key, data)).toEqual(PORTABLE.hmacSha256(key, data));
    expect(NODE.hmacSha256(key, data)).not.toEqual(first);
    key.fill(0);
    expect(NODE.hkdfExpand(key, data, 32)).toEqual(PORTABLE.hkdfExpand(key, data, 32));
    const long = bytes(100, 4); // longer than a block: hashed first
    expect(NODE.hmacSha256(long, data)).toEqual(PORTABLE.hmacSha256(long, data));
    long[99] = 0;
    expect(NODE.hmacSha256(long, data)).toEqual(PORTABLE.hmacSha256(long, data));
  });
});
