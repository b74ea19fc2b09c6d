/**
 * `sync`: read everything new in the net, order it, process it.
 *
 * - Each file is named by its content hash, which is also its message id:
 *   a copy in another folder is the same message (processed once); where a
 *   file lies says nothing about its author (the group layer authenticates
 *   the sender by signature).
 * - A half-written file (content does not match its name) or garbage is
 *   reported and skipped, never recorded, so it is read again next time.
 * - Messages are processed in passes until nothing more applies: a message
 *   that cannot apply yet (a group this peer joins later in the same sync,
 *   a causal dependency) is retried; each applied message is its own commit.
 */
import type { Deps } from '../crypto/index.js';
import { GroupCryptError } from '../errors.js';
import type { Engine } from './engine.js';
import { commitResult, contextOf, groupKey } from './group-commands.js';
import type { Home } from './home.js';
import type { NetEntry, Skipped } from './net.js';
import { readEntry, scanNet } from './net.js';
import type { Output } from './output.js';
import { loadProfiles, registerProfiles } from './peers.js';
import { encodeKeyRegistry } from '../keys/index.js';

/** What a sync did. */
export interface SyncReport {
  readonly processed: number;
  readonly pending: number;
  readonly skipped: readonly Skipped[];
}

interface Candidate {
  readonly entry: NetEntry;
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly groupId: string;
  /** Processing order: control first, then application data by its sender's (epoch, counter). */
  readonly order: readonly [number, number, number];
}

/** Orders a pass: control messages first (joins, epochs), then each sender's data oldest first. */
function byProcessingOrder(a: Candidate, b: Candidate): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.order[i] as number) - (b.order[i] as number);
    if (d !== 0) return d;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Reads new message files (deduplicated by id); damaged or garbage files go to `skipped`. */
async function collect(home: Home, engine: Engine, entries: readonly NetEntry[], skipped: Skipped[], progress: (done: number) => void): Promise<Candidate[]> {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  let done = 0;
  for (const entry of entries) {
    progress(++done);
    if (entry.kind !== 'msg' || seen.has(entry.hash)) continue;
    const id = `msg:${entry.hash}`;
    if (await home.store.isProcessed(id)) {
      seen.add(entry.hash);
      continue;
    }
    try {
      const bytes = await readEntry(entry, home.deps.crypto);
      const groupId = engine.groupOf(bytes);
      const order = engine.orderOf(bytes);
      seen.add(entry.hash);
      out.push({ entry, id, bytes, groupId, order });
    } catch (error) {
      if (!(error instanceof GroupCryptError)) throw error;
      skipped.push({ path: entry.path, reason: `${error.code}: ${error.message}` });
    }
  }
  return out;
}

/** Runs a sync for an opened home. */
export async function syncHome(home: Home, net: string, engine: Engine, out: Output): Promise<SyncReport> {
  await home.flush(net);
  const { entries, skipped } = await scanNet(net);
  const started = Date.now();
  let lastNote = started;
  const progress = (done: number): void => {
    const now = Date.now();
    if (now - lastNote >= 1000) {
      lastNote = now;
      out.note(`sync: ${done}/${entries.length} files read`);
    }
  };
  await refreshRegistry(home, net, home.deps, skipped);
  let waiting = await collect(home, engine, entries, skipped, progress);
  const failures: Record<string, string> = {};
  let processed = 0;
  for (let pass = 0; waiting.length > 0; pass++) {
    waiting.sort(byProcessingOrder);
    const next: Candidate[] = [];
    for (const candidate of waiting) {
      const applied = await applyOne(home, engine, candidate, failures);
      if (applied) processed++;
      else next.push(candidate);
      if (Date.now() - lastNote >= 1000) {
        lastNote = Date.now();
        out.note(`sync: pass ${pass + 1}, ${processed} processed, ${next.length} waiting`);
      }
    }
    if (next.length === waiting.length) break;
    waiting = next;
  }
  const known = new Set(await home.store.names('group:'));
  let pending = 0;
  for (const candidate of waiting) {
    const failure = failures[candidate.id];
    if (failure !== undefined) skipped.push({ path: candidate.entry.path, reason: failure });
    else if (known.has(groupKey(candidate.groupId))) pending++;
  }
  for (const groupName of known) pending += engine.view((await home.store.load(groupName)) as Uint8Array).pending;
  await home.flush(net);
  return { processed, pending, skipped };
}

/** Registers every valid bundle of the net (one commit when anything changed). */
async function refreshRegistry(home: Home, net: string, deps: Deps, skipped: Skipped[]): Promise<void> {
  const loaded = await loadProfiles(net, deps);
  skipped.push(...loaded.skipped);
  const before = await home.registry();
  let after = before;
  try {
    after = registerProfiles(before, loaded.profiles, deps);
  } catch (error) {
    if (!(error instanceof GroupCryptError)) throw error;
  }
  if (after !== before) await home.commit({ states: { registry: encodeKeyRegistry(after) } });
}

/**
 * Applies one message in one commit; returns false when it does not apply
 * (yet). A typed rejection is remembered in `failures` (reported if it never applies).
 */
async function applyOne(home: Home, engine: Engine, candidate: Candidate, failures: Record<string, string>): Promise<boolean> {
  const state = await home.store.load(groupKey(candidate.groupId));
  try {
    const result = engine.receive(await contextOf(home), state, candidate.bytes);
    if (result === undefined) return false;
    await commitResult(home, result, [candidate.id]);
    delete failures[candidate.id];
    return true;
  } catch (error) {
    if (!(error instanceof GroupCryptError)) throw error;
    failures[candidate.id] = `${error.code}: ${error.message}`;
    return false;
  }
}

/** `sync` command output. */
export async function runSync(home: Home, net: string, engine: Engine, out: Output): Promise<void> {
  const report = await syncHome(home, net, engine, out);
  const skipped = report.skipped.map((s) => ({ path: s.path, reason: s.reason }));
  const lines = [`processed  ${report.processed}`, `pending    ${report.pending}`];
  if (skipped.length > 0) {
    lines.push(`skipped    ${skipped.length}`);
    for (const s of skipped) lines.push(`  ${s.path}: ${s.reason}`);
  }
  out.result({ processed: report.processed, pending: report.pending, skipped }, lines);
}
