/**
 * decodeCanonical's shortcut (issue 13): items made only of integers, byte
 * strings, arrays, false, true and null are read in one pass that checks
 * every head is shortest, instead of a generic decode and a re-encoding.
 * Both paths must give the same values, refuse the same non-canonical bytes
 * and accept the same canonical ones.
 */
import { describe, expect, it } from 'vitest';
import { NOT_PLAIN, decodeCanonical, decodePlain, encodeCanonical } from '../../src/crypto/cbor.js';
import { codeOf } from '../helpers/errors.js';

const isPlain = (bytes: Uint8Array): boolean => decodePlain(bytes) !== NOT_PLAIN;

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

describe('canonical CBOR without re-encoding', () => {
  it('accepts the encoder\'s output of plain values, at every head width, and decodes them to the same value', () => {
    const values: unknown[] = [
      0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -24, -25, -256, -257, -65537,
      new Uint8Array(0), new Uint8Array(23), new Uint8Array(24), new Uint8Array(300), new Uint8Array(70000),
      [], [1, [2, [3, new Uint8Array(5)]], null, true, false], Array.from({ length: 24 }, (_, i) => i), Array.from({ length: 300 }, () => null),
    ];
    for (const value of values) {
      const bytes = encodeCanonical(value);
      expect(isPlain(bytes), JSON.stringify(value)).toBe(true);
      expect(Buffer.compare(encodeCanonical(decodePlain(bytes)), bytes)).toBe(0);
      expect(Buffer.compare(encodeCanonical(decodeCanonical(bytes, 't')), bytes)).toBe(0);
    }
  });

  it('leaves other types and 8-byte arguments to the re-encoding (which still accepts canonical ones)', () => {
    for (const value of [{ a: 1 }, 'text', 1.5, 2 ** 40, [1, 'x'], [{ b: new Uint8Array(1) }]]) {
      const bytes = encodeCanonical(value);
      expect(isPlain(bytes), JSON.stringify(value)).toBe(false);
      expect(decodeCanonical(bytes, 't')).toEqual(value);
    }
  });

  it('refuses every longer-than-needed head, in either path', () => {
    const longer = [
      '1817', // 23 in one extra byte
      '190018', // 24 in two bytes
      '1a0000ffff', // 65535 in four bytes
      '1b0000000000000001', // 1 in eight bytes
      '3817', // -24 in one extra byte
      '5803010203', // 3-byte string with a 1-byte length
      '980101', // 1-item array with a 1-byte length
      '8218170102'.slice(0, 6), // [23-in-one-extra-byte, ...] truncated
      '82011817', // [1, 23 in one extra byte]
    ];
    for (const h of longer) {
      const bytes = hex(h);
      expect(isPlain(bytes), h).toBe(false);
      expect(codeOf(() => decodeCanonical(bytes, 't')), h).not.toBeUndefined();
    }
  });

  it('gives the generic decoder\'s values: plain numbers, fresh byte copies (never views of the input), nested arrays', () => {
    const input = Buffer.from(encodeCanonical([1, -300, new Uint8Array([7, 8, 9]), [[], [null, true, false]], 70000]));
    const value = decodePlain(input) as unknown[];
    expect(value).toEqual([1, -300, new Uint8Array([7, 8, 9]), [[], [null, true, false]], 70000]);
    const bytes = value[2] as Uint8Array;
    expect(Buffer.isBuffer(bytes)).toBe(false);
    bytes[0] = 0;
    expect(decodePlain(input)).toEqual(value.map((v, i) => (i === 2 ? new Uint8Array([7, 8, 9]) : v)));
  });

  it('says nothing of trailing bytes or truncated items (decodeCanonical refuses them)', () => {
    for (const h of ['0101', '820102ff', '8201', '4301', '']) {
      expect(isPlain(hex(h)), h).toBe(false);
      expect(codeOf(() => decodeCanonical(hex(h), 't')), h).not.toBeUndefined();
    }
  });
});
