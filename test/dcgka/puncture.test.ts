import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDeps, fromHex, toHex } from '../../src/crypto/index.js';
import { decodeDcgkaState, encodeDcgkaState, processControl } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { isWaiting, keptNodes, newPendingSeed, peekSecret, puncture, treeHeight, waitingMembers } from '../../src/dcgka/puncture.js';
import type { PendingSeed } from '../../src/dcgka/puncture.js';
import { decodeKeyManager, decodeKeyRegistry } from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';

const deps = defaultDeps();
const idOf = (i: number): string => toHex(deps.crypto.hkdf(Uint8Array.of(i & 255, i >> 8), new Uint8Array(32), new Uint8Array(0), 32));

describe('puncturable member secrets', () => {
  for (const n of [1, 2, 3, 5, 8, 13, 64]) {
    it(`n = ${n}: each secret comes out once, equals its peek, and is gone afterwards (random order)`, () => {
      const members = Array.from({ length: n }, (_, i) => idOf(i));
      const root = deps.crypto.randomBytes(32);
      let pending: PendingSeed | undefined = newPendingSeed(members, root);
      const order = [...members].sort(() => (deps.crypto.randomBytes(1)[0] as number) - 128);
      const seen = new Set<string>();
      for (const member of order) {
        expect(pending && isWaiting(pending, member)).toBe(true);
        const peeked = peekSecret(deps, pending as PendingSeed, member) as Uint8Array;
        const taken = puncture(deps, pending as PendingSeed, member);
        expect(toHex(taken?.secret as Uint8Array)).toBe(toHex(peeked));
        seen.add(toHex(peeked));
        pending = taken?.pending;
        if (pending) {
          expect(isWaiting(pending, member)).toBe(false);
          expect(puncture(deps, pending, member)).toBeUndefined();
          expect(peekSecret(deps, pending, member)).toBeUndefined();
          // Kept nodes: O(log n) after one puncture, never more than the waiting members.
          expect(keptNodes(pending).length).toBeLessThanOrEqual(Math.max(1, waitingMembers(pending).length));
          expect(waitingMembers(pending)).not.toContain(member);
        }
      }
      expect(pending).toBeUndefined();
      expect(seen.size).toBe(n);
    });
  }

  it('after one puncture at n = 1024, at most log2(n) nodes are kept', () => {
    const members = Array.from({ length: 1024 }, (_, i) => idOf(i)).sort();
    const taken = puncture(deps, newPendingSeed(members, deps.crypto.randomBytes(32)), members[517] as string);
    expect(keptNodes(taken?.pending as PendingSeed).length).toBe(treeHeight(1024));
  });

  it('depends on the root and on the member id', () => {
    const members = [idOf(1), idOf(2)];
    const a = peekSecret(deps, newPendingSeed(members, new Uint8Array(32).fill(1)), idOf(1)) as Uint8Array;
    const b = peekSecret(deps, newPendingSeed(members, new Uint8Array(32).fill(2)), idOf(1)) as Uint8Array;
    const c = peekSecret(deps, newPendingSeed(members, new Uint8Array(32).fill(1)), idOf(2)) as Uint8Array;
    expect(new Set([toHex(a), toHex(b), toHex(c)]).size).toBe(3);
  });

  it('positions-only trees track who is waiting without secrets', () => {
    const members = [idOf(1), idOf(2), idOf(3)];
    const taken = puncture(deps, newPendingSeed(members, undefined), idOf(2));
    expect(taken?.secret).toBeUndefined();
    expect(waitingMembers(taken?.pending as PendingSeed)).toEqual([idOf(1), idOf(3)].sort());
  });

  it('the state codec round-trips a version-1 state byte for byte', () => {
    const bytes = encodeDcgkaState(fixtureState('B'));
    expect(toHex(encodeDcgkaState(decodeDcgkaState(bytes)))).toBe(toHex(bytes));
  });
});

interface FixturePeer { id: string; keys: string; registry: string; state: string; secrets: Record<string, string>; inbox: { broadcast: string; direct?: string }[] }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/v1-pending-prk.json', import.meta.url), 'utf8')) as { peers: Record<string, FixturePeer> };
function fixtureState(name: string): DcgkaState {
  return decodeDcgkaState(fromHex((fixture.peers[name] as FixturePeer).state));
}

describe('states of version 1 (seed PRK kept until every ack)', () => {
  it('decode, re-encode to the same state (its membership now written as v3), and are converted (PRK dropped, in consumed) at the next transition; chains still converge', () => {
    const peers = Object.fromEntries(Object.entries(fixture.peers).map(([name, p]) => [name, {
      ...p, keysState: decodeKeyManager(fromHex(p.keys)) as KeyManagerState, registryState: decodeKeyRegistry(fromHex(p.registry)) as KeyRegistryState, current: decodeDcgkaState(fromHex(p.state)),
    }]));
    const b = peers['B'] as (typeof peers)[string];
    expect(decodeDcgkaState(encodeDcgkaState(b.current))).toEqual(b.current);
    const legacy = b.current.legacyPrks ?? {};
    expect(Object.keys(legacy)).toHaveLength(1);
    const prk = toHex(Object.values(legacy)[0] as Uint8Array);
    expect(toHex(encodeDcgkaState(b.current)).includes(prk)).toBe(true); // kept until the next transition
    // D comes back: processes what it missed, and everyone processes D's answers.
    const d = peers['D'] as (typeof peers)[string];
    const outbox: { broadcast: Uint8Array; direct: Map<string, Uint8Array> }[] = [];
    const run = (peer: typeof d, incoming: { broadcast: Uint8Array; direct?: Uint8Array }) => {
      const result = processControl(peer.current, { deps, keys: peer.keysState, registry: peer.registryState }, incoming);
      peer.current = decodeDcgkaState(encodeDcgkaState(result.state));
      peer.keysState = result.keys;
      for (const out of result.outputs) if (out.kind === 'control') outbox.push({ broadcast: out.control.broadcast, direct: new Map(out.control.direct.map((p) => [p.recipient, p.bytes])) });
      return result;
    };
    for (const m of d.inbox) run(d, { broadcast: fromHex(m.broadcast), ...(m.direct ? { direct: fromHex(m.direct) } : {}) });
    expect(outbox.length).toBeGreaterThan(0);
    for (const name of ['A', 'B', 'C']) {
      const peer = peers[name] as typeof d;
      for (const m of outbox) {
        const result = run(peer, { broadcast: m.broadcast, ...(m.direct.has(peer.id) ? { direct: m.direct.get(peer.id) as Uint8Array } : {}) });
        if (name === 'B') expect(result.consumed.map(toHex)).toContain(prk);
        expect(result.state.legacyPrks).toBeUndefined();
        expect(toHex(encodeDcgkaState(result.state)).includes(prk)).toBe(false);
      }
    }
    for (const member of Object.values(peers)) {
      for (const holder of Object.values(peers)) expect(toHex(holder.current.ratchets.get(member.id) as Uint8Array)).toBe(toHex(member.current.ratchets.get(member.id) as Uint8Array));
      expect([...member.current.pendingSeeds.keys()]).toEqual([]);
    }
  });
});

describe('state codec of pending seeds (version 2)', () => {
  it('round-trips and rejects a node outside the tree, unsorted members or nodes, or a bad secret length', async () => {
    const { DcgkaSim } = await import('../helpers/dcgka-sim.js');
    const { decodeCanonical, encodeCanonical } = await import('../../src/crypto/index.js');
    const sim = new DcgkaSim(['A', 'B', 'C', 'D']);
    sim.create('A', ['B', 'C', 'D']);
    sim.settle();
    sim.offline.add('D');
    sim.update('A');
    sim.settle(undefined, ['A', 'B', 'C']);
    const bytes = encodeDcgkaState(sim.peer('B').state as DcgkaState);
    expect(toHex(encodeDcgkaState(decodeDcgkaState(bytes)))).toBe(toHex(bytes));
    const record = decodeCanonical(bytes, 'x', 1 << 24) as Record<string, unknown>;
    expect(record['v']).toBe(2);
    const seeds = record['pendingSeeds'] as Record<string, { members: Uint8Array[]; nodes: unknown[][] }>;
    const id = Object.keys(seeds)[0] as string;
    const tamper = (change: (p: { members: Uint8Array[]; nodes: unknown[][] }) => void): string => {
      const copy = decodeCanonical(bytes, 'x', 1 << 24) as Record<string, unknown>;
      change((copy['pendingSeeds'] as typeof seeds)[id] as (typeof seeds)[string]);
      try {
        decodeDcgkaState(encodeCanonical(copy));
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(tamper((p) => { p.nodes = [[0, 5, new Uint8Array(0)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.nodes = [[9, 0, new Uint8Array(0)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.nodes = [[0, 0, new Uint8Array(31)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.members = [...p.members].reverse(); })).toBe('DECODE_FIELD');
    // Nodes are written sorted by (depth, index): one encoding per state.
    expect(tamper((p) => { p.nodes = [[1, 1, new Uint8Array(0)], [1, 0, new Uint8Array(0)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.nodes = [[1, 0, new Uint8Array(0)], [1, 1, new Uint8Array(0)]]; })).toBe('accepted');
    // No puncture keeps a node together with one of its descendants: such a state is damaged.
    expect(tamper((p) => { p.nodes = [[0, 0, new Uint8Array(0)], [1, 0, new Uint8Array(0)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.nodes = [[1, 0, new Uint8Array(0)], [2, 1, new Uint8Array(0)]]; })).toBe('DECODE_FIELD');
    expect(tamper((p) => { p.nodes = [[1, 0, new Uint8Array(0)], [2, 2, new Uint8Array(0)]]; })).toBe('accepted');
    expect(tamper(() => undefined)).toBe('accepted');
  });
});
