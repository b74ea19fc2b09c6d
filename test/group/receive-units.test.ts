/**
 * src/group/receive.ts rule by rule, through `receive` on real states: what a
 * message handed in twice or back to its sender does, which control messages
 * are held as strangers' (and which are refused), how the strangers'
 * allowance expires, deduplicates and makes room, which records a processed
 * control message leaves, and what a removed member does with a forgery.
 * The schedules check whole groups; these check each rule both ways.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical, utf8 } from '../../src/crypto/index.js';
import { MAX_DIRECT_BYTES, remove as dcgkaRemove } from '../../src/dcgka/index.js';
import {
  MAX_BUFFERED_APPLICATION_BYTES, MAX_PENDING_APPLICATION_BYTES, MAX_STRANGER_BYTES, MAX_STRANGER_MESSAGE_BYTES, STRANGER_TTL_SECONDS, encodeWireBundle, openWireBundle, receive, send, updateGroup,
} from '../../src/group/index.js';
import type { GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, IncomingMessage } from '../../src/group/index.js';
import { errorOf } from '../helpers/errors.js';
import { GroupSim, seeded, sentVersions } from '../helpers/group-sim.js';
import { outsiderEnvelope, outsiderUpdate } from '../helpers/outsiders.js';

function settled(scheme: GroupScheme, names = ['A', 'B', 'C'], members = ['B', 'C']): GroupSim {
  const sim = new GroupSim(names, scheme);
  sim.create('A', members);
  sim.settle(seeded(61));
  return sim;
}

const contextOf = (sim: GroupSim, r: GroupResult): GroupContext => ({ deps: sim.deps, keys: r.keys, registry: r.registry });

/** The message of the `send` output among `outputs`, as `to` receives it. */
function incomingFor(outputs: readonly GroupOutput[], to: string): IncomingMessage {
  const out = outputs.find((o) => o.kind === 'send');
  if (out?.kind !== 'send') throw new Error('no send output');
  return openWireBundle(encodeWireBundle(out.message), to);
}

/** A copy of `bytes` with its last byte changed (a control message's or an envelope's signature). */
function lastByteFlipped(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 1;
  return copy;
}

/** A settled message-scheme group in which A has just updated: the update as B receives it. */
function updateForB() {
  const sim = settled('message');
  const [a, b] = [sim.peer('A'), sim.peer('B')];
  const updated = updateGroup(a.state as GroupState, sim.ctx(a));
  return { sim, a, b, message: incomingFor(updated.outputs, b.id) };
}

describe('messages handed in twice', () => {
  it('my own control message handed back is a duplicate: the state itself, nothing to wipe', () => {
    const sim = settled('message');
    const a = sim.peer('A');
    const updated = updateGroup(a.state as GroupState, sim.ctx(a));
    const echoed = receive(updated.state, contextOf(sim, updated), incomingFor(updated.outputs, a.id));
    expect(echoed.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(echoed.state).toBe(updated.state);
    expect(echoed.consumed).toEqual([]);
  });

  it('a control message already processed, handed in again without my direct part, is a duplicate (not a missing key)', () => {
    const { sim, a, b, message } = updateForB();
    expect(message.direct).toBeDefined();
    const once = receive(b.state as GroupState, sim.ctx(b), message);
    expect(once.state.dcgka.clock.get(a.id)).toBe((b.state as GroupState).dcgka.clock.get(a.id)! + 1);
    const again = receive(once.state, contextOf(sim, once), { broadcast: message.broadcast });
    expect(again.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(again.state).toBe(once.state);
  });

  it('a control message with a broken signature is refused, never held as a stranger\'s', () => {
    const { sim, b, message } = updateForB();
    const forged = { ...message, broadcast: lastByteFlipped(message.broadcast) };
    expect(errorOf(() => receive(b.state as GroupState, sim.ctx(b), forged)).code).toBe('VERIFY_SIGNATURE');
  });

  it('no message at all is a usage error, not a crash', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    expect(errorOf(() => receive(b.state as GroupState, sim.ctx(b), undefined as unknown as IncomingMessage))).toMatchObject({ code: 'USAGE_ARGUMENT', message: 'receive: broadcast must be bytes' });
  });

  it('a direct part over MAX_DIRECT_BYTES is refused by its size before anything else', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const state = b.state as GroupState;
    const over = outsiderUpdate(sim, state.dcgka.groupId, 1, MAX_DIRECT_BYTES + 1);
    expect(errorOf(() => receive(state, sim.ctx(b), over))).toMatchObject({ code: 'DECODE_TOO_LARGE', message: `receive: direct part of ${MAX_DIRECT_BYTES + 1} bytes exceeds ${MAX_DIRECT_BYTES}` });
    const atLimit = outsiderUpdate(sim, state.dcgka.groupId, 1, MAX_DIRECT_BYTES);
    expect(errorOf(() => receive(state, sim.ctx(b), atLimit)).code).not.toBe('DECODE_TOO_LARGE');
  });
});

describe('what an application message leaves', () => {
  it('a message that waited for its epoch is output with the id its sender got', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const mark = b.inbox.length;
    sim.update('A');
    const update = b.inbox.splice(mark);
    const text = sim.send('A');
    sim.deliver('B', b.inbox.length - 1);
    expect(b.decrypted.has(text)).toBe(false);
    b.inbox.push(...update);
    sim.settle(seeded(62));
    expect(b.decrypted.has(text)).toBe(true);
    expect(b.positions.get(text)?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(b.positions.get(text)?.id).toBe(sim.peer('A').positions.get(text)?.id);
  });

  it('`heard` keeps the highest position read: an older message read late does not lower it', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const mark = b.inbox.length;
    const first = sim.send('A');
    const second = sim.send('A');
    expect(b.inbox.length).toBe(mark + 2);
    sim.deliver('B', mark + 1);
    sim.deliver('B', mark);
    expect(b.decrypted.has(first) && b.decrypted.has(second)).toBe(true);
    const { epoch, counter } = b.positions.get(second)!;
    expect((b.state as GroupState).heard[sim.peer('A').id]).toEqual({ epoch, counter });
  });

  it('updates, acks and messages leave no removal or rejoin records', () => {
    const sim = settled('message');
    sim.update('B');
    sim.send('C');
    sim.settle(seeded(63));
    for (const name of ['A', 'B', 'C']) {
      const state = sim.peer(name).state as GroupState;
      expect([state.removals, state.rejoins], name).toEqual([[], []]);
    }
  });
});

describe('application messages waiting for their epoch', () => {
  it('one of exactly MAX_BUFFERED_APPLICATION_BYTES (associated data counted) waits, one byte more is refused; two such fill MAX_PENDING_APPLICATION_BYTES exactly', () => {
    expect(2 * MAX_BUFFERED_APPLICATION_BYTES).toBe(MAX_PENDING_APPLICATION_BYTES);
    const sim = settled('message');
    const a = sim.peer('A');
    const b = sim.peer('B');
    // A moves to an epoch B has not seen; its messages there wait at B.
    const updated = updateGroup(a.state as GroupState, sim.ctx(a));
    const sentWith = (text: string, size: number): IncomingMessage => {
      const probe = send(updated.state, contextOf(sim, updated), { plaintext: utf8(text), ad: new Uint8Array(1) });
      const length = incomingFor(probe.outputs, b.id).broadcast.length;
      const ad = new Uint8Array(size - length).fill(7);
      return { ...incomingFor(send(updated.state, contextOf(sim, updated), { plaintext: utf8(text), ad }).outputs, b.id), ad };
    };
    const state = b.state as GroupState;
    const one = receive(state, sim.ctx(b), sentWith('one', MAX_BUFFERED_APPLICATION_BYTES));
    expect(one.state.pendingApplication).toHaveLength(1);
    expect(errorOf(() => receive(state, sim.ctx(b), sentWith('over', MAX_BUFFERED_APPLICATION_BYTES + 1))).code).toBe('STATE_LIMIT');
    const two = receive(one.state, contextOf(sim, one), sentWith('two', MAX_BUFFERED_APPLICATION_BYTES));
    expect(two.state.pendingApplication).toHaveLength(2);
    expect(two.outputs.filter((o) => o.kind === 'rejected')).toEqual([]);
  });
});

describe('the note of a remove', () => {
  /** A removes C with `note` (as the DCGKA layer sends it); B processes it. */
  function removedWithNote(note: Uint8Array): GroupState {
    const sim = settled('message');
    const a = sim.peer('A');
    const b = sim.peer('B');
    const c = sim.peer('C');
    const result = dcgkaRemove((a.state as GroupState).dcgka, sim.ctx(a), c.id, note);
    const control = result.outputs.find((o) => o.kind === 'control');
    if (control?.kind !== 'control') throw new Error('no remove');
    const direct = control.control.direct.find((d) => d.recipient === b.id);
    return receive(b.state as GroupState, sim.ctx(b), { broadcast: control.control.broadcast, ...(direct ? { direct: direct.bytes } : {}) }).state;
  }

  it('a remove without a note (an older version\'s) bars nothing; a malformed note bars every message of the member', () => {
    expect(removedWithNote(new Uint8Array(0)).removals).toEqual([]);
    const malformed = removedWithNote(encodeCanonical([1]));
    expect(malformed.removals).toHaveLength(1);
    expect(malformed.removals[0]?.frontier).toBeNull();
  });
});

describe('strangers\' messages', () => {
  const T = 1_000_000;

  function clocked(sim: GroupSim, name: string, at: number): GroupContext {
    const peer = sim.peer(name);
    return { deps: { ...sim.deps, now: () => at }, keys: peer.keys, registry: peer.registry };
  }

  /** B holding one outsider's message received at T; `receiveAt(t)` hands B another outsider's message at time t. */
  function holding(scheme: GroupScheme) {
    const sim = settled(scheme);
    const b = sim.peer('B');
    const groupId = (b.state as GroupState).dcgka.groupId;
    const first = receive(b.state as GroupState, clocked(sim, 'B', T), { broadcast: outsiderEnvelope(sim, groupId, scheme, 10) }).state;
    expect(first.strangers).toHaveLength(1);
    const receiveAt = (t: number): GroupState => receive(first, clocked(sim, 'B', t), { broadcast: outsiderEnvelope(sim, groupId, scheme, 10, 1) }).state;
    return { sim, groupId, first, receiveAt };
  }

  it('a held message lasts STRANGER_TTL_SECONDS, and one dated further ahead than that is dropped too', () => {
    const { receiveAt } = holding('message');
    expect(receiveAt(T + STRANGER_TTL_SECONDS - 1).strangers.map((m) => m.at)).toEqual([T, T + STRANGER_TTL_SECONDS - 1]);
    expect(receiveAt(T + STRANGER_TTL_SECONDS).strangers.map((m) => m.at)).toEqual([T + STRANGER_TTL_SECONDS]);
    // The clock went back: a message held "in the future" by at most the TTL stays.
    expect(receiveAt(T - STRANGER_TTL_SECONDS).strangers.map((m) => m.at)).toEqual([T, T - STRANGER_TTL_SECONDS]);
    expect(receiveAt(T - STRANGER_TTL_SECONDS - 1).strangers.map((m) => m.at)).toEqual([T - STRANGER_TTL_SECONDS - 1]);
  });

  it('the same message again is a duplicate: held once, nothing to wipe', () => {
    const sim = settled('data');
    const b = sim.peer('B');
    const groupId = (b.state as GroupState).dcgka.groupId;
    const envelope = outsiderEnvelope(sim, groupId, 'data', 10);
    const once = receive(b.state as GroupState, sim.ctx(b), { broadcast: envelope });
    const twice = receive(once.state, contextOf(sim, once), { broadcast: envelope });
    expect(twice.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(twice.consumed).toEqual([]);
    expect(twice.state.strangers).toHaveLength(1);
  });

  it('a control message held with my direct part, or one that has none for me, is a duplicate when it comes again', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const state = b.state as GroupState;
    const groupId = state.dcgka.groupId;
    const withDirect = outsiderUpdate(sim, groupId, 0, 32);
    const held = receive(state, sim.ctx(b), withDirect);
    expect(held.state.strangers[0]?.direct).not.toBeNull();
    expect(receive(held.state, contextOf(sim, held), withDirect).outputs).toEqual([{ kind: 'duplicate' }]);
    const forC = outsiderUpdate(sim, groupId, 0, 32, sim.peer('C').id);
    const heldForC = receive(state, sim.ctx(b), { broadcast: forC.broadcast });
    expect(heldForC.state.strangers[0]?.direct).toBeNull();
    const again = receive(heldForC.state, contextOf(sim, heldForC), { broadcast: forC.broadcast });
    expect(again.outputs).toEqual([{ kind: 'duplicate' }]);
    expect(again.state.strangers).toHaveLength(1);
  });

  it('a message of exactly MAX_STRANGER_MESSAGE_BYTES (its associated data counted) is held; one byte more is refused', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const state = b.state as GroupState;
    const envelope = outsiderEnvelope(sim, state.dcgka.groupId, 'message', 100);
    const pad = (n: number): Uint8Array => new Uint8Array(n - envelope.length);
    expect(receive(state, sim.ctx(b), { broadcast: envelope, ad: pad(MAX_STRANGER_MESSAGE_BYTES) }).state.strangers).toHaveLength(1);
    expect(errorOf(() => receive(state, sim.ctx(b), { broadcast: envelope, ad: pad(MAX_STRANGER_MESSAGE_BYTES + 1) })).code).toBe('STATE_LIMIT');
  });

  it('full to exactly MAX_STRANGER_BYTES, nothing is dropped; one more drops the oldest application message only, never the control message', () => {
    const sim = settled('message');
    const b = sim.peer('B');
    const groupId = (b.state as GroupState).dcgka.groupId;
    const control = outsiderUpdate(sim, groupId, 0, 32);
    let result = receive(b.state as GroupState, sim.ctx(b), control);
    const sizes: number[] = [control.broadcast.length + control.direct.length];
    const hand = (counter: number, size: number): void => {
      const envelope = outsiderEnvelope(sim, groupId, 'message', 100, counter);
      result = receive(result.state, contextOf(sim, result), { broadcast: envelope, ad: new Uint8Array(size - envelope.length) });
      sizes.push(size);
    };
    for (let i = 0; i < 31; i++) hand(i, MAX_STRANGER_MESSAGE_BYTES);
    hand(31, MAX_STRANGER_BYTES - sizes.reduce((n, s) => n + s, 0));
    expect(result.state.strangers).toHaveLength(33);
    const size = (m: GroupState['strangers'][number]): number => m.bytes.length + (m.direct?.length ?? 0) + (m.ad?.length ?? 0);
    expect(result.state.strangers.reduce((n, m) => n + size(m), 0)).toBe(MAX_STRANGER_BYTES);
    const before = result.state.strangers;
    hand(32, 1000);
    const after = result.state.strangers;
    expect(after).toHaveLength(33);
    expect(after[0]?.sender).not.toBeNull();
    expect(after.slice(1, 32)).toEqual(before.slice(2));
  });

  it('held messages whose senders are still unknown stay held as they were when other messages are processed', () => {
    const sim = settled('message');
    const a = sim.peer('A');
    const b = sim.peer('B');
    const groupId = (b.state as GroupState).dcgka.groupId;
    let state = receive(b.state as GroupState, clocked(sim, 'B', T), outsiderUpdate(sim, groupId, 0, 32)).state;
    state = receive(state, clocked(sim, 'B', T), { broadcast: outsiderEnvelope(sim, groupId, 'message', 10) }).state;
    const held = state.strangers;
    const updated = updateGroup(a.state as GroupState, sim.ctx(a));
    const after = receive(state, clocked(sim, 'B', T + 100), incomingFor(updated.outputs, b.id));
    expect(after.state.dcgka.clock.get(a.id)).toBe(state.dcgka.clock.get(a.id)! + 1);
    expect(after.outputs.filter((o) => o.kind === 'rejected')).toEqual([]);
    expect(after.state.strangers).toEqual(held);
  });
});

describe('a removed member', () => {
  /** B removed by A (everybody processed it); C writes afterwards. */
  function removedB(seed: number) {
    const sim = settled('message');
    sim.remove('A', 'B');
    sim.settle(seeded(seed));
    return { sim, b: sim.peer('B'), c: sim.peer('C') };
  }

  it('refuses a forged message (it is not "not for me"), and a genuine one sent after its removal changes nothing', () => {
    const { sim, b, c } = removedB(64);
    const after = send(c.state as GroupState, sim.ctx(c), { plaintext: utf8('not for B') });
    const incoming = incomingFor(after.outputs, b.id);
    const genuine = receive(b.state as GroupState, sim.ctx(b), incoming);
    expect(genuine.outputs.map((o) => o.kind === 'rejected' && o.notForMe)).toEqual([true]);
    expect(genuine.consumed).toEqual([]);
    expect(errorOf(() => receive(b.state as GroupState, sim.ctx(b), { broadcast: lastByteFlipped(incoming.broadcast) })).code).toMatch(/^(VERIFY|DECODE)_/);
  });

  it('reads the associated data it is given: a message sent with one is "not for me", not a forgery', () => {
    const { sim, b, c } = removedB(65);
    const ad = utf8('doc-1');
    const after = send(c.state as GroupState, sim.ctx(c), { plaintext: utf8('not for B'), ad });
    const result = receive(b.state as GroupState, sim.ctx(b), { ...incomingFor(after.outputs, b.id), ad });
    expect(result.outputs.map((o) => o.kind === 'rejected' && o.notForMe)).toEqual([true]);
  });
});

describe('asking for a group secret a message waits for (data scheme)', () => {
  /**
   * A adds E while B updates and writes under its new epoch; A never hears of B's update (so it cannot forward
   * B's secret to E), C does. E holds B's message; returns a step function and what E must still process: B's
   * update, and C's removal of A (E's only adder), made after C processed B's update or, `removedFirst`, before.
   */
  function waiting(removedFirst = false) {
    const sim = new GroupSim(['A', 'B', 'C', 'E'], 'data');
    const random = seeded(81);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const [a, c, e] = [sim.peer('A'), sim.peer('C'), sim.peer('E')];
    const marks = [a.inbox.length, c.inbox.length, e.inbox.length];
    sim.update('B');
    sim.send('B');
    a.inbox.splice(marks[0] as number);
    const fromB = c.inbox.splice(marks[1] as number);
    expect(fromB).toHaveLength(2);
    // E (not a member yet) holds B's message, not B's update: that comes when the test says.
    e.inbox.splice(marks[2] as number, 1);
    sim.add('A', 'E');
    sim.settle(random);
    expect(e.state).toBeDefined();
    // C removes A before (removedFirst) or after it processed B's update; E gets the removal only when the test says.
    const removeA = (): IncomingMessage => {
      const markE = e.inbox.length;
      sim.remove('C', 'A');
      return e.inbox.splice(markE).map((bundle) => openWireBundle(bundle, e.id)).find((m) => m.broadcast[0] === 0x82) as IncomingMessage;
    };
    const early = removedFirst ? removeA() : undefined;
    c.inbox.push(...fromB);
    sim.settle(random);
    const removal = early ?? removeA();
    // B's message reached E before it joined (held, then read into its buffer at the join): it waits for its epoch.
    const [update] = fromB.map((bundle) => openWireBundle(bundle, e.id)) as [IncomingMessage];
    let state = e.state as GroupState;
    expect(state.pendingApplication.map((p) => [p.sender, p.epoch])).toEqual([[sim.peer('B').id, 1]]);
    const step = (incoming: IncomingMessage): number[] => {
      const result = receive(state, sim.ctx(e), incoming);
      state = result.state;
      return sentVersions(result.outputs);
    };
    return { step, update, removal, pending: () => state.pendingApplication.length };
  }

  it('the removal of my last adder asks for the secrets my waiting messages need', () => {
    const { step, update, removal, pending } = waiting();
    expect(step(update), 'my adder is here: it forwards').toEqual([]);
    expect(pending()).toBe(1);
    expect(step(removal)).toEqual([4]);
  });

  it('once my adders are gone, the update that opens a waiting message\'s epoch asks for its secret', () => {
    const { step, update, removal, pending } = waiting(true);
    expect(step(removal), 'nothing waits for a secret yet: its epoch is unknown').toEqual([]);
    expect(pending()).toBe(1);
    expect(step(update)).toEqual([4]);
  });
});

describe('a waiting message that fails when its turn comes', () => {
  it('is dropped with a `rejected` output (not "not for me": I am a member), and the call goes on', () => {
    // X updates and writes under its new epoch; A removes X having read nothing of it. B gets X's message first,
    // then the removal, then X's update: the message's epoch opens, and the removal bars it.
    const sim = settled('message', ['A', 'B', 'X'], ['B', 'X']);
    const [a, b] = [sim.peer('A'), sim.peer('B')];
    const [markA, mark] = [a.inbox.length, b.inbox.length];
    sim.update('X');
    const text = sim.send('X');
    a.inbox.splice(markA);
    const fromX = b.inbox.splice(mark).map((bundle) => openWireBundle(bundle, b.id));
    sim.remove('A', 'X');
    const removal = b.inbox.splice(mark).map((bundle) => openWireBundle(bundle, b.id)).find((m) => m.broadcast[0] === 0x82) as IncomingMessage;
    const [update, message] = fromX as [IncomingMessage, IncomingMessage];
    let state = receive(b.state as GroupState, sim.ctx(b), message).state;
    expect(state.pendingApplication).toHaveLength(1);
    state = receive(state, sim.ctx(b), removal).state;
    const opened = receive(state, sim.ctx(b), update);
    const rejected = opened.outputs.filter((o) => o.kind === 'rejected');
    expect(rejected.map((o) => o.kind === 'rejected' && [o.error.code, o.notForMe])).toEqual([['STATE_REMOVED', undefined]]);
    expect(opened.outputs.some((o) => o.kind === 'application' && new TextDecoder().decode(o.plaintext) === text)).toBe(false);
    expect(opened.state.pendingApplication).toEqual([]);
  });
});

describe('replays of a waiting message', () => {
  it('are held once: a copy of a message already waiting for its epoch is a duplicate, and a full buffer of replays never forms', () => {
    const sim = settled('message');
    const a = sim.peer('A');
    const b = sim.peer('B');
    const updated = updateGroup(a.state as GroupState, sim.ctx(a));
    const message = incomingFor(send(updated.state, contextOf(sim, updated), { plaintext: utf8('waits') }).outputs, b.id);
    let result = receive(b.state as GroupState, sim.ctx(b), message);
    expect(result.state.pendingApplication).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      result = receive(result.state, contextOf(sim, result), message);
      expect(result.outputs).toEqual([{ kind: 'duplicate' }]);
    }
    expect(result.state.pendingApplication).toHaveLength(1);
    const opened = receive(result.state, contextOf(sim, result), incomingFor(updated.outputs, b.id));
    expect(opened.outputs.filter((o) => o.kind === 'application').map((o) => o.kind === 'application' && new TextDecoder().decode(o.plaintext))).toEqual(['waits']);
  });
});
