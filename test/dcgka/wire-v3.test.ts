/**
 * Control message wire version 3 (issue 13): direct parts carry only kind ‖
 * payload inside 2SM, bound to (group, seq) as AEAD associated data; the
 * manifest is one byte string. Version-2 messages (CBOR direct plaintexts, no
 * associated data) are still processed.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, decodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import { decodeControl, directAssociatedData, encodeControl, encodeDirectPlaintext, manifestOf } from '../../src/dcgka/codec.js';
import { encodeDcgkaState, processControl } from '../../src/dcgka/index.js';
import { stateResolver } from '../../src/dcgka/refs.js';
import { identityOf } from '../../src/keys/index.js';
import { twoPartyReceive, twoPartySend } from '../../src/twoparty/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import type { WireMessage } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

function settled() {
  const sim = new DcgkaSim(['A', 'B', 'C']);
  sim.create('A', ['B', 'C']);
  sim.settle();
  return sim;
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('control wire version 3', () => {
  it('an update is version 3, its manifest one byte string, and its direct parts do not carry the group id', () => {
    const sim = settled();
    sim.update('A');
    const m = sim.wire[sim.wire.length - 1] as WireMessage;
    const signed = decodeCanonical((decodeCanonical(m.broadcast, 'c', 1 << 20) as Uint8Array[])[0] as Uint8Array, 's', 1 << 20) as unknown[];
    expect(signed[0]).toBe(3);
    expect(signed[5]).toBeInstanceOf(Uint8Array);
    expect((signed[5] as Uint8Array).length).toBe(2 * 24);
    const groupId = fromHex(sim.peer('A').state!.groupId);
    for (const part of m.direct.values()) {
      expect(containsBytes(part, groupId)).toBe(false);
      expect(part.length).toBeLessThanOrEqual(130); // v2: about 160 bytes for a seed
    }
  });

  it('a direct part opens only with the associated data of its own group and seq', () => {
    const sim = settled();
    sim.update('A');
    const m = sim.wire[sim.wire.length - 1] as WireMessage;
    const b = sim.peer('B');
    const session = b.state!.sessions.get(sim.id('A'))!;
    const part = m.direct.get(b.id)!;
    const ctx = { deps: sim.deps, identity: identityOf(b.keys) };
    const groupId = b.state!.groupId;
    const otherGroup = groupId.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(codeOf(() => twoPartyReceive(session, b.keys, part, { ...ctx, associatedData: directAssociatedData(groupId, m.seq + 1) }))).toBe('VERIFY_AEAD');
    expect(codeOf(() => twoPartyReceive(session, b.keys, part, { ...ctx, associatedData: directAssociatedData(otherGroup, m.seq) }))).toBe('VERIFY_AEAD');
    expect(codeOf(() => twoPartyReceive(session, b.keys, part, ctx))).toBe('VERIFY_AEAD');
    const opened = twoPartyReceive(session, b.keys, part, { ...ctx, associatedData: directAssociatedData(groupId, m.seq) });
    expect(opened.plaintext[0]).toBe(0); // kind: seed
    expect(opened.plaintext.length).toBe(33);
  });

  it('a version-2 update (CBOR direct plaintext, no associated data) is still processed, and the ack answering it is version 4', () => {
    const sim = settled();
    const a = sim.peer('A');
    const b = sim.peer('B');
    const seq = a.state!.clock.get(a.id)!;
    const seed = new Uint8Array(32).fill(9);
    const commitment = sim.deps.crypto.hkdf(seed, new Uint8Array(0), utf8('groupcrypt/dcgka/seed-commitment/tree'), 32);
    const sent = twoPartySend(a.state!.sessions.get(b.id)!, encodeDirectPlaintext(a.state!.groupId, seq, 'seed', seed), { deps: sim.deps, identity: identityOf(a.keys) });
    const direct = [{ recipient: b.id, bytes: sent.message }];
    const message = { groupId: a.state!.groupId, sender: a.id, seq, body: { type: 'update' as const, commitment }, manifest: manifestOf(sim.deps, direct), version: 2 as const };
    const broadcast = encodeControl(message, identityOf(a.keys), sim.deps);
    expect(decodeControl(broadcast, sim.deps).version).toBe(2);
    const result = processControl(b.state!, sim.ctx(b), { broadcast, direct: sent.message });
    expect(result.outputs.some((o) => o.kind === 'update-secret' && o.member === a.id)).toBe(true);
    const ack = result.outputs.find((o) => o.kind === 'control');
    expect(ack?.kind === 'control' && decodeControl(ack.control.broadcast, sim.deps, stateResolver(result.state)).version).toBe(4);

    // the same v2 part under a version-3 broadcast does not open: refused, state unchanged
    const v3 = encodeControl({ ...message, version: undefined } as never, identityOf(a.keys), sim.deps);
    const before = encodeDcgkaState(b.state!);
    expect(codeOf(() => processControl(b.state!, sim.ctx(b), { broadcast: v3, direct: sent.message }))).toBe('VERIFY_AEAD');
    expect(bytesEqual(encodeDcgkaState(b.state!), before)).toBe(true);
  });
});
