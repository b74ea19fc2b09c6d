/**
 * Vitest settings for mutation runs (`npm run mutation`): the fast tests of one layer, with the property tests
 * shrunk. scripts/mutation/run.mjs picks the files through GROUPCRYPT_MUTATION_TESTS (comma-separated globs) rather
 * than Stryker's `testFiles`, which would activate module-level (static) mutants too late for them to be tested.
 */
import { resolve } from 'node:path';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Stryker stops a mutant at its first failing test (bail), so the cheapest order runs the file that failed last time
 * first (it likely kills the neighbouring mutant too), then the fastest files: a survivor pays for every covering
 * test anyway, a killed mutant only for the tests before the one that kills it. Vitest's default is longest first.
 */
class FastFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const stats = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${spec.moduleId.slice(this.ctx.config.root.length + 1)}`;
      const results = cache.getFileTestResults(key);
      return { failed: results?.failed === true ? 0 : 1, duration: results?.duration ?? Number.POSITIVE_INFINITY };
    };
    return [...files].sort((a, b) => {
      const sa = stats(a);
      const sb = stats(b);
      return sa.failed - sb.failed || sa.duration - sb.duration;
    });
  }
}

export default defineConfig({
  test: {
    include: process.env['GROUPCRYPT_MUTATION_TESTS']?.split(',') ?? ['test/{crypto,membership,ordering,twoparty,message,dcgka,data,group}/*.test.ts'],
    exclude: process.env['GROUPCRYPT_MUTATION_EXCLUDE']?.split(',') ?? [],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    sequence: { sequencer: FastFirstSequencer },
    env: {
      // Property tests: a few dozen schedules are enough to kill a mutant; CI runs the full counts.
      GROUPCRYPT_SCHEDULES: process.env['GROUPCRYPT_SCHEDULES'] ?? '20',
      // Stryker runs the tests in a sandbox copy (.stryker-tmp/…), where `../shared/vectors` does not resolve.
      GROUPCRYPT_VECTORS: process.env['GROUPCRYPT_VECTORS'] ?? resolve(import.meta.dirname, '..', 'shared', 'vectors'),
    },
  },
});
