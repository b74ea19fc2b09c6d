/**
 * Browser page of the IndexedDB tests: runs the shared store contract and the
 * IndexedDB-specific damage, version and lock cases against IndexedDbStore in
 * a real Chromium, and publishes the results on `window.__storeResults`.
 * Bundled by esbuild in test/store/indexeddb-store.test.ts.
 */
import type { StoreOptions } from '../../../src/store/index.js';
import { IndexedDbStore } from '../../../src/store/index.js';
import { storeContract } from '../contract.js';
import { indexedDbCases } from './idb-cases.js';

/** One case outcome as reported to the test runner. */
export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

async function main(): Promise<CaseResult[]> {
  let counter = 0;
  let last = '';
  const factory = {
    encryption: true,
    fresh: async (options?: StoreOptions) => {
      counter += 1;
      last = `contract-${Date.now()}-${counter}`;
      return IndexedDbStore.open(last, options);
    },
    reopen: async (options?: StoreOptions) => IndexedDbStore.open(last, options),
  };
  const results: CaseResult[] = [];
  for (const testCase of [...storeContract(factory), ...indexedDbCases()]) {
    try {
      await testCase.run();
      results.push({ name: testCase.name, ok: true });
    } catch (error) {
      results.push({ name: testCase.name, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) });
    }
  }
  return results;
}

const target = globalThis as { __storeResults?: CaseResult[]; __storeError?: string };
main().then((results) => { target.__storeResults = results; }, (error: unknown) => { target.__storeError = String(error); });
