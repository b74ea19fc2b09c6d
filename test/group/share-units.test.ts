/**
 * src/group/share.ts one function at a time, on real data-scheme states:
 * who forwards a concurrent secret (only an adder, only what its joiners
 * lack), who asks (only a member whose adders are all gone, only for what it
 * lacks) and who answers (only a current member's request, only with my own
 * secrets that I hold). The schedules check that history is complete; these
 * check that nothing is sent that should not be.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical, fromHex } from '../../src/crypto/index.js';
import { encodeWireBundle, openWireBundle, receive } from '../../src/group/index.js';
import type { GroupState } from '../../src/group/index.js';
import { answerRequest, requestWantedSecrets, wantSecret } from '../../src/group/share.js';
import { openWork } from '../../src/group/work.js';
import type { Work } from '../../src/group/work.js';
import { GroupSim, seeded, sentVersions } from '../helpers/group-sim.js';

/** A, B, C in a data-scheme group; A adds E (everybody processed everything). */
function settled(): GroupSim {
  const sim = new GroupSim(['A', 'B', 'C', 'E'], 'data');
  sim.create('A', ['B', 'C']);
  sim.settle(seeded(5));
  sim.add('A', 'E');
  sim.settle(seeded(6));
  return sim;
}

function workOf(sim: GroupSim, name: string, change: (w: Work) => Partial<Work> = () => ({})): Work {
  const peer = sim.peer(name);
  const work = openWork(peer.state as GroupState, sim.ctx(peer));
  return Object.assign(work, change(work));
}

/** The keys (`member:epoch`) of the group secrets `name` holds of `member`. */
function secretsOf(sim: GroupSim, name: string, member: string): string[] {
  const data = (sim.peer(name).state as GroupState).data;
  return Object.keys(data?.secrets ?? {}).filter((k) => k.startsWith(`${sim.peer(member).id}:`));
}

const request = (keys: readonly string[]): Uint8Array => encodeCanonical(keys.map((k) => [fromHex(k.slice(0, k.lastIndexOf(':'))), Number(k.slice(k.lastIndexOf(':') + 1))]));

describe('share.ts: answering a request', () => {
  it('answers a current member with my own secrets that I hold, and nothing else', () => {
    const sim = settled();
    const mine = secretsOf(sim, 'B', 'B');
    const ofA = secretsOf(sim, 'B', 'A');
    expect(mine.length).toBeGreaterThan(0);
    expect(ofA.length).toBeGreaterThan(0);
    const answered = (w: Work, from: string, keys: readonly string[]): number[] => {
      answerRequest(w, from, request(keys));
      return sentVersions(w.outputs);
    };
    const e = sim.peer('E').id;
    expect(answered(workOf(sim, 'B'), e, mine)).toEqual([3]);
    expect(answered(workOf(sim, 'B'), e, ofA), 'another member\'s secrets, though I hold them').toEqual([]);
    expect(answered(workOf(sim, 'B'), e, [`${sim.peer('B').id}:999`]), 'a secret of mine I do not hold').toEqual([]);
    expect(answered(workOf(sim, 'B'), 'ff'.repeat(32), mine), 'a request of a non-member').toEqual([]);
    expect(answered(workOf(sim, 'B', (w) => ({ dcgka: { ...w.dcgka, removed: true } })), e, mine), 'once I am removed').toEqual([]);
  });
});

describe('share.ts: asking for secrets', () => {
  it('asks only when every adder of mine is gone, only for what I lack, never once removed', () => {
    const sim = settled();
    const missing = `${sim.peer('B').id}:999`;
    const held = secretsOf(sim, 'E', 'B')[0] as string;
    expect(held).toBeDefined();
    const asked = (w: Work, keys: readonly string[]): number[] => {
      for (const k of keys) w.wanted.add(k);
      requestWantedSecrets(w);
      return sentVersions(w.outputs);
    };
    expect(asked(workOf(sim, 'E'), [missing]), 'my adder A is still here: it forwards').toEqual([]);
    sim.remove('B', 'A');
    sim.settle(seeded(7));
    expect(asked(workOf(sim, 'E'), [missing])).toEqual([4]);
    expect(asked(workOf(sim, 'E'), [held]), 'what I hold is not asked for').toEqual([]);
    expect(asked(workOf(sim, 'E'), []), 'nothing wanted').toEqual([]);
    expect(asked(workOf(sim, 'E', (w) => ({ dcgka: { ...w.dcgka, removed: true } })), [missing]), 'once I am removed').toEqual([]);
    // the creator has no adder: it never asks
    expect(asked(workOf(sim, 'B'), [missing])).toEqual([]);
    // wantSecret notes nothing of my own, nor once removed
    const w = workOf(sim, 'E');
    wantSecret(w, sim.peer('E').id, 5);
    expect([...w.wanted]).toEqual([]);
    const removed = workOf(sim, 'E', (x) => ({ dcgka: { ...x.dcgka, removed: true } }));
    wantSecret(removed, sim.peer('B').id, 5);
    expect([...removed.wanted]).toEqual([]);
    wantSecret(w, sim.peer('B').id, 5);
    expect([...w.wanted]).toEqual([`${sim.peer('B').id}:5`]);
  });
});

describe('share.ts: forwarding a concurrent secret', () => {
  it('only the adder of a member outside the sender\'s view forwards the sender\'s new secret', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'E'], 'data');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(8));
    // B updates while A adds E: neither has seen the other
    const b = sim.peer('B');
    const marks = new Map(['A', 'C', 'E'].map((n) => [n, sim.peer(n).inbox.length]));
    sim.update('B');
    const fromB = new Map(['A', 'C'].map((n) => [n, sim.peer(n).inbox.splice(marks.get(n) as number)]));
    sim.add('A', 'E');
    b.inbox = [];
    for (const n of ['A', 'C', 'E']) while (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    // now A and C process B's update
    const fromA: Uint8Array[] = [];
    const versionsAt = (name: string, bundles: readonly Uint8Array[]): number[] => {
      const peer = sim.peer(name);
      let state = peer.state as GroupState;
      const versions: number[] = [];
      for (const bundle of bundles) {
        const result = receive(state, sim.ctx(peer), openWireBundle(bundle, peer.id));
        state = result.state;
        versions.push(...sentVersions(result.outputs));
        if (name === 'A') for (const o of result.outputs) if (o.kind === 'send') fromA.push(encodeWireBundle(o.message));
      }
      peer.state = state;
      return versions;
    };
    expect(versionsAt('A', fromB.get('A') ?? []), 'A added E, whom B did not see').toEqual([3]);
    expect(versionsAt('C', fromB.get('C') ?? []), 'C added nobody').toEqual([]);
    // E learns B's secret from A's share; E added nobody, so it passes nothing on
    const e = sim.peer('E');
    const lacked = secretsOf(sim, 'E', 'B').length;
    expect(versionsAt('E', fromA)).toEqual([]);
    expect(secretsOf(sim, 'E', 'B').length).toBe(lacked + 1);
    expect(e.errors).toEqual([]);
  });
});
