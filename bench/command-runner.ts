/** Running the command in-process and timing whole process runs, shared by the command benches (sync.ts, commands.ts). */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runCli } from '../src/cli/index.js';

/** The median (upper middle for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Wall-clock ms of one `node ...args` run; throws when it fails. */
export function spawnMs(args: readonly string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [...args], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Median wall-clock ms of `runs` runs of `node ...args`. */
export function timeSpawn(args: readonly string[], runs: number): number {
  return median(Array.from({ length: runs }, () => spawnMs(args)));
}

/** Runs `groupcrypt --json ...argv` in this process; returns its JSON lines, or throws with its stderr. */
export async function cli(argv: readonly string[]): Promise<unknown[]> {
  const lines: string[] = [];
  const errors: string[] = [];
  const status = await runCli(['--json', ...argv], {}, { stdout: (l) => lines.push(l), stderr: (l) => errors.push(l), stdin: async () => new Uint8Array(0) });
  if (status !== 0) throw new Error(`groupcrypt ${argv.join(' ')}: ${errors.join(' ')}`);
  return lines.map((l) => JSON.parse(l) as unknown);
}
