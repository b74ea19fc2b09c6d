import { describe, expect, it } from 'vitest';
import { encodeCanonical, fromHex } from '../../src/crypto/index.js';
import { encodeItems } from '../../src/group/envelope-cbor.js';
import {
  MAX_HELD_MESSAGES, createGroupInbox, decodeGroupInbox, decodeGroupState, encodeGroupInbox, encodeGroupState, receive, openWireBundle, receivePreJoin,
} from '../../src/group/index.js';
import type { GroupInbox, GroupState } from '../../src/group/index.js';
import { createOrderer } from '../../src/ordering/index.js';
import { encodeDcgkaState } from '../../src/dcgka/index.js';
import { encodeMessageState } from '../../src/message/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { codeOf } from '../helpers/errors.js';


/** A well-formed (unauthenticated) message-scheme envelope. */
function envelope(counter: number): Uint8Array {
  return encodeItems([1, new Uint8Array(4), 0, counter, new Uint8Array(20), new Uint8Array(64)]);
}

describe('pre-join inbox', () => {
  it('holds messages (duplicates once), round-trips, refuses forged and foreign control messages with the inbox unchanged', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B']);
    sim.settle(seeded(1));
    sim.update('A');
    const c = sim.peer('C');
    const [update] = c.inbox;
    let inbox: GroupInbox = createGroupInbox({ scheme: 'message', groupId: sim.peer('A').state!.dcgka.groupId });
    for (const bundle of [...c.inbox, update!]) {
      const out = receivePreJoin(inbox, sim.ctx(c), openWireBundle(bundle, c.id));
      expect(out.joined).toBeNull();
      inbox = out.inbox;
    }
    expect(inbox.held.length).toBe(c.inbox.length);
    const encoded = encodeGroupInbox(inbox);
    expect(encodeGroupInbox(decodeGroupInbox(encoded))).toEqual(encoded);
    const before = encodeGroupInbox(inbox);
    const forged = openWireBundle(update!, c.id);
    const bytes = new Uint8Array(forged.broadcast);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    expect(codeOf(() => receivePreJoin(inbox, sim.ctx(c), { broadcast: bytes }))).toMatch(/^(VERIFY|DECODE)_/);
    const foreign = createGroupInbox({ scheme: 'message', groupId: 'ab'.repeat(32) });
    expect(codeOf(() => receivePreJoin(foreign, sim.ctx(c), openWireBundle(update!, c.id)))).toBe('VERIFY_GROUP');
    expect(codeOf(() => receivePreJoin(inbox, sim.ctx(c), { broadcast: new Uint8Array([0x01]) }))).toMatch(/^DECODE_/);
    expect(encodeGroupInbox(inbox)).toEqual(before);
    expect(codeOf(() => decodeGroupInbox(encodeCanonical({ v: 3, scheme: 'message', groupId: null, held: [] })))).toBe('DECODE_VERSION_UNSUPPORTED');
    // version 1 (no arrival times) still decodes
    const v1 = decodeGroupInbox(encodeCanonical({ v: 1, scheme: 'message', groupId: null, held: inbox.held.map((h) => [h.broadcast, h.direct, h.ad]) }));
    expect(v1.held.map((h) => h.at)).toEqual(inbox.held.map(() => 0));
    expect(codeOf(() => createGroupInbox({ scheme: 'message', groupId: 'xyz' }))).toBe('USAGE_ARGUMENT');
  });

  it(`holds at most MAX_HELD_MESSAGES (${MAX_HELD_MESSAGES}) messages: when full the oldest goes, so junk never blocks a later message`, () => {
    const sim = new GroupSim(['A'], 'message');
    const a = sim.peer('A');
    let inbox = createGroupInbox({ scheme: 'message' });
    for (let i = 0; i < MAX_HELD_MESSAGES; i++) inbox = receivePreJoin(inbox, sim.ctx(a), { broadcast: envelope(i) }).inbox;
    expect(inbox.held.length).toBe(MAX_HELD_MESSAGES);
    expect(receivePreJoin(inbox, sim.ctx(a), { broadcast: envelope(0) }).inbox).toBe(inbox);
    const next = receivePreJoin(inbox, sim.ctx(a), { broadcast: envelope(MAX_HELD_MESSAGES) }).inbox;
    expect(next.held.length).toBe(MAX_HELD_MESSAGES);
    expect(next.held[0]?.broadcast).toEqual(envelope(1));
    expect(next.held.at(-1)?.broadcast).toEqual(envelope(MAX_HELD_MESSAGES));
  });

  it('when full evicts application messages before a control message, however old (a lost control message stalled a joiner: schedule seed 1357084316)', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B']);
    sim.settle(seeded(1));
    sim.update('A');
    const c = sim.peer('C');
    const control = openWireBundle(c.inbox.at(-1)!, c.id);
    let inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(c), control).inbox;
    for (let i = 0; i < MAX_HELD_MESSAGES; i++) inbox = receivePreJoin(inbox, sim.ctx(c), { broadcast: envelope(i) }).inbox;
    expect(inbox.held.length).toBe(MAX_HELD_MESSAGES);
    expect(inbox.held[0]?.broadcast).toEqual(control.broadcast);
    expect(inbox.held[1]?.broadcast).toEqual(envelope(1));
    expect(inbox.held.at(-1)?.broadcast).toEqual(envelope(MAX_HELD_MESSAGES - 1));
  });
});

describe('group state codec (orderer)', () => {
  function buffered(): { sim: GroupSim; state: GroupState } {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(2));
    sim.update('A');
    sim.update('A');
    const b = sim.peer('B');
    // only A's second update: it waits for the first
    const r = receive(b.state!, sim.ctx(b), openWireBundle(b.inbox[1]!, b.id));
    expect(r.state.pendingControl.length).toBe(1);
    return { sim, state: r.state };
  }

  it('reads version 1 (buffered control messages move into the orderer)', () => {
    const { sim, state } = buffered();
    const v1 = encodeCanonical({
      v: 1, scheme: 'message', dcgka: encodeDcgkaState(state.dcgka), message: encodeMessageState(state.message!), data: null,
      pendingControl: state.pendingControl.map((p) => [fromHex(p.sender), p.seq, p.acked ? fromHex(p.acked.sender) : null, p.acked ? p.acked.seq : null, p.broadcast, p.direct]),
      pendingApplication: [],
    });
    const decoded = decodeGroupState(v1, sim.deps);
    expect(decoded.pendingControl).toEqual(state.pendingControl);
    expect(decoded.orderer.recent).toEqual({});
    // the same state, except that v1 kept no digests of delivered messages
    expect(encodeGroupState({ ...decoded, orderer: { ...decoded.orderer, recent: state.orderer.recent } })).toEqual(encodeGroupState(state));
  });

  it('rejects an orderer that does not match the DCGKA clock, and directs of no buffered message', () => {
    const { sim, state } = buffered();
    const good = encodeGroupState(state);
    expect(encodeGroupState(decodeGroupState(good, sim.deps))).toEqual(good);
    const wrongClock = encodeGroupState({ ...state, orderer: createOrderer({ maxPending: 10 }) });
    expect(codeOf(() => decodeGroupState(wrongClock, sim.deps))).toBe('DECODE_FIELD');
    const strayDirect = encodeGroupState({ ...state, orderer: { ...state.orderer, pending: [] } });
    expect(codeOf(() => decodeGroupState(strayDirect, sim.deps))).toBe('DECODE_FIELD');
  });
});
