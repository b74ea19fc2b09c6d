/** Read-only queries on a Secret Group state. */
import type { MlsDeps } from './config.js';
import { loadMls, type SecretGroupState } from './group-state.js';
import { memberIdentities } from './mls-adapter.js';

/**
 * Identities (Ed25519 public keys) of the current members, in leaf order.
 * @throws StateError `STATE_REMOVED` once we were removed.
 */
export function groupMembers(state: SecretGroupState, deps: MlsDeps): Uint8Array[] {
  return memberIdentities(loadMls(state, deps));
}
