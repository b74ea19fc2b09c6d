import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { SqliteStore, type StoreOptions } from '../../src/store/index.js';
import { storeContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'groupcrypt-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
let last = '';

describe('SqliteStore contract', () => {
  const factory = {
    encryption: true,
    fresh: async (options?: StoreOptions) => {
      counter += 1;
      last = join(dir, `contract-${counter}.db`);
      return SqliteStore.open(last, options);
    },
    reopen: async (options?: StoreOptions) => SqliteStore.open(last, options),
  };
  for (const testCase of storeContract(factory)) it(testCase.name, testCase.run);
});
