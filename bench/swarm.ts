/**
 * Swarm benchmark (BENCHMARKS.md "swarm"): an 8-member group on a local
 * testnet (loopback DHT, never the public one), one OS process per peer,
 * 1 KiB messages:
 *  - latency from send to delivery at all other members (median, p95);
 *  - messages per second (a burst, until delivered at all);
 *  - catch-up time of a returning member for 1,000 missed messages (from
 *    spawning its process to the last one delivered).
 * Each beside the same workload over the folder transport (one-shot
 * commands: `send`, then every other member's `sync`) and a bare Hypercore
 * append + replicate of 1 KiB blocks (the engine's floor: one writer, seven
 * reader processes). Wall-clock times measured in this (driving) process.
 * Writes bench/results/swarm.json.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HOME_DB } from '../src/cli/home.js';
import { Peer } from '../src/peer/index.js';
import { SqliteStore } from '../src/store/index.js';
import { FolderTransport } from '../src/transport/index.js';
import { ensureBuilt, MAIN } from '../test/cli/helpers.js';
import { cleanEnv, SwarmPeer } from '../test/swarm/serve-helpers.js';
import { has, LineProcess, type LocalTestnet, startTestnet } from '../test/transport/swarm-helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MEMBERS = 8;
const MESSAGE_BYTES = 1024;

/** One row of the report. */
export interface SwarmRow {
  readonly impl: 'swarm' | 'folder' | 'hypercore-floor';
  readonly latencyMedianMs: number;
  readonly latencyP95Ms: number;
  readonly messagesPerSecond: number;
  readonly catchUpMs: number;
  readonly samples: number;
  readonly burst: number;
  readonly missed: number;
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const text1k = (tag: string): string => `${tag}-`.padEnd(MESSAGE_BYTES, 'x');

/** Time at which `proc` printed the first line at or after `from` that matches. */
async function lineTime(proc: LineProcess, match: (line: unknown) => boolean, from: number, ms = 120_000): Promise<number> {
  await proc.waitFor(match, ms, from);
  for (let i = from; i < proc.lines.length; i++) if (match(proc.lines[i])) return proc.times[i] as number;
  throw new Error('line vanished');
}

const isMessage = (tag: string) => (line: unknown): boolean => has(line, 'event', 'message') && String((line as { data?: unknown }).data).startsWith(`${tag}-`);

async function benchSwarm(testnet: LocalTestnet, root: string, samples: number, burst: number, missed: number, log: (l: string) => void): Promise<SwarmRow> {
  const topic = `bench-${randomBytes(8).toString('hex')}`;
  const peers = Array.from({ length: MEMBERS }, (_, i) => new SwarmPeer(`p${i}`, root, testnet.bootstrap, topic));
  for (const p of peers) p.init();
  await Promise.all(peers.map((p) => p.start()));
  const [sender, ...others] = peers as [SwarmPeer, ...SwarmPeer[]];
  try {
    await sender.proc?.waitFor(() => sender.events('peer').length >= MEMBERS - 1, 60_000);
    const group = String((await sender.cmd('create --scheme data'))[0]?.['group']);
    for (const p of others) await sender.cmd(`add ${group} ${p.id}`);
    const all = peers.map((p) => p.id).sort().join();
    await Promise.all(others.map((p) => p.membersUntil(group, (v) => v.members.join() === all, 120_000)));
    log('  swarm: group of 8 ready');

    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const tag = `lat${i}`;
      const froms = others.map((p) => p.proc?.lines.length ?? 0);
      const started = performance.now();
      sender.proc?.send(`send ${group} ${text1k(tag)}`);
      const times = await Promise.all(others.map((p, k) => lineTime(p.proc as LineProcess, isMessage(tag), froms[k] as number)));
      latencies.push(Math.max(...times) - started);
    }

    const froms = others.map((p) => p.proc?.lines.length ?? 0);
    const burstStart = performance.now();
    for (let i = 0; i < burst; i++) sender.proc?.send(`send ${group} ${text1k(`burst${i}`)}`);
    const burstEnd = Math.max(...(await Promise.all(others.map((p, k) => lineTime(p.proc as LineProcess, isMessage(`burst${burst - 1}`), froms[k] as number, 300_000)))));
    log('  swarm: latency and burst done');

    // Catch-up: the last member stops, the sender writes `missed` messages, a third member holds them all.
    const away = others[others.length - 1] as SwarmPeer;
    const holder = others[0] as SwarmPeer;
    await away.stop();
    const holderFrom = holder.proc?.lines.length ?? 0;
    for (let i = 0; i < missed; i++) sender.proc?.send(`send ${group} ${text1k(`missed${i}`)}`);
    await lineTime(holder.proc as LineProcess, isMessage(`missed${missed - 1}`), holderFrom, 600_000);
    const spawned = performance.now();
    await away.start();
    const proc = away.proc as LineProcess;
    const isMissed = (line: unknown): boolean => has(line, 'event', 'message') && /^missed\d+-/.test(String((line as { data?: unknown }).data));
    await proc.waitFor(() => proc.lines.filter(isMissed).length >= missed, 600_000);
    const caughtUp = Math.max(...proc.lines.map((line, i) => (isMissed(line) ? (proc.times[i] as number) : 0)));
    return {
      impl: 'swarm', latencyMedianMs: quantile(latencies, 0.5), latencyP95Ms: quantile(latencies, 0.95),
      messagesPerSecond: burst / ((burstEnd - burstStart) / 1000), catchUpMs: caughtUp - spawned, samples, burst, missed,
    };
  } finally {
    await Promise.all(peers.map((p) => (p.proc === undefined ? undefined : p.stop())));
  }
}

function cli(args: readonly string[]): { status: number; stdout: string } {
  const run = spawnSync(process.execPath, [MAIN, '--json', ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`groupcrypt ${args.slice(0, 4).join(' ')}: ${run.stderr}`);
  return { status: run.status, stdout: run.stdout };
}

async function cliAsync(args: readonly string[]): Promise<void> {
  const proc = new LineProcess(process.execPath, [MAIN, '--json', ...args], cleanEnv());
  proc.child.stdin?.end();
  if ((await proc.exited) !== 0) throw new Error(`groupcrypt ${args.slice(0, 4).join(' ')}: ${proc.stderr.join('')}`);
}

async function benchFolder(root: string, samples: number, burst: number, missed: number, log: (l: string) => void): Promise<SwarmRow> {
  const net = join(root, 'net');
  const home = (i: number): string => join(root, `folder-p${i}`);
  const ids: string[] = [];
  for (let i = 0; i < MEMBERS; i++) ids.push((JSON.parse(cli(['--home', home(i), '--net', net, 'init', '--name', `p${i}`]).stdout) as { id: string }).id);
  const group = (JSON.parse(cli(['--home', home(0), '--net', net, 'create', '--scheme', 'data']).stdout) as { group: string }).group;
  for (let i = 1; i < MEMBERS; i++) cli(['--home', home(0), '--net', net, 'add', group, ids[i] as string]);
  const syncAll = (members: readonly number[]): Promise<void[]> => Promise.all(members.map((i) => cliAsync(['--home', home(i), '--net', net, 'sync'])));
  const rest = Array.from({ length: MEMBERS - 1 }, (_, i) => i + 1);
  await syncAll(rest);
  log('  folder: group of 8 ready');
  // Delivery over a folder = the sender's `send`, then every other member's `sync` (in parallel).
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await cliAsync(['--home', home(0), '--net', net, 'send', group, text1k(`lat${i}`)]);
    await syncAll(rest);
    latencies.push(performance.now() - started);
  }
  const burstStart = performance.now();
  for (let i = 0; i < burst; i++) await cliAsync(['--home', home(0), '--net', net, 'send', group, text1k(`burst${i}`)]);
  await syncAll(rest);
  const burstMs = performance.now() - burstStart;
  log('  folder: latency and burst done');
  // The missed messages are written in-process through the same Peer + FolderTransport a `send` uses
  // (1,000 one-shot processes would take many minutes here); only the returning member's sync is timed.
  const store = await SqliteStore.open(join(home(0), HOME_DB), {});
  const sender = await Peer.open({ store, transport: (self: string) => new FolderTransport({ root: net, self }) });
  for (let i = 0; i < missed; i++) await sender.send(group, new TextEncoder().encode(text1k(`missed${i}`)));
  await sender.close();
  await syncAll(rest.slice(0, -1));
  const caughtStart = performance.now();
  await syncAll([MEMBERS - 1]);
  return {
    impl: 'folder', latencyMedianMs: quantile(latencies, 0.5), latencyP95Ms: quantile(latencies, 0.95),
    messagesPerSecond: burst / (burstMs / 1000), catchUpMs: performance.now() - caughtStart, samples, burst, missed,
  };
}

async function benchFloor(testnet: LocalTestnet, root: string, samples: number, burst: number, missed: number): Promise<SwarmRow> {
  const child = join(HERE, 'swarm-floor-child.mjs');
  const topic = randomBytes(32).toString('hex');
  const spawnRole = (role: string, name: string, key = ''): LineProcess =>
    new LineProcess(process.execPath, [child, role, join(root, `floor-${name}`), testnet.bootstrap, topic, key], process.env, join(HERE, '..'));
  const writer = spawnRole('writer', 'w');
  const key = (await writer.waitFor<{ ready: string }>((line) => has(line, 'ready'))).ready;
  const startReader = async (i: number): Promise<LineProcess> => {
    const reader = spawnRole('reader', `r${i}`, key);
    await reader.waitFor((line) => has(line, 'ready'));
    return reader;
  };
  const readers = await Promise.all(Array.from({ length: MEMBERS - 1 }, (_, i) => startReader(i)));
  let length = 0;
  const haveAll = async (target: number, procs: readonly LineProcess[], froms: readonly number[], ms = 120_000): Promise<number> =>
    Math.max(...(await Promise.all(procs.map((r, k) => lineTime(r, (line) => has(line, 'have') && (line as { have: number }).have >= target, froms[k] as number, ms)))));
  try {
    // warm-up: every reader connected and holding the first block
    writer.send(`1 ${MESSAGE_BYTES}`);
    length++;
    await haveAll(length, readers, readers.map(() => 0));
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const froms = readers.map((r) => r.lines.length);
      const started = performance.now();
      writer.send(`1 ${MESSAGE_BYTES}`);
      length++;
      latencies.push((await haveAll(length, readers, froms)) - started);
    }
    const froms = readers.map((r) => r.lines.length);
    const burstStart = performance.now();
    for (let i = 0; i < burst; i++) writer.send(`1 ${MESSAGE_BYTES}`);
    length += burst;
    const burstEnd = await haveAll(length, readers, froms, 300_000);
    const away = readers.pop() as LineProcess;
    away.child.stdin?.end();
    await away.kill('SIGTERM');
    const holderFrom = readers[0]?.lines.length ?? 0;
    writer.send(`${missed} ${MESSAGE_BYTES}`);
    length += missed;
    await haveAll(length, [readers[0] as LineProcess], [holderFrom], 600_000);
    const spawned = performance.now();
    const back = await startReader(MEMBERS - 2);
    readers.push(back);
    const caughtUp = await haveAll(length, [back], [0], 600_000);
    return {
      impl: 'hypercore-floor', latencyMedianMs: quantile(latencies, 0.5), latencyP95Ms: quantile(latencies, 0.95),
      messagesPerSecond: burst / ((burstEnd - burstStart) / 1000), catchUpMs: caughtUp - spawned, samples, burst, missed,
    };
  } finally {
    await Promise.all([writer, ...readers].map((p) => p.kill('SIGKILL')));
  }
}

/** Report of `runSwarmBench`. */
export interface SwarmBenchReport {
  readonly rows: SwarmRow[];
  readonly table: string;
  readonly markdown: string;
}

/**
 * Runs the swarm benchmark; writes bench/results/swarm.json.
 * @example const { table } = await runSwarmBench({ quick: true });
 */
export async function runSwarmBench(options: { readonly quick?: boolean; readonly log?: (line: string) => void; readonly only?: readonly SwarmRow['impl'][] } = {}): Promise<SwarmBenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const quick = options.quick ?? false;
  const samples = quick ? 10 : 30;
  const burst = quick ? 50 : 200;
  const missed = 1000;
  ensureBuilt();
  const testnet = await startTestnet(3);
  const root = mkdtempSync(join(tmpdir(), 'gc-bench-swarm-'));
  const rows: SwarmRow[] = [];
  try {
    const want = (impl: SwarmRow['impl']): boolean => options.only === undefined || options.only.includes(impl);
    if (want('hypercore-floor')) rows.push(await benchFloor(testnet, root, samples, burst, missed));
    log('  floor done');
    if (want('swarm')) rows.push(await benchSwarm(testnet, root, samples, burst, missed, log));
    if (want('folder')) rows.push(await benchFolder(root, quick ? 5 : 10, quick ? 20 : 50, missed, log));
  } finally {
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  }
  const floor = rows.find((r) => r.impl === 'hypercore-floor') ?? ({ latencyMedianMs: NaN, messagesPerSecond: NaN, catchUpMs: NaN } as SwarmRow);
  const ratio = (value: number, base: number): string => (Number.isFinite(value / base) ? `${(value / base).toFixed(1)}×` : '-');
  const header = ['impl', 'latency median ms', 'latency p95 ms', 'messages/s', `catch-up of ${missed} ms`, 'latency ÷ floor', 'msg/s ÷ floor', 'catch-up ÷ floor'];
  const body = rows.map((r) => [
    r.impl, r.latencyMedianMs.toFixed(1), r.latencyP95Ms.toFixed(1), r.messagesPerSecond.toFixed(1), r.catchUpMs.toFixed(0),
    ratio(r.latencyMedianMs, floor.latencyMedianMs), ratio(r.messagesPerSecond, floor.messagesPerSecond), ratio(r.catchUpMs, floor.catchUpMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const table = [header, ...body].map((row) => row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n');
  const markdown = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n') +
    `\n\n8 members, one process each, 1 KiB messages, local testnet; swarm = \`serve --swarm\` processes; folder = one-shot \`send\` then every other member's \`sync\` (samples ${rows.find((r) => r.impl === 'folder')?.samples}, burst ${rows.find((r) => r.impl === 'folder')?.burst}); floor = bare Hypercore writer + 7 reader processes, 1 KiB blocks. Catch-up counts from spawning the returning process.`;
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'swarm.json'), `${JSON.stringify(rows, null, 2)}\n`);
  return { rows, table, markdown };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') as SwarmRow['impl'][] | undefined;
  const { table } = await runSwarmBench({ quick: process.argv.includes('--quick'), ...(only ? { only } : {}) });
  console.log(table);
}
