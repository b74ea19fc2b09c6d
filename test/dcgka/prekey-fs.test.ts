/**
 * Issue 18, item 1: a member's stored key manager plus the recorded network
 * must not yield any seed sent to it after it answered the sender once (one
 * round trip). The attacker replays X3DH with the stolen pre-key on the first
 * 2SM message of each stream to B and follows the stream as far as it can.
 *
 * On the code before the fix this fails: B (a passive member that only acks)
 * never sent a 2SM message back, so every later seed to B was sealed to a key
 * derived from its pre-key.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { readControl, resetSessions } from '../../src/dcgka/index.js';
import { decodeDirectPart, directAssociatedData } from '../../src/dcgka/codec.js';
import type { DirectKind } from '../../src/dcgka/codec.js';
import { decodeKeyManager, encodeKeyManager, identityOf } from '../../src/keys/index.js';
import { createSession, decodeTwoPartyMessage, twoPartyReceive } from '../../src/twoparty/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import { DcgkaSim, seededRandom } from '../helpers/dcgka-sim.js';

/** Seeds to `victim` the attacker recovers from its stored keys and the wire, and those it may (sent before the victim answered). */
function attack(sim: DcgkaSim, victim: string): { recovered: string[]; allowed: string[]; seeds: number } {
  const deps = sim.deps;
  const b = sim.peer(victim);
  const stolen = decodeKeyManager(encodeKeyManager(b.keys));
  const identity = identityOf(stolen);
  expect(toHex(identity.publicKey)).toBe(b.id);
  const ctx = { deps, keys: stolen, registry: b.registry };
  const recovered: string[] = [];
  const allowed: string[] = [];
  const sessions = new Map<string, TwoPartySession | null>();
  // Seeds sent to the victim before it answered their sender: the victim had not yet sent a control
  // message after processing a direct part from that sender (one round trip), in the order things happened.
  const answered = new Set<string>();
  const heardFrom = new Set<string>();
  const allowedIds = new Set<string>();
  for (const e of sim.events) {
    if (e.kind === 'deliver' && e.peer === victim && e.message.direct.has(b.id)) heardFrom.add(e.message.sender);
    if (e.kind === 'publish' && e.message.sender === b.id) for (const peer of heardFrom) answered.add(peer);
    if (e.kind === 'publish' && e.message.direct.has(b.id) && !answered.has(e.message.sender)) allowedIds.add(e.message.id);
  }
  let seeds = 0;
  for (const m of sim.wire) {
    const direct = m.direct.get(b.id);
    if (m.sender === b.id || !direct) continue;
    const control = readControl(ctx, m.broadcast, b.state);
    const isSeed = m.type === 'update' || m.type === 'create' || m.type === 'remove';
    if (isSeed) {
      seeds++;
      if (allowedIds.has(m.id)) allowed.push(`${sim.nameOf(m.sender)}#${m.seq}`);
    }
    const session = sessions.has(m.sender) ? sessions.get(m.sender) : createSession(Buffer.from(m.sender, 'hex'));
    if (!session) continue; // the attacker lost this stream
    try {
      const received = twoPartyReceive(session, stolen, direct, { deps, identity, associatedData: directAssociatedData(control.groupId, control.seq) });
      sessions.set(m.sender, received.session);
      if (isSeed) {
        if (decodeDirectPart(received.plaintext).kind !== 'seed') throw new Error('a seed op whose part is no seed');
        recovered.push(`${sim.nameOf(m.sender)}#${m.seq}`);
      }
    } catch {
      sessions.set(m.sender, null);
    }
  }
  return { recovered, allowed, seeds };
}

describe('2SM leaves the pre-key after one round trip (issue 18 item 1)', () => {
  it('from B\'s stored key manager and the wire, only seeds sent before B first answered their sender are recoverable', () => {
    const sim = new DcgkaSim(['A', 'B', 'C'], defaultDeps());
    sim.create('A', ['B', 'C']);
    sim.settle();
    for (const op of ['A', 'C', 'A', 'C', 'A'] as const) {
      sim.update(op);
      sim.settle();
    }
    const { recovered, allowed, seeds } = attack(sim, 'B');
    expect(seeds).toBe(6);
    // The attack works where it should: the first seed of each sender came by X3DH.
    expect(recovered).toContain('A#0');
    for (const seed of recovered) expect(allowed, `seed ${seed} was sent after B answered its sender, yet is recoverable`).toContain(seed);
    expect(recovered.map((s) => s.split('#')[0]).sort()).toEqual(['A', 'C']);
  });

  it('a joiner (first contact by welcome and add-acks) likewise', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D'], defaultDeps());
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.add('A', 'D');
    sim.settle();
    for (const op of ['C', 'B', 'A', 'C', 'B', 'A'] as const) {
      sim.update(op);
      sim.settle();
    }
    const { recovered, allowed, seeds } = attack(sim, 'D');
    expect(seeds).toBe(6);
    for (const seed of recovered) expect(allowed, `seed ${seed} was sent after D answered its sender, yet is recoverable`).toContain(seed);
    expect(recovered.length).toBeLessThanOrEqual(3); // at most the first seed of each sender
  });
});

/** One direct part the attacker opened: its sender, the control message, and its kind. */
interface Recovered {
  readonly from: string;
  readonly id: string;
  readonly type: string;
  readonly kind: DirectKind;
}

/**
 * Every direct part to `victim` (any kind: seed, welcome, chain, forward, refresh) the attacker opens from
 * the victim's stored key manager and the wire, and the ids of those it may open: sent by their sender
 * before it had processed the victim's answer (a message of the victim with a part for it, sent after
 * the victim first heard from it) — one round trip.
 */
function attackAll(sim: DcgkaSim, victim: string): { recovered: Recovered[]; allowed: Set<string> } {
  const deps = sim.deps;
  const b = sim.peer(victim);
  const stolen = decodeKeyManager(encodeKeyManager(b.keys));
  const identity = identityOf(stolen);
  const ctx = { deps, keys: stolen, registry: b.registry };
  // One pass over what happened, per sender X: a part of X to the victim is allowed while X has not
  // processed an answer of the victim (sent after it heard from X) since X's last X3DH part (a restart).
  const heard = new Set<string>();
  const answers = new Map<string, Set<string>>();
  const answered = new Set<string>();
  const allowed = new Set<string>();
  for (const e of sim.events) {
    const x = e.message.sender;
    if (e.kind === 'publish' && x !== b.id) {
      const part = e.message.direct.get(b.id);
      if (part && decodeTwoPartyMessage(part).kind === 'x3dh') {
        heard.delete(x);
        answers.delete(x);
        answered.delete(x);
      }
      if (part && !answered.has(x)) allowed.add(e.message.id);
    } else if (e.kind === 'publish') {
      for (const peer of heard) if (e.message.direct.has(peer)) answers.set(peer, new Set([...(answers.get(peer) ?? []), e.message.id]));
    } else if (e.peer === victim) {
      if (e.message.direct.has(b.id)) heard.add(x);
    } else if (answers.get(sim.id(e.peer))?.has(e.message.id)) {
      answered.add(sim.id(e.peer));
    }
  }
  const recovered: Recovered[] = [];
  const sessions = new Map<string, TwoPartySession | null>();
  for (const m of sim.wire) {
    const direct = m.direct.get(b.id);
    if (m.sender === b.id || !direct) continue;
    const control = readControl(ctx, m.broadcast, b.state);
    const session = sessions.has(m.sender) ? sessions.get(m.sender) : createSession(Buffer.from(m.sender, 'hex'), { pq: sim.pq });
    if (!session) continue; // the attacker lost this stream
    try {
      const received = twoPartyReceive(session, stolen, direct, { deps, identity, allowRestart: true, associatedData: directAssociatedData(control.groupId, control.seq) });
      sessions.set(m.sender, received.session);
      let kind;
      try {
        kind = decodeDirectPart(received.plaintext).kind;
      } catch {
        throw new Error('an opened part of no kind');
      }
      recovered.push({ from: sim.nameOf(m.sender), id: m.id, type: m.type, kind });
    } catch (error) {
      if (error instanceof Error && error.message === 'an opened part of no kind') throw error;
      sessions.set(m.sender, null);
    }
  }
  return { recovered, allowed };
}

describe('every X3DH-opened session is answered at once: add-acks and forwards too (issue 18 item 1)', () => {
  it('a joiner answers the add-acks that opened its sessions: no seed after the add settled is recoverable', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D'], defaultDeps());
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.add('A', 'D');
    sim.settle();
    const mark = sim.wire.length;
    for (const op of ['C', 'B', 'A', 'C', 'B', 'A'] as const) {
      sim.update(op);
      sim.settle();
    }
    const { recovered, allowed } = attackAll(sim, 'D');
    // The attack works where it must: the welcome and the add-acks came by X3DH against D's pre-key.
    expect(recovered.filter((r) => r.kind === 'welcome').map((r) => r.from)).toEqual(['A']);
    expect(recovered.filter((r) => r.kind === 'chain').map((r) => r.from).sort()).toEqual(['B', 'C']);
    for (const r of recovered) expect(allowed.has(r.id), `${r.kind} part of ${r.from}'s ${r.type} was sent after D's answer reached ${r.from}, yet is recoverable`).toBe(true);
    const later = new Set(sim.wire.slice(mark).map((m) => m.id));
    expect(recovered.filter((r) => later.has(r.id))).toEqual([]);
  });

  it('concurrent adds: every recoverable part precedes the answer; nothing after settling is', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D', 'E'], defaultDeps());
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.add('A', 'D');
    sim.add('B', 'E');
    sim.settle(seededRandom(5));
    const mark = sim.wire.length;
    for (const op of ['C', 'B', 'A', 'D', 'E', 'C', 'B', 'A', 'D', 'E'] as const) {
      sim.update(op);
      sim.settle(seededRandom(op.charCodeAt(0)));
    }
    const later = new Set(sim.wire.slice(mark).map((m) => m.id));
    for (const victim of ['D', 'E']) {
      const { recovered, allowed } = attackAll(sim, victim);
      expect(recovered.filter((r) => r.kind === 'chain').length).toBeGreaterThanOrEqual(2);
      for (const r of recovered) expect(allowed.has(r.id), `${victim}: ${r.kind} part of ${r.from}'s ${r.type} was sent after the answer, yet is recoverable`).toBe(true);
      expect(recovered.filter((r) => later.has(r.id)).map((r) => `${r.from} ${r.type} ${r.kind}`)).toEqual([]);
    }
  });

  it('a forward that opens a session (the sender restarted it) is answered at once', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D'], defaultDeps());
    sim.create('A', ['B', 'C']);
    sim.settle();
    // B updates while A adds D: B's seed does not reach D, so C's ack of it forwards C's secret to D
    sim.partition = [['A', 'C', 'D'], ['B']];
    sim.add('A', 'D');
    sim.update('B');
    sim.settle(undefined, ['A', 'C', 'D']);
    // C lost its session with D (restored from a backup): its next part to D opens a new one by X3DH
    const c = sim.peer('C');
    const reset = resetSessions(c.state!, sim.ctx(c), [sim.id('D')]);
    c.state = reset.state;
    sim.partition = undefined;
    sim.pump('C');
    const forward = sim.wire.at(-1);
    expect(forward?.type === 'ack' && forward.sender === c.id && forward.direct.has(sim.id('D'))).toBe(true);
    sim.settle();
    const mark = sim.wire.length;
    for (const op of ['C', 'A', 'C'] as const) {
      sim.update(op);
      sim.settle();
    }
    const { recovered, allowed } = attackAll(sim, 'D');
    expect(recovered.some((r) => r.id === forward?.id && r.kind === 'forward')).toBe(true);
    for (const r of recovered) expect(allowed.has(r.id), `${r.kind} part of ${r.from}'s ${r.type} was sent after D's answer reached ${r.from}, yet is recoverable`).toBe(true);
    const later = new Set(sim.wire.slice(mark).map((m) => m.id));
    expect(recovered.filter((r) => later.has(r.id)).map((r) => `${r.from} ${r.type} ${r.kind}`)).toEqual([]);
  });
});
