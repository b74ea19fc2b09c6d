/**
 * The application envelope byte by byte: the AEAD associated data and the
 * signed bytes follow the layout the module documents, every field is
 * checked on decoding, sender references fall back to the full id on a tag
 * clash, and the envelope CBOR reader is exact at its header boundaries.
 * Plus the Group API's argument checks (scheme, group id, labels).
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import {
  APPLICATION_SIGNATURE_CONTEXT, MAX_APPLICATION_BYTES, createGroup, encodeWireBundle, groupIdOf, joinGroup, openWireBundle, removeMember, send,
} from '../../src/group/index.js';
import type { GroupResult, IncomingMessage } from '../../src/group/index.js';
import { aeadData, decodeEnvelope, matchSender, senderRefFor, signedBytes } from '../../src/group/envelope.js';
import { decodeItems, encodeItems } from '../../src/group/envelope-cbor.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { errorOf } from '../helpers/errors.js';

const GROUP = 'ab'.repeat(32);
const SENDER = 'cd'.repeat(32);

describe('envelope: associated data and signed bytes', () => {
  const c = { scheme: 'data' as const, groupId: GROUP, sender: SENDER, epoch: 3, counter: 70_000, ad: utf8('doc') };

  it('the AEAD associated data is CBOR [scheme, group, sender, epoch, counter, ad]', () => {
    expect(aeadData(c)).toEqual(encodeCanonical([1, fromHex(GROUP), fromHex(SENDER), 3, 70_000, utf8('doc')]));
    expect(aeadData({ ...c, scheme: 'message', ad: undefined })).toEqual(encodeCanonical([0, fromHex(GROUP), fromHex(SENDER), 3, 70_000, new Uint8Array(0)]));
  });

  it('the signed bytes are the context then CBOR [version, scheme, group, sender, epoch, counter, lamport?, nonce, H(ciphertext), H(ad) or empty]', () => {
    const deps = new GroupSim(['A'], 'data').deps;
    const h = (b: Uint8Array): Uint8Array => deps.crypto.sha256(b);
    const ciphertext = utf8('ciphertext');
    const nonce = new Uint8Array(24).fill(1);
    const context = utf8(APPLICATION_SIGNATURE_CONTEXT);
    expect(signedBytes(deps, c, { version: 2, lamport: 9, nonce, ciphertext })).toEqual(
      concatBytes(context, encodeCanonical([2, 1, fromHex(GROUP), fromHex(SENDER), 3, 70_000, 9, nonce, h(ciphertext), h(utf8('doc'))])),
    );
    // v1 has no lamport; an empty or absent ad is not hashed; no nonce in the message scheme
    const plain = { ...c, scheme: 'message' as const, ad: new Uint8Array(0) };
    const empty = new Uint8Array(0);
    expect(signedBytes(deps, plain, { version: 1, lamport: 9, ciphertext })).toEqual(
      concatBytes(context, encodeCanonical([1, 0, fromHex(GROUP), fromHex(SENDER), 3, 70_000, empty, h(ciphertext), empty])),
    );
    expect(signedBytes(deps, { ...plain, ad: undefined }, { version: 1, lamport: 9, ciphertext })).toEqual(signedBytes(deps, plain, { version: 1, lamport: 9, ciphertext }));
    // a digest handed in is used as the ciphertext's
    expect(signedBytes(deps, plain, { version: 2, lamport: 0, ciphertext: empty }, h(ciphertext))).toEqual(signedBytes(deps, plain, { version: 2, lamport: 0, ciphertext }));
  });
});

describe('envelope: decoding checks every field', () => {
  const message = (fields: unknown[]): Uint8Array => Uint8Array.from(encodeCanonical(fields));
  const ref = new Uint8Array(4);
  const sig = new Uint8Array(64);
  const nonce = new Uint8Array(24);

  it('reads v1, v2 and (data scheme) v3 envelopes', () => {
    expect(decodeEnvelope(message([2, ref, 1, 2, 3, utf8('c'), sig]), 'message')).toEqual({ version: 2, senderRef: ref, epoch: 1, counter: 2, lamport: 3, ciphertext: utf8('c'), signature: sig });
    expect(decodeEnvelope(message([1, ref, 1, 2, utf8('c'), sig]), 'message').lamport).toBe(0);
    expect(decodeEnvelope(message([3, new Uint8Array(32), 1, 2, 3, nonce, utf8('c'), sig]), 'data').nonce).toEqual(nonce);
    expect(decodeEnvelope(message([1, ref, 1, 2, nonce, utf8('c'), sig]), 'data').nonce).toEqual(nonce);
  });

  it('refuses unknown versions, wrong arity and malformed fields, naming the field', () => {
    const cases: [string, Uint8Array, 'message' | 'data', string, string?][] = [
      ['v3 in the message scheme', message([3, ref, 1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_VERSION_UNSUPPORTED'],
      ['v5', message([5, ref, 1, 2, 3, nonce, utf8('c'), sig]), 'data', 'DECODE_VERSION_UNSUPPORTED'],
      ['v4 (a request for secrets: data scheme only) in the message scheme', message([4, ref, 1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_VERSION_UNSUPPORTED'],
      ['a version as bytes', message([new Uint8Array(1), ref, 1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_VERSION_UNSUPPORTED'],
      ['a data envelope read as message', message([2, ref, 1, 2, 3, nonce, utf8('c'), sig]), 'message', 'DECODE_FIELD'],
      ['a v2 message envelope without lamport', message([2, ref, 1, 2, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'fields'],
      ['a v2 message envelope with one field too many', message([2, ref, 1, 2, 3, utf8('c'), sig, sig]), 'message', 'DECODE_FIELD', 'fields'],
      ['a v1 data envelope with one field too many', message([1, ref, 1, 2, nonce, utf8('c'), sig, sig]), 'data', 'DECODE_FIELD', 'fields'],
      // refused by the item reader already (envelope-cbor.ts reads only unsigned integers and byte strings)
      ['a negative epoch', message([2, ref, -1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'items'],
      ['a fractional counter', message([2, ref, 1, 1.5, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'items'],
      ['a 5-byte sender reference', message([2, new Uint8Array(5), 1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'sender'],
      ['a sender reference as a number', message([2, 7, 1, 2, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'sender'],
      ['an epoch as bytes', message([2, ref, ref, 2, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'epoch'],
      ['a counter as bytes', message([2, ref, 1, ref, 3, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'counter'],
      ['a lamport time as bytes', message([2, ref, 1, 2, ref, utf8('c'), sig]), 'message', 'DECODE_FIELD', 'lamport'],
      ['a 12-byte nonce', message([2, ref, 1, 2, 3, new Uint8Array(12), utf8('c'), sig]), 'data', 'DECODE_FIELD', 'nonce'],
      ['a ciphertext as a number', message([2, ref, 1, 2, 3, 5, sig]), 'message', 'DECODE_FIELD', 'ciphertext'],
      ['a 63-byte signature', message([2, ref, 1, 2, 3, utf8('c'), new Uint8Array(63)]), 'message', 'DECODE_FIELD', 'signature'],
    ];
    for (const [what, bytes, scheme, code, field] of cases) {
      const e = errorOf(() => decodeEnvelope(bytes, scheme));
      expect(e.code, what).toBe(code);
      if (field === 'fields') expect(e.message, what).toMatch(/^envelope: expected [67] fields for the (message|data) scheme$/);
      else if (field === 'items') expect(e.message, what).toBe('envelope: fields must be integers or byte strings');
      else if (field) expect(e.message, what).toContain(`envelope.${field}:`);
    }
    expect(errorOf(() => decodeEnvelope('x' as unknown as Uint8Array, 'message')).code).toBe('DECODE_MALFORMED');
  });

  it(`refuses more than MAX_APPLICATION_BYTES before decoding; exactly that many is decoded`, () => {
    const huge = new Uint8Array(MAX_APPLICATION_BYTES + 1);
    expect(errorOf(() => decodeEnvelope(huge, 'message')).code).toBe('DECODE_TOO_LARGE');
    // the limit itself passes the size check (and fails later, on its content)
    expect(errorOf(() => decodeEnvelope(huge.subarray(1), 'message')).code).toBe('DECODE_FIELD');
  });
});

describe('envelope: sender references', () => {
  const me = '12345678'.padEnd(64, '0');
  const clash = '12345678'.padEnd(64, '1');
  const other = '87654321'.padEnd(64, '0');

  it('a 4-byte tag unless another known id shares it; then the full id', () => {
    expect(senderRefFor(me, [me, other])).toEqual(fromHex('12345678'));
    expect(senderRefFor(me, [me])).toEqual(fromHex('12345678'));
    expect(senderRefFor(me, [other, clash, me])).toEqual(fromHex(me));
    expect(senderRefFor(me, [clash])).toEqual(fromHex(me));
  });

  it('a tag matches every id it prefixes; a full id only itself', () => {
    expect(matchSender(fromHex('12345678'), [me, clash, other])).toEqual([me, clash]);
    expect(matchSender(fromHex(me), [me, clash, other])).toEqual([me]);
    expect(matchSender(fromHex('0000'), [me])).toEqual([]);
  });
});

describe('envelope CBOR: header boundaries', () => {
  it('writes the shortest header at each boundary, as the canonical encoder does, and reads it back', () => {
    const values = [23, 24, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER];
    for (const v of values) {
      expect(encodeItems([v]), String(v)).toEqual(encodeCanonical([v]));
      expect(decodeItems(encodeItems([v]), 1)).toEqual([v]);
    }
  });

  it('refuses truncated headers and lengths, indefinite lengths and integers beyond 2^53, saying which', () => {
    const cases: [number[], string, string][] = [
      [[0x81, 0x19, 0x01], 'DECODE_MALFORMED', 'truncated'],
      [[0x81, 0x5a, 0, 0, 0], 'DECODE_MALFORMED', 'truncated'],
      [[0x81, 0x42, 0x01], 'DECODE_MALFORMED', 'truncated'],
      [[0x81], 'DECODE_MALFORMED', 'truncated'],
      [[0x9f, 0, 0, 0, 0, 0, 0, 0, 1, 0], 'DECODE_MALFORMED', 'unsupported'],
      [[0x81, 0x1c, 0, 0, 0, 0, 0, 0, 0, 1], 'DECODE_MALFORMED', 'unsupported'],
      [[0x81, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'DECODE_MALFORMED', 'too large'],
      [[0x81, 0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0], 'DECODE_MALFORMED', 'too large'],
    ];
    for (const [bytes, code, text] of cases) {
      const e = errorOf(() => decodeItems(Uint8Array.from(bytes), 8));
      expect(e.code, bytes.join(',')).toBe(code);
      expect(e.message, bytes.join(',')).toContain(text);
    }
    // 2^53 - 1 in 8 bytes is fine
    expect(decodeItems(Uint8Array.from([0x81, 0x1b, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 8)).toEqual([Number.MAX_SAFE_INTEGER]);
  });
});

describe('Group API arguments and labels', () => {
  function sendOf(result: GroupResult): IncomingMessage {
    const o = result.outputs.find((x) => x.kind === 'send');
    if (o?.kind !== 'send') throw new Error('no send output');
    return openWireBundle(encodeWireBundle(o.message), '');
  }

  it('createGroup checks the scheme and takes a given group id; joinGroup checks scheme and label', () => {
    const sim = new GroupSim(['A', 'B'], 'message');
    const a = sim.peer('A');
    const b = sim.peer('B');
    expect(errorOf(() => createGroup(sim.ctx(a), { scheme: 'mls' as 'data', members: [b.id] })).code).toBe('USAGE_ARGUMENT');
    const created = createGroup(sim.ctx(a), { scheme: 'message', members: [b.id], groupId: GROUP });
    expect(groupIdOf(created.state)).toBe(GROUP);
    const o = created.outputs.find((x) => x.kind === 'send');
    if (o?.kind !== 'send') throw new Error('no send output');
    const invitation = openWireBundle(encodeWireBundle(o.message), b.id);
    // the same scheme given and labelled is fine; a bad scheme without a label is refused
    const joined = joinGroup(sim.ctx(b), { scheme: 'message', message: invitation });
    expect(joined.outputs.filter((x) => x.kind === 'joined')).toEqual([{ kind: 'joined', via: `${a.id}:0` }]);
    const unlabelled = { broadcast: invitation.broadcast, direct: invitation.direct as Uint8Array };
    expect(errorOf(() => joinGroup(sim.ctx(b), { scheme: 'mls' as 'data', message: unlabelled })).code).toBe('USAGE_ARGUMENT');
    expect(errorOf(() => joinGroup(sim.ctx(b), { message: { ...invitation, groupId: 'ef'.repeat(32) } })).code).toBe('VERIFY_GROUP');
    expect(errorOf(() => joinGroup(sim.ctx(b), { message: unlabelled }))).toMatchObject({ code: 'USAGE_ARGUMENT', message: expect.stringMatching(/^joinGroup: no scheme: /) as unknown });
    expect(errorOf(() => send(joined.state, sim.ctx(b), { plaintext: 'hi' as unknown as Uint8Array }))).toMatchObject({ code: 'USAGE_ARGUMENT', message: 'send: plaintext must be bytes' });
  });

  it('the remover records its own removal: the remove\'s op and the frontier of what it had read', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'data');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(9));
    sim.send('C');
    sim.settle(seeded(9));
    const a = sim.peer('A');
    const heard = a.state!.heard[sim.peer('C').id];
    expect(heard).toBeDefined();
    const removed = removeMember(a.state!, sim.ctx(a), sim.peer('C').id);
    const seq = a.state!.dcgka.clock.get(a.id);
    expect(removed.state.removals).toEqual([{ op: `${a.id}:${seq}`, member: sim.peer('C').id, frontier: heard }]);
    expect(sendOf(removed).broadcast[0]).toBe(0x82);
  });
});
