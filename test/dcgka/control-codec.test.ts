/**
 * The control message codec (codec.ts) field by field: every edit of one
 * field of a genuine, correctly signed control message is refused with its
 * DECODE_* code (before the signature is even checked), and the forms the
 * codec still reads (version 1 without a manifest) are read.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, decodeCanonical, encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import { readControl } from '../../src/dcgka/index.js';
import { checkedDirect, decodeDirectPlaintext, encodeDirectPlaintext } from '../../src/dcgka/codec.js';
import { CONTROL_SIGNATURE_CONTEXT, MAX_CREATE_MEMBERS, MAX_MANIFEST_ENTRIES } from '../../src/dcgka/limits.js';
import { signWithIdentity } from '../../src/keys/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

function setup() {
  const sim = new DcgkaSim(['A', 'B', 'C']);
  sim.create('A', ['B', 'C']);
  sim.settle();
  sim.update('A');
  const update = sim.wire.at(-1)!;
  const [signed] = decodeCanonical(update.broadcast, 't') as [Uint8Array, Uint8Array];
  const inner = decodeCanonical(signed, 't') as unknown[];
  const a = sim.peer('A');
  /** `fields` signed by A (a correct signature: only the decoder can object). */
  const sign = (fields: unknown[]): Uint8Array => {
    const bytes = encodeCanonical(fields);
    return encodeCanonical([bytes, signWithIdentity(sim.deps, a.keys.identity, concatBytes(utf8(CONTROL_SIGNATURE_CONTEXT), bytes))]);
  };
  const read = (bytes: Uint8Array) => readControl(sim.ctx(sim.peer('B')), bytes);
  const code = (bytes: Uint8Array) => codeOf(() => read(bytes));
  return { sim, update, inner, sign, read, code, a };
}

describe('control message codec', () => {
  it('re-signing the genuine fields gives a message that reads the same (control for the edits below)', () => {
    const { inner, sign, read, update, sim } = setup();
    const again = read(sign(inner));
    const original = read(update.broadcast);
    expect(again).toEqual(original);
    expect(again.body.type).toBe('update');
    expect(again.sender).toBe(sim.id('A'));
  });

  it('refuses an outer envelope that is not [signed bytes, signature(64)] → DECODE_FIELD', () => {
    const { update, code } = setup();
    const [signed, signature] = decodeCanonical(update.broadcast, 't') as [Uint8Array, Uint8Array];
    for (const outer of [{ 0: signed, 1: signature, length: 2 }, [signed], [signed, signature, 0], ['signed', signature], [signed, 'signature'], [signed, signature.subarray(0, 63)], [signed, new Uint8Array(65)]]) {
      expect(code(encodeCanonical(outer))).toBe('DECODE_FIELD');
    }
  });

  it('refuses a signed part with a bad head: too short, unknown version, bad group or sender, bad seq or type', () => {
    const { inner, sign, code } = setup();
    const edit = (i: number, value: unknown) => inner.map((v, j) => (j === i ? value : v));
    expect(code(sign(inner.slice(0, 4)))).toBe('DECODE_FIELD');
    expect(code(sign({ ...inner, length: inner.length } as unknown as unknown[]))).toBe('DECODE_FIELD');
    expect(code(sign(edit(0, 5)))).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(code(sign(edit(0, 0)))).toBe('DECODE_VERSION_UNSUPPORTED');
    for (const i of [1, 2]) for (const bad of [new Uint8Array(31), new Uint8Array(33), 'ab'.repeat(32)]) expect(code(sign(edit(i, bad))), `field ${i}`).toBe('DECODE_FIELD');
    for (const bad of [-1, 1.5, '1']) expect(code(sign(edit(3, bad))), `seq ${String(bad)}`).toBe('DECODE_FIELD');
    for (const bad of [6, -1, '1', 1.5]) expect(code(sign(edit(4, bad))), `type ${String(bad)}`).toBe('DECODE_FIELD');
    // version 2 needs the manifest field
    expect(code(sign(inner.slice(0, 5)))).toBe('DECODE_FIELD');
  });

  it('refuses a malformed manifest → DECODE_FIELD, and reads a sorted one', () => {
    const { inner, sign, code, read } = setup();
    // the version-2 manifest form (a list of [tag, digest]); version 3 packs it in one byte string
    const withManifest = (manifest: unknown) => inner.map((v, j) => (j === 0 ? 2 : j === 5 ? manifest : v));
    const tag = (b: number) => new Uint8Array(8).fill(b);
    const digest = new Uint8Array(16);
    expect(read(sign(withManifest([[tag(1), digest], [tag(2), digest]]))).manifest).toHaveLength(2);
    const entries = (n: number) => Array.from({ length: n }, (_, i) => [new Uint8Array(8).map((_, k) => (k === 7 ? i & 255 : k === 6 ? i >> 8 : 0)), digest]);
    expect(read(sign(withManifest(entries(MAX_MANIFEST_ENTRIES)))).manifest).toHaveLength(MAX_MANIFEST_ENTRIES);
    for (const bad of [
      'manifest', { length: 0 }, [[tag(2), digest], [tag(1), digest]], [[tag(1).subarray(0, 7), digest]], [[tag(1), digest.subarray(0, 15)]],
      [[tag(1), digest, 0]], [[tag(1)]], [{ 0: tag(1), 1: digest, length: 2 }], [['x'.repeat(8), digest]], [[tag(1), 'x'.repeat(16)]],
      entries(MAX_MANIFEST_ENTRIES + 1),
    ]) {
      expect(code(sign(withManifest(bad)))).toBe('DECODE_FIELD');
    }
  });

  it('refuses bodies with the wrong fields for their type → DECODE_FIELD', () => {
    const { inner, sign, code, read, sim } = setup();
    const head = [2, ...inner.slice(1, 4)]; // version 2: the manifest as a list
    const manifest: unknown[] = [];
    const body = (type: number, ...fields: unknown[]) => sign([...head, type, manifest, ...fields]);
    const id = fromHex(sim.id('B'));
    const commitment = new Uint8Array(32);
    // well-formed bodies of each type are read
    expect(read(body(0, [id], commitment)).body.type).toBe('create');
    const most = read(body(0, Array.from({ length: MAX_CREATE_MEMBERS }, () => id), commitment)).body;
    expect(most.type === 'create' && most.members.length).toBe(MAX_CREATE_MEMBERS);
    expect(read(body(1, commitment)).body.type).toBe('update');
    expect(read(body(2, id, commitment)).body.type).toBe('remove');
    expect(read(body(3, id)).body.type).toBe('add');
    const ack = read(body(4, id, 7, 2)).body;
    expect(ack.type === 'ack' && [ack.ackedSender, ack.ackedSeq, ack.mode]).toEqual([sim.id('B'), 7, 'catch-up']);
    expect(read(body(4, id, 7, 1)).body).toMatchObject({ mode: 'rejoin' });
    expect(read(body(4, id, 0, 0)).body).toMatchObject({ mode: 'normal', ackedSeq: 0 });
    const addAck = read(body(5, id, 3)).body;
    expect(addAck.type === 'add-ack' && [addAck.ackedSender, addAck.ackedSeq]).toEqual([sim.id('B'), 3]);
    const bad: Uint8Array[] = [
      body(0, [id]), body(0, 'members', commitment), body(0, [id.subarray(1)], commitment), body(0, [id], commitment.subarray(1)),
      body(0, Array.from({ length: MAX_CREATE_MEMBERS + 1 }, () => id), commitment),
      body(1), body(1, commitment, 0), body(1, 'commitment'),
      body(2, id), body(2, id.subarray(1), commitment), body(2, id, commitment, new Uint8Array(1), 0),
      body(3), body(3, id, id), body(3, 'id'),
      body(4, id, 7), body(4, id, 7, 3), body(4, id, 7, -1), body(4, id, 7, 'normal'), body(4, id, 7, '1'), body(4, id, -1, 0), body(4, id, 1.5, 0), body(4, id.subarray(1), 7, 0),
      body(5, id), body(5, id, 3, 0), body(5, id, '3'), body(5, id.subarray(1), 3),
    ];
    for (const [i, bytes] of bad.entries()) expect(code(bytes), `case ${i}`).toBe('DECODE_FIELD');
  });

  it('a version-1 message (no manifest) is still read, and its direct part is taken as it comes', () => {
    const { inner, sign, read, sim } = setup();
    const v1 = read(sign([1, ...inner.slice(1, 5), ...inner.slice(6)]));
    expect(v1.manifest).toBeNull();
    expect(v1.body.type).toBe('update');
    const part = new Uint8Array([1, 2, 3]);
    expect(checkedDirect(sim.deps, v1, sim.id('B'), part)).toBe(part);
    expect(checkedDirect(sim.deps, v1, sim.id('B'), undefined)).toBeUndefined();
  });

  it('a direct plaintext binds group, seq and kind; version 1 bound the first 8 bytes of the group id', () => {
    const group = 'cd'.repeat(32);
    const payload = new Uint8Array([9, 9]);
    const plain = encodeDirectPlaintext(group, 5, 'seed', payload);
    expect([...decodeDirectPlaintext(plain, group, 5, 'seed')]).toEqual([9, 9]);
    expect(codeOf(() => decodeDirectPlaintext(plain, group, 6, 'seed'))).toBe('VERIFY_GROUP');
    expect(codeOf(() => decodeDirectPlaintext(plain, group, 5, 'forward'))).toBe('VERIFY_GROUP');
    expect(codeOf(() => decodeDirectPlaintext(plain, 'ce'.repeat(32), 5, 'seed'))).toBe('VERIFY_GROUP');
    const v1 = encodeCanonical([fromHex(group).subarray(0, 8), 5, 0, payload]);
    expect([...decodeDirectPlaintext(v1, group, 5, 'seed')]).toEqual([9, 9]);
    expect(codeOf(() => decodeDirectPlaintext(v1, `${'cd'.repeat(8)}${'00'.repeat(24)}`, 5, 'seed'))).not.toBeDefined();
    expect(codeOf(() => decodeDirectPlaintext(v1, `${'cc'.repeat(8)}${'cd'.repeat(24)}`, 5, 'seed'))).toBe('VERIFY_GROUP');
    for (const bytes of [encodeCanonical([fromHex(group).subarray(0, 9), 5, 0, payload]), encodeCanonical([fromHex(group).subarray(0, 16), 5, 0, payload])]) {
      expect(codeOf(() => decodeDirectPlaintext(bytes, group, 5, 'seed'))).toBe('VERIFY_GROUP');
    }
    for (const bytes of [encodeCanonical([fromHex(group), 5, 0]), encodeCanonical(['group', 5, 0, payload]), encodeCanonical([fromHex(group), 5, 0, 'payload']), encodeCanonical({ 0: fromHex(group), 1: 5, 2: 0, 3: payload, length: 4 })]) {
      expect(codeOf(() => decodeDirectPlaintext(bytes, group, 5, 'seed'))).toBe('DECODE_FIELD');
    }
  });
});
