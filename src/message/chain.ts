/**
 * The KDF chain of the DCGKA paper's message ratchet: from a chain key, one
 * HKDF-Expand per output with distinct labels gives the message key, the
 * message nonce and the next chain key; the old chain key is then dropped.
 *
 *   I (update secret) --HKDF--> ck0 --+--> key0, nonce0
 *                                     +--> ck1 --+--> key1, nonce1
 *                                                +--> ck2 ...
 */
import type { Deps } from '../crypto/index.js';
import { utf8 } from '../crypto/index.js';
import { LABEL_CHAIN, LABEL_EPOCH, LABEL_KEY, LABEL_NONCE } from './limits.js';

const KEY = utf8(LABEL_KEY);
const NONCE = utf8(LABEL_NONCE);
const CHAIN = utf8(LABEL_CHAIN);
const EPOCH = utf8(LABEL_EPOCH);
const NO_SALT = new Uint8Array(32);

/** One step of the chain. */
export interface ChainStep {
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly next: Uint8Array;
}

/** First chain key of an epoch, from the DCGKA update secret. */
export function epochChainKey(deps: Deps, updateSecret: Uint8Array): Uint8Array {
  return deps.crypto.hkdf(updateSecret, NO_SALT, EPOCH, 32);
}

/** Derives the message key (32 B), nonce (12 B) and next chain key from `chain`. */
export function stepChain(deps: Deps, chain: Uint8Array): ChainStep {
  const c = deps.crypto;
  return { key: c.hkdfExpand(chain, KEY, 32), nonce: c.hkdfExpand(chain, NONCE, 12), next: c.hkdfExpand(chain, CHAIN, 32) };
}
