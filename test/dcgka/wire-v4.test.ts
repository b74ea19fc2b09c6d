/**
 * Control wire version 4 (issue 13): acks and add-acks name their sender and
 * the acked sender by 4-byte references resolved in the receiving group
 * state, and carry no group id; the signature covers the full group id, both
 * full member ids and the wire bytes. Version-3 acks are still processed.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, decodeCanonical, encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import { decodeControl, encodeControl } from '../../src/dcgka/codec.js';
import { encodeDcgkaState, joinGroup, processControl, readControl } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { CONTROL_V4_SIGNATURE_CONTEXT } from '../../src/dcgka/limits.js';
import { MEMBER_REF_LENGTH, memberRef, stateResolver } from '../../src/dcgka/refs.js';
import type { MemberResolver } from '../../src/dcgka/refs.js';
import { identityOf, signWithIdentity } from '../../src/keys/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import type { WireMessage } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

/** A, B, C, D settled; A updates; B's ack of it, not yet delivered to A. */
function ackOfUpdate() {
  const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
  sim.create('A', ['B', 'C', 'D']);
  sim.settle();
  sim.update('A');
  const update = sim.wire[sim.wire.length - 1] as WireMessage;
  const b = sim.peer('B');
  sim.deliver(b, update);
  const ack = sim.wire[sim.wire.length - 1] as WireMessage;
  expect(ack.sender).toBe(b.id);
  expect(ack.type).toBe('ack');
  const a = sim.peer('A');
  return { sim, a, b, update, ack, aState: a.state as DcgkaState };
}

function split(broadcast: Uint8Array): { signed: Uint8Array; signature: Uint8Array; fields: unknown[] } {
  const [signed, signature] = decodeCanonical(broadcast, 'c') as [Uint8Array, Uint8Array];
  return { signed, signature, fields: decodeCanonical(signed, 's') as unknown[] };
}

/** The message with its signed fields replaced, keeping the original signature. */
function withFields(fields: unknown[], signature: Uint8Array): Uint8Array {
  return encodeCanonical([encodeCanonical(fields), signature]);
}

describe('control wire version 4 (compact acks)', () => {
  it('an ack is version 4: 4-byte references, no group id, under 90 bytes, and it is processed', () => {
    const { sim, a, b, ack, aState, update } = ackOfUpdate();
    const { fields } = split(ack.broadcast);
    expect(fields).toHaveLength(6); // no manifest: the ack has no direct part
    expect(fields[0]).toBe(4);
    expect(bytesEqual(fields[1] as Uint8Array, fromHex(b.id).subarray(0, MEMBER_REF_LENGTH))).toBe(true);
    expect(fields[3]).toBe(4); // a normal ack
    expect(bytesEqual(fields[4] as Uint8Array, fromHex(a.id).subarray(0, MEMBER_REF_LENGTH))).toBe(true);
    expect(fields[5]).toBe(update.seq);
    expect(ack.broadcast.length).toBeLessThan(90);
    const read = readControl(sim.ctx(a), ack.broadcast, aState);
    expect([read.sender, read.seq, read.groupId, read.version]).toEqual([b.id, ack.seq, aState.groupId, 4]);
    expect(read.body).toEqual({ type: 'ack', ackedSender: a.id, ackedSeq: update.seq, mode: 'normal' });
    const result = processControl(aState, sim.ctx(a), { broadcast: ack.broadcast });
    expect(result.outputs.some((o) => o.kind === 'update-secret' && o.member === b.id)).toBe(true);
  });

  it('the same ack in version 3 (full ids, group id) is still processed, to the same secret', () => {
    const { sim, a, b, ack, aState } = ackOfUpdate();
    const message = readControl(sim.ctx(a), ack.broadcast, aState);
    const v3 = encodeControl({ groupId: message.groupId, sender: message.sender, seq: message.seq, body: message.body, manifest: message.manifest }, identityOf(b.keys), sim.deps);
    expect(decodeControl(v3, sim.deps).version).toBeUndefined();
    expect(v3.length).toBeGreaterThan(ack.broadcast.length + 80);
    const secretOf = (broadcast: Uint8Array) => processControl(aState, sim.ctx(a), { broadcast }).outputs.find((o) => o.kind === 'update-secret' && o.member === b.id);
    const viaV4 = secretOf(ack.broadcast);
    const viaV3 = secretOf(v3);
    expect(viaV3).toBeDefined();
    expect(viaV3).toEqual(viaV4);
  });

  it('is refused without a group state (STATE_UNKNOWN_GROUP; no invitation to join by), and while a reference names no known member (STATE_UNKNOWN_MEMBER)', () => {
    const { sim, a, ack, aState } = ackOfUpdate();
    expect(codeOf(() => readControl(sim.ctx(a), ack.broadcast))).toBe('STATE_UNKNOWN_GROUP');
    // handed to a user with no state, it is simply not an invitation
    expect(codeOf(() => joinGroup(sim.ctx(sim.peer('D')), { broadcast: ack.broadcast }))).toBe('STATE_NOT_MEMBER');
    const { fields, signature } = split(ack.broadcast);
    const unknown = new Uint8Array(MEMBER_REF_LENGTH).fill(0xee);
    for (const i of [1, 4]) {
      const edited = fields.map((v, j) => (j === i ? unknown : v));
      expect(codeOf(() => processControl(aState, sim.ctx(a), { broadcast: withFields(edited, signature) })), `field ${i}`).toBe('STATE_UNKNOWN_MEMBER');
    }
  });

  it('a reference can\'t redirect an ack: another sender, acked sender, acked seq, group or a re-encoded reference fails the signature', () => {
    const { sim, a, ack, aState } = ackOfUpdate();
    const { fields, signature } = split(ack.broadcast);
    const c = sim.peer('C');
    const before = encodeDcgkaState(aState);
    const process = (broadcast: Uint8Array, state: DcgkaState = aState) => codeOf(() => processControl(state, sim.ctx(a), { broadcast }));
    const edit = (i: number, value: unknown) => withFields(fields.map((v, j) => (j === i ? value : v)), signature);
    const refOfC = fromHex(c.id).subarray(0, MEMBER_REF_LENGTH);
    expect(process(edit(1, refOfC))).toBe('VERIFY_SIGNATURE'); // claimed by C
    expect(process(edit(4, refOfC))).toBe('VERIFY_SIGNATURE'); // an ack of C's message instead of A's
    expect(process(edit(5, (fields[5] as number) + 1))).toBe('VERIFY_SIGNATURE');
    expect(process(edit(3, 6))).toBe('VERIFY_SIGNATURE'); // the mode (rejoin) is signed too
    expect(process(edit(1, fromHex(sim.peer('B').id)))).toBe('VERIFY_SIGNATURE'); // a relay re-encoding the reference as the full id
    const otherGroup = { ...aState, groupId: aState.groupId.replace(/^./, (x) => (x === '0' ? '1' : '0')) };
    expect(process(ack.broadcast, otherGroup)).toBe('VERIFY_SIGNATURE');
    expect(bytesEqual(encodeDcgkaState(aState), before)).toBe(true);
  });

  it('an ambiguous reference is resolved by the signature, never to the wrong member', () => {
    const { sim, a, b, ack, aState } = ackOfUpdate();
    const c = sim.peer('C');
    const honest = stateResolver(aState);
    // A state where C and D share every prefix with A and B (as a ground collision would make them).
    const colliding = (extra: readonly string[]): MemberResolver => ({
      groupId: aState.groupId,
      candidates: (ref) => (ref.length === 64 ? [ref] : [...extra, ...honest.candidates(ref)]),
    });
    for (const extra of [[c.id], [c.id, sim.peer('D').id]]) {
      const read = decodeControl(ack.broadcast, sim.deps, colliding(extra));
      expect([read.sender, read.body.type === 'ack' && read.body.ackedSender]).toEqual([b.id, a.id]);
    }
    const wrongOnly: MemberResolver = { groupId: aState.groupId, candidates: () => [c.id] };
    expect(codeOf(() => decodeControl(ack.broadcast, sim.deps, wrongOnly))).toBe('VERIFY_SIGNATURE');
    const tooMany: MemberResolver = { groupId: aState.groupId, candidates: () => Array.from({ length: 5 }, () => c.id) };
    expect(codeOf(() => decodeControl(ack.broadcast, sim.deps, tooMany))).toBe('DECODE_FIELD');
  });

  it('a sender whose view holds another id with its prefix sends the full id', () => {
    const { a, aState } = ackOfUpdate();
    expect(memberRef(stateResolver(aState), a.id)).toHaveLength(MEMBER_REF_LENGTH);
    const clashing: MemberResolver = { groupId: aState.groupId, candidates: (ref) => [a.id, `${ref}${'0'.repeat(64 - ref.length)}`] };
    expect(bytesEqual(memberRef(clashing, a.id), fromHex(a.id))).toBe(true);
  });

  it('a version-4 signature does not pass for a version-3 message of the same fields (its own context and inputs)', () => {
    const { sim, a, b, ack, aState } = ackOfUpdate();
    const message = readControl(sim.ctx(a), ack.broadcast, aState);
    const v3 = encodeControl({ groupId: message.groupId, sender: message.sender, seq: message.seq, body: message.body, manifest: message.manifest }, identityOf(b.keys), sim.deps);
    const [v3Signed] = decodeCanonical(v3, 'c') as [Uint8Array, Uint8Array];
    const { signature } = split(ack.broadcast);
    expect(codeOf(() => processControl(aState, sim.ctx(a), { broadcast: encodeCanonical([v3Signed, signature]) }))).toBe('VERIFY_SIGNATURE');
    // and B's key signing the v4 input over A's group, B, A and the wire bytes is exactly what verifies
    const { signed } = split(ack.broadcast);
    const input = concatBytes(utf8(CONTROL_V4_SIGNATURE_CONTEXT), fromHex(aState.groupId), fromHex(b.id), fromHex(a.id), signed);
    const resigned = encodeCanonical([signed, signWithIdentity(sim.deps, identityOf(b.keys), input)]);
    expect(readControl(sim.ctx(a), resigned, aState).sender).toBe(b.id);
  });

  it('add-acks, rejoin acks and acks with direct parts (forwards) are version 4 too, and a whole concurrent run settles', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D', 'E']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.update('A');
    sim.add('C', 'D');
    sim.settle();
    sim.add('B', 'E');
    sim.settle();
    const versions = new Map<string, Set<number>>();
    for (const m of sim.wire) {
      const { fields } = split(m.broadcast);
      const kind = m.type === 'ack' ? `ack${m.direct.size > 0 ? '+direct' : ''}` : m.type;
      versions.set(kind, (versions.get(kind) ?? new Set()).add(fields[0] as number));
    }
    expect(versions.get('ack')).toEqual(new Set([4]));
    expect(versions.get('add-ack')).toEqual(new Set([4]));
    expect(versions.get('update')).toEqual(new Set([3]));
    expect(versions.get('add')).toEqual(new Set([3]));
    const members = ['A', 'B', 'C', 'D', 'E'].map((n) => sim.membersSeenBy(n));
    for (const m of members) expect(m).toEqual(members[0]);
    expect(members[0]).toHaveLength(5);
  });
});
