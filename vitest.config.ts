import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // The examples import the package by name (`groupcrypt/*`), as users do; in the repo that is the source (tsconfig `paths` does the same for tsc and tsx).
  resolve: {
    alias: [
      { find: /^groupcrypt$/, replacement: src('index.ts') },
      { find: /^groupcrypt\/errors$/, replacement: src('errors.ts') },
      { find: /^groupcrypt\/transport\/hypercore$/, replacement: src('transport/hypercore.ts') },
      { find: /^groupcrypt\/([a-z]+)$/, replacement: src('$1/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // both cores: the 2,000 Group API schedules and 1,000 DCGKA schedules dominate the run; vitest would use one worker on two cores
    maxWorkers: 2,
    reporters: ['default'],
  },
});
