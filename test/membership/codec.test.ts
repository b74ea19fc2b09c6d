/**
 * encodeMembership / decodeMembership: round trip, and every rejection path
 * (truncation, trailing bytes, version, non-canonical form, bad fields).
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { encodeMembershipV2 } from './legacy-codec.js';
import { decodeMembership, encodeMembership, memberView, members, MAX_MEMBERSHIP_BYTES } from '../../src/membership/index.js';
import { ack, add, create, remove, replay } from './replay.js';

const code = (c: string) => expect.objectContaining({ code: c });
const sample = () => replay([create('K', 'A', ['B', 'C']), add('W', 'B', 'X'), ...ack('X', 'W'), remove('R', 'C', 'B'), ...ack('A', 'W', 'R')]);
type Raw = { v: number; ops: { id: string; kind: string; actor: string; targets: string[]; past: Uint8Array }[]; seen: Record<string, Uint8Array> };
// The v1 layout (maps of text ids): states written before v3 must still be checked field by field.
const raw = (): Raw => decodeCanonical(encodeMembershipV2(sample()), 'test') as Raw;
const reencode = (edit: (r: Raw) => void): Uint8Array => { const r = raw(); edit(r); return encodeCanonical(r); };

describe('membership codec', () => {
  it('round-trips: same bytes, members and views', () => {
    const state = sample();
    const bytes = encodeMembership(state);
    const back = decodeMembership(bytes);
    expect(encodeMembership(back)).toEqual(bytes);
    expect(members(back)).toEqual(members(state));
    for (const id of ['A', 'B', 'C', 'X']) expect(memberView(back, id)).toEqual(memberView(state, id));
    expect(back.entries).toEqual(state.entries);
    expect(back.cancels).toEqual(state.cancels);
  });

  it('rejects truncation, trailing bytes, a wrong version and a non-canonical form', () => {
    const bytes = encodeMembershipV2(sample());
    expect(() => decodeMembership(bytes.subarray(0, bytes.length - 1))).toThrow(code('DECODE_MALFORMED'));
    expect(() => decodeMembership(new Uint8Array([...bytes, 0]))).toThrow(code('DECODE_TRAILING_BYTES'));
    expect(() => decodeMembership(reencode((r) => { r.v = 5; }))).toThrow(code('DECODE_VERSION_UNSUPPORTED'));
    expect(() => decodeMembership(reencode((r) => { r.v = 2; }))).toThrow(code('DECODE_FIELD')); // v2 needs a base
    // the same map with its keys out of canonical order
    const r = raw();
    const parts = [new Uint8Array([0xa3]), ...['seen', 'v', 'ops'].flatMap((k) => [encodeCanonical(k), encodeCanonical(r[k as keyof Raw])])];
    const unsorted = new Uint8Array(parts.flatMap((p) => [...p]));
    expect(() => decodeMembership(unsorted)).toThrow(code('DECODE_NON_CANONICAL'));
    expect(() => decodeMembership(new Uint8Array(MAX_MEMBERSHIP_BYTES + 1))).toThrow(code('DECODE_TOO_LARGE'));
  });

  it('rejects bad fields', () => {
    const cases: [string, (r: Raw) => void, string][] = [
      ['no ops', (r) => { r.ops = []; }, 'DECODE_FIELD'],
      ['create not first', (r) => { r.ops = [r.ops[1]!, r.ops[0]!]; }, 'DECODE_FIELD'],
      ['two creates', (r) => { r.ops[1]!.kind = 'create'; }, 'DECODE_FIELD'],
      ['unknown kind', (r) => { r.ops[1]!.kind = 'update'; }, 'DECODE_FIELD'],
      ['duplicate id', (r) => { r.ops[2]!.id = 'W'; }, 'DECODE_FIELD'],
      ['two targets', (r) => { r.ops[1]!.targets = ['X', 'Y']; }, 'DECODE_FIELD'],
      ['unsorted create', (r) => { r.ops[0]!.targets = ['B', 'A', 'C']; }, 'DECODE_FIELD'],
      ['creator missing', (r) => { r.ops[0]!.targets = ['B', 'C']; }, 'DECODE_FIELD'],
      ['empty id', (r) => { r.ops[1]!.actor = ''; }, 'DECODE_FIELD'],
      ['past refers forward', (r) => { r.ops[1]!.past = new Uint8Array([0b11]); }, 'DECODE_FIELD'],
      ['past trailing zero', (r) => { r.ops.push({ id: 'Z', kind: 'add', actor: 'A', targets: ['Z'], past: new Uint8Array([1, 0]) }); }, 'DECODE_NON_CANONICAL'],
      ['past not closed', (r) => { r.ops.push({ id: 'Z', kind: 'add', actor: 'A', targets: ['Z'], past: new Uint8Array([0b100]) }); }, 'DECODE_FIELD'],
      ['seen beyond ops', (r) => { r.seen['A'] = new Uint8Array([0, 1]); }, 'DECODE_FIELD'],
      ['seen not closed', (r) => { r.seen['Q'] = new Uint8Array([0b100]); }, 'DECODE_FIELD'],
      ['extra field', (r) => { (r as unknown as Record<string, unknown>)['x'] = 1; }, 'DECODE_FIELD'],
      ['past not bytes', (r) => { (r.ops[1] as unknown as Record<string, unknown>)['past'] = [1]; }, 'DECODE_FIELD'],
    ];
    for (const [name, edit, expected] of cases) {
      expect(() => decodeMembership(reencode(edit)), name).toThrow(code(expected));
    }
  });
});
