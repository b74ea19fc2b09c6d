import type { Deps } from '../../src/crypto/index.js';
import { PortableCryptoProvider } from '../../src/crypto/index.js';

/** Fixed test clock (UNIX seconds). */
export const NOW = 1_800_000_000;

const provider = new PortableCryptoProvider();

/** Deps with the portable provider and a fixed clock. */
export function testDeps(now = NOW): Deps {
  return { crypto: provider, now: () => now };
}

/** The stable code of the error `fn` throws, or 'no error'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'no error';
}
