/**
 * The group scenarios of scenarios.test.ts again, in post-quantum groups
 * (`createGroup({ pq: true })`), both encryption schemes: the layer above
 * DCGKA works unchanged over PQ key agreement.
 */
import { afterAll, expect } from 'vitest';
import { groupSimDefaults } from '../helpers/group-sim.js';

groupSimDefaults.pq = true;
await import('./scenarios.test.js');

afterAll(() => {
  expect(groupSimDefaults.pqGroupsCreated).toBeGreaterThan(0);
});
