/**
 * A share of the random DCGKA schedules of schedules.property.test.ts in
 * post-quantum groups (GROUPCRYPT_PQ_SCHEDULES, default 40; PQ 2SM costs
 * more per message, so fewer runs than the classic 1,000).
 */
import { afterAll, expect } from 'vitest';
import { simDefaults, simStats } from '../helpers/dcgka-sim.js';

simDefaults.pq = true;
process.env['GROUPCRYPT_SCHEDULES'] = process.env['GROUPCRYPT_PQ_SCHEDULES'] ?? '40';
await import('./schedules.property.test.js');

afterAll(() => {
  expect(simStats.pqGroupsCreated).toBeGreaterThanOrEqual(Number(process.env['GROUPCRYPT_SCHEDULES']));
});
