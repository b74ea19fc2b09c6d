/**
 * TEMPORARY stub: the node:crypto provider is being written; until then it
 * is the portable provider under the name "node".
 */
import { PortableCryptoProvider } from '../noble/portable-provider.js';

/** True when node:crypto is reachable without a static import. */
export function nodeCryptoAvailable(): boolean {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof proc?.getBuiltinModule === 'function' && proc.getBuiltinModule('node:crypto') !== undefined;
}

/** Provider on node:crypto (temporarily the portable implementation). */
export class NodeCryptoProvider extends PortableCryptoProvider {
  /** Provider name. */
  override readonly name: string = 'node';
}
