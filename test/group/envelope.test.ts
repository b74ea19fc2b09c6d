import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { decodeItems, encodeItems } from '../../src/group/envelope-cbor.js';
import { codeOf } from '../helpers/errors.js';

const arbItem = fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 70_000 }), fc.uint8Array({ maxLength: 300 }));


describe('envelope CBOR', () => {
  it('is byte-identical to the canonical CBOR encoder and round-trips', () => {
    fc.assert(fc.property(fc.array(arbItem, { maxLength: 8 }), (items) => {
      const ours = encodeItems(items);
      expect(ours).toEqual(encodeCanonical(items));
      expect(decodeItems(ours, 8).map((x) => (typeof x === 'number' ? x : [...x]))).toEqual(items.map((x) => (typeof x === 'number' ? x : [...x])));
      expect(decodeCanonical(ours, 'x')).toBeDefined();
    }), { numRuns: 200 });
  });

  it('rejects non-minimal headers, trailing bytes, truncation, other types and too many fields', () => {
    expect(codeOf(() => decodeItems(new Uint8Array([0x81, 0x18, 0x05]), 8))).toBe('DECODE_NON_CANONICAL');
    expect(codeOf(() => decodeItems(new Uint8Array([0x81, 0x59, 0x00, 0x01, 0xaa]), 8))).toBe('DECODE_NON_CANONICAL');
    expect(codeOf(() => decodeItems(new Uint8Array([0x81, 0x01, 0x00]), 8))).toBe('DECODE_TRAILING_BYTES');
    expect(codeOf(() => decodeItems(new Uint8Array([0x82, 0x01]), 8))).toBe('DECODE_MALFORMED');
    expect(codeOf(() => decodeItems(new Uint8Array([0x81, 0x43, 0x01]), 8))).toBe('DECODE_MALFORMED');
    expect(codeOf(() => decodeItems(new Uint8Array([0x81, 0x61, 0x41]), 8))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeItems(new Uint8Array([0x9f, 0x01, 0xff]), 8))).toBe('DECODE_MALFORMED');
    expect(codeOf(() => decodeItems(new Uint8Array([0xa0]), 8))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeItems(new Uint8Array([0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 8))).toBe('DECODE_FIELD');
  });
});
