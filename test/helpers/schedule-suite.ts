/**
 * The vitest side of the schedule tests: runs `runs` random schedules of one
 * scheme with that scheme's checks, reports totals, and prints a failing
 * schedule's spec so `GROUPCRYPT_CASE='<json>'` replays it alone.
 */
import { expect } from 'vitest';
import type { GroupScheme } from '../../src/group/index.js';
import { seededRandom } from './random.js';
import { ScheduleTotals, randomSpec, runSchedule } from './schedules.js';
import type { ScheduleCheck, ScheduleSpec } from './schedules.js';

/** Runs `runs` schedules from `seed`; throws at the first failure with its spec. */
export function runSchedules(scheme: GroupScheme, runs: number, seed: number, checks?: readonly ScheduleCheck[]): ScheduleTotals {
  const totals = new ScheduleTotals();
  const single = process.env['GROUPCRYPT_CASE'];
  const specs: ScheduleSpec[] = [];
  if (single) specs.push(JSON.parse(single) as ScheduleSpec);
  const random = seededRandom(seed);
  // Every other schedule compacts its membership histories at every chance (issue 12, bounded state): the checks must not tell.
  // Every other pair also re-adds removed members.
  for (let i = 0; !single && i < runs; i++) {
    const spec = randomSpec(random, scheme);
    const readds = Math.floor(i / 2) % 2 === 1;
    specs.push({ ...spec, ...(i % 2 === 1 ? { compactAt: 1 } : {}), ...(readds ? { readds: true } : {}) });
  }
  for (const spec of specs) {
    if (spec.scheme !== scheme) continue;
    try {
      totals.add(spec, runSchedule(spec, checks));
    } catch (error) {
      throw new Error(`schedule failed: GROUPCRYPT_CASE='${JSON.stringify(spec)}'\n${(error as Error).message}`, { cause: error });
    }
  }
  return totals;
}

/** Runs schedules until one fails the `checks` (a known gap still showing); returns the failure or undefined. */
export function findGap(scheme: GroupScheme, runs: number, seed: number, checks: readonly ScheduleCheck[]): string | undefined {
  const random = seededRandom(seed);
  for (let i = 0; i < runs; i++) {
    const spec = randomSpec(random, scheme, 12, 0.5);
    try {
      runSchedule(spec, checks);
    } catch (error) {
      return `${JSON.stringify(spec)}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** Replays recorded specs with the default checks; returns how each fails ('' when it passes). */
export function replayFailures(specs: readonly ScheduleSpec[], checks?: readonly ScheduleCheck[]): string[] {
  return specs.map((spec) => {
    try {
      runSchedule(spec, checks);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  });
}

/** The totals the CI run must reach: mean group operations and the largest group size. */
export function expectScale(totals: ScheduleTotals, runs: number): void {
  console.log(`schedules (${totals.schedules}): ${totals.summary()}`);
  if (process.env['GROUPCRYPT_CASE']) return;
  expect(totals.schedules).toBe(runs);
  expect(totals.meanOps).toBeGreaterThanOrEqual(10);
  if (runs >= 200) expect(totals.maxPeers).toBeGreaterThanOrEqual(28);
}
