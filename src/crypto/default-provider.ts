/**
 * Picks the provider for the running platform: the node:crypto one where
 * Node's built-in modules are reachable, the portable one elsewhere.
 * Uses `process.getBuiltinModule` (no static `node:crypto` import) so
 * browser bundles never pull in Node modules.
 */
import type { CryptoProvider, Deps } from './provider.js';
import { NodeCryptoProvider, nodeCryptoAvailable } from './node/node-provider.js';
import { PortableCryptoProvider } from './noble/portable-provider.js';

let cached: CryptoProvider | undefined;

/** The default provider (created once per process). */
export function defaultCryptoProvider(): CryptoProvider {
  cached ??= nodeCryptoAvailable() ? new NodeCryptoProvider() : new PortableCryptoProvider();
  return cached;
}

/** Default dependencies: default provider and the wall clock in UNIX seconds. */
export function defaultDeps(overrides: Partial<Deps> = {}): Deps {
  return {
    crypto: overrides.crypto ?? defaultCryptoProvider(),
    now: overrides.now ?? (() => Math.floor(Date.now() / 1000)),
  };
}
