/**
 * Both providers, for tests that must run against each of them.
 */
import { NodeCryptoProvider, PortableCryptoProvider, type CryptoProvider } from '../../src/crypto/index.js';

/** `[name, provider]` pairs: node:crypto and portable. */
export const PROVIDERS: readonly (readonly [string, CryptoProvider])[] = [
  ['node', new NodeCryptoProvider()],
  ['portable', new PortableCryptoProvider()],
];

/** The node provider instance. */
export const NODE = PROVIDERS[0]![1];
/** The portable provider instance. */
export const PORTABLE = PROVIDERS[1]![1];

/** The error code of what `fn` throws, or `'no error'`. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded: ${String(error)}`;
  }
  return 'no error';
}
