/**
 * `consumed` is complete (issue 18, item 2): with a provider that records
 * every secret it hands out, after each committed call whose `consumed` the
 * caller wiped, (1) every recorded secret the previous state held and the new
 * one no longer holds is zero, (2) every secret made during the call that is
 * neither kept nor output nor public is zero, and (3) wiping changed nothing
 * the new state holds.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.js';
import { encodeDcgkaState } from '../../src/dcgka/index.js';
import type { DcgkaResult } from '../../src/dcgka/index.js';
import { encodeKeyManager } from '../../src/keys/index.js';
import { DcgkaSim, seededRandom } from '../helpers/dcgka-sim.js';
import type { Peer } from '../helpers/dcgka-sim.js';
import { reachableBytes, recordingDeps } from '../helpers/recording-deps.js';

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

function checkedSim(names: readonly string[]): { sim: DcgkaSim; checked: { dropped: number; temporaries: number } } {
  const deps = recordingDeps();
  const sim = new DcgkaSim(names, deps);
  sim.roundTrip = false; // identities of byte arrays must survive between calls
  const checked = { dropped: 0, temporaries: 0 };
  let mark = 0;
  sim.afterCall = (peer: Peer, result: DcgkaResult) => {
    const recordedHex = new Set(deps.log.map((r) => toHex(r.value)));
    const before = peer.state ? reachableBytes([peer.state, peer.keys]) : new Set<Uint8Array>();
    const after = reachableBytes([result.state, result.keys]);
    const outputs = reachableBytes(result.outputs);
    const wire = result.outputs.flatMap((o) => (o.kind === 'control' ? [toHex(o.control.broadcast), ...o.control.direct.map((d) => toHex(d.bytes))] : [])).join('|');
    const dropped = [...before].filter((b) => !after.has(b) && b.length === 32 && recordedHex.has(toHex(b)));
    const encodedBefore = toHex(encodeDcgkaState(result.state)) + toHex(encodeKeyManager(result.keys));
    for (const secret of result.consumed) secret.fill(0);
    expect(toHex(encodeDcgkaState(result.state)) + toHex(encodeKeyManager(result.keys)), 'wiping consumed changed the new state').toBe(encodedBefore);
    for (const b of dropped) expect(isZero(b), `${peer.name}: a secret the call dropped was not in consumed`).toBe(true);
    checked.dropped += dropped.length;
    if (peer.state) {
      // Temporaries of this call: made since the previous commit, neither kept, output nor sent in plain.
      for (const r of deps.log.slice(mark)) {
        if (after.has(r.value) || outputs.has(r.value) || isZero(r.value) || wire.includes(toHex(r.value))) continue;
        expect(isZero(r.value), `${peer.name}: a temporary secret from ${r.method} was not wiped`).toBe(true);
        checked.temporaries++;
      }
    }
    mark = deps.log.length;
  };
  return { sim, checked };
}

describe('consumed is complete (issue 18 item 2)', () => {
  it('create, update, add, remove, concurrent add and update, re-add: every dropped secret is wiped', () => {
    const { sim, checked } = checkedSim(['A', 'B', 'C', 'D', 'E']);
    const random = seededRandom(18);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.update('B');
    sim.add('C', 'D');
    sim.settle(random);
    sim.remove('A', 'B');
    sim.update('C');
    sim.add('D', 'E');
    sim.settle(random);
    sim.add('A', 'B');
    sim.settle(random);
    sim.update('E');
    sim.settle(random);
    expect(sim.membersSeenBy('A')).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(checked.dropped).toBeGreaterThan(20);
  });
});
