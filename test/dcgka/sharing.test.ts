/**
 * Issue 13: a transition costs what it changes. Processing one ack must touch
 * one entry of each per-member table (the acker's clock and chain), share all
 * the rest with the previous state, and leave the previous state exactly as it
 * was (its encoding does not move), so that n acks cost O(n), not O(n²).
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { createGroup, encodeDcgkaState, joinGroup, processControl, update } from '../../src/dcgka/index.js';
import type { DcgkaResult, IncomingControl, OutgoingControl } from '../../src/dcgka/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';

const deps = defaultDeps();

function controlOf(result: DcgkaResult): OutgoingControl {
  const out = result.outputs.find((o) => o.kind === 'control');
  if (!out || out.kind !== 'control') throw new Error('expected a control output');
  return out.control;
}

const ctx = (r: DcgkaResult) => ({ deps, keys: r.keys, registry: r.registry });

/** Every object reachable from `root` through own enumerable properties. */
function reachable(root: unknown, into = new Set<object>()): Set<object> {
  if (root === null || typeof root !== 'object' || into.has(root)) return into;
  into.add(root);
  for (const value of Object.values(root)) reachable(value, into);
  return into;
}

/** How many objects of `next` are new, i.e. not shared with `previous` (a copy of the table would make them all new). */
function fresh(next: unknown, previous: unknown): number {
  const old = reachable(previous);
  return [...reachable(next)].filter((o) => !old.has(o)).length;
}

function incomingFor(control: OutgoingControl, id: string): IncomingControl {
  const direct = control.direct.find((d) => d.recipient === id);
  return direct ? { broadcast: control.broadcast, direct: direct.bytes } : { broadcast: control.broadcast };
}

describe('structural sharing between states (issue 13)', () => {
  it('an ack changes one clock entry and one chain, shares every other table entry, and leaves the old state intact', () => {
    const n = 40;
    const keys = Array.from({ length: n }, () => createKeyManager(deps));
    const ids = keys.map((k) => toHex(identityOf(k).publicKey));
    let registry = createKeyRegistry();
    for (const k of keys.slice(1)) registry = registerBundle(registry, longTermBundle(k), deps);
    const zeroBundle = longTermBundle(keys[0]!);
    const created = createGroup({ deps, keys: keys[0]!, registry }, { members: ids });
    const joined = keys.slice(1).map((k, i) => joinGroup({ deps, keys: k, registry: registerBundle(createKeyRegistry(), zeroBundle, deps) }, incomingFor(controlOf(created), ids[i + 1]!)));
    let sender: DcgkaResult = created;
    for (const j of joined) sender = processControl(sender.state, ctx(sender), incomingFor(controlOf(j), ids[0]!));
    expect(sender.state.clock.size).toBe(n);

    const sent = update(sender.state, ctx(sender));
    const acks = joined.slice(0, 3).map((j, i) => controlOf(processControl(j.state, ctx(j), incomingFor(controlOf(sent), ids[i + 1]!))));
    let before = sent;
    for (const ack of acks) {
      const encoded = toHex(encodeDcgkaState(before.state));
      const after = processControl(before.state, ctx(before), incomingFor(ack, ids[0]!));
      const acker = ack.message.sender;
      expect(after.state.clock.changedSince(before.state.clock)).toEqual([acker]);
      expect(after.state.ratchets.changedSince(before.state.ratchets)).toEqual([acker]);
      // O(log n) new nodes per table (the map, a branch and its children array per trie level, a leaf,
      // the chain bytes), not a copy of all n entries (≥ 40 new leaves). Random ids: 40 hashes often
      // share their first 10 bits, so the path is 2 or 3 levels (rarely 4) deep.
      expect(fresh(after.state.clock, before.state.clock)).toBeLessThanOrEqual(12);
      expect(fresh(after.state.ratchets, before.state.ratchets)).toBeLessThanOrEqual(14);
      expect(after.state.sessions).toBe(before.state.sessions); // an ack with no direct part for me
      expect(after.state.memberSecrets).toBe(before.state.memberSecrets);
      expect(after.state.membership).toBe(before.state.membership); // an update's ack is no membership event
      expect(toHex(encodeDcgkaState(before.state)), 'the previous state changed').toBe(encoded);
      before = after;
    }
  });
});
