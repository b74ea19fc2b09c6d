/**
 * The command in a 16- and a 64-member group (issue 13): the time of one
 * `groupcrypt` process per command — `whoami`, `send`, `sync` (one new
 * message from another member), `read` — against a bare `node -e 0` start
 * measured in the same run, interleaved run by run (the machine is shared).
 * Target: every command ≤ 6 × a bare node start. Writes bench/results/commands.json.
 *
 * Set-up (not measured) runs in-process: every member `init`s (`runCli`);
 * member 0 creates a data group and adds the others one by one through the
 * command (16 members), or creates the group of everybody at once through
 * its `Peer` (64 members: 63 adds through the command take minutes of
 * set-up); every member syncs until nobody has anything new, and member 1
 * sends a few messages.
 * The measured member is member 1 (an ordinary member, not the creator).
 *
 *   node --import tsx bench/commands.ts [--sizes 16,64] [--runs N] [--keep DIR]     (needs `npm run build`)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, withPeer } from '../src/cli/index.js';
import { defaultDeps } from '../src/crypto/index.js';
import { cli, median, spawnMs } from './command-runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** Target of issue 13: a command costs at most this many bare node starts. */
const TARGET_FACTOR = 6;
const COMMANDS = ['whoami', 'send', 'sync', 'read'] as const;
/** Groups up to this size are built through the command (`create`, then one `add` per member); larger ones by one create of everybody. */
const ADD_THROUGH_COMMAND_UP_TO = 16;

/** One row: a command in a group of `members`. */
export interface CommandRow {
  readonly members: number;
  readonly command: (typeof COMMANDS)[number] | 'node -e 0';
  /** Median wall ms of one process (start included). */
  readonly ms: number;
  /** ms / the bare node start of the same size's runs. */
  readonly factor: number;
}

/** What the bench reports. */
export interface CommandsBenchReport {
  readonly rows: readonly CommandRow[];
  readonly table: string;
  readonly targets: readonly string[];
}

/** Builds a group of `n` members under `root`; returns the homes, the net and the group id. */
async function makeGroup(root: string, n: number, log: (line: string) => void): Promise<{ homes: string[]; net: string; group: string }> {
  const net = join(root, 'net');
  const homes: string[] = [];
  const ids: string[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const home = join(root, `m${i}`);
    const [made] = (await cli(['--home', home, '--net', net, 'init', '--name', `m${i}`])) as { id: string }[];
    homes.push(home);
    ids.push((made as { id: string }).id);
  }
  let group: string;
  if (n <= ADD_THROUGH_COMMAND_UP_TO) {
    const [created] = (await cli(['--home', homes[0] as string, '--net', net, 'create'])) as { group: string }[];
    group = (created as { group: string }).group;
    for (const id of ids.slice(1)) await cli(['--home', homes[0] as string, '--net', net, 'add', group, id]);
  } else {
    const owner = parseArgs(['--home', homes[0] as string, '--net', net, 'create'], {});
    group = await withPeer(owner, {}, defaultDeps(), async (peer) => {
      await peer.refreshPeers();
      return (await peer.create('data', { members: ids.slice(1) })).group;
    });
  }
  // everybody syncs until a whole round processes nothing (acks of acks settle)
  for (let round = 0; round < 4; round++) {
    let processed = 0;
    for (const home of homes) processed += ((await cli(['--home', home, '--net', net, 'sync'])) as { processed: number }[])[0]?.processed ?? 0;
    log(`commands bench: sync round ${round}: ${processed} processed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    if (processed === 0) break;
  }
  for (let i = 0; i < 5; i++) await cli(['--home', homes[1] as string, '--net', net, 'send', group, `message ${i}`]);
  for (const home of homes) await cli(['--home', home, '--net', net, 'sync']);
  log(`commands bench: ${n} members ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { homes, net, group };
}

/**
 * Runs the bench.
 * @example const report = await runCommandsBench({ sizes: [16] });
 */
export async function runCommandsBench(options: {
  readonly quick?: boolean; readonly sizes?: readonly number[]; readonly runs?: number; readonly log?: (line: string) => void;
  /** Keep the homes and the net under this folder (for profiling) instead of a deleted temp folder. */
  readonly keep?: string;
} = {}): Promise<CommandsBenchReport> {
  const log = options.log ?? (() => undefined);
  const sizes = options.sizes ?? (options.quick === true ? [16] : [16, 64]);
  const runs = options.runs ?? (options.quick === true ? 3 : 7);
  const rows: CommandRow[] = [];
  for (const n of sizes) {
    const root = options.keep !== undefined ? join(options.keep, String(n)) : mkdtempSync(join(tmpdir(), 'groupcrypt-commands-bench-'));
    try {
      const { homes, net, group } = await makeGroup(root, n, log);
      const me = homes[1] as string;
      const other = homes[2] as string;
      const samples = new Map<CommandRow['command'], number[]>([['node -e 0', []], ...COMMANDS.map((c) => [c, [] as number[]] as const)]);
      const argsOf: Record<(typeof COMMANDS)[number], readonly string[]> = {
        whoami: [MAIN, '--home', me, 'whoami'],
        send: [MAIN, '--home', me, '--net', net, 'send', group, 'a message of about forty bytes, or so'],
        sync: [MAIN, '--home', me, '--net', net, 'sync'],
        read: [MAIN, '--home', me, 'read', group],
      };
      for (let run = 0; run < runs + 1; run++) {
        // one new message of another member for this run's sync
        await cli(['--home', other, '--net', net, 'send', group, `from another member, run ${run}`]);
        const times: [CommandRow['command'], number][] = [['node -e 0', spawnMs(['-e', '0'])]];
        for (const c of COMMANDS) times.push([c, spawnMs(argsOf[c])]);
        if (run === 0) continue; // warm-up: file cache, first sync of the other's message
        for (const [c, ms] of times) samples.get(c)?.push(ms);
      }
      const bare = median(samples.get('node -e 0') ?? []);
      for (const [command, list] of samples) rows.push({ members: n, command, ms: Math.round(median(list) * 10) / 10, factor: Math.round((median(list) / bare) * 100) / 100 });
      log(`commands bench: ${n} members measured`);
    } finally {
      if (options.keep === undefined) rmSync(root, { recursive: true, force: true });
    }
  }
  const table = [
    'members  command      ms (median, process start included)   × node -e 0',
    ...rows.map((r) => `${String(r.members).padStart(7)}  ${r.command.padEnd(11)} ${r.ms.toFixed(0).padStart(8)} ms ${''.padEnd(26)} ${r.factor.toFixed(2).padStart(6)}×`),
  ].join('\n');
  const targets = rows.filter((r) => r.command !== 'node -e 0').map((r) => {
    const bare = rows.find((b) => b.members === r.members && b.command === 'node -e 0')?.ms ?? 0;
    return `${r.factor <= TARGET_FACTOR ? '[ met]' : '[MISS]'} ${r.members} members, ${r.command}: ${r.ms.toFixed(0)} ms = ${r.factor.toFixed(2)}× a bare node start (${bare.toFixed(0)} ms; target ≤ ${TARGET_FACTOR}×)`;
  });
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'commands.json'), `${JSON.stringify({ date: new Date().toISOString(), runs, rows, targets }, null, 2)}\n`);
  return { rows, table, targets };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = arg('--sizes')?.split(',').map(Number);
  const runs = arg('--runs');
  const keep = arg('--keep');
  const report = await runCommandsBench({ log: (l) => process.stderr.write(`${l}\n`), ...(sizes ? { sizes } : {}), ...(runs ? { runs: Number(runs) } : {}), ...(keep ? { keep } : {}) });
  process.stdout.write(`${report.table}\n\n${report.targets.join('\n')}\n`);
}
