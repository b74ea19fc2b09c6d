/**
 * Hostile network (issue 17): structurally valid messages that are signed,
 * well-formed and still hostile — signed by outsiders, oversized, flooding —
 * never make a state undecodable, never fill a buffer for good, and never
 * change state when refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, encodeCanonical, fromHex, toHex, utf8 } from '../../src/crypto/index.js';
import { decodeDirectPlaintext, encodeDirectPlaintext } from '../../src/dcgka/codec.js';
import { MAX_DIRECT_BYTES, add as dcgkaAdd, readControl } from '../../src/dcgka/index.js';
import {
  MAX_HELD_BYTES, MAX_PENDING_APPLICATION_BYTES, MAX_PENDING_CONTROL_BYTES, MAX_STRANGERS, MAX_STRANGER_BYTES, createGroupInbox, decodeGroupInbox, decodeGroupState,
  encodeGroupInbox, encodeGroupState, encodeWireBundle, joinGroup, openWireBundle, receive, receivePreJoin, send,
} from '../../src/group/index.js';
import type { GroupScheme, GroupState } from '../../src/group/index.js';
import { MAX_CBOR_BYTES } from '../../src/crypto/cbor.js';
import { createKeyManager, identityOf } from '../../src/keys/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { outsiderEnvelope, outsiderUpdate } from '../helpers/outsiders.js';
import { codeOf } from '../helpers/errors.js';


/** The state still encodes within the CBOR cap and decodes to the same bytes. */
function expectDecodable(sim: GroupSim, state: GroupState): void {
  const encoded = encodeGroupState(state);
  expect(encoded.length).toBeLessThan(MAX_CBOR_BYTES);
  expect(bytesEqual(encodeGroupState(decodeGroupState(encoded, sim.deps)), encoded)).toBe(true);
}

function setup(scheme: GroupScheme): { sim: GroupSim; state: GroupState; groupId: string } {
  const sim = new GroupSim(['A', 'B', 'C'], scheme);
  sim.create('A', ['B']);
  sim.settle(seeded(41));
  const state = sim.peer('B').state as GroupState;
  return { sim, state, groupId: state.dcgka.groupId };
}

describe.each<GroupScheme>(['message', 'data'])('hostile input (%s scheme)', (scheme) => {
  it('an outsider envelope with a 17 MiB ciphertext is refused, not buffered; the state stays decodable', () => {
    const { sim, state, groupId } = setup(scheme);
    const b = sim.peer('B');
    const huge = outsiderEnvelope(sim, groupId, scheme, 17 * 1024 * 1024);
    expect(codeOf(() => receive(state, sim.ctx(b), { broadcast: huge }))).toBe('STATE_LIMIT');
    expectDecodable(sim, state);
  });

  it('a self-signed control message at seq 1 with an oversized direct part is refused before it is buffered', () => {
    const { sim, state, groupId } = setup(scheme);
    const b = sim.peer('B');
    const over = outsiderUpdate(sim, groupId, 1, MAX_DIRECT_BYTES + 1);
    expect(codeOf(() => receive(state, sim.ctx(b), over))).toBe('DECODE_TOO_LARGE');
    const big = outsiderUpdate(sim, groupId, 1, 1024 * 1024);
    expect(codeOf(() => receive(state, sim.ctx(b), big))).toBe('STATE_LIMIT');
    const small = outsiderUpdate(sim, groupId, 1, 100);
    const held = receive(state, sim.ctx(b), small);
    expect(held.state.pendingControl).toEqual([]);
    expect(held.state.strangers.length).toBe(1);
    expectDecodable(sim, held.state);
  });

  it('a member\'s control message whose direct part was stripped or swapped is refused, not buffered; the genuine copy is processed', () => {
    const { sim, state } = setup(scheme);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const u1 = sim.peer('B').inbox.length;
    sim.update('A');
    sim.update('A');
    const [first, second] = b.inbox.slice(u1).map((x) => openWireBundle(x, b.id));
    b.inbox.length = u1;
    const broadcast = (second as { broadcast: Uint8Array }).broadcast;
    const swapped = { broadcast, direct: new Uint8Array(MAX_PENDING_CONTROL_BYTES) };
    expect(codeOf(() => receive(state, sim.ctx(b), swapped))).toBe('VERIFY_COMMITMENT');
    expect(codeOf(() => receive(state, sim.ctx(b), { broadcast }))).toBe('STATE_MISSING_KEY');
    expectDecodable(sim, state);
    const r1 = receive(state, sim.ctx(b), first as { broadcast: Uint8Array });
    const r2 = receive(r1.state, { deps: sim.deps, keys: r1.keys, registry: r1.registry }, second as { broadcast: Uint8Array });
    expect(r2.state.dcgka.clock.get(a.id)).toBe(3);
  });

  it('a control message of a sender not known yet outlasts a full allowance of junk envelopes (application messages are evicted first: a lost control message of a concurrently added member stalled its later ones, schedule seed 224052667)', () => {
    const { sim, state: start, groupId } = setup(scheme);
    const b = sim.peer('B');
    const control = outsiderUpdate(sim, groupId, 0, 32);
    let state = receive(start, sim.ctx(b), control).state;
    for (let i = 0; i < MAX_STRANGERS; i++) state = receive(state, sim.ctx(b), { broadcast: outsiderEnvelope(sim, groupId, scheme, 64, i) }).state;
    expect(state.strangers.length).toBe(MAX_STRANGERS);
    expect(state.strangers[0]?.sender).not.toBeNull();
    expect(Uint8Array.from(state.strangers[0]?.bytes ?? [])).toEqual(Uint8Array.from(control.broadcast));
    expect(state.strangers.filter((m) => m.sender === null).length).toBe(MAX_STRANGERS - 1);
  }, 120_000);

  it('1,000 junk envelopes of unknown senders fill only a small expiring allowance; a legit message that must wait and a new member\'s message still get through', () => {
    const { sim, groupId } = setup(scheme);
    const b = sim.peer('B');
    let state = sim.peer('B').state as GroupState;
    for (let i = 0; i < 1000; i++) state = receive(state, sim.ctx(b), { broadcast: outsiderEnvelope(sim, groupId, scheme, 64, i) }).state;
    expect(state.strangers.length).toBeLessThanOrEqual(MAX_STRANGERS);
    expect(state.strangers.reduce((n, m) => n + m.bytes.length, 0)).toBeLessThanOrEqual(MAX_STRANGER_BYTES);
    expectDecodable(sim, state);
    b.state = state;
    // C is added; its first message reaches B before the add does.
    sim.add('A', 'C');
    const addBundles = [...b.inbox];
    b.inbox = [];
    const c = sim.peer('C');
    while (c.inbox.length > 0) sim.deliver('C', 0);
    expect(sim.peer('C').state).toBeDefined();
    const fromC = sim.send('C');
    // a message of A that must wait for its epoch (A updates, then sends)
    sim.update('A');
    const fromA = sim.send('A');
    const early = b.inbox.filter((x) => x[0] !== 0x83);
    const later = b.inbox.filter((x) => x[0] === 0x83);
    b.inbox = [...early, ...addBundles, ...later];
    sim.settle(seeded(42));
    expect(b.decrypted.has(fromC)).toBe(true);
    expect(b.decrypted.has(fromA)).toBe(true);
    expect(b.errors).toEqual([]);
  });

  it('the strangers allowance expires: held messages are dropped after their time', () => {
    const { sim, state, groupId } = setup(scheme);
    const b = sim.peer('B');
    let now = 1_000_000;
    const deps = { ...sim.deps, now: () => now };
    const ctx = { deps, keys: b.keys, registry: b.registry };
    const first = receive(state, ctx, { broadcast: outsiderEnvelope(sim, groupId, scheme, 10) }).state;
    expect(first.strangers.length).toBe(1);
    now += 8 * 24 * 3600;
    const second = receive(first, ctx, { broadcast: outsiderEnvelope(sim, groupId, scheme, 10) }).state;
    expect(second.strangers.length).toBe(1);
    expect(second.strangers[0]?.at).toBe(now);
  });

  it('application messages that wait for their epoch are bounded in bytes; one over the limit is refused (retryable) and the state stays decodable', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    sim.create('A', ['B']);
    sim.settle(seeded(43));
    const a = sim.peer('A');
    const b = sim.peer('B');
    sim.update('A');
    b.inbox = [];
    let sa = a.state as GroupState;
    let sb = b.state as GroupState;
    let refused = 0;
    for (let i = 0; i < 4; i++) {
      const out = send(sa, sim.ctx(a), { plaintext: new Uint8Array(900 * 1024) });
      sa = out.state;
      const o = out.outputs[0];
      if (o?.kind !== 'send') throw new Error('no send');
      try {
        sb = receive(sb, sim.ctx(b), openWireBundle(encodeWireBundle(o.message), b.id)).state;
      } catch (error) {
        expect((error as { code?: string }).code).toBe('STATE_LIMIT');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(sb.pendingApplication.reduce((n, p) => n + p.bytes.length, 0)).toBeLessThanOrEqual(MAX_PENDING_APPLICATION_BYTES);
    expectDecodable(sim, sb);
    expect(codeOf(() => send(sa, sim.ctx(a), { plaintext: utf8('x') }))).toBeUndefined();
  });

  it('a flooded pre-join inbox still joins through the invitation that comes after the junk; its encoding stays small', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    const b = sim.peer('B');
    sim.create('A', ['B']);
    const invitation = b.inbox.shift() as Uint8Array;
    const groupId = (sim.peer('A').state as GroupState).dcgka.groupId;
    let inbox = createGroupInbox({ scheme });
    for (let i = 0; i < 1000; i++) {
      const junk = i % 2 === 0 ? { broadcast: outsiderEnvelope(sim, groupId, scheme, 16 * 1024, i) } : outsiderUpdate(sim, groupId, 1 + i, 16 * 1024);
      inbox = receivePreJoin(inbox, sim.ctx(b), junk).inbox;
    }
    expect(encodeGroupInbox(inbox).length).toBeLessThanOrEqual(MAX_HELD_BYTES + 64 * 1024);
    expect(decodeGroupInbox(encodeGroupInbox(inbox)).held.length).toBe(inbox.held.length);
    expect(codeOf(() => receivePreJoin(inbox, sim.ctx(b), { broadcast: outsiderEnvelope(sim, groupId, scheme, 3 * 1024 * 1024) }))).toBe('STATE_LIMIT');
    const out = receivePreJoin(inbox, sim.ctx(b), openWireBundle(invitation, b.id));
    expect(out.joined).not.toBeNull();
  });
});

describe('welcome contents are validated (data scheme)', () => {
  /** A makes B's add with a welcome extra of its choice; returns what B receives. */
  function plantedAdd(bundleEntries: (ids: { a: string; b: string; c: string; outsider: string }) => unknown[][]): { sim: GroupSim; incoming: { broadcast: Uint8Array; direct: Uint8Array } } {
    const sim = new GroupSim(['A', 'B', 'C'], 'data');
    sim.create('A', ['C']);
    sim.settle(seeded(51));
    sim.update('A');
    sim.settle(seeded(52));
    const a = sim.peer('A');
    const ids = { a: a.id, b: sim.peer('B').id, c: sim.peer('C').id, outsider: toHex(identityOf(createKeyManager(sim.deps)).publicKey) };
    const extra = encodeCanonical({ v: 1, secrets: bundleEntries(ids).map((e) => [fromHex(e[0] as string), e[1], new Uint8Array(32).fill(7), 1]) });
    const result = dcgkaAdd((a.state as GroupState).dcgka, sim.ctx(a), ids.b, extra);
    const control = result.outputs.find((o) => o.kind === 'control');
    if (control?.kind !== 'control') throw new Error('no add');
    const direct = control.control.direct.find((d) => d.recipient === ids.b);
    if (!direct) throw new Error('no welcome');
    return { sim, incoming: { broadcast: control.control.broadcast, direct: direct.bytes } };
  }

  it('an entry for the joiner itself never becomes its sending secret', () => {
    const { sim, incoming } = plantedAdd((ids) => [[ids.b, 1_000_000], [ids.a, 0]]);
    const b = sim.peer('B');
    const joined = joinGroup(sim.ctx(b), { scheme: 'data', message: incoming });
    expect(joined.state.data?.latest[b.id]).not.toBe(1_000_000);
    expect(Object.keys(joined.state.data?.secrets ?? {}).some((k) => k.startsWith(b.id))).toBe(joined.state.data?.latest[b.id] !== undefined);
    const sent = send(joined.state, { deps: sim.deps, keys: joined.keys, registry: joined.registry }, { plaintext: utf8('mine') });
    const o = sent.outputs[0];
    expect(o?.kind === 'send' ? o.position?.epoch : undefined).not.toBe(1_000_000);
  });

  it('an entry of a never-member, or beyond the welcome\'s clock for its member, refuses the welcome', () => {
    const outsider = plantedAdd((ids) => [[ids.outsider, 0]]);
    expect(codeOf(() => joinGroup(outsider.sim.ctx(outsider.sim.peer('B')), { scheme: 'data', message: outsider.incoming }))).toBe('VERIFY_GROUP');
    const future = plantedAdd((ids) => [[ids.c, 50]]);
    expect(codeOf(() => joinGroup(future.sim.ctx(future.sim.peer('B')), { scheme: 'data', message: future.incoming }))).toBe('VERIFY_GROUP');
    const honest = plantedAdd((ids) => [[ids.a, 0], [ids.c, 0]]);
    expect(codeOf(() => joinGroup(honest.sim.ctx(honest.sim.peer('B')), { scheme: 'data', message: honest.incoming }))).toBeUndefined();
  });
});

describe.each<GroupScheme>(['message', 'data'])('direct parts bound to the signed broadcast (%s scheme)', (scheme) => {
  it('a relay that strips a forward from an ack is refused (retryable); the genuine copy keeps the pair of members talking', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    const random = seeded(61);
    sim.create('A', ['B', 'C']);
    const abc = ['A', 'B', 'C'];
    while (abc.some((n) => sim.peer(n).inbox.length > 0)) for (const n of abc) if (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    sim.peer('D').inbox = [];
    sim.update('A');
    sim.add('C', 'D');
    // B processes C's add before A's update: its ack of the update forwards its secret to D.
    const b = sim.peer('B');
    const fromC = b.inbox.findIndex((x) => readControl(sim.ctx(b), openWireBundle(x, b.id).broadcast, b.state?.dcgka).sender === sim.peer('C').id);
    sim.deliver('B', fromC);
    while (b.inbox.length > 0) sim.deliver('B', 0);
    const d = sim.peer('D');
    const ackIndex = d.inbox.findIndex((x) => {
      const m = readControl(sim.ctx(d), openWireBundle(x, d.id).broadcast, b.state?.dcgka); // B's state reads B's compact ack
      return m.sender === b.id && m.body.type === 'ack' && openWireBundle(x, d.id).direct !== undefined;
    });
    expect(ackIndex).toBeGreaterThanOrEqual(0);
    const [ack] = d.inbox.splice(ackIndex, 1) as [Uint8Array];
    for (const n of ['A', 'C']) while (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    while (d.inbox.length > 0) sim.deliver('D', 0);
    const state = d.state as GroupState;
    expect(state).toBeDefined();
    const stripped = { broadcast: openWireBundle(ack, d.id).broadcast };
    const before = encodeGroupState(state);
    expect(codeOf(() => receive(state, sim.ctx(d), stripped))).toBe('STATE_MISSING_KEY');
    expect(encodeGroupState(state)).toEqual(before);
    d.inbox.push(ack);
    sim.settle(random);
    const text = sim.send('B');
    sim.settle(random);
    expect(d.decrypted.has(text)).toBe(true);
    expect(d.errors).toEqual([]);
  });
});

describe('direct parts bind the full group id', () => {
  it('a direct part of another group whose id shares an 8-byte prefix is refused', () => {
    const groupA = 'ab'.repeat(8) + '00'.repeat(24);
    const groupB = 'ab'.repeat(8) + 'ff'.repeat(24);
    const plain = encodeDirectPlaintext(groupB, 3, 'seed', new Uint8Array(32));
    expect(codeOf(() => decodeDirectPlaintext(plain, groupA, 3, 'seed'))).toBe('VERIFY_GROUP');
    expect(decodeDirectPlaintext(plain, groupB, 3, 'seed')).toEqual(new Uint8Array(32));
  });
});

describe.each<GroupScheme>(['message', 'data'])('hostile fuzz (%s scheme)', (scheme) => {
  it('outsider-signed envelopes and control messages, oversized parts and forged member envelopes, mixed into real traffic: the state stays decodable and bounded, refusals change nothing, and every real message is read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom('outsider-app', 'outsider-control', 'member-forged', 'stripped', 'real'), size: fc.integer({ min: 0, max: 200_000 }), seq: fc.integer({ min: 0, max: 5 }) }), { minLength: 5, maxLength: 25 }),
        fc.nat(),
        (plan, seed) => {
          const sim = new GroupSim(['A', 'B', 'C'], scheme);
          const random = seeded(seed);
          sim.create('A', ['B', 'C']);
          sim.settle(random);
          const b = sim.peer('B');
          const groupId = (b.state as GroupState).dcgka.groupId;
          const sentTexts: string[] = [];
          for (const step of plan) {
            let incoming: { broadcast: Uint8Array; direct?: Uint8Array } | undefined;
            if (step.kind === 'real') {
              if (random() < 0.3) sim.update(random() < 0.5 ? 'A' : 'C');
              else sentTexts.push(sim.send(random() < 0.5 ? 'A' : 'C'));
              continue;
            }
            if (step.kind === 'outsider-app') incoming = { broadcast: outsiderEnvelope(sim, groupId, scheme, step.size, step.seq) };
            else if (step.kind === 'outsider-control') incoming = outsiderUpdate(sim, groupId, step.seq, step.size);
            else if (step.kind === 'member-forged') {
              // C's tag, but signed by an outsider: a bad signature under C's key
              const env = outsiderEnvelope(sim, groupId, scheme, step.size % 1000, step.seq);
              const forged = new Uint8Array(env);
              forged.set(fromHex(sim.peer('C').id.slice(0, 8)), 3);
              incoming = { broadcast: forged };
            } else {
              const control = b.inbox.find((x) => x[0] === 0x83 && openWireBundle(x, b.id).direct !== undefined);
              if (control) incoming = { broadcast: openWireBundle(control, b.id).broadcast };
            }
            if (!incoming || !b.state) continue;
            const before = encodeGroupState(b.state);
            try {
              b.state = receive(b.state, sim.ctx(b), incoming).state;
            } catch (error) {
              expect((error as { code?: string }).code).toMatch(/^(DECODE|VERIFY|STATE)_/);
              expect(encodeGroupState(b.state)).toEqual(before);
            }
            expectDecodable(sim, b.state);
            expect(b.state.strangers.length).toBeLessThanOrEqual(MAX_STRANGERS);
          }
          sim.settle(random);
          for (const text of sentTexts) expect(b.decrypted.has(text), text).toBe(true);
        },
      ),
      { numRuns: Number(process.env['GROUPCRYPT_FUZZ'] ?? 8) },
    );
  }, 300_000);
});
