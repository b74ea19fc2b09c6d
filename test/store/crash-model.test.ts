/**
 * The crash test's group model (test/store/crash/) without crashes, on a
 * MemoryStore: random steps of the real Group API commit atomically, the
 * reloaded blobs decode to the same state, every read ciphertext decrypts
 * again, re-deliveries are refused by the store, and consumed secrets are
 * wiped only after the commit without damaging the live state.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, defaultDeps } from '../../src/crypto/index.js';
import { MemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { seededRandom, stateDigest } from './crash/harness.js';
import { checkReads } from './crash/group-check.js';
import { decodeState, encodeState } from './crash/group-model.js';
import type { SimState } from './crash/group-model.js';
import { inboxes, loadNetwork, nextStep, recordStep, redelivery } from './crash/group-steps.js';

async function loadBlobs(store: Store): Promise<Record<string, Uint8Array>> {
  const blobs: Record<string, Uint8Array> = {};
  for (const name of await store.names()) blobs[name] = (await store.load(name)) ?? new Uint8Array(0);
  return blobs;
}

describe('crash-test group model on a MemoryStore', () => {
  it('runs 300 random steps of the real Group API with nothing lost, torn or applied twice', async () => {
    const deps = defaultDeps();
    const store = new MemoryStore();
    const net = await loadNetwork(store);
    const random = seededRandom(7);
    let state: SimState = { k: 0, peers: [] };
    const labels: string[] = [];
    let refused = 0;
    let wiped = 0;
    for (let i = 0; i < 300; i += 1) {
      if (i % 9 === 8) {
        const dup = redelivery(state, net, deps, random);
        if (dup) {
          const before = stateDigest(deps.crypto, await loadBlobs(store));
          const result = await store.commit({ states: dup.step.states, processed: dup.step.processed, outbox: dup.step.outbox });
          expect(result).toEqual({ applied: false, duplicates: [dup.id] });
          expect(stateDigest(deps.crypto, await loadBlobs(store)), 'a refused re-delivery writes nothing').toBe(before);
          refused += 1;
        }
      }
      const step = nextStep(state, net, deps, random);
      labels.push(step.label);
      const result = await store.commit({ states: step.states, processed: step.processed, outbox: step.outbox, consumed: step.consumed });
      expect(result.applied).toBe(true);
      if (step.consumed.length > 0) {
        expect(step.consumed.every((secret) => secret.every((byte) => byte === 0)), 'consumed secrets wiped after commit').toBe(true);
        wiped += step.consumed.length;
      }
      recordStep(net, step);
      state = step.state;
      const blobs = await loadBlobs(store);
      expect(stateDigest(deps.crypto, blobs), `live state after ${step.label} equals the stored one`).toBe(stateDigest(deps.crypto, encodeState(state)));
      if (i % 20 === 19) {
        const reopened = decodeState(blobs, deps);
        expect(reopened.k).toBe(state.k);
        checkReads(reopened, net.bundles, deps, () => true);
      }
    }
    // eventually consistent: deliver everything, then every active member read every message of its epochs
    const reads = state.peers.reduce((n, p) => n + p.reads.length, 0);
    console.log(`crash model: ${state.k} steps, ${net.bundles.size} bundles, ${reads} reads, ${refused} re-deliveries refused, ${wiped} secrets wiped; ${inboxes(state, net).length} peers with pending bundles`);
    for (const kind of ['send', 'deliver', 'hold', 'join', 'update', 'add', 'remove', 'delete']) expect(labels.some((l) => l.startsWith(kind)), `some ${kind} step`).toBe(true);
    expect(reads).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(10);
    expect(bytesEqual(encodeState(decodeState(await loadBlobs(store), deps)).sim ?? new Uint8Array(0), encodeState(state).sim ?? new Uint8Array(1))).toBe(true);
  }, 120_000);
});
