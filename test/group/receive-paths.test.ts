/**
 * `receive` paths the scenarios rarely take: my own message as a duplicate,
 * messages of another group, the application buffer's limits, a held
 * stranger or a buffered control message that fails once it can be
 * processed (a `rejected` output, dropped from the buffer), a remove whose
 * note is malformed, welcome records that name no such op. Every refusal
 * leaves the caller's state as it was.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, encodeCanonical, fromHex, utf8 } from '../../src/crypto/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { add as dcgkaAdd, readControl, remove as dcgkaRemove } from '../../src/dcgka/index.js';
import {
  MAX_BUFFERED_APPLICATION_BYTES, MAX_BUFFERED_DIRECT_BYTES, MAX_PENDING_APPLICATION, MAX_PENDING_CONTROL_BYTES, createGroup, encodeGroupState, encodeWireBundle, joinGroup, missingControl, myId, openWireBundle, receive, send,
} from '../../src/group/index.js';
import type { GroupOutput, GroupResult, GroupScheme, GroupState, IncomingMessage } from '../../src/group/index.js';
import { identityOf } from '../../src/keys/index.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

/** The group state B holds after A created the group with B and C and everything settled. */
function settled(scheme: GroupScheme, seed: number): GroupSim {
  const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
  sim.create('A', ['B', 'C']);
  sim.settle(seeded(seed));
  for (const n of ['A', 'B', 'C', 'D']) sim.peer(n).inbox = [];
  return sim;
}

function sentMessage(result: GroupResult): IncomingMessage {
  const o = result.outputs.find((x) => x.kind === 'send');
  if (o?.kind !== 'send') throw new Error('no send output');
  return openWireBundle(encodeWireBundle(o.message), '');
}

/** Calls `f`, expecting it to throw `code` and leave `state` as it was. */
function refused(state: GroupState, code: string, f: () => unknown): void {
  const before = encodeGroupState(state);
  expect(codeOf(f)).toBe(code);
  // bytesEqual: vitest's deep equality walks a large array element by element (minutes for megabytes)
  expect(bytesEqual(encodeGroupState(state), before)).toBe(true);
}

const rejectedCodes = (outputs: readonly GroupOutput[]): string[] => outputs.flatMap((o) => (o.kind === 'rejected' ? [o.error.code] : []));

describe.each<GroupScheme>(['message', 'data'])('receive paths (%s scheme)', (scheme) => {
  it('my own application message comes back as a duplicate, state unchanged; myId names me', () => {
    const sim = settled(scheme, 1);
    const a = sim.peer('A');
    expect(myId(a.state!)).toBe(a.id);
    const sent = send(a.state!, sim.ctx(a), { plaintext: utf8('mine') });
    const back = receive(sent.state, { deps: sim.deps, keys: sent.keys, registry: sent.registry }, sentMessage(sent));
    expect(back.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(encodeGroupState(back.state)).toEqual(encodeGroupState(sent.state));
  });

  it('refuses a control message of another group and a broadcast that is not bytes, state unchanged', () => {
    const sim = settled(scheme, 2);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const other = createGroup(sim.ctx(a), { scheme, members: [b.id] });
    const invitation = sentMessage(other);
    // without its label (the bundle's label is checked first): the signed group id refuses it
    refused(b.state!, 'VERIFY_GROUP', () => receive(b.state!, sim.ctx(b), { broadcast: invitation.broadcast }));
    refused(b.state!, 'USAGE_ARGUMENT', () => receive(b.state!, sim.ctx(b), { broadcast: [1, 2] } as unknown as IncomingMessage));
  });

  it('an application message too large to wait for its epoch is refused (retryable), then read once its epoch is known', () => {
    const sim = settled(scheme, 3);
    const a = sim.peer('A');
    const b = sim.peer('B');
    sim.update('A');
    const [update] = b.inbox.splice(0);
    const big = send(a.state!, sim.ctx(a), { plaintext: new Uint8Array(MAX_BUFFERED_APPLICATION_BYTES + 1) });
    const message = sentMessage(big);
    refused(b.state!, 'STATE_LIMIT', () => receive(b.state!, sim.ctx(b), message));
    const after = receive(b.state!, sim.ctx(b), openWireBundle(update as Uint8Array, b.id));
    const read = receive(after.state, { deps: sim.deps, keys: after.keys, registry: after.registry }, message);
    expect(read.outputs.filter((o) => o.kind === 'application')).toHaveLength(1);
    // one byte less waits
    const fits = send(big.state, { deps: sim.deps, keys: big.keys, registry: big.registry }, { plaintext: new Uint8Array(MAX_BUFFERED_APPLICATION_BYTES - 1000) });
    expect(receive(b.state!, sim.ctx(b), sentMessage(fits)).state.pendingApplication).toHaveLength(1);
  });

  it('a held stranger that fails once its sender is known is a rejected output and is dropped', () => {
    const sim = settled(scheme, 5);
    const b = sim.peer('B');
    const c = sim.peer('C');
    sim.add('A', 'D');
    const toB = b.inbox.splice(0);
    while (sim.peer('D').inbox.length > 0) sim.deliver('D', 0);
    b.inbox = [];
    c.inbox = [];
    sim.send('D', utf8('right'));
    // the associated data handed in is not what D used: its signature cannot match once D is known
    const wrongAd = openWireBundle(b.inbox[0] as Uint8Array, b.id, utf8('wrong'));
    const held = receive(b.state!, sim.ctx(b), wrongAd);
    expect(held.state.strangers).toHaveLength(1);
    let state = held.state;
    let ctx = { deps: sim.deps, keys: held.keys, registry: held.registry };
    const outputs: GroupOutput[] = [];
    for (const bundle of toB) {
      const r = receive(state, ctx, openWireBundle(bundle, b.id));
      state = r.state;
      ctx = { deps: sim.deps, keys: r.keys, registry: r.registry };
      outputs.push(...r.outputs);
    }
    expect(rejectedCodes(outputs)).toEqual(['VERIFY_SIGNATURE']);
    expect(state.strangers).toEqual([]);
  });

  it('a buffered control message that fails when its turn comes is a rejected output, dropped from the buffer; handed in directly it throws', () => {
    const sim = settled(scheme, 6);
    const a = sim.peer('A');
    const b = sim.peer('B');
    sim.update('A');
    const [update] = b.inbox.splice(0);
    const next = (a.state as GroupState).dcgka.clock.get(a.id) as number;
    // A's next control message, signed by A, with a direct part for B that opens to nothing
    const direct = new Uint8Array(120).fill(3);
    const forged = encodeControl({
      groupId: a.state!.dcgka.groupId, sender: a.id, seq: next, body: { type: 'update', commitment: new Uint8Array(32) },
      manifest: manifestOf(sim.deps, [{ recipient: b.id, bytes: direct }, { recipient: sim.peer('C').id, bytes: direct }]),
    }, identityOf(a.keys), sim.deps);
    const waiting = receive(b.state!, sim.ctx(b), { broadcast: forged, direct });
    expect(waiting.state.pendingControl.map((p) => p.seq)).toEqual([next]);
    expect(missingControl(waiting.state)).toEqual([{ sender: a.id, seq: next - 1 }]);
    const ctx = { deps: sim.deps, keys: waiting.keys, registry: waiting.registry };
    const done = receive(waiting.state, ctx, openWireBundle(update as Uint8Array, b.id));
    expect(rejectedCodes(done.outputs)).toHaveLength(1);
    expect(done.state.pendingControl).toEqual([]);
    expect(Object.keys(done.state.directs)).toEqual([]);
    expect(done.state.dcgka.clock.get(a.id)).toBe(next);
    // the same message handed in when it is next: thrown, state unchanged
    const doneCtx = { deps: sim.deps, keys: done.keys, registry: done.registry };
    const code = codeOf(() => receive(done.state, doneCtx, { broadcast: forged, direct }));
    expect(code).toBe(rejectedCodes(done.outputs)[0]);
  });

  it('a remove with a malformed note still removes, and its record vouches for nothing (frontier null)', () => {
    const sim = settled(scheme, 7);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const c = sim.peer('C');
    const result = dcgkaRemove(a.state!.dcgka, sim.ctx(a), c.id, encodeCanonical([1]));
    const control = result.outputs.find((o) => o.kind === 'control');
    if (control?.kind !== 'control') throw new Error('no remove');
    const direct = control.control.direct.find((d) => d.recipient === b.id);
    const r = receive(b.state!, sim.ctx(b), { broadcast: control.control.broadcast, ...(direct ? { direct: direct.bytes } : {}) });
    const m = readControl(sim.ctx(b), control.control.broadcast);
    expect(r.state.removals).toEqual([{ op: `${a.id}:${m.seq}`, member: c.id, frontier: null }]);
    expect(r.state.dcgka.membership.ops.some((op) => op.kind === 'remove')).toBe(true);
  });
});

describe('the application buffer', () => {
  it(`at most MAX_PENDING_APPLICATION (${MAX_PENDING_APPLICATION}) application messages wait for their epoch`, () => {
    const sim = settled('message', 4);
    const a = sim.peer('A');
    const b = sim.peer('B');
    sim.update('A');
    let sender = a.state!;
    let keys = a.keys;
    const messages: IncomingMessage[] = [];
    for (let i = 0; i <= MAX_PENDING_APPLICATION; i++) {
      const r = send(sender, { deps: sim.deps, keys, registry: a.registry }, { plaintext: new Uint8Array(1) });
      sender = r.state;
      keys = r.keys;
      messages.push(sentMessage(r));
    }
    let state = b.state!;
    for (const m of messages.slice(0, MAX_PENDING_APPLICATION)) state = receive(state, sim.ctx(b), m).state;
    expect(state.pendingApplication).toHaveLength(MAX_PENDING_APPLICATION);
    const full = state;
    refused(full, 'STATE_LIMIT', () => receive(full, sim.ctx(b), messages.at(-1) as IncomingMessage));
  }, 120_000);
});

describe('the control buffer', () => {
  it('a buffered direct part over MAX_BUFFERED_DIRECT_BYTES, or buffered control bytes over MAX_PENDING_CONTROL_BYTES, are refused; state unchanged', () => {
    const sim = settled('message', 10);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const next = (a.state as GroupState).dcgka.clock.get(a.id) as number;
    /** A's control message at `seq` (ahead of what B has: it waits), with a direct part of `size` bytes for B. */
    const ahead = (seq: number, size: number): IncomingMessage => {
      const direct = new Uint8Array(size).fill(seq);
      const broadcast = encodeControl({
        groupId: a.state!.dcgka.groupId, sender: a.id, seq, body: { type: 'update', commitment: new Uint8Array(32) },
        manifest: manifestOf(sim.deps, [{ recipient: b.id, bytes: direct }]),
      }, identityOf(a.keys), sim.deps);
      return { broadcast, direct };
    };
    refused(b.state!, 'STATE_LIMIT', () => receive(b.state!, sim.ctx(b), ahead(next + 1, MAX_BUFFERED_DIRECT_BYTES + 1)));
    const one = receive(b.state!, sim.ctx(b), ahead(next + 1, MAX_BUFFERED_DIRECT_BYTES));
    expect(one.state.pendingControl.map((p) => p.seq)).toEqual([next + 1]);
    const ctx = { deps: sim.deps, keys: one.keys, registry: one.registry };
    expect(2 * MAX_BUFFERED_DIRECT_BYTES).toBe(MAX_PENDING_CONTROL_BYTES);
    refused(one.state, 'STATE_LIMIT', () => receive(one.state, ctx, ahead(next + 2, MAX_BUFFERED_DIRECT_BYTES)));
    expect(receive(one.state, ctx, ahead(next + 2, MAX_BUFFERED_DIRECT_BYTES - 2000)).state.pendingControl).toHaveLength(2);
  });
});

/** `joiner` joins through an add by `adder` whose welcome extra is `extra` (forged: DCGKA carries it as given); the join's error code. */
function joinWithExtra(sim: GroupSim, adder: string, joiner: string, extra: Uint8Array): string | undefined {
  const a = sim.peer(adder);
  const id = sim.peer(joiner).id;
  const result = dcgkaAdd(a.state!.dcgka, sim.ctx(a), id, extra);
  const control = result.outputs.find((o) => o.kind === 'control');
  if (control?.kind !== 'control') throw new Error('no add');
  const direct = control.control.direct.find((d) => d.recipient === id);
  return codeOf(() => joinGroup(sim.ctx(sim.peer(joiner)), { scheme: 'message', message: { broadcast: control.control.broadcast, direct: direct!.bytes } }));
}

describe('welcome records are checked against the history the welcome gives', () => {
  /** D joins through A's add whose welcome carries `records`. */
  function join(records: (ids: { a: string; c: string }) => Record<string, unknown>): string | undefined {
    const sim = settled('message', 8);
    const ids = { a: sim.peer('A').id, c: sim.peer('C').id };
    return joinWithExtra(sim, 'A', 'D', encodeCanonical({ v: 3, secrets: null, removals: [], rejoins: [], ...records(ids) }));
  }

  it('a removal record naming the create, or a rejoin record naming no add of its member, refuses the welcome', () => {
    expect(join(() => ({}))).toBeUndefined();
    expect(join((ids) => ({ removals: [[`${ids.a}:0`, fromHex(ids.c), null]] }))).toBe('VERIFY_GROUP');
    expect(join((ids) => ({ rejoins: [[fromHex(ids.c), `${ids.a}:0`, 0]] }))).toBe('VERIFY_GROUP');
  });
});

describe('welcome records must name the right op of the right member', () => {
  /** A removes B and adds it back (B rejoins); then A's welcome to E carries `records` instead of its own. */
  function reAdded(seed: number) {
    const sim = new GroupSim(['A', 'B', 'C', 'E'], 'message');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(seed));
    sim.remove('A', 'B');
    sim.settle(seeded(seed + 1));
    sim.add('A', 'B');
    sim.settle(seeded(seed + 2));
    const state = sim.peer('A').state as GroupState;
    expect(state.removals).toHaveLength(1);
    expect(state.rejoins).toHaveLength(1);
    const removal = state.removals[0]!;
    const rejoin = state.rejoins[0]!;
    const join = (records: { removals?: unknown[]; rejoins?: unknown[] }): string | undefined => joinWithExtra(sim, 'A', 'E', encodeCanonical({
      v: 3, secrets: null,
      removals: records.removals ?? [[removal.op, fromHex(removal.member), removal.frontier ? [removal.frontier.epoch, removal.frontier.counter] : null, ...(removal.until === undefined ? [] : [removal.until])]],
      rejoins: records.rejoins ?? [[fromHex(rejoin.member), rejoin.add, rejoin.seq]],
    }));
    return { sim, removal, rejoin, join, clockOfB: state.dcgka.clock.get(sim.peer('B').id) as number };
  }

  it('the adder\'s true records are taken; a remove or add of another member, or a rejoin at or past the member\'s clock, refuses the welcome', () => {
    const { sim, removal, rejoin, join, clockOfB } = reAdded(30);
    const c = fromHex(sim.peer('C').id);
    expect(join({})).toBeUndefined();
    expect(join({ removals: [[removal.op, c, null]] }), 'the remove of B named for C').toBe('VERIFY_GROUP');
    expect(join({ rejoins: [[c, rejoin.add, rejoin.seq]] }), 'the add of B named for C').toBe('VERIFY_GROUP');
    expect(join({ rejoins: [[fromHex(rejoin.member), rejoin.add, clockOfB]] }), 'a rejoin the adder has not processed').toBe('VERIFY_GROUP');
    expect(join({ rejoins: [[fromHex(rejoin.member), removal.op, rejoin.seq]] }), 'a rejoin naming the remove').toBe('VERIFY_GROUP');
    expect(rejoin.seq).toBeLessThan(clockOfB);
    expect(join({ rejoins: [[fromHex(rejoin.member), rejoin.add, clockOfB - 1]] }), 'the last message the adder processed').toBeUndefined();
  });
});
