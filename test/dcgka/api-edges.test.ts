/**
 * Edges of the public DCGKA calls that the scenarios never reach: a remove's
 * note (opaque bytes signed for the layer above) on the wire, joinGroup fed a
 * message that does not invite me, and resetSessions of some peers only.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, encodeCanonical, fromHex, toHex } from '../../src/crypto/index.js';
import { MAX_REMOVE_NOTE_BYTES, joinGroup, processControl, readControl, remove, resetSessions } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { CONTROL_SIGNATURE_CONTEXT } from '../../src/dcgka/limits.js';
import { signWithIdentity } from '../../src/keys/index.js';
import { utf8 } from '../../src/crypto/index.js';
import { DcgkaSim, expectChainsAgree } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

function group() {
  const sim = new DcgkaSim(['A', 'B', 'C', 'X']);
  sim.create('A', ['B', 'C']);
  sim.settle();
  return sim;
}

/** A remove by A of C whose signed fields after the commitment are `extra` (signed by A: only the decoder can object). */
function removeWithFields(sim: DcgkaSim, extra: unknown[]): Uint8Array {
  const a = sim.peer('A');
  const state = a.state!;
  const signed = encodeCanonical([2, fromHex(state.groupId), fromHex(a.id), state.clock.get(a.id)!, 2, [], fromHex(sim.id('C')), new Uint8Array(32), ...extra]);
  const signature = signWithIdentity(sim.deps, a.keys.identity, concatBytes(utf8(CONTROL_SIGNATURE_CONTEXT), signed));
  return encodeCanonical([signed, signature]);
}

describe('a remove\'s note', () => {
  it('travels signed with the remove: every member reads the same bytes, and the remove works as without one', () => {
    const sim = group();
    const note = new Uint8Array(MAX_REMOVE_NOTE_BYTES).map((_, i) => i);
    const a = sim.peer('A');
    const result = remove(a.state!, sim.ctx(a), sim.id('C'), note);
    const out = result.outputs.find((o) => o.kind === 'control');
    if (out?.kind !== 'control') throw new Error('no control output');
    const read = readControl(sim.ctx(sim.peer('B')), out.control.broadcast);
    expect(read.body.type === 'remove' && toHex(read.body.note)).toBe(toHex(note));
    expect(read.body.type === 'remove' && read.body.removed).toBe(sim.id('C'));
    const b = sim.peer('B');
    const processed = processControl(b.state!, sim.ctx(b), { broadcast: out.control.broadcast, direct: out.control.direct.find((d) => d.recipient === b.id)!.bytes });
    expect(processed.outputs.some((o) => o.kind === 'update-secret' && o.member === a.id)).toBe(true);
  });

  it('a note longer than MAX_REMOVE_NOTE_BYTES is refused by remove (USAGE_ARGUMENT) and by the decoder (DECODE_FIELD)', () => {
    const sim = group();
    const a = sim.peer('A');
    expect(codeOf(() => remove(a.state!, sim.ctx(a), sim.id('C'), new Uint8Array(MAX_REMOVE_NOTE_BYTES + 1)))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => readControl(sim.ctx(a), removeWithFields(sim, [new Uint8Array(MAX_REMOVE_NOTE_BYTES + 1)])))).toBe('DECODE_FIELD');
    // at the bound, and one byte: read
    for (const length of [MAX_REMOVE_NOTE_BYTES, 1]) {
      const read = readControl(sim.ctx(a), removeWithFields(sim, [new Uint8Array(length).fill(9)]));
      expect(read.body.type === 'remove' && read.body.note.length).toBe(length);
    }
  });

  it('an empty note field (the encoder leaves it out), a note that is not bytes, or one field too many → DECODE_FIELD', () => {
    const sim = group();
    const ctx = sim.ctx(sim.peer('B'));
    for (const extra of [[new Uint8Array(0)], ['note'], [5], [new Uint8Array(1), new Uint8Array(1)]]) {
      expect(codeOf(() => readControl(ctx, removeWithFields(sim, extra))), JSON.stringify(extra)).toBe('DECODE_FIELD');
    }
    // control: the same remove without a note field is read, with an empty note
    const read = readControl(ctx, removeWithFields(sim, []));
    expect(read.body.type === 'remove' && read.body.note.length).toBe(0);
  });
});

describe('joinGroup', () => {
  it('refuses a message that does not make me a member: an update, a create not listing me, an add of someone else → STATE_NOT_MEMBER', () => {
    const sim = group();
    sim.update('A');
    sim.add('A', 'X');
    const sim2 = new DcgkaSim(['P', 'Q']);
    const c = sim.peer('C');
    const update = sim.wire.find((m) => m.type === 'update')!;
    const addOfX = sim.wire.find((m) => m.type === 'add')!;
    // C (already in the group, but joining from scratch) is not invited by any of these
    expect(codeOf(() => joinGroup(sim.ctx(c), { broadcast: update.broadcast, direct: update.direct.get(c.id)! }))).toBe('STATE_NOT_MEMBER');
    expect(codeOf(() => joinGroup(sim.ctx(c), { broadcast: addOfX.broadcast }))).toBe('STATE_NOT_MEMBER');
    sim2.create('P', ['Q']);
    expect(codeOf(() => joinGroup(sim.ctx(c), { broadcast: sim2.wire[0]!.broadcast }))).toBe('STATE_NOT_MEMBER');
  });

  it('refuses my own message → STATE_REPLAY', () => {
    const sim = group();
    const a = sim.peer('A');
    expect(codeOf(() => joinGroup(sim.ctx(a), { broadcast: sim.wire[0]!.broadcast }))).toBe('STATE_REPLAY');
  });

  it('refuses a create that lists me at a seq other than 0 → STATE_NOT_MEMBER', () => {
    const sim = group();
    const a = sim.peer('A');
    const state = a.state!;
    const create = { groupId: state.groupId, sender: a.id, seq: 1, body: { type: 'create' as const, members: [a.id, sim.id('X')], commitment: new Uint8Array(32) }, manifest: manifestOf(sim.deps, []) };
    const bytes = encodeControl(create, a.keys.identity, sim.deps);
    expect(codeOf(() => joinGroup(sim.ctx(sim.peer('X')), { broadcast: bytes }))).toBe('STATE_NOT_MEMBER');
  });
});

describe('resetSessions', () => {
  it('of some peers: drops only their sessions and refresh debts, hands their keys to consumed, and the group goes on', () => {
    const sim = group();
    sim.update('B');
    sim.settle();
    const b = sim.peer('B');
    const state: DcgkaState = { ...b.state!, refreshDue: [sim.id('A'), sim.id('C')].sort() };
    const sessionWithA = state.sessions.get(sim.id('A'))!;
    const reset = resetSessions(state, sim.ctx(b), [sim.id('A'), sim.id('X')]);
    expect(reset.state.sessions.has(sim.id('A'))).toBe(false);
    expect(reset.state.sessions.has(sim.id('C'))).toBe(true);
    expect(reset.state.refreshDue).toEqual([sim.id('C')]);
    const consumed = new Set(reset.consumed.map(toHex));
    for (const key of sessionWithA.mySecretKeys) expect(consumed.has(toHex(key.secretKey))).toBe(true);
    expect(reset.outputs).toEqual([]);
    b.state = reset.state;
    b.keys = reset.keys;
    sim.update('B');
    sim.settle();
    sim.update('A');
    sim.settle();
    expectChainsAgree(sim, ['A', 'B', 'C']);
  });
});
