import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

describe('MemoryStore contract', () => {
  for (const testCase of storeContract({ fresh: async () => new MemoryStore(), encryption: false })) {
    it(testCase.name, testCase.run);
  }
});

describe('MemoryStore', () => {
  it('keeps separate stores apart', async () => {
    const a = new MemoryStore();
    const b = new MemoryStore();
    await a.commit({ states: { s: new Uint8Array([1]) }, processed: ['m'] });
    expect(await b.load('s')).toBeUndefined();
    expect(await b.isProcessed('m')).toBe(false);
  });
});
