/**
 * `npm run soak -- --minutes N [--seed S] [--max-peers P] [--readds]`: runs random group
 * schedules (both schemes, alternating) for N minutes with the checks of
 * test/helpers/schedules.ts, prints the totals, and exits 1 on the first
 * failure, printing the schedule's JSON (replay: GROUPCRYPT_CASE='<json>'
 * npx vitest run test/group/schedules). Also counts how often the known
 * gaps of issue 12 still show (informational). `--readds` also re-adds removed
 * members (the known re-add bugs then fail the soak).
 */
import { seededRandom } from '../test/helpers/random.js';
import { DEFAULT_CHECKS as DEFAULTS, GAP_CHECKS, ScheduleTotals, randomSpec, runSchedule } from '../test/helpers/schedules.js';
import type { ScheduleCheck } from '../test/helpers/schedules.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number`);
  return value;
}

const minutes = option('minutes', 1);
const seed = option('seed', Date.now() % 2 ** 31);
const maxPeers = option('max-peers', 32);
const readds = process.argv.includes('--readds');
const random = seededRandom(seed);
const totals = new ScheduleTotals();
const gaps = new Map<string, number>();
const deadline = Date.now() + minutes * 60_000;
const started = Date.now();
let lastReport = started;

function gapShows(checks: readonly ScheduleCheck[], net: Parameters<ScheduleCheck['check']>[0], current: readonly string[]): boolean {
  try {
    for (const c of checks) c.check(net, current);
    return false;
  } catch {
    return true;
  }
}

console.log(`soak: ${minutes} min, seed ${seed}, up to ${maxPeers} peers${readds ? ', with re-adds' : ''}`);
for (let i = 0; Date.now() < deadline; i++) {
  const spec = randomSpec(random, i % 2 === 0 ? 'message' : 'data', maxPeers, 0.3, readds);
  const gapProbe: ScheduleCheck = {
    name: 'gap-probe',
    check(net, current) {
      for (const [name, checks] of Object.entries(GAP_CHECKS)) if (gapShows(checks, net, current)) gaps.set(name, (gaps.get(name) ?? 0) + 1);
    },
  };
  try {
    const stats = runSchedule(spec, [...DEFAULTS[spec.scheme], gapProbe]);
    totals.add(spec, stats);
  } catch (error) {
    console.log(`FAILED after ${totals.schedules} schedules: GROUPCRYPT_CASE='${JSON.stringify(spec)}'`);
    console.log((error as Error).message);
    process.exitCode = 1;
    break;
  }
  if (Date.now() - lastReport > 60_000) {
    lastReport = Date.now();
    console.log(`  ${((Date.now() - started) / 60_000).toFixed(1)} min: ${totals.summary()}`);
  }
}
console.log(`soak totals: ${totals.summary()} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`known gaps of issue 12 still showing: ${[...gaps].map(([k, v]) => `${k} in ${v} schedules`).join(', ') || 'none'}`);
