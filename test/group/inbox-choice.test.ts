/**
 * Which invitation a pre-join inbox joins through, and what comes out of the
 * join: the causally earliest held invitation of me (a later one waits for
 * an earlier one that is not held yet, and is taken when the earlier one
 * cannot be joined), ties and order by id, messages that only look like
 * invitations, held messages of another group, rejected held messages, and
 * the secrets handed back for wiping.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { readControl } from '../../src/dcgka/index.js';
import type { ControlBody } from '../../src/dcgka/index.js';
import { createGroupInbox, joinGroup, openWireBundle, receive, receivePreJoin } from '../../src/group/index.js';
import type { GroupInbox, GroupResult, HeldMessage, IncomingMessage } from '../../src/group/index.js';
import { encodeItems } from '../../src/group/envelope-cbor.js';
import { createKeyManager, identityOf } from '../../src/keys/index.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import type { GroupPeer } from '../helpers/group-sim.js';

type Name = 'A' | 'B';

/** A well-formed (unauthenticated) message-scheme application envelope. */
function envelope(counter: number): Uint8Array {
  return encodeItems([1, new Uint8Array(4), 0, counter, new Uint8Array(20), new Uint8Array(64)]);
}

/** Delivers every bundle waiting at `names` (the others keep theirs), in a seeded order. */
function settleAmong(sim: GroupSim, names: readonly string[], seed: number): void {
  const random = seeded(seed);
  for (let round = 0; round < 10_000; round++) {
    const busy = names.filter((n) => sim.peer(n).inbox.length > 0);
    if (busy.length === 0) return;
    const name = busy[Math.floor(random() * busy.length)] as string;
    sim.deliver(name, Math.floor(random() * sim.peer(name).inbox.length), random);
  }
  throw new Error('did not settle');
}

/** The control messages of `peer`'s inbox that carry a direct part for it, emptying the inbox. */
function takeDirects(peer: GroupPeer): IncomingMessage[] {
  const out = peer.inbox.map((x) => openWireBundle(x, peer.id)).filter((m) => m.direct !== undefined);
  peer.inbox = [];
  return out;
}

/** A control message's op id (`sender:seq`), as a `joined` output names it. */
function idOf(sim: GroupSim, peer: GroupPeer, m: IncomingMessage): string {
  const control = readControl(sim.ctx(peer), m.broadcast);
  return `${control.sender}:${control.seq}`;
}

/** An inbox holding `messages` as they are (an inbox restored from storage, or told its group id late). */
function held(sim: GroupSim, messages: readonly IncomingMessage[], groupId: string | null = null): GroupInbox {
  return {
    ...createGroupInbox({ scheme: sim.scheme, ...(groupId === null ? {} : { groupId }) }),
    held: messages.map((m): HeldMessage => ({ broadcast: m.broadcast, direct: m.direct ?? null, ad: m.ad ?? null, at: sim.deps.now() })),
  };
}

/** The invitation a join went through. */
function via(result: GroupResult | null): string | undefined {
  const out = result?.outputs.find((o) => o.kind === 'joined');
  return out?.kind === 'joined' ? out.via : undefined;
}

/**
 * C invited twice: `first` (A or B) adds C (or A creates the group with B and C), A removes C, A adds D, then D adds C
 * again. D joined after C's removal, so it never sent C anything: its add can be joined on its own (no 2SM message
 * of the earlier invitation's time is skipped). C processes nothing meanwhile; returns both invitations (each with
 * C's direct part).
 */
function invitedTwice(how: 'add' | 'create', seed: number, first: Name = 'A', sim = new GroupSim(['A', 'B', 'C', 'D'], 'message')): { sim: GroupSim; c: GroupPeer; earlier: IncomingMessage; later: IncomingMessage } {
  const c = sim.peer('C');
  const members = ['A', 'B', 'D'];
  let earlier: IncomingMessage[];
  if (how === 'create') {
    sim.create('A', ['B', 'C']);
    earlier = takeDirects(c);
  } else {
    sim.create('A', ['B']);
    settleAmong(sim, members, seed);
    c.inbox = [];
    sim.add(first, 'C');
    earlier = takeDirects(c);
  }
  settleAmong(sim, members, seed + 1);
  sim.remove('A', 'C');
  settleAmong(sim, members, seed + 2);
  sim.add('A', 'D');
  settleAmong(sim, members, seed + 3);
  c.inbox = [];
  sim.add('D', 'C');
  const later = takeDirects(c);
  expect(earlier).toHaveLength(1);
  expect(later).toHaveLength(1);
  for (const m of [...earlier, ...later]) expect(codeOf(() => joinGroup(sim.ctx(c), { scheme: 'message', message: m }))).toBeUndefined();
  return { sim, c, earlier: earlier[0] as IncomingMessage, later: later[0] as IncomingMessage };
}

/** A simulation in which A or B has a larger id than D (returned as `first`): D's ids sort before its. */
function largerThanD(): { sim: GroupSim; first: Name } {
  for (;;) {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], 'message');
    const first = (['A', 'B'] as const).find((n) => sim.peer(n).id > sim.peer('D').id);
    if (first) return { sim, first };
  }
}

describe('pre-join inbox: the causally earliest invitation', () => {
  for (const how of ['add', 'create'] as const) {
    it(`a re-add waits for my earlier ${how} invitation when that one is not held yet, and joins through it once it comes`, () => {
      const { sim, c, earlier, later } = invitedTwice(how, 11);
      const waiting = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(c), later);
      expect(waiting.joined).toBeNull();
      expect(waiting.inbox.held).toHaveLength(1);
      const out = receivePreJoin(waiting.inbox, sim.ctx(c), earlier);
      expect(via(out.joined)).toBe(idOf(sim, c, earlier));
      expect(out.inbox.held).toEqual([]);
    });
  }

  it('the earlier invitation is taken even when the later one has the smaller id', () => {
    for (let seed = 20; seed < 22; seed++) {
      const chosen = largerThanD();
      const { sim, c, earlier, later } = invitedTwice('add', seed, chosen.first, chosen.sim);
      expect(idOf(sim, c, later) < idOf(sim, c, earlier)).toBe(true);
      const inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(c), later).inbox;
      expect(via(receivePreJoin(inbox, sim.ctx(c), earlier).joined)).toBe(idOf(sim, c, earlier));
    }
  });
});

/**
 * A control message signed by `signer` (an outsider when null: anyone's message is readable without a group), with a
 * direct part for `recipient` (none when null).
 */
function signedControl(sim: GroupSim, signer: GroupPeer | null, groupId: string, seq: number, body: ControlBody, recipient: string | null): IncomingMessage {
  const identity = identityOf(signer ? signer.keys : createKeyManager(sim.deps));
  const direct = new Uint8Array(64).fill(7);
  const manifest = recipient === null ? [] : manifestOf(sim.deps, [{ recipient, bytes: direct }]);
  const sender = toHex(identity.publicKey);
  const broadcast = encodeControl({ groupId, sender, seq, body, manifest }, identity, sim.deps);
  return recipient === null ? { broadcast } : { broadcast, direct };
}

describe('pre-join inbox: invitations that cannot be joined', () => {
  it('an earlier invitation that cannot be joined (its held direct part damaged) does not hold back a later one', () => {
    const { sim, c, earlier, later } = invitedTwice('add', 30);
    const direct = new Uint8Array(earlier.direct as Uint8Array);
    direct[direct.length - 1] = (direct[direct.length - 1] as number) ^ 1;
    expect(codeOf(() => joinGroup(sim.ctx(c), { scheme: 'message', message: { broadcast: earlier.broadcast, direct } }))).toBe('VERIFY_COMMITMENT');
    const out = receivePreJoin(held(sim, [{ broadcast: earlier.broadcast, direct }]), sim.ctx(c), later);
    expect(via(out.joined)).toBe(idOf(sim, c, later));
    expect(out.joined?.state.dcgka.removed).toBe(false);
  });

  it('a held copy of the earlier invitation without its direct part is not tried: the later one waits for the complete copy', () => {
    const { sim, c, earlier, later } = invitedTwice('add', 31);
    const waiting = receivePreJoin(held(sim, [{ broadcast: earlier.broadcast }]), sim.ctx(c), later);
    expect(waiting.joined).toBeNull();
    expect(waiting.inbox.held).toHaveLength(2);
    const out = receivePreJoin(waiting.inbox, sim.ctx(c), earlier);
    expect(via(out.joined)).toBe(idOf(sim, c, earlier));
  });

  it('a message of the earlier invitation\'s id that is no invitation of me (its sender equivocating) does not stand in for it', () => {
    const { sim, c, earlier, later } = invitedTwice('add', 32);
    const e = readControl(sim.ctx(c), earlier.broadcast);
    const a = sim.peer('A');
    const bodies: ControlBody[] = [
      { type: 'update', commitment: new Uint8Array(32) },
      { type: 'add', added: sim.peer('B').id },
      { type: 'create', members: [a.id, c.id], commitment: new Uint8Array(32) },
    ];
    for (const body of bodies) {
      const forged = signedControl(sim, a, e.groupId, e.seq, body, c.id);
      const first = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(c), forged);
      expect(first.joined, body.type).toBeNull();
      expect(first.inbox.held).toHaveLength(1);
      const out = receivePreJoin(first.inbox, sim.ctx(c), later);
      expect(out.joined, body.type).toBeNull();
      expect(via(receivePreJoin(out.inbox, sim.ctx(c), earlier).joined), body.type).toBe(idOf(sim, c, earlier));
    }
  });

  it('a control message at seq 0 that is no create (signed by anyone) is held and never taken for an invitation', () => {
    const { sim, c, earlier, later } = invitedTwice('create', 33);
    const e = readControl(sim.ctx(c), earlier.broadcast);
    expect(e.seq).toBe(0);
    for (const signer of [sim.peer('A'), null]) {
      const forged = signedControl(sim, signer, e.groupId, 0, { type: 'update', commitment: new Uint8Array(32) }, c.id);
      // signed by A, it even carries the create's id: the re-add still waits for the create itself
      const out = receivePreJoin(held(sim, [forged]), sim.ctx(c), later);
      expect(out.joined).toBeNull();
      expect(via(receivePreJoin(out.inbox, sim.ctx(c), earlier).joined)).toBe(idOf(sim, c, earlier));
    }
  });

  it('an application envelope that came with a direct part is held, and never read as an invitation', () => {
    const sim = new GroupSim(['A', 'B'], 'message');
    sim.create('A', ['B']);
    const b = sim.peer('B');
    const [invitation] = takeDirects(b);
    const application = { broadcast: envelope(0), direct: new Uint8Array(16) };
    const inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(b), application).inbox;
    expect(inbox.held[0]?.direct).toEqual(new Uint8Array(16));
    const out = receivePreJoin(inbox, sim.ctx(b), invitation as IncomingMessage);
    expect(via(out.joined)).toBe(idOf(sim, b, invitation as IncomingMessage));
  });
});

describe('pre-join inbox: group ids and ties', () => {
  /** A creates two groups listing B; returns B's invitation to each. */
  function twoGroups(): { sim: GroupSim; b: GroupPeer; x: IncomingMessage; y: IncomingMessage; xId: string; yId: string } {
    const sim = new GroupSim(['A', 'B'], 'message');
    const b = sim.peer('B');
    sim.create('A', ['B']);
    const [x] = takeDirects(b);
    sim.peer('A').state = undefined;
    sim.create('A', ['B']);
    const [y] = takeDirects(b);
    const xId = readControl(sim.ctx(b), (x as IncomingMessage).broadcast).groupId;
    const yId = readControl(sim.ctx(b), (y as IncomingMessage).broadcast).groupId;
    expect(xId).not.toBe(yId);
    // both are A's create: the same op id
    expect(idOf(sim, b, x as IncomingMessage)).toBe(idOf(sim, b, y as IncomingMessage));
    return { sim, b, x: x as IncomingMessage, y: y as IncomingMessage, xId, yId };
  }

  it('an inbox told its group id after it held an invitation of another group joins its own group; the other invitation comes out rejected', () => {
    const { sim, b, x, y, xId } = twoGroups();
    const out = receivePreJoin(held(sim, [y], xId), sim.ctx(b), x);
    expect(out.joined?.state.dcgka.groupId).toBe(xId);
    const rejected = out.joined?.outputs.filter((o) => o.kind === 'rejected');
    expect(rejected?.map((o) => o.kind === 'rejected' && o.error.code)).toEqual(['VERIFY_GROUP']);
  });

  it('of two invitations with the same id (creates of two groups by the same member, no group id given), the one held first is joined', () => {
    const { sim, b, x, y, xId, yId } = twoGroups();
    expect(receivePreJoin(held(sim, [y]), sim.ctx(b), x).joined?.state.dcgka.groupId).toBe(yId);
    expect(receivePreJoin(held(sim, [x]), sim.ctx(b), y).joined?.state.dcgka.groupId).toBe(xId);
  });
});

/**
 * A provider that counts the calls of each of its methods (since `calls.clear()`) and, when `failing` names one,
 * throws `failure` (a plain Error, as a broken provider or environment would) at that method's `nth` call.
 */
function instrumentedDeps(): { deps: Deps; calls: Map<string, number>; failing: { method: string; nth: number }; failure: Error } {
  const calls = new Map<string, number>();
  const failing = { method: '', nth: 0 };
  const failure = new Error('provider failure');
  const base = defaultDeps();
  const crypto = new Proxy(base.crypto, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const n = (calls.get(String(prop)) ?? 0) + 1;
        calls.set(String(prop), n);
        if (prop === failing.method && n === failing.nth) throw failure;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { deps: { ...base, crypto }, calls, failing, failure };
}

/** A held application message from A, then B's invitation (the create): what B's join is made of. */
function heldApplication(deps?: Deps): { sim: GroupSim; b: GroupPeer; invitation: IncomingMessage; application: IncomingMessage } {
  const sim = new GroupSim(['A', 'B'], 'message', deps);
  sim.create('A', ['B']);
  const b = sim.peer('B');
  const [invitation] = takeDirects(b);
  sim.send('A');
  const [application] = b.inbox.map((x) => openWireBundle(x, b.id));
  b.inbox = [];
  return { sim, b, invitation: invitation as IncomingMessage, application: application as IncomingMessage };
}

describe('pre-join inbox: what a join returns', () => {
  it('returns the outputs of the join then of every other held message (the invitation is not received twice), and for wiping, their secrets', () => {
    const { sim, b, invitation, application } = heldApplication();
    const join = joinGroup(sim.ctx(b), { scheme: 'message', message: invitation });
    const read = receive(join.state, { deps: sim.deps, keys: join.keys, registry: join.registry }, application);
    expect(join.consumed.length).toBeGreaterThan(0);
    expect(read.consumed.length).toBeGreaterThan(0);
    const inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(b), application).inbox;
    const out = receivePreJoin(inbox, sim.ctx(b), invitation);
    const kinds = (r: GroupResult | null | undefined): string[] => r?.outputs.map((o) => o.kind) ?? [];
    expect(kinds(read)).toEqual(['application']);
    expect(kinds(out.joined)).toEqual([...kinds(join), ...kinds(read)]);
    expect(kinds(out.joined)).not.toContain('duplicate');
    expect(out.joined?.consumed).toEqual([...join.consumed, ...read.consumed]);
  });

  it('a failure that is not the library\'s (the crypto provider throwing) propagates from a trial join and from a held message: it is neither an unusable invitation nor a rejected message', () => {
    const { deps, calls, failing, failure } = instrumentedDeps();
    const { sim, b, invitation, application } = heldApplication(deps);
    const inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(b), application).inbox;
    const opens = (f: () => unknown): number => {
      calls.clear();
      f();
      return calls.get('aeadOpen') ?? 0;
    };
    // unarmed: the join opens its welcome, then the held application message is opened
    const join = joinGroup(sim.ctx(b), { scheme: 'message', message: invitation });
    expect(opens(() => joinGroup(sim.ctx(b), { scheme: 'message', message: invitation }))).toBe(1);
    expect(opens(() => receive(join.state, { deps: sim.deps, keys: join.keys, registry: join.registry }, application))).toBe(1);
    expect(opens(() => receivePreJoin(inbox, sim.ctx(b), invitation))).toBe(2);
    expect(calls.get('x25519')).toBeGreaterThan(0);
    // the trial join's first Diffie-Hellman (receivePreJoin does none of its own), then the held message's decryption
    for (const at of [{ method: 'x25519', nth: 1 }, { method: 'aeadOpen', nth: 2 }]) {
      calls.clear();
      Object.assign(failing, at);
      expect(() => receivePreJoin(inbox, sim.ctx(b), invitation), at.method).toThrow(failure);
    }
    Object.assign(failing, { method: '', nth: 0 });
  });
});

describe('pre-join inbox: the cost of arrivals', () => {
  it('only an invitation\'s arrival runs trial joins: other messages cost no trial join of the invitations held (a flood of them would pay one each)', () => {
    const { deps, calls } = instrumentedDeps();
    const { sim, c, earlier, later } = invitedTwice('add', 40, 'A', new GroupSim(['A', 'B', 'C', 'D'], 'message', deps));
    const groupId = readControl(sim.ctx(c), later.broadcast).groupId;
    /** Diffie-Hellman computations of one arrival (a trial join does several, to open its welcome). */
    const exchanges = (inbox: GroupInbox, m: IncomingMessage): { inbox: GroupInbox; joined: GroupResult | null; dh: number } => {
      calls.clear();
      const out = receivePreJoin(inbox, sim.ctx(c), m);
      return { ...out, dh: calls.get('x25519') ?? 0 };
    };
    const waiting = exchanges(createGroupInbox({ scheme: 'message' }), later);
    expect(waiting.joined).toBeNull();
    expect(waiting.dh).toBeGreaterThan(0);
    let inbox = waiting.inbox;
    const junk: IncomingMessage[] = [
      // a control message for me that invites no one (from an outsider)
      signedControl(sim, null, groupId, 1, { type: 'update', commitment: new Uint8Array(32) }, c.id),
      // an invitation, not of me: no direct part for me
      signedControl(sim, null, groupId, 1, { type: 'add', added: sim.peer('B').id }, null),
      // an application envelope that came with a direct part
      { broadcast: envelope(0), direct: new Uint8Array(16) },
      { broadcast: envelope(1) },
    ];
    for (const m of junk) {
      const out = exchanges(inbox, m);
      expect(out.joined).toBeNull();
      expect(out.dh).toBe(0);
      inbox = out.inbox;
    }
    expect(inbox.held).toHaveLength(1 + junk.length);
    const joined = exchanges(inbox, earlier);
    expect(via(joined.joined)).toBe(idOf(sim, c, earlier));
  });
});
