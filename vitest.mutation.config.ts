/**
 * Vitest settings for mutation runs (`npm run mutation`): the fast tests of one layer, with the property tests
 * shrunk. scripts/mutation/run.mjs picks the files through GROUPCRYPT_MUTATION_TESTS (comma-separated globs) rather
 * than Stryker's `testFiles`, which would activate module-level (static) mutants too late for them to be tested.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: process.env['GROUPCRYPT_MUTATION_TESTS']?.split(',') ?? ['test/{crypto,membership,ordering,twoparty,message,dcgka,data,group}/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    env: {
      // Property tests: a few dozen schedules are enough to kill a mutant; CI runs the full counts.
      GROUPCRYPT_SCHEDULES: process.env['GROUPCRYPT_SCHEDULES'] ?? '20',
      // Stryker runs the tests in a sandbox copy (.stryker-tmp/…), where `../shared/vectors` does not resolve.
      GROUPCRYPT_VECTORS: process.env['GROUPCRYPT_VECTORS'] ?? resolve(import.meta.dirname, '..', 'shared', 'vectors'),
    },
  },
});
