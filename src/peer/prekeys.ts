/**
 * Signed pre-key hygiene (issue 18): rotate the signed pre-key on a schedule
 * and delete a superseded secret once a grace period after its successor
 * was made has passed (so X3DH messages written against the old bundle while
 * the new one travelled still open). Pure: key state in, key state and the
 * dropped secrets out.
 */
import type { Deps } from '../crypto/index.js';
import type { KeyManagerState } from '../keys/index.js';
import { PREKEY_BACKDATE_SECONDS, rotateSignedPreKey } from '../keys/index.js';

/** Default rotation period of the signed pre-key: one week. */
export const DEFAULT_PREKEY_ROTATION_SECONDS = 7 * 24 * 60 * 60;
/** Default grace period before a superseded signed pre-key secret is deleted: one week. */
export const DEFAULT_PREKEY_GRACE_SECONDS = 7 * 24 * 60 * 60;

/** The schedule. */
export interface PreKeyPolicy {
  readonly rotationSeconds: number;
  readonly graceSeconds: number;
}

/** What `maintainPreKeys` did. */
export interface PreKeyMaintenance {
  readonly keys: KeyManagerState;
  /** True when a new signed pre-key was made (publish the new bundle). */
  readonly rotated: boolean;
  /** Secrets of deleted signed pre-keys (wipe after commit). */
  readonly consumed: readonly Uint8Array[];
}

/** When a signed pre-key was made (its lifetime starts backdated by `PREKEY_BACKDATE_SECONDS`). */
function madeAt(notBefore: number): number {
  return notBefore + PREKEY_BACKDATE_SECONDS;
}

/**
 * Rotates when the current signed pre-key is `rotationSeconds` old, then
 * deletes every superseded one whose successor is older than `graceSeconds`.
 * @returns the same state object when nothing is due.
 */
export function maintainPreKeys(keys: KeyManagerState, deps: Deps, policy: PreKeyPolicy): PreKeyMaintenance {
  const now = deps.now();
  let next = keys;
  const current = next.signedPreKeys[next.signedPreKeys.length - 1];
  const rotated = current !== undefined && now - madeAt(current.lifetime.notBefore) >= policy.rotationSeconds;
  if (rotated) next = rotateSignedPreKey(next, deps);
  const list = next.signedPreKeys;
  const kept = list.filter((k, i) => {
    const successor = list[i + 1];
    return successor === undefined || now - madeAt(successor.lifetime.notBefore) < policy.graceSeconds;
  });
  const dropped = list.filter((k) => !kept.includes(k));
  const survivors = new Set(kept.map((k) => k.secretKey));
  const consumed = [...keys.signedPreKeys, ...list].filter((k) => !survivors.has(k.secretKey)).map((k) => k.secretKey);
  if (!rotated && dropped.length === 0) return { keys, rotated: false, consumed: [] };
  return { keys: { ...next, signedPreKeys: kept }, rotated, consumed: [...new Set(consumed)] };
}
