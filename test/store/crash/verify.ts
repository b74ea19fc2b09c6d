/**
 * Parent side of the crash test: what the parent learned from the children's
 * stdout, and the checks of a store reopened after a SIGKILL.
 */
import { expect } from 'vitest';
import type { Deps } from '../../../src/crypto/index.js';
import { bytesEqual } from '../../../src/crypto/index.js';
import type { OutboxMessage } from '../../../src/store/index.js';
import { SqliteStore } from '../../../src/store/index.js';
import { checkReads } from './group-check.js';
import { PEER_NAMES, decodeState, deliveryId, encodeState, stepId } from './group-model.js';
import type { SimState } from './group-model.js';
import { stateDigest } from './harness.js';

/** One step a child announced before committing it. */
interface Announced {
  readonly digest: string;
  readonly outbox: readonly string[];
  readonly processed: readonly string[];
  readonly label: string;
}

/** What the parent knows (from stdout and previous checks). */
export interface Observed {
  /** Steps announced by the current child, by k. */
  run: Map<number, Announced>;
  /** Highest k whose commit returned in the current child. */
  acked: number;
  /** State the current child said it started from. */
  ready: { k: number; digest: string } | undefined;
  readonly sentAcked: Set<string>;
  readonly seenOutbox: Map<string, Uint8Array>;
  readonly seenSent: Set<string>;
  readonly committedOutbox: Set<string>;
  readonly committedProcessed: Set<string>;
  readonly labels: Map<string, number>;
  /** Reads already decrypted again once (`peer:text`). */
  readonly verifiedReads: Set<string>;
  previous: { k: number; digest: string; state: SimState };
  duplicatesRefused: number;
  wiped: number;
  rereads: number;
}

/** A fresh observation (of an empty store). */
export function createObserved(deps: Deps): Observed {
  return {
    run: new Map(), acked: 0, ready: undefined, sentAcked: new Set(), seenOutbox: new Map(), seenSent: new Set(), committedOutbox: new Set(),
    committedProcessed: new Set(), labels: new Map(), verifiedReads: new Set(), previous: { k: 0, digest: stateDigest(deps.crypto, {}), state: { k: 0, peers: [] } },
    duplicatesRefused: 0, wiped: 0, rereads: 0,
  };
}

const list = (field: string): string[] => field.split(',').filter(Boolean);

/** Parses one stdout line of the child. */
export function parseLine(line: string, observed: Observed): void {
  const [kind, first = '', second = '', third = '', fourth = '', fifth = ''] = line.split(' ');
  if (kind === 'ready') observed.ready = { k: Number(first), digest: second };
  else if (kind === 'p') observed.run.set(Number(first), { digest: second, outbox: list(third), processed: list(fourth), label: fifth });
  else if (kind === 'c') observed.acked = Math.max(observed.acked, Number(first));
  else if (kind === 's') for (const id of list(first)) observed.sentAcked.add(id);
  else if (kind === 'd') observed.duplicatesRefused += 1;
  else if (kind === 'w') observed.wiped += Number(first);
}

/** Takes the steps k' in (previous k, k] of the current child as committed; checks the digest at k. */
function acceptCommitted(observed: Observed, k: number, digest: string): void {
  const { previous } = observed;
  expect(k, 'committed state never goes back').toBeGreaterThanOrEqual(previous.k);
  expect(k, 'every acknowledged commit is durable').toBeGreaterThanOrEqual(observed.acked);
  if (observed.ready !== undefined) expect(observed.ready, 'the child started from the state the parent checked').toEqual({ k: previous.k, digest: previous.digest });
  if (k === previous.k) {
    expect(digest, `state at ${k} unchanged`).toBe(previous.digest);
    return;
  }
  for (let j = previous.k + 1; j <= k; j += 1) {
    const step = observed.run.get(j);
    if (step === undefined) throw new Error(`step ${j} is on disk but was never announced`);
    for (const id of step.outbox) observed.committedOutbox.add(id);
    for (const id of step.processed) observed.committedProcessed.add(id);
    const kind = step.label.split('_')[0] ?? '';
    observed.labels.set(kind, (observed.labels.get(kind) ?? 0) + 1);
  }
  expect(digest, `state at ${k} is the one the child committed (never torn)`).toBe(observed.run.get(k)?.digest);
}

/** Names of peers that deleted group secrets in steps (previous k, k]. */
function deletersSince(observed: Observed, k: number): Set<string> {
  const names = new Set<string>();
  for (let j = observed.previous.k + 1; j <= k; j += 1) {
    const label = observed.run.get(j)?.label ?? '';
    if (label.startsWith('delete_')) names.add(label.split('_')[1] ?? '');
  }
  return names;
}

/** Reopens the store after a kill and checks every invariant; returns the committed k. */
export async function verifyAfterKill(path: string, key: Uint8Array, deps: Deps, observed: Observed, random: () => number): Promise<number> {
  const store = await SqliteStore.open(path, { encryptionKey: key });
  try {
    const blobs: Record<string, Uint8Array> = {};
    for (const name of await store.names()) blobs[name] = (await store.load(name)) ?? new Uint8Array(0);
    const digest = stateDigest(deps.crypto, blobs);
    const state = decodeState(blobs, deps);
    expect(stateDigest(deps.crypto, encodeState(state)), 'the reopened state re-encodes to the stored bytes').toBe(digest);
    const k = state.k;
    acceptCommitted(observed, k, digest);
    // processed ids: every committed one is there, the in-flight step's are not
    for (const id of observed.committedProcessed) expect(await store.isProcessed(id), `processed ${id} kept`).toBe(true);
    expect(await store.isProcessed(stepId(k + 1)), `step ${k + 1} not processed`).toBe(false);
    for (const id of observed.run.get(k + 1)?.processed ?? []) {
      if (!observed.committedProcessed.has(id)) expect(await store.isProcessed(id), `uncommitted ${id} not processed`).toBe(false);
    }
    // outbox: exactly the committed bundles, bytes unchanged, sent marks kept
    const outbox = await store.outbox();
    expect(new Set(outbox.map((entry) => entry.id)), 'outbox holds exactly the committed bundles').toEqual(observed.committedOutbox);
    expect(outbox.length).toBe(observed.committedOutbox.size);
    const bundles = new Map<string, OutboxMessage>();
    for (const entry of outbox) {
      const seen = observed.seenOutbox.get(entry.id);
      if (seen !== undefined) expect(bytesEqual(seen, entry.bytes), `${entry.id} unchanged`).toBe(true);
      observed.seenOutbox.set(entry.id, entry.bytes);
      if (entry.sent) observed.seenSent.add(entry.id);
      bundles.set(entry.id, { id: entry.id, topic: entry.topic, bytes: entry.bytes });
    }
    for (const id of [...observed.seenSent, ...observed.sentAcked]) expect(outbox.find((entry) => entry.id === id)?.sent, `${id} still marked sent`).toBe(true);
    // each peer processed exactly the bundles whose delivery was committed (none lost, none twice)
    for (const entry of outbox) {
      for (const name of PEER_NAMES) {
        if (name === entry.topic) continue;
        const id = deliveryId(name, entry.id);
        expect(await store.isProcessed(id), `${id} processed iff committed`).toBe(observed.committedProcessed.has(id));
      }
    }
    // reads: unique, authentic; new ones (and a sample of old ones) decrypt again; none vanished without a deletion
    const deleters = deletersSince(observed, k);
    for (const before of observed.previous.state.peers) {
      if (deleters.has(before.name)) continue;
      const now = new Set(state.peers.find((p) => p.name === before.name)?.reads.map((r) => r.text));
      for (const record of before.reads) expect(now.has(record.text), `${before.name} can still read ${record.text}`).toBe(true);
    }
    observed.rereads += checkReads(state, bundles, deps, (peer, record) => {
      const tag = `${peer.name}:${record.text}`;
      const fresh = !observed.verifiedReads.has(tag);
      observed.verifiedReads.add(tag);
      return fresh || random() < 0.05;
    });
    observed.previous = { k, digest, state };
    observed.run = new Map();
    observed.acked = k;
    observed.ready = undefined;
    return k;
  } finally {
    await store.close();
  }
}
