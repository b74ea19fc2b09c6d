/**
 * Shared by the crash child and the parent: the digest of a persisted state
 * (what the child announces before each commit and the parent finds on disk),
 * the line protocol, and the seeded random generator.
 */
import type { CryptoProvider } from '../../../src/crypto/index.js';
import { concatBytes, toHex, utf8 } from '../../../src/crypto/index.js';
import { seededRandom } from '../../helpers/random.js';

/** SHA-256 over the named blobs, in name order, length-framed. */
export function stateDigest(crypto: CryptoProvider, blobs: Readonly<Record<string, Uint8Array>>): string {
  const parts = Object.keys(blobs).sort().flatMap((name) => {
    const blob = blobs[name] ?? new Uint8Array(0);
    return [utf8(`${name}:${blob.length}:`), blob];
  });
  return toHex(crypto.sha256(concatBytes(...parts)));
}

export { seededRandom };

/** Environment variables the parent passes to the child. */
export const CHILD_ENV = { path: 'CRASH_DB', key: 'CRASH_KEY', seed: 'CRASH_SEED' } as const;
