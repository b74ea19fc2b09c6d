/**
 * encodeOrderer / decodeOrderer: round trip and rejection paths.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { createOrderer, decodeOrderer, drainReady, encodeOrderer, enqueue, MAX_ORDERER_BYTES, type OrderedMessage } from '../../src/ordering/index.js';

const code = (c: string) => expect.objectContaining({ code: c });
const msg = (sender: string, seq: number, deps: { sender: string; seq: number }[] = []): OrderedMessage =>
  ({ sender, seq, deps, digest: new Uint8Array([1, seq]), payload: new Uint8Array([seq, 7]) });

function sample() {
  let s = createOrderer({ start: { j: 2 }, maxPending: 10 });
  for (const m of [msg('a', 0), msg('a', 1), msg('b', 2, [{ sender: 'a', seq: 1 }]), msg('c', 0, [{ sender: 'b', seq: 1 }])]) s = enqueue(s, m).state;
  return drainReady(s).state;
}
type Raw = Record<string, unknown> & { pending: Record<string, unknown>[]; next: Record<string, number>; recent: Record<string, { seq: number; digest: Uint8Array }[]> };
const raw = (): Raw => decodeCanonical(encodeOrderer(sample()), 't') as Raw;
const reencode = (edit: (r: Raw) => void) => { const r = raw(); edit(r); return encodeCanonical(r); };

describe('orderer codec', () => {
  it('round-trips', () => {
    const s = sample();
    expect(s.pending).toHaveLength(2);
    expect(Object.keys(s.recent)).toEqual(['a']);
    const bytes = encodeOrderer(s);
    expect(decodeOrderer(bytes)).toEqual(s);
    expect(encodeOrderer(decodeOrderer(bytes))).toEqual(bytes);
  });

  it('rejects truncation, trailing bytes, a wrong version, non-canonical form, oversize', () => {
    const bytes = encodeOrderer(sample());
    expect(() => decodeOrderer(bytes.subarray(0, bytes.length - 1))).toThrow(code('DECODE_MALFORMED'));
    expect(() => decodeOrderer(new Uint8Array([...bytes, 0]))).toThrow(code('DECODE_TRAILING_BYTES'));
    expect(() => decodeOrderer(reencode((r) => { r['v'] = 2; }))).toThrow(code('DECODE_VERSION_UNSUPPORTED'));
    const r = raw();
    const keys = ['pending', 'v', 'next', 'recent', 'maxPending'];
    const unsorted = new Uint8Array([0xa5, ...keys.flatMap((k) => [...encodeCanonical(k), ...encodeCanonical(r[k])])]);
    expect(() => decodeOrderer(unsorted)).toThrow(code('DECODE_NON_CANONICAL'));
    expect(() => decodeOrderer(new Uint8Array(MAX_ORDERER_BYTES + 1))).toThrow(code('DECODE_TOO_LARGE'));
  });

  it('rejects bad fields', () => {
    const cases: [string, (r: Raw) => void, string][] = [
      ['pending unsorted', (r) => { r.pending.reverse(); }, 'DECODE_FIELD'],
      ['pending already delivered', (r) => { r.pending[0]!['seq'] = 0; r.pending[0]!['sender'] = 'a'; }, 'DECODE_FIELD'],
      ['pending self dep', (r) => { r.pending[0]!['deps'] = [{ sender: r.pending[0]!['sender'], seq: r.pending[0]!['seq'] }]; }, 'DECODE_FIELD'],
      ['pending over maxPending', (r) => { r['maxPending'] = 1; }, 'DECODE_FIELD'],
      ['maxPending zero', (r) => { r['maxPending'] = 0; }, 'DECODE_FIELD'],
      ['next zero stored', (r) => { r.next['z'] = 0; }, 'DECODE_NON_CANONICAL'],
      ['recent not yet delivered', (r) => { r.recent['a']![0]!.seq = 5; }, 'DECODE_FIELD'],
      ['recent empty list', (r) => { r.recent['q'] = []; }, 'DECODE_FIELD'],
      ['empty digest', (r) => { r.pending[0]!['digest'] = new Uint8Array(0); }, 'DECODE_FIELD'],
      ['extra field', (r) => { r['x'] = 1; }, 'DECODE_FIELD'],
    ];
    for (const [name, edit, expected] of cases) expect(() => decodeOrderer(reencode(edit)), name).toThrow(code(expected));
  });
});
