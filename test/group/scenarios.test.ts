import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import { encodeGroupState, encodeWireBundle, openWireBundle, receive, send } from '../../src/group/index.js';
import type { GroupScheme } from '../../src/group/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { codeOf } from '../helpers/errors.js';


describe.each<GroupScheme>(['message', 'data'])('group scenarios (%s scheme)', (scheme) => {
  it('three members talk; a late joiner reads history only in the data scheme; a removed member reads nothing after', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    const random = seeded(1);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    expect(sim.members('C')).toEqual(['A', 'B', 'C']);
    const hello = sim.send('A');
    const reply = sim.send('B');
    sim.settle(random);
    expect([...sim.peer('B').decrypted]).toContain(hello);
    expect([...sim.peer('C').decrypted]).toEqual(expect.arrayContaining([hello, reply]));
    sim.add('C', 'D');
    sim.settle(random);
    expect(sim.members('D')).toEqual(['A', 'B', 'C', 'D']);
    expect(sim.peer('D').decrypted.has(hello)).toBe(scheme === 'data');
    const afterJoin = sim.send('B');
    sim.settle(random);
    for (const n of ['A', 'C', 'D']) expect(sim.peer(n).decrypted.has(afterJoin)).toBe(true);
    sim.remove('A', 'B');
    sim.settle(random);
    expect(sim.peer('B').removed).toBe(true);
    const secret = sim.send('C');
    sim.settle(random);
    expect(sim.peer('B').decrypted.has(secret)).toBe(false);
    for (const n of ['A', 'D']) expect(sim.peer(n).decrypted.has(secret)).toBe(true);
    expect(codeOf(() => send(sim.peer('B').state!, sim.ctx(sim.peer('B')), { plaintext: utf8('x') }))).toBe('STATE_REMOVED');
  });

  it('out of order, duplicated and replayed messages; AD; forged, tampered and AD-mismatch are typed errors with state unchanged', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(2);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const ad = utf8('doc-7');
    const bundles: Uint8Array[] = [];
    let state = a.state!;
    for (let i = 0; i < 4; i++) {
      const out = send(state, sim.ctx(a), { plaintext: utf8(`m${i}`), ad });
      state = out.state;
      const o = out.outputs[0]!;
      if (o.kind !== 'send') throw new Error('no send');
      bundles.push(encodeWireBundle(o.message));
    }
    // the envelopes inside the wire bundles (v1 bundles wrap them with the group id and scheme)
    const envelopes = bundles.map((bundle) => openWireBundle(bundle, b.id).broadcast);
    let bs = b.state!;
    const got: string[] = [];
    for (const i of [3, 1, 0, 2]) {
      const out = receive(bs, sim.ctx(b), openWireBundle(bundles[i]!, b.id, ad));
      bs = out.state;
      for (const o of out.outputs) if (o.kind === 'application') got.push(`${new TextDecoder().decode(o.plaintext)}@${sim.nameOf(o.sender)}`);
    }
    expect(got).toEqual(['m3@A', 'm1@A', 'm0@A', 'm2@A']);
    const before = encodeGroupState(bs);
    const dup = receive(bs, sim.ctx(b), openWireBundle(bundles[1]!, b.id, ad));
    expect(dup.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(encodeGroupState(dup.state)).toEqual(before);
    // AD mismatch
    expect(codeOf(() => receive(bs, sim.ctx(b), { broadcast: envelopes[0]!, ad: utf8('doc-8') }))).toBe('VERIFY_SIGNATURE');
    // tampered ciphertext byte (near the end, inside the ciphertext, before the signature)
    const tampered = new Uint8Array(envelopes[0]!);
    const at = tampered.length - 70;
    tampered[at] = (tampered[at] as number) ^ 1;
    expect(codeOf(() => receive(bs, sim.ctx(b), { broadcast: tampered, ad }))).toBe('VERIFY_SIGNATURE');
    // forged: C re-signs A's message claiming A's tag -> signature fails under A's key
    const forged = new Uint8Array(envelopes[0]!);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0x80;
    expect(codeOf(() => receive(bs, sim.ctx(b), { broadcast: forged, ad }))).toBe('VERIFY_SIGNATURE');
    // truncated / garbage
    expect(codeOf(() => receive(bs, sim.ctx(b), { broadcast: envelopes[0]!.subarray(0, 20) }))).toMatch(/^DECODE_/);
    expect(encodeGroupState(bs)).toEqual(before);
  });

  it('control messages in reverse order and duplicated converge; buffered application messages wait for their epoch', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    sim.create('A', ['B', 'C']);
    sim.update('A');
    const early = sim.send('A');
    // deliver B's inbox last-first, twice each
    const b = sim.peer('B');
    b.inbox = [...b.inbox, ...b.inbox].reverse();
    while (b.inbox.length > 0) sim.deliver('B', 0);
    expect(b.decrypted.has(early)).toBe(true);
    sim.settle(seeded(3));
    expect(sim.members('C')).toEqual(['A', 'B', 'C']);
    expect(sim.peer('C').decrypted.has(early)).toBe(true);
  });
});
