/**
 * The orderer-backed `receive` and the pre-join inbox: a member that was
 * never online gets the whole group history (from before and after its add,
 * shuffled, with duplicates) and must end where an in-order replay ends.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, zeroize } from '../../src/crypto/index.js';
import { readControl } from '../../src/dcgka/index.js';
import { MAX_PREVIOUS_EPOCHS } from '../../src/message/index.js';
import { isGroupCryptError } from '../../src/errors.js';
import {
  createGroupInbox, decodeGroupState, encodeGroupState, encodeWireBundle, groupMembers, missingControl, openWireBundle, receive, receivePreJoin,
  send, updateGroup,
} from '../../src/group/index.js';
import type { GroupOutput, GroupResult, GroupScheme, GroupState } from '../../src/group/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { codeOf } from '../helpers/errors.js';

/** Delivers every inbox except `skip`'s until they are empty (random order). */
function settleExcept(sim: GroupSim, random: () => number, skip: string): void {
  for (let round = 0; round < 100_000; round++) {
    const busy = [...sim.peers.keys()].filter((n) => n !== skip && sim.peer(n).inbox.length > 0);
    if (busy.length === 0) return;
    const name = busy[Math.floor(random() * busy.length)] as string;
    sim.deliver(name, Math.floor(random() * sim.peer(name).inbox.length));
  }
  throw new Error('did not settle');
}

/** Runs `f` and returns the bundle it made D receive. */
function captured(sim: GroupSim, f: () => void): Uint8Array {
  const inbox = sim.peer('D').inbox;
  const before = inbox.length;
  f();
  expect(inbox.length).toBe(before + 1);
  return inbox[before] as Uint8Array;
}

interface Replay {
  state: GroupState | undefined;
  ctx: ReturnType<GroupSim["ctx"]>;
  decrypted: Set<string>;
  outputs: GroupOutput[];
  errors: string[];
}

/** A fresh copy of D (never online) receives `bundles` in the given order. */
function replay(sim: GroupSim, bundles: readonly Uint8Array[], into?: Replay): Replay {
  const d = sim.peer('D');
  const r: Replay = into ?? { state: undefined, ctx: sim.ctx(d), decrypted: new Set(), outputs: [], errors: [] };
  let pre = createGroupInbox({ scheme: sim.scheme });
  const take = (result: GroupResult): void => {
    const encoded = encodeGroupState(result.state);
    r.state = decodeGroupState(encoded, sim.deps);
    expect(bytesEqual(encodeGroupState(r.state), encoded)).toBe(true);
    r.ctx = { deps: sim.deps, keys: result.keys, registry: result.registry };
    for (const o of result.outputs) {
      r.outputs.push(o);
      if (o.kind === 'application') r.decrypted.add(new TextDecoder().decode(o.plaintext));
      if (o.kind === 'rejected') r.errors.push(o.error.code);
    }
  };
  for (const bundle of bundles) {
    const incoming = openWireBundle(bundle, d.id);
    const before = r.state ? encodeGroupState(r.state) : undefined;
    try {
      if (r.state) {
        take(receive(r.state, r.ctx, incoming));
      } else {
        const out = receivePreJoin(pre, r.ctx, incoming);
        pre = out.inbox;
        if (out.joined) take(out.joined);
      }
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      r.errors.push(error.code);
      if (before && r.state) expect(encodeGroupState(r.state)).toEqual(before);
    }
  }
  return r;
}

/** `bundles` shuffled, with each one duplicated (at a random later place) with probability 0.3. */
function shuffledWithDuplicates(bundles: readonly Uint8Array[], random: () => number): Uint8Array[] {
  const out = [...bundles];
  for (const b of bundles) if (random() < 0.3) out.push(b);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as Uint8Array, out[i] as Uint8Array];
  }
  return out;
}

function checkConverged(sim: GroupSim, r: Replay): GroupState {
  const state = r.state;
  if (!state) throw new Error(`D never joined (errors: ${r.errors.join(',')})`);
  expect(groupMembers(state).map((id) => sim.nameOf(id)).sort()).toEqual(sim.members('B'));
  expect(state.pendingControl).toEqual([]);
  expect(missingControl(state)).toEqual([]);
  expect(state.pendingApplication).toEqual([]);
  for (const text of r.decrypted) expect(sim.sent.some((m) => m.text === text)).toBe(true);
  return state;
}

describe.each<GroupScheme>(['message', 'data'])('orderer-backed receive (%s scheme)', (scheme) => {
  it('a never-online joiner fed the whole history shuffled, with duplicates and messages from before its add, converges', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    const random = seeded(11);
    sim.create('A', ['B', 'C']);
    const beforeAdd = [sim.send('A')];
    settleExcept(sim, random, 'D');
    beforeAdd.push(sim.send('B'));
    sim.update('B');
    settleExcept(sim, random, 'D');
    beforeAdd.push(sim.send('C'));
    sim.add('C', 'D');
    sim.send('A');
    settleExcept(sim, random, 'D');
    const late = [sim.send('B')];
    sim.update('C');
    late.push(sim.send('C'));
    sim.remove('B', 'A');
    settleExcept(sim, random, 'D');
    late.push(sim.send('C'), sim.send('B'));
    settleExcept(sim, random, 'D');
    const history = [...sim.peer('D').inbox];

    const baseline = replay(sim, history);
    const state = checkConverged(sim, baseline);
    const others = (clock: ReadonlyMap<string, number>) => Object.fromEntries([...clock].filter(([id]) => id !== sim.peer('D').id));
    expect(others(state.dcgka.clock)).toEqual(sim.peer('B').state?.dcgka.clock.toRecord());
    for (const text of late) expect(baseline.decrypted.has(text)).toBe(true);
    for (const text of beforeAdd) expect(baseline.decrypted.has(text)).toBe(scheme === 'data');
    for (const m of sim.sent) if (m.members.includes('D')) expect(baseline.decrypted.has(m.text), m.text).toBe(true);

    for (let seed = 1; seed <= 6; seed++) {
      const order = shuffledWithDuplicates(history, seeded(100 + seed));
      expect(order.length).toBeGreaterThan(history.length);
      const r = replay(sim, order);
      checkConverged(sim, r);
      expect(others(r.state?.dcgka.clock ?? new Map())).toEqual(others(state.dcgka.clock));
      expect([...r.decrypted].sort()).toEqual([...baseline.decrypted].sort());
      expect(r.outputs.filter((o) => o.kind === 'duplicate').length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('joins through the earliest invitation when re-added; a withheld control message is reported missing until it arrives', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    const random = seeded(12);
    sim.create('A', ['B', 'C']);
    settleExcept(sim, random, 'D');
    const firstAdd = captured(sim, () => sim.add('C', 'D'));
    settleExcept(sim, random, 'D');
    sim.remove('A', 'D');
    settleExcept(sim, random, 'D');
    const reAdd = captured(sim, () => sim.add('B', 'D'));
    settleExcept(sim, random, 'D');
    const withheld = captured(sim, () => sim.update('A'));
    sim.update('C');
    const after = [sim.send('A'), sim.send('C')];
    settleExcept(sim, random, 'D');
    const history = sim.peer('D').inbox.filter((b) => b !== withheld);
    // the re-add first, then the rest in reverse: D must wait for the first add (listed in the re-add's welcome)
    const order = [reAdd, ...history.filter((b) => b !== reAdd && b !== firstAdd).reverse(), firstAdd];
    const r = replay(sim, order);
    const state = r.state as GroupState;
    expect(state).toBeDefined();
    expect(r.outputs.filter((o) => o.kind === 'joined').length).toBe(2);
    expect(r.outputs.filter((o) => o.kind === 'removed').length).toBe(1);
    const a = sim.peer('A').id;
    const seq = readControl({ deps: sim.deps, keys: sim.peer('D').keys, registry: sim.peer('D').registry }, openWireBundle(withheld, sim.peer('D').id).broadcast, state.dcgka).seq;
    expect(missingControl(state)).toContainEqual({ sender: a, seq });
    expect(r.decrypted.has(after[0] as string)).toBe(false);
    const done = replay(sim, [withheld, withheld], r);
    checkConverged(sim, done);
    expect(done.errors).toEqual([]);
    for (const text of after) expect(done.decrypted.has(text), text).toBe(true);
  }, 120_000);

  it('equivocation (two different control messages with one seq) is a typed error, delivered or buffered; the state is unchanged', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(13));
    const b = sim.peer('B');
    const c = sim.peer('C');
    const controlOf = (r: GroupResult): Uint8Array => {
      const o = r.outputs.find((x) => x.kind === 'send');
      if (o?.kind !== 'send') throw new Error('no control message');
      return encodeWireBundle(o.message);
    };
    const s0 = b.state as GroupState;
    const u1 = updateGroup(s0, sim.ctx(b));
    const u1b = controlOf(updateGroup(s0, sim.ctx(b)));
    const ctxAfter = { deps: sim.deps, keys: u1.keys, registry: u1.registry };
    const u2 = controlOf(updateGroup(u1.state, ctxAfter));
    const u2b = controlOf(updateGroup(u1.state, ctxAfter));
    expect(bytesEqual(u2, u2b)).toBe(false);
    let state = c.state as GroupState;
    let ctx = sim.ctx(c);
    // buffered: u2 waits for u1; another u2 is equivocation
    const buffered = receive(state, ctx, openWireBundle(u2, c.id));
    expect(buffered.state.pendingControl.length).toBe(1);
    expect(missingControl(buffered.state)).toEqual([{ sender: b.id, seq: buffered.state.pendingControl[0]!.seq - 1 }]);
    const before = encodeGroupState(buffered.state);
    expect(codeOf(() => receive(buffered.state, ctx, openWireBundle(u2b, c.id)))).toBe('STATE_DUPLICATE');
    expect(encodeGroupState(buffered.state)).toEqual(before);
    // a duplicate of the buffered one is just a duplicate
    expect(receive(buffered.state, ctx, openWireBundle(u2, c.id)).outputs).toEqual([{ kind: 'duplicate' }]);
    state = buffered.state;
    const delivered = receive(state, ctx, openWireBundle(controlOf(u1), c.id));
    expect(delivered.state.pendingControl).toEqual([]);
    state = delivered.state;
    ctx = { deps: sim.deps, keys: delivered.keys, registry: delivered.registry };
    // delivered: another u1 or u2 is equivocation, the same one a duplicate
    const after = encodeGroupState(state);
    expect(codeOf(() => receive(state, ctx, openWireBundle(u1b, c.id)))).toBe('STATE_DUPLICATE');
    expect(codeOf(() => receive(state, ctx, openWireBundle(u2b, c.id)))).toBe('STATE_DUPLICATE');
    expect(receive(state, ctx, openWireBundle(u2, c.id)).outputs).toEqual([{ kind: 'duplicate' }]);
    expect(encodeGroupState(state)).toEqual(after);
  });

  it('send and receive report the secrets they dropped; wiping them after commit breaks nothing', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    sim.create('A', ['B']);
    sim.settle(seeded(14));
    const a = sim.peer('A');
    const b = sim.peer('B');
    let sa = a.state as GroupState;
    let sb = b.state as GroupState;
    let wiped = 0;
    for (let i = 0; i < 4; i++) {
      const sent = send(sa, sim.ctx(a), { plaintext: new TextEncoder().encode(`w${i}`) });
      const o = sent.outputs[0];
      if (o?.kind !== 'send') throw new Error('no send');
      sa = sent.state;
      const got = receive(sb, sim.ctx(b), openWireBundle(encodeWireBundle(o.message), b.id));
      sb = got.state;
      expect(got.outputs.map((x) => (x.kind === 'application' ? new TextDecoder().decode(x.plaintext) : x.kind))).toEqual([`w${i}`]);
      if (scheme === 'message') {
        expect(sent.consumed.length).toBeGreaterThan(0);
        expect(got.consumed.length).toBeGreaterThan(0);
      }
      for (const secret of [...sent.consumed, ...got.consumed]) {
        zeroize(secret);
        wiped++;
      }
    }
    expect(wiped > 0).toBe(scheme === 'message');
  });

  if (scheme === 'message') {
    it('an epoch chain dropped for being one too many old epochs is handed back to wipe', () => {
      const sim = new GroupSim(['A', 'B'], scheme);
      const random = seeded(15);
      sim.create('A', ['B']);
      sim.settle(random);
      const bId = sim.peer('B').id;
      const chainsAtA = () => (sim.peer('A').state as GroupState).message?.chains[bId] ?? [];
      const oldest = chainsAtA()[0]?.chain as Uint8Array;
      for (let i = 0; i <= MAX_PREVIOUS_EPOCHS; i++) {
        sim.update('B');
        sim.settle(random);
      }
      expect(chainsAtA()).toHaveLength(MAX_PREVIOUS_EPOCHS + 1);
      expect(chainsAtA().some((c) => bytesEqual(c.chain, oldest))).toBe(false);
      expect(sim.peer('A').consumed.some((c) => bytesEqual(c, oldest))).toBe(true);
    });
  }
});

