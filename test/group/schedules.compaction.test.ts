/**
 * Bounded state under the schedule checks (issue 12): schedules whose peers
 * compact the membership history at every chance (GroupContext.compactAt 1)
 * must pass every check of the scheme (members, secrets, lockout, strict
 * entitled reads, read order; data: history too) — and histories must
 * actually get compacted mid-run. (Every other schedule of the 1,000-schedule
 * suites compacts the same way.) Scale with GROUPCRYPT_COMPACTION_SCHEDULES=N.
 */
import { describe, expect, it } from 'vitest';
import type { GroupScheme } from '../../src/group/index.js';
import { seededRandom } from '../helpers/random.js';
import { randomSpec, runSchedule } from '../helpers/schedules.js';

const RUNS = Number(process.env['GROUPCRYPT_COMPACTION_SCHEDULES'] ?? 40);

describe.each<GroupScheme>(['message', 'data'])('schedules that compact the history at every chance (%s scheme)', (scheme) => {
  it(`${RUNS} schedules pass every check, and most compacted their histories`, () => {
    const random = seededRandom(scheme === 'message' ? 9101 : 9102);
    let compacting = 0;
    for (let i = 0; i < RUNS; i++) {
      const spec = { ...randomSpec(random, scheme, 12), ops: 16, compactAt: 1 };
      let stats;
      try {
        stats = runSchedule(spec);
      } catch (error) {
        throw new Error(`schedule failed: GROUPCRYPT_CASE='${JSON.stringify(spec)}'\n${(error as Error).message}`, { cause: error });
      }
      if (stats.compacted > 0) compacting++;
    }
    expect(compacting).toBeGreaterThan(RUNS / 2);
  }, 600_000);
});
