/**
 * Processed ids (issue 12, bounded state): what a Peer keeps to never apply
 * a transport item twice, on a net of logs (Hypercore's shape: items have
 * positions, the peer keeps one settled mark per log) and on a real shared
 * folder (FolderTransport in a temp folder: names carry the writer's seq,
 * one mark per peer folder) against a plain net (one processed row per
 * item, as a shared folder kept before seqs in names). Two peers; alice
 * writes N messages in a data-scheme group, then adds bob, who catches up
 * the whole backlog in one sync, then syncs again (nothing new). Reported per
 * mode: bob's processed rows and log-mark records after the catch-up, the
 * catch-up and the empty sync in ms (median of the runs), in the same run.
 * Writes bench/results/processed-ids.json.
 *
 *   node --import tsx bench/processed-ids.ts [--messages N]
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultDeps, utf8 } from '../src/crypto/index.js';
import { Peer } from '../src/peer/index.js';
import { MemoryStore } from '../src/store/index.js';
import { FolderTransport, MemoryNet, MemoryTransport, parseFolderFileName } from '../src/transport/index.js';
import type { Transport } from '../src/transport/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One mode's figures. */
export interface ProcessedIdsRow {
  readonly mode: Mode;
  readonly messages: number;
  readonly items: number;
  readonly processedRows: number;
  readonly markRecords: number;
  readonly catchUpMs: number;
  readonly againMs: number;
}

/** What the bench reports. */
export interface ProcessedIdsReport {
  readonly rows: readonly ProcessedIdsRow[];
  readonly table: string;
  readonly targets: readonly string[];
}

/** `folder-hash`: the same folder with every file renamed `<hash>.<kind>` before bob reads it (the layout before seqs). */
type Mode = 'plain' | 'logs' | 'folder' | 'folder-hash';
const MODES: readonly Mode[] = ['plain', 'logs', 'folder', 'folder-hash'];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function once(mode: Mode, messages: number): Promise<ProcessedIdsRow> {
  const net = new MemoryNet({ logs: mode === 'logs' });
  net.live = false;
  const folder = mode.startsWith('folder') ? mkdtempSync(join(tmpdir(), 'groupcrypt-processed-ids-')) : undefined;
  const transport = (self: string): Transport => (folder === undefined ? new MemoryTransport(net, self) : new FolderTransport({ root: folder, self }));
  const deps = defaultDeps();
  const open = (name: string): Promise<Peer> => Peer.create({ store: new MemoryStore(), deps, transport }, { name });
  const alice = await open('alice');
  const bob = await open('bob');
  await alice.sync();
  const { group } = await alice.create('data');
  for (let i = 0; i < messages; i++) await alice.send(group, utf8(`message ${i}`));
  await alice.add(group, bob.id);
  if (folder !== undefined && mode === 'folder-hash') dropSeqs(folder);
  let started = performance.now();
  await bob.sync();
  const catchUpMs = performance.now() - started;
  started = performance.now();
  await bob.sync();
  const againMs = performance.now() - started;
  const processedRows = (await bob.store.processedIds?.())?.length ?? 0;
  const markRecords = (await bob.store.names('logmark:')).length;
  const items = folder === undefined ? net.items.size : countFiles(folder);
  const row: ProcessedIdsRow = { mode, messages, items, processedRows, markRecords, catchUpMs, againMs };
  await alice.close();
  await bob.close();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  return row;
}

/** Renames every `<seq>-<hash>.<kind>` file of a shared folder `<hash>.<kind>`. */
function dropSeqs(folder: string): void {
  for (const peer of readdirSync(folder)) {
    for (const name of readdirSync(join(folder, peer))) {
      const parsed = parseFolderFileName(name);
      if (parsed?.seq !== undefined) renameSync(join(folder, peer, name), join(folder, peer, `${parsed.id}.${parsed.kind}`));
    }
  }
}

/** Files in every peer folder of a shared folder. */
function countFiles(folder: string): number {
  return readdirSync(folder).reduce((n, peer) => n + readdirSync(join(folder, peer)).length, 0);
}

/** Runs the bench. Options: `messages` (default 3,000; quick 500), `runs` per mode (default 3, alternating), `log`. */
export async function runProcessedIdsBench(options: { readonly messages?: number; readonly quick?: boolean; readonly runs?: number; readonly log?: (line: string) => void } = {}): Promise<ProcessedIdsReport> {
  const messages = options.messages ?? (options.quick ? 500 : 3_000);
  const runs = options.runs ?? 3;
  const results: Record<Mode, ProcessedIdsRow[]> = { logs: [], plain: [], folder: [], 'folder-hash': [] };
  for (let run = 0; run < runs; run++) {
    for (const mode of MODES) {
      const row = await once(mode, messages);
      results[row.mode].push(row);
      options.log?.(`  processed-ids: ${row.mode} run ${run + 1}: ${row.processedRows} rows, catch-up ${row.catchUpMs.toFixed(0)} ms`);
    }
  }
  const rows = MODES.map((mode): ProcessedIdsRow => {
    const list = results[mode];
    const first = list[0] as ProcessedIdsRow;
    return { ...first, catchUpMs: median(list.map((r) => r.catchUpMs)), againMs: median(list.map((r) => r.againMs)) };
  });
  const [plain, logs, folder, folderHash] = rows as [ProcessedIdsRow, ProcessedIdsRow, ProcessedIdsRow, ProcessedIdsRow];
  const header = 'mode        messages  items   processed rows  log marks  catch-up ms  empty sync ms';
  const table = [header, ...rows.map((r) => `${r.mode.padEnd(11)} ${String(r.messages).padEnd(9)} ${String(r.items).padEnd(7)} ${String(r.processedRows).padEnd(15)} ${String(r.markRecords).padEnd(10)} ${r.catchUpMs.toFixed(0).padEnd(12)} ${r.againMs.toFixed(1)}`)].join('\n');
  const targets = [
    `processed ids after a ${messages}-message backlog: ${logs.processedRows} rows and ${logs.markRecords} log marks on a net of logs, ${plain.processedRows} rows on a plain net → ${logs.processedRows <= 2 ? 'bounded (one mark per log)' : 'MISSED (rows kept)'}`,
    `processed ids on a shared folder (real files): ${folder.processedRows} rows and ${folder.markRecords} folder marks for ${folder.items} files, ${folderHash.processedRows} rows with names without seqs → ${folder.processedRows <= 2 ? 'bounded (one mark per peer folder)' : 'MISSED (rows kept)'}`,
    `catch-up time, logs / plain (same run, median of ${runs}): ${(logs.catchUpMs / plain.catchUpMs).toFixed(2)}`,
    `on the folder, names with seqs / without (same run, median of ${runs}): catch-up ${(folder.catchUpMs / folderHash.catchUpMs).toFixed(2)}, empty sync ${(folder.againMs / folderHash.againMs).toFixed(2)}`,
  ];
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'processed-ids.json'), `${JSON.stringify({ messages, runs, rows }, null, 2)}\n`);
  return { rows, table, targets };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--messages');
  const messages = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  const report = await runProcessedIdsBench({ ...(messages ? { messages } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  console.log(report.table);
  console.log(report.targets.join('\n'));
}
