/**
 * The wire bundle's edges: the v0 form still written for hand-built control
 * messages, every malformed v1/v0 shape refused with `DECODE_FIELD`, and the
 * bare-envelope sniffing at its exact boundaries.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import { applicationPosition, encodeWireBundle, openWireBundle, send } from '../../src/group/index.js';
import type { OutgoingMessage } from '../../src/group/index.js';
import { isLabelledBundle } from '../../src/group/wire.js';
import { codeOf, errorOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

const ME = '11'.repeat(32);
const OTHER = '22'.repeat(32);
const GROUP = 'ab'.repeat(32);
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** A hand-built control message (no group label): the v0 bundle form. */
function handBuilt(direct: OutgoingMessage['direct']): OutgoingMessage {
  return { control: true, broadcast: bytes(0x82, 1, 2), direct };
}

describe('wire bundle v0 (written for unlabelled messages, read for old peers)', () => {
  it('a message labelled with only one of group id and scheme is not labelled: v0', () => {
    const direct = [{ recipient: ME, bytes: bytes(7) }];
    const unlabelled = encodeWireBundle(handBuilt(direct));
    expect(encodeWireBundle({ ...handBuilt(direct), groupId: GROUP })).toEqual(unlabelled);
    expect(encodeWireBundle({ ...handBuilt(direct), scheme: 'data' })).toEqual(unlabelled);
    expect(encodeWireBundle({ ...handBuilt(direct), groupId: GROUP, scheme: 'data' })[0]).toBe(0x85);
  });


  it('an unlabelled control message becomes [0, broadcast, directs] with the directs sorted by recipient; each recipient gets its own part', () => {
    const mine = { recipient: ME, bytes: bytes(7) };
    const theirs = { recipient: OTHER, bytes: bytes(8, 9) };
    const bundle = encodeWireBundle(handBuilt([theirs, mine]));
    expect(bundle[0]).toBe(0x83);
    expect(bundle).toEqual(encodeCanonical([0, bytes(0x82, 1, 2), [[fromHex(ME), bytes(7)], [fromHex(OTHER), bytes(8, 9)]]]));
    // the order handed in does not matter
    expect(encodeWireBundle(handBuilt([mine, theirs]))).toEqual(bundle);
    expect(isLabelledBundle(bundle)).toBe(false);
    expect(openWireBundle(bundle, ME)).toEqual({ broadcast: bytes(0x82, 1, 2), direct: bytes(7) });
    expect(openWireBundle(bundle, OTHER)).toEqual({ broadcast: bytes(0x82, 1, 2), direct: bytes(8, 9) });
    // no part for a third member, and a v0 bundle carries no group, scheme or associated data
    expect(openWireBundle(bundle, '33'.repeat(32), bytes(5))).toEqual({ broadcast: bytes(0x82, 1, 2) });
  });

  it('an unlabelled application message is its bare envelope', () => {
    const envelope = bytes(0x86, 0x02, 0, 0, 0, 0);
    expect(encodeWireBundle({ control: false, broadcast: envelope, direct: [] })).toBe(envelope);
  });

  it('a labelled message becomes v1, with the associated data attached on opening', () => {
    const bundle = encodeWireBundle({ ...handBuilt([{ recipient: ME, bytes: bytes(7) }]), groupId: GROUP, scheme: 'data' });
    expect(isLabelledBundle(bundle)).toBe(true);
    expect(bundle).toEqual(encodeCanonical([1, fromHex(GROUP), 1, bytes(0x82, 1, 2), [[fromHex(ME), bytes(7)]]]));
    expect(openWireBundle(bundle, ME, bytes(5))).toEqual({ broadcast: bytes(0x82, 1, 2), direct: bytes(7), ad: bytes(5), groupId: GROUP, scheme: 'data' });
    expect(openWireBundle(bundle, OTHER)).toEqual({ broadcast: bytes(0x82, 1, 2), groupId: GROUP, scheme: 'data' });
    const message = encodeWireBundle({ control: false, broadcast: bytes(0x86, 2), direct: [], groupId: GROUP, scheme: 'message' });
    expect(openWireBundle(message, ME)).toEqual({ broadcast: bytes(0x86, 2), groupId: GROUP, scheme: 'message' });
  });
});

describe('malformed wire bundles are refused with DECODE_FIELD', () => {
  const good = [1, fromHex(GROUP), 0, bytes(0x82), [[fromHex(ME), bytes(7)]]];
  const v1 = (change: (v: unknown[]) => void): Uint8Array => {
    const value = [...good];
    change(value);
    return encodeCanonical(value);
  };

  it('v1: every field checked', () => {
    expect(openWireBundle(v1(() => undefined), ME).direct).toEqual(bytes(7));
    const cases: [string, (v: unknown[]) => void][] = [
      ['version 0 under a v1 header', (v) => { v[0] = 0; }],
      ['a 31-byte group id', (v) => { v[1] = new Uint8Array(31); }],
      ['a group id that is not bytes', (v) => { v[1] = 'ab'; }],
      ['scheme 2', (v) => { v[2] = 2; }],
      ['a scheme that is text', (v) => { v[2] = 'data'; }],
      ['a broadcast that is not bytes', (v) => { v[3] = 5; }],
      ['directs that are not a list', (v) => { v[4] = bytes(1); }],
      ['a direct entry of 3 items', (v) => { v[4] = [[fromHex(ME), bytes(7), bytes(8)]]; }],
      ['a direct entry that is not a list', (v) => { v[4] = [bytes(7)]; }],
      ['a 31-byte recipient', (v) => { v[4] = [[new Uint8Array(31), bytes(7)]]; }],
      ['a recipient that is not bytes', (v) => { v[4] = [[ME, bytes(7)]]; }],
      ['a direct part that is not bytes', (v) => { v[4] = [[fromHex(ME), 7]]; }],
    ];
    for (const [what, change] of cases) expect(codeOf(() => openWireBundle(v1(change), ME)), what).toBe('DECODE_FIELD');
    // 4 or 6 items: another CBOR header, so no v1 bundle at all
    expect(codeOf(() => openWireBundle(encodeCanonical([1, fromHex(GROUP), 0, bytes(0x82)]), ME))).toBe('DECODE_MALFORMED');
  });

  it('v0: version and broadcast checked, and its directs as in v1', () => {
    expect(codeOf(() => openWireBundle(encodeCanonical([1, bytes(0x82), []]), ME))).toBe('DECODE_FIELD');
    expect(codeOf(() => openWireBundle(encodeCanonical([0, 'x', []]), ME))).toBe('DECODE_FIELD');
    expect(codeOf(() => openWireBundle(encodeCanonical([0, bytes(0x82), {}]), ME))).toBe('DECODE_FIELD');
    expect(codeOf(() => openWireBundle(encodeCanonical([0, bytes(0x82), [[fromHex(ME)]]]), ME))).toBe('DECODE_FIELD');
    expect(openWireBundle(encodeCanonical([0, bytes(0x82), []]), ME)).toEqual({ broadcast: bytes(0x82) });
  });

  it('anything else: DECODE_MALFORMED, also for a value that is not bytes', () => {
    expect(errorOf(() => openWireBundle('a string' as unknown as Uint8Array, ME))).toMatchObject({ code: 'DECODE_MALFORMED', message: 'wire-bundle: expected bytes' });
    // damaged CBOR under either bundle header is reported as a wire bundle's
    for (const header of [0x85, 0x83]) expect(errorOf(() => openWireBundle(bytes(header, 0x01), ME)).message).toMatch(/^wire-bundle/);
    expect(codeOf(() => openWireBundle(new Uint8Array(0), ME))).toBe('DECODE_MALFORMED');
  });

  it('a bare envelope is an array of 6 to 8 items whose first is 1, 2 or 3; its neighbours are refused', () => {
    for (const head of [0x86, 0x87, 0x88]) {
      for (const version of [1, 2, 3]) {
        const envelope = bytes(head, version, 0);
        expect(openWireBundle(envelope, ME, bytes(4))).toEqual({ broadcast: envelope, ad: bytes(4) });
        expect(openWireBundle(envelope, ME)).toEqual({ broadcast: envelope });
      }
    }
    for (const [head, version] of [[0x84, 1], [0x89, 1], [0x86, 0], [0x86, 4], [0x88, 0], [0x88, 4], [0x87, 0x20]]) {
      expect(codeOf(() => openWireBundle(bytes(head as number, version as number), ME)), `${(head as number).toString(16)} ${version}`).toBe('DECODE_MALFORMED');
    }
  });

  it('applicationPosition reads an envelope inside a v1 bundle as well as a bare one', () => {
    const sim = new GroupSim(['A', 'B'], 'message');
    sim.create('A', ['B']);
    sim.settle(seeded(3));
    const a = sim.peer('A');
    const sent = send(a.state!, sim.ctx(a), { plaintext: utf8('x') }).outputs[0];
    if (sent?.kind !== 'send' || !sent.position) throw new Error('no send output');
    const bundle = encodeWireBundle(sent.message);
    expect(isLabelledBundle(bundle)).toBe(true);
    const expected = { epoch: sent.position.epoch, counter: sent.position.counter, lamport: sent.position.lamport };
    expect(applicationPosition(bundle, 'message')).toEqual(expected);
    expect(applicationPosition(sent.message.broadcast, 'message')).toEqual(expected);
  });
});
