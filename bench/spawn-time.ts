/** Timing of whole process runs, shared by the command benches (sync.ts, commands.ts). */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

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
