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
import { readControl } from '../../src/dcgka/index.js';
import { decodeDirectPlaintext } from '../../src/dcgka/codec.js';
import { decodeKeyManager, encodeKeyManager, identityOf } from '../../src/keys/index.js';
import { createSession, twoPartyReceive } from '../../src/twoparty/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';

describe('2SM leaves the pre-key after one round trip (issue 18 item 1)', () => {
  it('from B\'s stored key manager and the wire, only seeds sent before B first answered their sender are recoverable', () => {
    const deps = defaultDeps();
    const sim = new DcgkaSim(['A', 'B', 'C'], deps);
    sim.create('A', ['B', 'C']);
    sim.settle();
    for (const op of ['A', 'C', 'A', 'C', 'A'] as const) {
      sim.update(op);
      sim.settle();
    }
    const b = sim.peer('B');
    const stolen = decodeKeyManager(encodeKeyManager(b.keys));
    const identity = identityOf(stolen);
    const ctx = { deps, keys: stolen, registry: b.registry };
    const recovered: string[] = [];
    const allowed: string[] = [];
    const sessions = new Map<string, TwoPartySession | null>();
    // Peers B has answered: B sent a control message after receiving a direct part from them (one round trip).
    const answered = new Set<string>();
    const heardFrom = new Set<string>();
    let seedsToB = 0;
    for (const m of sim.wire) {
      if (m.sender === b.id) {
        for (const peer of heardFrom) answered.add(peer);
        continue;
      }
      const direct = m.direct.get(b.id);
      if (!direct) continue;
      heardFrom.add(m.sender);
      const control = readControl(ctx, m.broadcast);
      if (m.type === 'update' || m.type === 'create') {
        seedsToB++;
        if (!answered.has(m.sender)) allowed.push(`${sim.nameOf(m.sender)}#${m.seq}`);
      }
      const session = sessions.has(m.sender) ? sessions.get(m.sender) : createSession(Buffer.from(m.sender, 'hex'));
      if (!session) continue; // the attacker lost this stream
      try {
        const received = twoPartyReceive(session, stolen, direct, { deps, identity });
        sessions.set(m.sender, received.session);
        if (m.type === 'update' || m.type === 'create') {
          decodeDirectPlaintext(received.plaintext, control.groupId, control.seq, 'seed');
          recovered.push(`${sim.nameOf(m.sender)}#${m.seq}`);
        }
      } catch {
        sessions.set(m.sender, null);
      }
    }
    expect(seedsToB).toBe(6);
    // The attack works where it should: the first seed of each sender came by X3DH.
    expect(recovered).toContain('A#0');
    expect(recovered.length).toBeGreaterThan(0);
    for (const seed of recovered) expect(allowed, `seed ${seed} was sent after B answered its sender, yet is recoverable`).toContain(seed);
    expect(recovered.map((s) => s.split('#')[0]).sort()).toEqual(['A', 'C']);
    expect(toHex(identity.publicKey)).toBe(b.id);
  });
});
