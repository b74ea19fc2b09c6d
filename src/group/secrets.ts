/**
 * Data-scheme secret management through the Group API (forward secrecy on
 * request): list and delete group secrets.
 */
import { deleteSecrets, listSecrets } from '../data/index.js';
import { UsageError } from '../errors.js';
import type { GroupState } from './types.js';

function dataOf(state: GroupState): NonNullable<GroupState['data']> {
  if (!state.data) throw new UsageError('USAGE_UNSUPPORTED', 'group secrets exist in the data scheme only');
  return state.data;
}

/**
 * Deletes group secrets (each member's latest is kept): those derived before
 * `olderThan` (UNIX seconds), or all but the latest. Ciphertexts under a
 * deleted secret then fail with `STATE_MISSING_SECRET`.
 * @returns the new state and the deleted secret values (wipe them after commit).
 * @throws UsageError `USAGE_UNSUPPORTED` for a message-scheme group; `USAGE_ARGUMENT` without an option.
 */
export function deleteGroupSecrets(state: GroupState, input: { readonly olderThan?: number; readonly allButLatest?: boolean }): { readonly state: GroupState; readonly consumed: readonly Uint8Array[] } {
  const out = deleteSecrets(dataOf(state), input);
  return { state: { ...state, data: out.state }, consumed: out.consumed };
}

/**
 * Public facts about the group secrets held (id, timestamp, member, epoch), newest first.
 * @throws UsageError `USAGE_UNSUPPORTED` for a message-scheme group.
 */
export function groupSecrets(state: GroupState): ReturnType<typeof listSecrets> {
  return listSecrets(dataOf(state));
}
