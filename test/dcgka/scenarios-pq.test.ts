/**
 * Every DCGKA scenario of scenarios.test.ts again, in post-quantum groups
 * (`createGroup({ pq: true })`: PQXDH first rounds, X-Wing 2SM). The flag is
 * set before the classic suite is imported, so its tests register here.
 */
import { afterAll, expect } from 'vitest';
import { simDefaults, simStats } from '../helpers/dcgka-sim.js';

simDefaults.pq = true;
// Mutation runs take fewer delivery-order seeds for the PQ copy (scripts/mutation/run.mjs).
if (process.env['GROUPCRYPT_PQ_SCENARIO_SEEDS'] !== undefined) process.env['GROUPCRYPT_SCENARIO_SEEDS'] = process.env['GROUPCRYPT_PQ_SCENARIO_SEEDS'];
await import('./scenarios.test.js');

afterAll(() => {
  // The scenarios really ran post-quantum groups, and every direct part was a PQ 2SM message.
  expect(simStats.pqGroupsCreated).toBeGreaterThan(0);
  expect(simStats.pqDirectParts).toBeGreaterThan(0);
});
