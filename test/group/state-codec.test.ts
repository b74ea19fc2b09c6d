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
import { codeOf, errorOf } from '../helpers/errors.js';
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
    // Each case names the check that must refuse it: with codes alone, one check could mask another.
    const cases: [string, (f: Fields) => void, string][] = [
      ['heard entry of 2 items', (f) => { f['heard'] = [[ID, 1]]; }, 'group-state.heard: malformed'],
      ['heard sender of 31 bytes', (f) => { f['heard'] = [[new Uint8Array(31), 1, 0]]; }, 'group-state.heard.sender: malformed'],
      ['heard epoch negative', (f) => { f['heard'] = [[ID, -1, 0]]; }, 'group-state.heard.epoch: malformed'],
      ['heard counter fractional', (f) => { f['heard'] = [[ID, 1, 0.5]]; }, 'group-state.heard.counter: malformed'],
      ['heard out of order', (f) => { f['heard'] = [[new Uint8Array(32).fill(9), 1, 0], [ID, 1, 0]]; }, 'group-state.heard (order): malformed'],
      ['heard twice', (f) => { f['heard'] = [[ID, 1, 0], [ID, 2, 0]]; }, 'group-state.heard (order): malformed'],
      ['directs out of order', (f) => { f['directs'] = [...directs].reverse(); }, 'group-state.directs (order): malformed'],
      ['directs twice', (f) => { f['directs'] = [directs[0], directs[0]]; }, 'group-state.directs (order): malformed'],
      ['direct entry of 2 items', (f) => { f['directs'] = [(directs[0] as unknown[]).slice(0, 2)]; }, 'group-state.directs: malformed'],
      ['direct not bytes', (f) => { f['directs'] = [[(directs[0] as unknown[])[0], (directs[0] as unknown[])[1], 5]]; }, 'group-state.directs: malformed'],
      ['direct of no buffered message', (f) => { f['directs'] = [[ID, 1, new Uint8Array(3)]]; }, 'group-state.directs (no such buffered message): malformed'],
      ['pendingApplication entry of 3 items', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, ID]]; }, 'group-state.pendingApplication: malformed'],
      ['pendingApplication bytes not bytes', (f) => { f['pendingApplication'] = [[3, null, ID, 1]]; }, 'group-state.pendingApplication: malformed'],
      ['pendingApplication ad not bytes', (f) => { f['pendingApplication'] = [[new Uint8Array(3), 'ad', ID, 1]]; }, 'group-state.pendingApplication.ad: malformed'],
      ['pendingApplication sender null in v3', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, null, 1]]; }, 'group-state.pendingApplication.sender: malformed'],
      ['pendingApplication epoch negative', (f) => { f['pendingApplication'] = [[new Uint8Array(3), null, ID, -1]]; }, 'group-state.pendingApplication.epoch: malformed'],
      ['stranger of 4 items', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, null]]; }, 'group-state.strangers: malformed'],
      ['stranger bytes not bytes', (f) => { f['strangers'] = [[3, null, null, null, 1]]; }, 'group-state.strangers: malformed'],
      ['stranger direct not bytes', (f) => { f['strangers'] = [[new Uint8Array(3), 1, null, null, 1]]; }, 'group-state.strangers.direct: malformed'],
      ['stranger sender of 31 bytes', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, new Uint8Array(31), 1]]; }, 'group-state.strangers.sender: malformed'],
      ['stranger arrival negative', (f) => { f['strangers'] = [[new Uint8Array(3), null, null, null, -1]]; }, 'group-state.strangers.at: malformed'],
      ['message-scheme group with data state', (f) => { f['data'] = f['message']; f['message'] = null; }, 'data-state: unexpected field "chains"'],
      ['message-scheme group without scheme state', (f) => { f['message'] = null; }, 'group-state.scheme: malformed'],
      ['data-scheme label on a message state', (f) => { f['scheme'] = 'data'; }, 'group-state.scheme: malformed'],
      ['orderer ahead of the DCGKA clock', (f) => { f['orderer'] = encodeOrderer(createOrderer({ start: { ...state.dcgka.clock.toRecord(), ['07'.repeat(32)]: 1 }, maxPending: 10 })); }, 'group-state.orderer (a sender the DCGKA clock lacks): malformed'],
      ['removal record of 2 items', (f) => { f['removals'] = [[`${'07'.repeat(32)}:1`, ID]]; }, 'group-state.removals: expected [ids, records]'],
      ['rejoin table of 1 item', (f) => { f['rejoins'] = [[ID]]; }, 'group-state.rejoins: expected [ids, records]'],
      ['rejoin record of 3 items', (f) => { f['rejoins'] = [[ID], [[0, 0, 1]]]; }, 'group-state.rejoins.records[0]: expected [member, adder, addSeq, seq]'],
      ['rejoin record naming an id out of first-use order', (f) => { f['rejoins'] = [[ID, new Uint8Array(32).fill(9)], [[1, 0, 1, 2]]]; }, 'group-state.rejoins.records[0].member: expected an index of the id table in order of first use (at most 0)'],
      ['rejoin table with an unused id', (f) => { f['rejoins'] = [[ID, new Uint8Array(32).fill(9)], [[0, 0, 1, 2]]]; }, 'group-state.rejoins.ids: expected only ids the records use'],
      ['rejoin add seq negative', (f) => { f['rejoins'] = [[ID], [[0, 0, -1, 2]]]; }, 'group-state.rejoins.records[0].addSeq: expected a non-negative integer'],
    ];
    for (const [what, change, message] of cases) {
      const error = errorOf(() => decodeGroupState(encodeWith(state, change), sim.deps));
      expect(error.code, what).toBe('DECODE_FIELD');
      expect(error.message, what).toBe(message);
    }
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

describe('group state codec: each field\'s own check', () => {
  const refusal = (bytes: Uint8Array, deps: GroupSim['deps']): string | undefined => {
    const error = errorOf(() => decodeGroupState(bytes, deps));
    expect(error.code).toBe('DECODE_FIELD');
    return error.message;
  };

  it('names the list that is not a list', () => {
    const { sim, state } = buffered();
    for (const key of ['heard', 'directs', 'pendingApplication', 'strangers']) {
      expect(refusal(encodeWith(state, (f) => { f[key] = 5; }), sim.deps), key).toBe(`group-state.${key}: expected an array`);
    }
    expect(refusal(encodeWith(state, (f) => { f['lamport'] = -1; }), sim.deps)).toMatch(/^group-state\.lamport: /);
    expect(refusal(encodeWith(state, (f) => { f['orderer'] = 5; }), sim.deps)).toBe('group-state.orderer: expected bytes');
    expect(refusal(encodeWith(state, (f) => { f['dcgka'] = 5; }), sim.deps)).toBe('group-state.dcgka: expected bytes');
    expect(refusal(encodeWith(state, (f) => { f['message'] = 5; }), sim.deps)).toBe('group-state.message: expected bytes');
    expect(refusal(encodeWith(state, (f) => { f['scheme'] = 'both'; }), sim.deps)).toMatch(/^group-state\.scheme: /);
    expect(refusal(encodeWith(state, (f) => { f['v'] = 3; f['rejoins'] = []; f['removals'] = 5; }), sim.deps)).toBe('group-state.removals: expected an array');
    expect(refusal(encodeWith(state, (f) => { f['v'] = 3; f['rejoins'] = []; f['removals'] = [5]; }), sim.deps)).toMatch(/^group-state\.removals\[0\]/);
    expect(refusal(encodeWith(state, (f) => { f['v'] = 4; f['rejoins'] = 5; }), sim.deps)).toBe('group-state.rejoins: expected an array');
    expect(refusal(encodeWith(state, (f) => { f['v'] = 4; f['rejoins'] = [5]; }), sim.deps)).toMatch(/^group-state\.rejoins\[0\]/);
    expect(refusal(encodeWith(state, (f) => { f['rejoins'] = 5; }), sim.deps)).toMatch(/^group-state\.rejoins/);
    expect(refusal(encodeWith(state, (f) => { f['removals'] = 5; }), sim.deps)).toMatch(/^group-state\.removals/);
  });

  it('a data-scheme label with no scheme state at all is refused', () => {
    const { sim, state } = buffered();
    expect(refusal(encodeWith(state, (f) => { f['scheme'] = 'data'; f['message'] = null; }), sim.deps)).toBe('group-state.scheme: malformed');
  });

  it('the orderer must stand exactly at the DCGKA clock', () => {
    const { sim, state } = buffered();
    const clock = state.dcgka.clock.toRecord();
    const behind = Object.fromEntries(Object.entries(clock).map(([sender, seq]) => [sender, seq + 1]));
    expect(refusal(encodeWith(state, (f) => { f['orderer'] = encodeOrderer(createOrderer({ start: behind, maxPending: 10 })); }), sim.deps))
      .toBe('group-state.orderer (not at the DCGKA clock): malformed');
    const missingOne = Object.fromEntries(Object.entries(clock).slice(1));
    expect(refusal(encodeWith(state, (f) => { f['orderer'] = encodeOrderer(createOrderer({ start: missingOne, maxPending: 10 })); }), sim.deps))
      .toBe('group-state.orderer (not at the DCGKA clock): malformed');
  });

  it('a direct part must match a buffered message by sender and seq both', () => {
    const { sim, state } = buffered();
    const [first] = state.pendingControl;
    const other = state.dcgka.clock.sortedKeys().find((m) => m !== first?.sender) as string;
    const unknownSeq = [[fromHex(first!.sender), first!.seq + 100, new Uint8Array(3)]];
    const otherSender = [[fromHex(other), first!.seq, new Uint8Array(3)]];
    for (const directs of [unknownSeq, otherSender]) {
      expect(refusal(encodeWith(state, (f) => { f['directs'] = directs; }), sim.deps)).toBe('group-state.directs (no such buffered message): malformed');
    }
    expect(refusal(encodeWith(state, (f) => { f['directs'] = [[fromHex(first!.sender), -1, new Uint8Array(3)]]; }), sim.deps)).toBe('group-state.directs.seq: malformed');
  });

  it('buffer byte limits count the bytes, the direct part and the associated data, and hold at the limit itself', () => {
    const { sim, state } = buffered();
    const half = new Uint8Array(1024 * 1024);
    const small = new Uint8Array(1);
    // exactly at each limit: kept
    const atLimit = decodeGroupState(encodeWith(state, (f) => {
      f['pendingApplication'] = [[half, null, ID, 1], [half, null, ID, 2]];
      f['strangers'] = [[half, null, null, null, 1], [half, null, null, null, 2]];
    }), sim.deps);
    expect(atLimit.pendingApplication).toHaveLength(2);
    expect(atLimit.strangers).toHaveLength(2);
    // one byte over, reached through the associated data or the direct part
    expect(refusal(encodeWith(state, (f) => { f['pendingApplication'] = [[half, null, ID, 1], [small, half, ID, 2]]; }), sim.deps)).toBe('group-state.pendingApplication (bytes): malformed');
    expect(refusal(encodeWith(state, (f) => { f['strangers'] = [[half, null, null, null, 1], [small, half, null, null, 2]]; }), sim.deps)).toBe('group-state.strangers (bytes): malformed');
    expect(refusal(encodeWith(state, (f) => { f['strangers'] = [[half, null, null, null, 1], [small, null, half, null, 2]]; }), sim.deps)).toBe('group-state.strangers (bytes): malformed');
  });

  it('a stranger with a known sender keeps it through a round trip', () => {
    const { sim, state } = buffered();
    const bytes = encodeWith(state, (f) => { f['strangers'] = [[new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3]), ID, 9]]; });
    const decoded = decodeGroupState(bytes, sim.deps);
    expect(decoded.strangers).toEqual([{ bytes: new Uint8Array([1]), direct: new Uint8Array([2]), ad: new Uint8Array([3]), sender: '07'.repeat(32), at: 9 }]);
    expect(encodeGroupState(decoded)).toEqual(bytes);
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
      f['rejoins'] = [];
    });
    const decoded = decodeGroupState(v3, sim.deps);
    expect(decoded.removals).toEqual(state.removals);
    expect(encodeGroupState(decoded)).toEqual(encodeGroupState(state));
    expect(encodeGroupState(state).length).toBeLessThan(v3.length);
    // each version reads only its own form
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['removals'] = legacy; }), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['v'] = 3; }), sim.deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['v'] = 6; }), sim.deps))).toBe('DECODE_VERSION_UNSUPPORTED');
  });

  it('v4: rejoin records written one list entry each decode to what v5 writes as an id table', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(3));
    sim.remove('A', 'C');
    sim.settle(seeded(3));
    sim.add('B', 'C');
    sim.settle(seeded(3));
    const state = sim.peer('A').state as GroupState;
    expect(state.rejoins.length).toBeGreaterThan(0);
    const legacy = state.rejoins.map((j) => [fromHex(j.member), j.add, j.seq]);
    const v4 = encodeWith(state, (f) => {
      f['v'] = 4;
      f['rejoins'] = legacy;
    });
    const decoded = decodeGroupState(v4, sim.deps);
    expect(decoded.rejoins).toEqual(state.rejoins);
    expect(encodeGroupState(decoded)).toEqual(encodeGroupState(state));
    expect(encodeGroupState(state).length).toBeLessThan(v4.length);
    expect(codeOf(() => decodeGroupState(encodeWith(state, (f) => { f['rejoins'] = legacy; }), sim.deps))).toBe('DECODE_FIELD');
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
    const refused = (pending: unknown[]): string | undefined => {
      const error = errorOf(() => decodeGroupState(v1(pending), sim.deps));
      expect(error.code).toBe('DECODE_FIELD');
      return error.message;
    };
    expect(refused([first.slice(0, 5)])).toBe('group-state.pendingControl: malformed');
    expect(refused([5])).toBe('group-state.pendingControl: malformed');
    expect(refused([[...first.slice(0, 4), 'broadcast', first[5]]])).toBe('group-state.pendingControl: malformed');
    expect(refused([[new Uint8Array(31), ...first.slice(1)]])).toBe('group-state.pendingControl.sender: malformed');
    expect(refused([[first[0], -1, ...first.slice(2)]])).toBe('group-state.pendingControl.seq: malformed');
    expect(refused([[...first.slice(0, 2), ID, null, ...first.slice(4)]])).toBe('group-state.pendingControl.acked: malformed');
    expect(refused([[...first.slice(0, 2), null, 3, ...first.slice(4)]])).toBe('group-state.pendingControl.acked: malformed');
    expect(refused([[...first.slice(0, 5), 'direct']])).toBe('group-state.pendingControl.direct: malformed');
    expect(errorOf(() => decodeGroupState(encodeCanonical({ ...(decodeCanonical(v1([]), 'test') as Fields), pendingControl: 5 }), sim.deps)).message)
      .toBe('group-state.pendingControl: expected an array');
    // the same sender and seq with other bytes: the orderer refuses it, the codec says the field is malformed
    const conflicting = [...first.slice(0, 4), new Uint8Array([...(first[4] as Uint8Array), 0]), first[5]];
    expect(refused([first, conflicting])).toBe('group-state.pendingControl: malformed');
    // A direct part is kept only beside a message still buffered: none for one already processed (below DCGKA's
    // clock: the orderer drops it), and none when the entry has none.
    const carrying = state.pendingControl.map(entry).find((e) => e[5] !== null) as unknown[];
    const processed = [carrying[0], 0, null, null, carrying[4], new Uint8Array([9])];
    const kept = decodeGroupState(v1([processed, carrying]), sim.deps);
    expect(kept.pendingControl).toHaveLength(1);
    expect(kept.pendingControl[0]?.seq).toBe(carrying[1]);
    expect(Object.values(kept.directs)).toEqual([carrying[5]]);
    const withoutDirect = decodeGroupState(v1([[...carrying.slice(0, 5), null]]), sim.deps);
    expect(withoutDirect.pendingControl).toHaveLength(1);
    expect(withoutDirect.directs).toEqual({});
  });
});
