/**
 * Random schedules at scale, data scheme (see schedules.message.test.ts): members and
 * group secrets converge and removed members are locked out on every
 * schedule. Entitled reads and complete history fail today under concurrency
 * (issue 12: a member added concurrently with an update never gets that
 * update's group secret); the known-gap test asserts it still shows.
 */
import { describe, expect, it } from 'vitest';
import { GAP_CHECKS } from '../helpers/schedules.js';
import { expectScale, findGap, replayFailures, runSchedules } from '../helpers/schedule-suite.js';

const RUNS = Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 1000);

describe('random schedules at scale (data scheme)', () => {
  it(`members and group secrets converge, removed members are locked out (${RUNS} schedules)`, () => {
    expectScale(runSchedules('data', RUNS, 0x5eed_0002), RUNS);
  }, 60 * 60_000);
});

describe('KNOWN GAP (issue 12): complete history in the data scheme', () => {
  it('still missing: a member added concurrently with an update never gets its group secret, so it misses messages it is entitled to (needs the complete-history fix)', () => {
    const failure = findGap('data', 60, 0x0bde_0002, GAP_CHECKS.dataHistory);
    console.log(`data-history gap: ${failure ?? 'not shown'}`);
    expect(failure, 'the data-history gap no longer shows: move GAP_CHECKS.dataHistory into DEFAULT_CHECKS.data').toBeDefined();
  }, 10 * 60_000);
});

describe('regression: re-adding a removed member under concurrency (found by these schedules)', () => {
  it('P2, re-added by an add that saw its removal, while it processes that add before the removal, converges with the others on membership (data scheme)', () => {
    const [failure] = replayFailures([
      { scheme: 'data', peers: 3, initial: 2, ops: 9, seed: 1489864021, duplicateRate: 0, partitions: false, removedListen: false, readds: true },
    ]);
    expect(failure).toBe('');
  }, 120_000);
});
