/**
 * The command's `sync` on a big shared folder (issue 13): a net holding
 * 100,000 old message files this peer already processed and 10 new ones.
 * Target: the whole `groupcrypt sync` (process start included) ≤ 1 s.
 * Also reported: the first sync of the whole backlog (messages per second,
 * applied in batches), and the floors of the same run: a bare `node -e 0`
 * start and `groupcrypt whoami` (start + open the home, no net).
 * Writes bench/results/sync.json.
 *
 *   node --import tsx bench/sync.ts [--old N] [--new N] [--keep DIR]      (needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultDeps } from '../src/crypto/index.js';
import { Peer } from '../src/peer/index.js';
import { MemoryStore } from '../src/store/index.js';
import type { TransportItem } from '../src/transport/index.js';
import { MemoryNet, MemoryTransport } from '../src/transport/index.js';
import { cli, median, timeSpawn } from './command-runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

/** One measured figure. */
export interface SyncBenchRow {
  readonly figure: string;
  readonly ms: number;
  readonly note: string;
}

/** What the sync bench reports. */
export interface SyncBenchReport {
  readonly oldFiles: number;
  readonly newFiles: number;
  readonly rows: readonly SyncBenchRow[];
  readonly table: string;
  readonly targets: readonly string[];
}

/**
 * Writes items into the folder layout (src/transport/folder.ts: `<seq>-<hash>.<kind>`, seqs counted per author in
 * publication order), as FolderTransport.publish would, without its fsync: this is set-up, not the measured part.
 */
function writeItems(net: string, author: string, items: readonly TransportItem[], seqs: Map<string, number>): void {
  mkdirSync(join(net, author), { recursive: true });
  for (const item of items) {
    const seq = seqs.get(author) ?? 0;
    writeFileSync(join(net, author, `${seq}-${item.id}.${item.kind}`), item.bytes);
    seqs.set(author, seq + 1);
  }
}

/**
 * Runs the bench.
 * @example const report = await runSyncBench({ oldFiles: 20_000 });
 */
export async function runSyncBench(options: {
  readonly quick?: boolean; readonly oldFiles?: number; readonly newFiles?: number; readonly log?: (line: string) => void;
  /** Keep the net and the home here (for profiling) instead of a deleted temp folder. */
  readonly keep?: string;
} = {}): Promise<SyncBenchReport> {
  const log = options.log ?? (() => undefined);
  const oldFiles = options.oldFiles ?? (options.quick === true ? 20_000 : 100_000);
  const newFiles = options.newFiles ?? 10;
  const root = options.keep ?? mkdtempSync(join(tmpdir(), 'groupcrypt-sync-bench-'));
  mkdirSync(root, { recursive: true });
  const net = join(root, 'net');
  const home = join(root, 'bob');
  try {
    const deps = defaultDeps();
    const [bob] = (await cli(['--home', home, '--net', net, 'init', '--name', 'bob'])) as { id: string }[];
    const bobId = (bob as { id: string }).id;
    // alice writes in memory; her items are then laid out as files
    const memory = new MemoryNet();
    memory.live = false;
    for (const file of readdirSync(join(net, bobId))) memory.inject('bundle', new Uint8Array(readFileSync(join(net, bobId, file))));
    const alice = await Peer.create({ store: new MemoryStore(), deps, transport: (self) => new MemoryTransport(memory, self) }, { name: 'alice' });
    await alice.sync();
    const { group } = await alice.create('data');
    await alice.add(group, bobId);
    const payload = new Uint8Array(200).fill(0x61);
    const made = performance.now();
    let messages = 2;
    while (messages < oldFiles) {
      await alice.send(group, payload);
      messages++;
    }
    log(`sync bench: ${oldFiles} old messages made in ${((performance.now() - made) / 1000).toFixed(1)} s`);
    const written = new Set<string>();
    const seqs = new Map<string, number>();
    const flushFiles = (): number => {
      const fresh = [...memory.items.values()].filter((item) => !written.has(item.id) && item.origin !== 'memory:injected');
      writeItems(net, alice.id, fresh, seqs);
      for (const item of fresh) written.add(item.id);
      return fresh.filter((item) => item.kind === 'msg').length;
    };
    const oldCount = flushFiles();
    const backlogStart = performance.now();
    const [first] = (await cli(['--home', home, '--net', net, 'sync'])) as { processed: number }[];
    const backlogMs = performance.now() - backlogStart;
    if (first?.processed !== oldCount) throw new Error(`the backlog sync applied ${String(first?.processed)} of ${oldCount}`);
    log(`sync bench: backlog of ${oldCount} applied in ${(backlogMs / 1000).toFixed(1)} s`);
    // a sync with nothing new, then 10 new files: in-process and as a fresh process
    const idleStart = performance.now();
    await cli(['--home', home, '--net', net, 'sync']);
    const idleMs = performance.now() - idleStart;
    const processRuns: number[] = [];
    const inProcessRuns: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < newFiles; i++) await alice.send(group, payload);
      flushFiles();
      const started = performance.now();
      const r = spawnSync(process.execPath, [MAIN, '--json', '--home', home, '--net', net, 'sync'], { encoding: 'utf8' });
      processRuns.push(performance.now() - started);
      const report = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as { processed?: number };
      if (r.status !== 0 || report.processed !== newFiles) throw new Error(`sync of ${newFiles} new files: exit ${r.status}, ${r.stdout} ${r.stderr}`);
      for (let i = 0; i < newFiles; i++) await alice.send(group, payload);
      flushFiles();
      const inStart = performance.now();
      const [again] = (await cli(['--home', home, '--net', net, 'sync'])) as { processed: number }[];
      inProcessRuns.push(performance.now() - inStart);
      if (again?.processed !== newFiles) throw new Error('in-process sync did not apply the new files');
    }
    await alice.close();
    const bare = timeSpawn(['-e', '0'], 5);
    const whoami = timeSpawn([MAIN, '--home', home, 'whoami'], 3);
    const total = readdirSync(join(net, alice.id)).length;
    const rows: SyncBenchRow[] = [
      { figure: `groupcrypt sync, ${newFiles} new of ${total} files (process)`, ms: median(processRuns), note: 'median of 3, process start included' },
      { figure: `sync, ${newFiles} new of ${total} files (in-process runCli)`, ms: median(inProcessRuns), note: 'median of 3' },
      { figure: `sync, nothing new of ${total} files (in-process)`, ms: idleMs, note: '' },
      { figure: `first sync of the ${oldCount}-message backlog (in-process)`, ms: backlogMs, note: `${Math.round(oldCount / (backlogMs / 1000))} messages/s, batches of 1,000` },
      { figure: 'floor: node -e 0', ms: bare, note: 'median of 5' },
      { figure: 'floor: groupcrypt whoami (open the home, no net)', ms: whoami, note: 'median of 3' },
    ];
    const width = Math.max(...rows.map((r) => r.figure.length));
    const table = rows.map((r) => `${r.figure.padEnd(width)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.note}`).join('\n');
    const target = median(processRuns);
    const targets = [`${target <= 1000 ? '[ met]' : '[MISS]'} groupcrypt sync of ${newFiles} new among ${total} files: ${target.toFixed(0)} ms (target ≤ 1000 ms; ${(target / bare).toFixed(1)}× a bare node start of ${bare.toFixed(0)} ms)`];
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'sync.json'), `${JSON.stringify({ date: new Date().toISOString(), oldFiles: oldCount, newFiles, rows, targets }, null, 2)}\n`);
    return { oldFiles: oldCount, newFiles, rows, table, targets };
  } finally {
    if (options.keep === undefined) rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const oldFiles = arg('--old');
  const newFiles = arg('--new');
  const keepAt = process.argv.indexOf('--keep');
  const keep = keepAt >= 0 ? process.argv[keepAt + 1] : undefined;
  const report = await runSyncBench({ log: (l) => process.stderr.write(`${l}\n`), ...(oldFiles ? { oldFiles } : {}), ...(newFiles ? { newFiles } : {}), ...(keep ? { keep } : {}) });
  process.stdout.write(`${report.table}\n\n${report.targets.join('\n')}\n`);
}
