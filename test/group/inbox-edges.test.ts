/**
 * Pre-join inbox edges: argument checks, sizes counted with the associated
 * data, expiry at its exact bounds (and for version-1 entries, whose clock
 * starts at the next arrival), duplicates told apart by their associated
 * data, a stripped copy replaced by a complete one, the choice between two
 * usable invitations, and every malformed encoding refused.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import {
  HELD_TTL_SECONDS, MAX_HELD_BYTES, MAX_HELD_MESSAGE_BYTES, createGroupInbox, decodeGroupInbox, encodeGroupInbox, openWireBundle, receivePreJoin,
} from '../../src/group/index.js';
import type { GroupInbox, HeldMessage, IncomingMessage } from '../../src/group/index.js';
import { encodeItems } from '../../src/group/envelope-cbor.js';
import { readControl } from '../../src/dcgka/index.js';
import { codeOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

/** A well-formed (unauthenticated) message-scheme envelope. */
function envelope(counter: number): Uint8Array {
  return encodeItems([1, new Uint8Array(4), 0, counter, new Uint8Array(20), new Uint8Array(64)]);
}

/** A simulation whose clock the test sets. */
function clocked(names: readonly string[]): { sim: GroupSim; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { sim: new GroupSim(names, 'message', defaultDeps({ now: () => clock.now })), clock };
}

function v1Inbox(held: readonly Uint8Array[]): Uint8Array {
  return encodeCanonical({ v: 1, scheme: 'message', groupId: null, held: held.map((b) => [b, null, null]) });
}

describe('pre-join inbox: arguments and sizes', () => {
  it('refuses a bad scheme, a group id with anything around its 64 hex characters, and a broadcast that is not bytes', () => {
    const hex = 'ab'.repeat(32);
    expect(createGroupInbox({ scheme: 'data', groupId: hex })).toEqual({ v: 2, scheme: 'data', groupId: hex, held: [] });
    expect(createGroupInbox({ scheme: 'message' }).groupId).toBeNull();
    expect(codeOf(() => createGroupInbox({ scheme: 'mls' as 'data' }))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => createGroupInbox({ scheme: 'message', groupId: `x${hex}` }))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => createGroupInbox({ scheme: 'message', groupId: `${hex}x` }))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => createGroupInbox({ scheme: 'message', groupId: hex.toUpperCase() }))).toBe('USAGE_ARGUMENT');
    const sim = new GroupSim(['A'], 'message');
    expect(codeOf(() => receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(sim.peer('A')), { broadcast: 'x' } as unknown as IncomingMessage))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(sim.peer('A')), undefined as unknown as IncomingMessage))).toBe('USAGE_ARGUMENT');
  });

  it('counts the associated data in a message\'s size: over the limit only through it, the message is refused and nothing is held', () => {
    const sim = new GroupSim(['A'], 'message');
    const ctx = sim.ctx(sim.peer('A'));
    const inbox = createGroupInbox({ scheme: 'message' });
    const small = envelope(0);
    const fits = receivePreJoin(inbox, ctx, { broadcast: small, ad: new Uint8Array(MAX_HELD_MESSAGE_BYTES - small.length) }).inbox;
    expect(fits.held).toHaveLength(1);
    expect(codeOf(() => receivePreJoin(inbox, ctx, { broadcast: small, ad: new Uint8Array(MAX_HELD_MESSAGE_BYTES - small.length + 1) }))).toBe('STATE_LIMIT');
    expect(inbox.held).toHaveLength(0);
    // the byte budget counts associated data too: two near-limit messages fit, a third evicts the oldest
    let full = fits;
    full = receivePreJoin(full, ctx, { broadcast: envelope(1), ad: new Uint8Array(MAX_HELD_MESSAGE_BYTES - small.length) }).inbox;
    expect(full.held).toHaveLength(2);
    full = receivePreJoin(full, ctx, { broadcast: envelope(2), ad: new Uint8Array(100) }).inbox;
    expect(full.held.map((h) => h.broadcast)).toEqual([envelope(1), envelope(2)]);
    expect(MAX_HELD_BYTES).toBe(2 * MAX_HELD_MESSAGE_BYTES);
  });

  it('tells duplicates apart by their associated data', () => {
    const sim = new GroupSim(['A'], 'message');
    const ctx = sim.ctx(sim.peer('A'));
    let inbox = createGroupInbox({ scheme: 'message' });
    const hold = (m: IncomingMessage): GroupInbox => receivePreJoin(inbox, ctx, m).inbox;
    inbox = hold({ broadcast: envelope(0) });
    inbox = hold({ broadcast: envelope(0), ad: utf8('one') });
    inbox = hold({ broadcast: envelope(0), ad: utf8('two') });
    expect(inbox.held.map((h) => h.ad)).toEqual([null, utf8('one'), utf8('two')]);
    for (const again of [{ broadcast: envelope(0) }, { broadcast: envelope(0), ad: utf8('one') }, { broadcast: envelope(0), ad: utf8('two') }]) {
      expect(receivePreJoin(inbox, ctx, again).inbox).toBe(inbox);
    }
    // held with associated data first, the same bytes without any are another message
    let adFirst = hold({ broadcast: envelope(1), ad: utf8('one') });
    adFirst = receivePreJoin(adFirst, ctx, { broadcast: envelope(1) }).inbox;
    expect(adFirst.held.slice(-2).map((h) => h.ad)).toEqual([utf8('one'), null]);
  });
});

describe('pre-join inbox: expiry', () => {
  it('a held message expires exactly HELD_TTL_SECONDS after its arrival; one dated too far ahead is dropped', () => {
    const { sim, clock } = clocked(['A']);
    const ctx = sim.ctx(sim.peer('A'));
    const start = clock.now;
    const first = receivePreJoin(createGroupInbox({ scheme: 'message' }), ctx, { broadcast: envelope(0) }).inbox;
    expect(first.held[0]?.at).toBe(start);
    clock.now = start + HELD_TTL_SECONDS - 1;
    expect(receivePreJoin(first, ctx, { broadcast: envelope(1) }).inbox.held.map((h) => h.broadcast)).toEqual([envelope(0), envelope(1)]);
    clock.now = start + HELD_TTL_SECONDS;
    expect(receivePreJoin(first, ctx, { broadcast: envelope(1) }).inbox.held.map((h) => h.broadcast)).toEqual([envelope(1)]);
    // a clock that went back: an entry dated more than a TTL ahead goes, one dated exactly a TTL ahead stays
    const ahead = (at: number): GroupInbox => ({ ...first, held: [{ ...(first.held[0] as HeldMessage), at }] });
    clock.now = start;
    expect(receivePreJoin(ahead(start + HELD_TTL_SECONDS), ctx, { broadcast: envelope(1) }).inbox.held).toHaveLength(2);
    expect(receivePreJoin(ahead(start + HELD_TTL_SECONDS + 1), ctx, { broadcast: envelope(1) }).inbox.held).toHaveLength(1);
  });

  it('a version-1 entry (no arrival time) starts its clock at the next arrival, then expires as any other', () => {
    const { sim, clock } = clocked(['A']);
    const ctx = sim.ctx(sim.peer('A'));
    const old = decodeGroupInbox(v1Inbox([envelope(0)]));
    expect(old.held[0]?.at).toBe(0);
    const start = clock.now;
    const next = receivePreJoin(old, ctx, { broadcast: envelope(1) }).inbox;
    expect(next.held.map((h) => h.at)).toEqual([start, start]);
    clock.now = start + HELD_TTL_SECONDS;
    expect(receivePreJoin(next, ctx, { broadcast: envelope(2) }).inbox.held.map((h) => h.broadcast)).toEqual([envelope(2)]);
    // a v1 duplicate is still a duplicate
    clock.now = start;
    expect(receivePreJoin(old, ctx, { broadcast: envelope(0) }).inbox).toBe(old);
  });
});

describe('pre-join inbox: control messages', () => {
  it('a copy held without my direct part is replaced by the complete one, which is then a duplicate', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B', 'C']);
    sim.update('A');
    const c = sim.peer('C');
    const update = openWireBundle(c.inbox[1] as Uint8Array, c.id);
    expect(update.direct).toBeDefined();
    const stripped: GroupInbox = {
      ...createGroupInbox({ scheme: 'message' }),
      held: [{ broadcast: envelope(0), direct: null, ad: null, at: sim.deps.now() }, { broadcast: update.broadcast, direct: null, ad: null, at: sim.deps.now() }],
    };
    const complete = receivePreJoin(stripped, sim.ctx(c), update);
    expect(complete.joined).toBeNull();
    // the stripped copy goes, every other held message stays
    expect(complete.inbox.held.map((h) => h.broadcast)).toEqual([envelope(0), update.broadcast]);
    expect(complete.inbox.held[1]?.direct).toEqual(update.direct);
    expect(receivePreJoin(complete.inbox, sim.ctx(c), update).inbox).toBe(complete.inbox);
    // a stripped copy after it is refused (retryably), the inbox unchanged
    expect(codeOf(() => receivePreJoin(complete.inbox, sim.ctx(c), { broadcast: update.broadcast }))).toBe('STATE_MISSING_KEY');
    expect(complete.inbox.held[1]?.direct).toEqual(update.direct);
  });

  it('joins through an invitation when the inbox knows the group id', () => {
    const sim = new GroupSim(['A', 'B'], 'message');
    sim.create('A', ['B']);
    const b = sim.peer('B');
    const invitation = openWireBundle(b.inbox[0] as Uint8Array, b.id);
    const groupId = readControl(sim.ctx(b), invitation.broadcast).groupId;
    const out = receivePreJoin(createGroupInbox({ scheme: 'message', groupId }), sim.ctx(b), invitation);
    expect(out.joined?.state.dcgka.groupId).toBe(groupId);
    expect(out.inbox.held).toEqual([]);
  });

  it('of two usable invitations (concurrent adds of me) held at once, the one with the smaller id is taken, whatever their arrival order', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B']);
    sim.settle(seeded(5));
    const c = sim.peer('C');
    c.inbox = [];
    sim.add('A', 'C');
    sim.add('B', 'C');
    const adds = c.inbox.map((x) => openWireBundle(x, c.id)).filter((m) => m.direct !== undefined);
    expect(adds).toHaveLength(2);
    const ids = adds.map((m) => {
      const control = readControl(sim.ctx(c), m.broadcast);
      return `${control.sender}:${control.seq}`;
    });
    const smaller = [...ids].sort()[0];
    for (const [held, arriving] of [[0, 1], [1, 0]] as const) {
      const m = adds[held] as IncomingMessage;
      const inbox: GroupInbox = { ...createGroupInbox({ scheme: 'message' }), held: [{ broadcast: m.broadcast, direct: m.direct as Uint8Array, ad: null, at: sim.deps.now() }] };
      const out = receivePreJoin(inbox, sim.ctx(c), adds[arriving] as IncomingMessage);
      // joined through the smaller one; the other add of me is then received as any held message
      expect(out.joined?.outputs.find((o) => o.kind === 'joined')).toEqual({ kind: 'joined', via: smaller });
    }
  });

  it('an application message held before the invitation is read on joining, with its associated data', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'message');
    sim.create('A', ['B']);
    sim.settle(seeded(6));
    const c = sim.peer('C');
    c.inbox = [];
    sim.add('A', 'C');
    const [invitation] = c.inbox.map((x) => openWireBundle(x, c.id));
    c.inbox = [];
    const text = sim.send('A', utf8('context'));
    const [application] = c.inbox.map((x) => openWireBundle(x, c.id, utf8('context')));
    let inbox = receivePreJoin(createGroupInbox({ scheme: 'message' }), sim.ctx(c), application as IncomingMessage).inbox;
    expect(inbox.held[0]?.ad).toEqual(utf8('context'));
    const out = receivePreJoin(inbox, sim.ctx(c), invitation as IncomingMessage);
    const read = out.joined?.outputs.filter((o) => o.kind === 'application').map((o) => o.kind === 'application' && new TextDecoder().decode(o.plaintext));
    expect(read).toEqual([text]);
    expect(out.joined?.outputs.some((o) => o.kind === 'rejected')).toBe(false);
    inbox = out.inbox;
    expect(inbox.held).toEqual([]);
  });
});

describe('pre-join inbox codec', () => {
  const entry = (e: unknown[]): Uint8Array => encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: [e] });

  it('refuses every malformed field with DECODE_FIELD', () => {
    expect(decodeGroupInbox(entry([envelope(0), null, null, 5])).held).toEqual([{ broadcast: envelope(0), direct: null, ad: null, at: 5 }]);
    const cases: [string, Uint8Array][] = [
      ['direct not bytes', entry([envelope(0), 1, null, 5])],
      ['ad not bytes', entry([envelope(0), null, 'ad', 5])],
      ['3 items in v2', entry([envelope(0), null, null])],
      ['broadcast not bytes', entry([null, null, null, 5])],
      ['entry not a list', encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: [envelope(0)] })],
      ['negative arrival', entry([envelope(0), null, null, -1])],
      ['fractional arrival', entry([envelope(0), null, null, 1.5])],
      ['arrival as text', entry([envelope(0), null, null, '5'])],
      ['31-byte group id', encodeCanonical({ v: 2, scheme: 'message', groupId: new Uint8Array(31), held: [] })],
      ['group id as text', encodeCanonical({ v: 2, scheme: 'message', groupId: 'ab'.repeat(32), held: [] })],
      ['4 items in v1', encodeCanonical({ v: 1, scheme: 'message', groupId: null, held: [[envelope(0), null, null, 5]] })],
    ];
    for (const [what, bytes] of cases) expect(codeOf(() => decodeGroupInbox(bytes)), what).toBe('DECODE_FIELD');
    const third = Math.floor(MAX_HELD_BYTES / 3) + 1;
    const over = encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: [0, 1, 2].map(() => [new Uint8Array(third), null, null, 1]) });
    expect(codeOf(() => decodeGroupInbox(over))).toBe('DECODE_FIELD');
    const under = encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: [0, 1].map(() => [new Uint8Array(third), null, null, 1]) });
    expect(decodeGroupInbox(under).held).toHaveLength(2);
  });

  it('keeps the group id through encoding', () => {
    const inbox = createGroupInbox({ scheme: 'data', groupId: 'ab'.repeat(32) });
    expect(decodeGroupInbox(encodeGroupInbox(inbox))).toEqual(inbox);
  });

  it('names the record in its decode errors, and refuses a top level that is no map (null too) with DECODE_FIELD', () => {
    const cases: [string, Uint8Array, string][] = [
      ['truncated CBOR', new Uint8Array([0xa4]), 'DECODE_'],
      ['null', encodeCanonical(null), 'DECODE_FIELD'],
      ['a number', encodeCanonical(5), 'DECODE_FIELD'],
      ['text', encodeCanonical('inbox'), 'DECODE_FIELD'],
      ['version 3', encodeCanonical({ v: 3, scheme: 'message', groupId: null, held: [] }), 'DECODE_VERSION_UNSUPPORTED'],
      ['unknown scheme', encodeCanonical({ v: 2, scheme: 'mls', groupId: null, held: [] }), 'DECODE_FIELD'],
      ['held not a list', encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: 5 }), 'DECODE_FIELD'],
    ];
    for (const [what, bytes, code] of cases) {
      let error: unknown;
      try {
        decodeGroupInbox(bytes);
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string } | undefined)?.code, what).toMatch(new RegExp(`^${code}`));
      expect((error as Error).message, what).toMatch(/^group-inbox/);
    }
  });

  it('a version-1 inbox over today\'s limits keeps its newest messages within them (all of them exactly at the limits), and re-encodes as version 2', () => {
    // one message too large to hold today is dropped, and bytes over the budget go oldest first
    const big = new Uint8Array(MAX_HELD_MESSAGE_BYTES + 1);
    expect(decodeGroupInbox(v1Inbox([big, envelope(0)])).held.map((h) => h.broadcast)).toEqual([envelope(0)]);
    const third = new Uint8Array(Math.floor(MAX_HELD_BYTES / 3) + 1);
    expect(decodeGroupInbox(v1Inbox([third, envelope(0), third, third])).held.map((h) => h.broadcast.length)).toEqual([envelope(0).length, third.length, third.length]);
    // exactly at the limits (a message of MAX_HELD_MESSAGE_BYTES, MAX_HELD_BYTES in all), everything is kept
    const largest = new Uint8Array(MAX_HELD_MESSAGE_BYTES);
    expect(decodeGroupInbox(v1Inbox([largest, largest])).held).toHaveLength(2);
    expect(decodeGroupInbox(encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: [largest, largest].map((b) => [b, null, null, 1]) })).held).toHaveLength(2);
    const old = [envelope(0), envelope(1)];
    expect(encodeGroupInbox(decodeGroupInbox(v1Inbox(old)))).toEqual(encodeCanonical({ v: 2, scheme: 'message', groupId: null, held: old.map((b) => [b, null, null, 0]) }));
  });
});
