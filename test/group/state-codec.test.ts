/**
 * The group state codec refuses every malformed field with `DECODE_FIELD`
 * (a damaged store must never load as a different state), and still reads
 * versions 1, 2 and 3 (buffers moved to where version 3 keeps them, removal
 * records from one list entry each to version 4's id table).
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, fromHex } from '../../src/crypto/index.js';
import { encodeDcgkaState } from '../../src/dcgka/index.js';
import { decodeGroupState, encodeGroupState, openWireBundle, receive } from '../../src/group/index.js';
import type { GroupState } from '../../src/group/index.js';
import { encodeMessageState } from '../../src/message/index.js';
import { createOrderer, encodeOrderer } from '../../src/ordering/index.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

type Fields = Record<string, unknown>;

/** B holding A's last two updates (A sent three): two buffered control messages, each with my direct part. */
function buffered(): { sim: GroupSim; state: GroupState } {
  const sim = new GroupSim(['A', 'B', 'C'], 'message');
  sim.create('A', ['B', 'C']);
  sim.settle(seeded(2));
  const b = sim.peer('B');
  b.inbox = [];
  for (let i = 0; i < 3; i++) sim.update('A');
  let state = b.state as GroupState;
  for (const bundle of b.inbox.slice(1)) state = receive(state, sim.ctx(b), openWireBundle(bundle, b.id)).state;
  expect(state.pendingControl.map((p) => p.direct !== null)).toEqual([true, true]);
  return { sim, state };
}

function fieldsOf(state: GroupState): Fields {
  return decodeCanonical(encodeGroupState(state), 'test') as Fields;
}

function encodeWith(state: GroupState, change: (f: Fields) => void): Uint8Array {
  const f = fieldsOf(state);
  change(f);
  return encodeCanonical(f);
}

const ID = new Uint8Array(32).fill(7);

describe('group state codec: malformed fields', () => {
  it('refuses malformed heard entries, directs, buffered messages, strangers and records', () => {
    const { sim, state } = buffered();
    const good = encodeGroupState(state);
    expect(encodeGroupState(decodeGroupState(good, sim.deps))).toEqual(good);
    const directs = fieldsOf(state)['directs'] as unknown[][];
    const cases: [string, (f: Fields) => void][] = [
      ['heard entry of 2 items', (f) => { f['heard'] = [[ID, 1]]; }],
      ['heard sender of 31 bytes', (f) => { f['heard'] = [[new Uint8Array(31), 1, 0]]; }],
      ['heard epoch negative', (f) => { f['heard'] = [[ID, -1, 0]]; }],
      ['heard counter fractional', (f) => { f['heard'] = [[ID, 1, 0.5]]; }],
      ['heard out of order', (f) => { f['heard'] = [[new Uint8Array(32).fill(9), 1, 0], [ID, 1, 0]]; }],
      ['heard twice', (f) => { f['heard'] = [[ID, 1, 0], [ID, 2, 0]]; }],
      ['directs out of order', (f) => { f['directs'] = [...directs].reverse(); }],
      ['directs twice', (f) => { f['directs'] = [directs[0], directs[0]]; }],
      ['direct entry of 2 items', (f) => { f['directs'] = [(directs[0] as unknown[]).slice(0, 2)]; }],
      ['direct not bytes', (f) => { f['directs'] = [[(directs[0] as unknown[])[0], (directs[0] as unknown[])[1], 5]]; }],
      ['direct of no buffered message', (f) => { f['directs'] = [[ID, 1, new Uint8Array(3)]]; }],
      ['pendingApplication entry of 3 items', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, ID]]; }],
      ['pendingApplication bytes not bytes', (f) => { f['pendingApplication'] = [[3, null, ID, 1]]; }],
      ['pendingApplication ad not bytes', (f) => { f['pendingApplication'] = [[new Uint8Array(3), 'ad', ID, 1]]; }],
      ['pendingApplication sender null in v3', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, null, 1]]; }],
      ['pendingApplication epoch negative', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, ID, -1]]; }],
      ['stranger of 4 items', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, null]]; }],
      ['stranger bytes not bytes', (f) => { f['strangers'] = [[3, null, null, null, 1]]; }],
      ['stranger direct not bytes', (f) => { f['strangers'] = [[new Uint8Array(3), 1, null, null, 1]]; }],
      ['stranger sender of 31 bytes', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, new Uint8Array(31), 1]]; }],
      ['stranger arrival negative', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, null, -1]]; }],
      ['message-scheme group with data state', (f) => { f['data'] = f['message']; f['message'] = null; }],
      ['message-scheme group without scheme state', (f) => { f['message'] = null; }],
      ['data-scheme label on a message state', (f) => { f['scheme'] = 'data'; }],
      ['orderer ahead of the DCGKA clock', (f) => { f['orderer'] = encodeOrderer(createOrderer({ start: { ...state.dcgka.clock.toRecord(), ['07'.repeat(32)]: 1 }, maxPending: 10 })); }],
      ['removal record of 2 items', (f) => { f['removals'] = [[`${'07'.repeat(32)}:1`, ID]]; }],
      ['rejoin record of 2 items', (f) => { f['rejoins'] = [[ID, `${'07'.repeat(32)}:1`]]; }],
    ];
    for (const [what, change] of cases) expect(codeOf(() => decodeGroupState(encodeWith(state, change), sim.deps)), what).toBe('DECODE_FIELD');
  });

  it('refuses buffers over their byte limits', () => {
    const { sim, state } = buffered();
    const big = new Uint8Array(1024 * 1024 + 1);
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['pendingApplication'] = [[big, null, ID, 1], [big, null, ID, 2]]; }), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['strangers'] = [[big, null, null, null, 1], [big, null, null, null, 2]]; }), sim.deps))).toBe('DECODE_FIELD');
    // one of each fits
    const one = decodeGroupState(encodeWith(state, (f) => {
      f['pendingApplication'] = [[big, null, ID, 1]];
      f['strangers'] = [[big, null, null, null, 1]];
    }), sim.deps);
    expect(one.pendingApplication).toHaveLength(1);
    expect(one.strangers).toHaveLength(1);
  });

  it('reads a well-formed heard list and keeps its positions', () => {
    const { sim, state } = buffered();
    const other = new Uint8Array(32).fill(9);
    const decoded = decodeGroupState(encodeWith(state, (f) => { f['heard'] = [[ID, 1, 2], [other, 3, 4]]; }), sim.deps);
    expect(decoded.heard).toEqual({ ['07'.repeat(32)]: { epoch: 1, counter: 2 }, ['09'.repeat(32)]: { epoch: 3, counter: 4 } });
  });
});

describe('group state codec: older versions', () => {
  it('v3: removal records written one list entry each decode to what v4 writes as an id table', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], 'message');
    sim.create('A', ['B', 'C', 'D']);
    sim.settle(seeded(3));
    sim.send('C');
    sim.settle(seeded(3));
    sim.remove('A', 'C');
    sim.remove('B', 'D');
    sim.settle(seeded(3));
    const state = sim.peer('B').state as GroupState;
    expect(state.removals).toHaveLength(2);
    const legacy = state.removals.map((r) => [r.op, fromHex(r.member), r.frontier ? [r.frontier.epoch, r.frontier.counter] : null, ...(r.until === undefined ? [] : [r.until])]);
    const v3 = encodeWith(state, (f) => {
      f['v'] = 3;
      f['removals'] = legacy;
    });
    const decoded = decodeGroupState(v3, sim.deps);
    expect(decoded.removals).toEqual(state.removals);
    expect(encodeGroupState(decoded)).toEqual(encodeGroupState(state));
    expect(encodeGroupState(state).length).toBeLessThan(v3.length);
    // each version reads only its own form
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['removals'] = legacy; }), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['v'] = 3; }), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['v'] = 5; }), sim.deps))).toBe('DECODE_VERSION_UNSUPPORTED');
  });

  it('v2: an application message of an unknown sender becomes a stranger; v3 fields start empty', () => {
    const { sim, state } = buffered();
    const v2 = encodeWith(state, (f) => {
      for (const key of ['strangers', 'lamport', 'heard', 'removals', 'rejoins']) delete f[key];
      f['v'] = 2;
      f['pendingApplication'] = [[new Uint8Array([1, 2]), new Uint8Array([3]), null, 0], [new Uint8Array([4]), null, ID, 5]];
    });
    const decoded = decodeGroupState(v2, sim.deps);
    expect(decoded.strangers).toEqual([{ bytes: new Uint8Array([1, 2]), direct: null, ad: new Uint8Array([3]), sender: null, at: 0 }]);
    expect(decoded.pendingApplication).toEqual([{ bytes: new Uint8Array([4]), ad: null, sender: '07'.repeat(32), epoch: 5 }]);
    expect(decoded.pendingControl).toEqual(state.pendingControl);
    expect(decoded.lamport).toBe(0);
    expect(decoded.heard).toEqual({});
    expect(decoded.removals).toEqual([]);
  });

  it('v1: buffered acks keep what they acknowledge; malformed or conflicting buffered control messages are refused', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(3));
    const b = sim.peer('B');
    const c = sim.peer('C');
    b.inbox = [];
    c.inbox = [];
    sim.update('A');
    sim.deliver('C', 0); // C acks A's update
    sim.update('A');
    // B gets C's ack and A's second update, not A's first: both wait for it
    expect(b.inbox).toHaveLength(3);
    let state = b.state as GroupState;
    for (const bundle of b.inbox.slice(1)) state = receive(state, sim.ctx(b), openWireBundle(bundle, b.id)).state;
    expect(state.pendingControl.map((p) => p.acked !== null).sort()).toEqual([false, true]);
    const entry = (p: GroupState['pendingControl'][number]): unknown[] => [fromHex(p.sender), p.seq, p.acked ? fromHex(p.acked.sender) : null, p.acked ? p.acked.seq : null, p.broadcast, p.direct];
    const v1 = (pending: unknown[]): Uint8Array => encodeCanonical({
      v: 1, scheme: 'message', dcgka: encodeDcgkaState(state.dcgka), message: encodeMessageState(state.message!), data: null, pendingControl: pending, pendingApplication: [],
    });
    const decoded = decodeGroupState(v1(state.pendingControl.map(entry)), sim.deps);
    expect(decoded.pendingControl).toEqual(state.pendingControl);
    const [first] = state.pendingControl.map(entry) as [unknown[]];
    expect(codeOf(() => decodeGroupState(v1([first.slice(0, 5)]), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(v1([[...first.slice(0, 2), ID, null, ...first.slice(4)]]), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(v1([[...first.slice(0, 5), 'direct']]), sim.deps))).toBe('DECODE_FIELD');
    // the same sender and seq with other bytes: the orderer refuses it, the codec says the field is malformed
    const conflicting = [...first.slice(0, 4), new Uint8Array([...(first[4] as Uint8Array), 0]), first[5]];
    expect(codeOf(() => decodeGroupState(v1([first, conflicting]), sim.deps))).toBe('DECODE_FIELD');
  });
});
