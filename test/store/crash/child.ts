/**
 * Crash child: opens the SQLite store, resumes the model from what is
 * committed, and runs random operations until the parent kills it.
 * It starts idle (pre-warmed) and begins when the parent writes "go" to stdin.
 * stdout lines (synchronous on Linux pipes, so they survive SIGKILL):
 *   ready <k>                      opened, state at k
 *   p <k> <digest> <outbox ids>    about to commit message k
 *   c <k>                          commit of message k returned (durable)
 *   s <ids>                        markSent returned
 *   d <j>                          a re-delivery of message j was refused
 */
import { defaultCryptoProvider, fromHex, toHex } from '../../../src/crypto/index.js';
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { CHILD_ENV, seededRandom, stateDigest } from './harness.js';
import { fakeGroupModel, type CrashModel } from './model.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function loadState<S>(store: Store, model: CrashModel<S>): Promise<S> {
  const blobs: Record<string, Uint8Array> = {};
  for (const name of model.stateNames) {
    const blob = await store.load(name);
    if (blob !== undefined) blobs[name] = blob;
  }
  return Object.keys(blobs).length === 0 ? model.initial() : model.decode(blobs);
}

async function run<S>(model: CrashModel<S>): Promise<void> {
  const crypto = defaultCryptoProvider();
  const path = process.env[CHILD_ENV.path] ?? '';
  const store = await SqliteStore.open(path, { encryptionKey: fromHex(process.env[CHILD_ENV.key] ?? ''), busyTimeoutMs: 2000 });
  const random = seededRandom(Number(process.env[CHILD_ENV.seed] ?? '1'));
  const maxK = Number(process.env[CHILD_ENV.maxK] ?? '100000');
  let state: S = await loadState(store, model);
  say(`ready ${model.applied(state)}`);
  while (model.applied(state) < maxK) {
    const k = model.applied(state);
    const roll = random();
    if (roll < 0.1 && k > 0) {
      const j = 1 + Math.floor(random() * k);
      if (!(await store.isProcessed(model.messageId(j)))) throw new Error(`message ${j} not recorded as processed`);
      const garbage = crypto.randomBytes(8);
      const result = await store.commit({ states: { [model.stateNames[0] ?? 'x']: garbage }, processed: [model.messageId(j)], outbox: [{ id: `dup-${toHex(garbage)}`, topic: 'dup', bytes: garbage }] });
      if (result.applied) throw new Error(`re-delivery of message ${j} was applied`);
      say(`d ${j}`);
    } else if (roll < 0.25) {
      const unsent = await store.outbox({ unsentOnly: true });
      const ids = unsent.filter(() => random() < 0.7).map((entry) => entry.id);
      await store.markSent(ids);
      say(`s ${ids.join(',')}`);
    } else {
      const step = model.process(state, k + 1);
      const blobs = model.encode(step.state);
      say(`p ${k + 1} ${stateDigest(crypto, blobs)} ${step.outbox.map((message) => message.id).join(',')}`);
      const result = await store.commit({ states: blobs, processed: [model.messageId(k + 1)], outbox: step.outbox, consumed: step.consumed });
      if (!result.applied) throw new Error(`message ${k + 1} was reported as a duplicate`);
      say(`c ${k + 1}`);
      state = step.state;
    }
  }
  await store.close();
  say('done');
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

waitForGo().then(() => run(fakeGroupModel(defaultCryptoProvider()))).catch((error: unknown) => {
  process.stderr.write(`crash child failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(3);
});
