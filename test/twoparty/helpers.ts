import type { Deps } from '../../src/crypto/index.js';
import { PortableCryptoProvider } from '../../src/crypto/index.js';
import type { GroupCryptError } from '../../src/errors.js';
import type { IdentityKeyPair, KeyBundle, KeyManagerState } from '../../src/keys/index.js';
import { createKeyManager, generateOneTimePreKeys, identityOf, longTermBundle } from '../../src/keys/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import { createSession } from '../../src/twoparty/index.js';

/** Fixed test clock (UNIX seconds). */
export const NOW = 1_800_000_000;

const provider = new PortableCryptoProvider();

/** Deps with the portable provider and a fixed clock. */
export function testDeps(now = NOW): Deps {
  return { crypto: provider, now: () => now };
}

/** The code of the error `fn` throws, or 'no error'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as GroupCryptError).code ?? String(error);
  }
  return 'no error';
}

/** A member: key manager plus a one-time bundle and the long-term bundle it publishes. */
export interface Party {
  readonly identity: IdentityKeyPair;
  readonly keyManager: KeyManagerState;
  readonly oneTime: KeyBundle;
  readonly longTerm: KeyBundle;
}

/** A fresh party with one one-time pre-key. */
export function makeParty(deps: Deps): Party {
  const { state, bundles } = generateOneTimePreKeys(createKeyManager(deps), deps, 1);
  return { identity: identityOf(state), keyManager: state, oneTime: bundles[0] as KeyBundle, longTerm: longTermBundle(state) };
}

/** Two parties' sessions with each other. */
export function sessionsOf(a: Party, b: Party): { ab: TwoPartySession; ba: TwoPartySession } {
  return { ab: createSession(b.identity.publicKey), ba: createSession(a.identity.publicKey) };
}
