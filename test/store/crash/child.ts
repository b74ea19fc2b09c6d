/**
 * Crash child: opens the SQLite store, resumes the simulated group
 * (group-model.ts) from what is committed, and runs random steps of the real
 * Group API (group-steps.ts) until the parent kills it. Each step is ONE
 * `store.commit`. It starts idle (pre-warmed) and begins when the parent
 * writes "go" to stdin.
 * stdout lines (synchronous on Linux pipes, so they survive SIGKILL; each
 * one write below PIPE_BUF):
 *   ready <k> <digest>                              opened, state at k
 *   p <k> <digest> <outbox ids> <processed ids> <label>   about to commit step k
 *   c <k>                                           commit of step k returned (durable)
 *   s <ids>                                         markSent returned
 *   d <id>                                          a re-delivery was refused
 *   w <n>                                           n consumed secrets were wiped after a commit
 */
import { defaultDeps, fromHex } from '../../../src/crypto/index.js';
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { decodeState, encodeState, withBlobs } from './group-model.js';
import type { SimState } from './group-model.js';
import { loadNetwork, nextStep, recordStep, redelivery } from './group-steps.js';
import { CHILD_ENV, seededRandom, stateDigest } from './harness.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function loadBlobs(store: Store): Promise<Record<string, Uint8Array>> {
  const blobs: Record<string, Uint8Array> = {};
  for (const name of await store.names()) {
    const blob = await store.load(name);
    if (blob !== undefined) blobs[name] = blob;
  }
  return blobs;
}

async function run(): Promise<void> {
  const deps = defaultDeps();
  const path = process.env[CHILD_ENV.path] ?? '';
  const store = await SqliteStore.open(path, { encryptionKey: fromHex(process.env[CHILD_ENV.key] ?? ''), busyTimeoutMs: 2000 });
  const random = seededRandom(Number(process.env[CHILD_ENV.seed] ?? '1'));
  let blobs = await loadBlobs(store);
  let state: SimState = decodeState(blobs, deps);
  const net = await loadNetwork(store);
  say(`ready ${state.k} ${stateDigest(deps.crypto, blobs)}`);
  for (;;) {
    const roll = random();
    if (roll < 0.08) {
      const dup = redelivery(state, net, deps, random);
      if (dup) {
        const result = await store.commit({ states: dup.step.states, processed: dup.step.processed, outbox: dup.step.outbox, consumed: dup.step.consumed });
        if (result.applied || result.duplicates.join() !== dup.id) throw new Error(`re-delivery ${dup.id} was not refused: ${JSON.stringify(result)}`);
        say(`d ${dup.id}`);
      }
    } else if (roll < 0.16) {
      const unsent = await store.outbox({ unsentOnly: true });
      const ids = unsent.filter(() => random() < 0.7).slice(0, 64).map((entry) => entry.id);
      await store.markSent(ids);
      say(`s ${ids.join(',')}`);
    } else {
      const step = nextStep(state, net, deps, random);
      const next = withBlobs(blobs, step.states);
      say(`p ${step.state.k} ${stateDigest(deps.crypto, next)} ${step.outbox.map((m) => m.id).join(',')} ${step.processed.join(',')} ${step.label.replaceAll(' ', '_')}`);
      const result = await store.commit({ states: step.states, processed: step.processed, outbox: step.outbox, consumed: step.consumed });
      if (!result.applied) throw new Error(`step ${step.state.k} (${step.label}) was reported as a duplicate`);
      say(`c ${step.state.k}`);
      if (step.consumed.length > 0) {
        if (!step.consumed.every((secret) => secret.every((byte) => byte === 0))) throw new Error('consumed secrets not wiped after the commit');
        // wiping must not have touched anything the new state still holds
        if (stateDigest(deps.crypto, encodeState(step.state)) !== stateDigest(deps.crypto, next)) throw new Error(`wiping consumed secrets of ${step.label} damaged the live state`);
        say(`w ${step.consumed.length}`);
      }
      recordStep(net, step);
      state = step.state;
      blobs = next;
    }
  }
}

/** Pre-warmed by the parent: loads, then waits for "go" on stdin before touching the store. */
function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let input = '';
    process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
      input += chunk;
      if (input.includes('go\n')) resolve();
    });
  });
}

waitForGo().then(run).catch((error: unknown) => {
  process.stderr.write(`crash child failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(3);
});
