/**
 * Owner commits (seed 001, "Add / Remove / Update group members"): one MLS
 * commit (plaintext PublicMessage) with add / remove proposals and a path
 * update, applied by the owner at once; optionally a long-term rotation
 * from the *new* epoch; then all long-term secrets, sorted and TLS-encoded,
 * sealed as an MLS application message of the new epoch.
 */
import { createApplicationMessage, createCommit, encodeMlsMessage, type LeafIndex, type Proposal } from 'ts-mls';
import { bytesEqual } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import type { MlsDeps } from './config.js';
import { deriveLongTermSecret } from './create.js';
import { encodeSecretGroupCommit } from './documents.js';
import { isOwner, latestSecret, loadMls, saveMls, type SecretGroupState } from './group-state.js';
import { verifyKeyPackageDocument } from './key-package.js';
import { encodeLongTermSecrets } from './long-term-secret.js';
import { callMls, findMemberLeaf } from './mls-adapter.js';

/** What an owner commit does. An empty input is a pure update (fresh path secrets). */
export interface CommitInput {
  /** KeyPackage documents of members to add (a Welcome is produced). */
  readonly add?: readonly Uint8Array[];
  /** Identities (Ed25519 public keys) of members to remove. */
  readonly remove?: readonly Uint8Array[];
  /** Rotate the long-term secret after the commit; defaults to true when removing. */
  readonly rotate?: boolean;
}

/** Result of `commitSecretGroup`. */
export interface CommitResult {
  readonly state: SecretGroupState;
  readonly outputs: readonly [{ readonly kind: 'broadcast'; readonly document: Uint8Array; readonly id: Uint8Array }];
}

/**
 * Creates, applies and returns a SecretGroupCommit (owner only).
 * @throws StateError `STATE_NOT_OWNER`, `STATE_REMOVED`, `STATE_ALREADY_MEMBER`, `STATE_UNKNOWN_MEMBER`;
 * UsageError `USAGE_ARGUMENT` (removing ourselves, duplicates); DecodeError / VerifyError for a bad key package.
 * @example
 *   const { state, outputs } = await commitSecretGroup(owner, { add: [keyPackageDocument] }, deps);
 */
export async function commitSecretGroup(state: SecretGroupState, input: CommitInput, deps: MlsDeps): Promise<CommitResult> {
  if (!isOwner(state)) throw new StateError('STATE_NOT_OWNER', 'only the owner commits');
  const mls = loadMls(state, deps);
  const proposals: Proposal[] = [];
  const adding: Uint8Array[] = [];
  for (const document of input.add ?? []) {
    const verified = await verifyKeyPackageDocument(document, deps);
    if (findMemberLeaf(mls, verified.author) !== undefined) throw new StateError('STATE_ALREADY_MEMBER', 'add: already a member');
    if (adding.some((a) => bytesEqual(a, verified.author))) throw new UsageError('USAGE_ARGUMENT', 'add: same member twice');
    adding.push(verified.author);
    proposals.push({ proposalType: 'add', add: { keyPackage: verified.keyPackage } });
  }
  const removing: number[] = [];
  for (const identity of input.remove ?? []) {
    if (bytesEqual(identity, state.self)) throw new UsageError('USAGE_ARGUMENT', 'remove: the owner cannot remove itself');
    const leaf = findMemberLeaf(mls, identity);
    if (leaf === undefined) throw new StateError('STATE_UNKNOWN_MEMBER', 'remove: not a member');
    if (removing.includes(leaf)) throw new UsageError('USAGE_ARGUMENT', 'remove: same member twice');
    removing.push(leaf);
    proposals.push({ proposalType: 'remove', remove: { removed: leaf as LeafIndex } });
  }
  const committed = await callMls('create commit', () => createCommit({ state: mls, cipherSuite: deps.mls }, {
    extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension: adding.length > 0,
  }));
  let secrets = state.secrets;
  if (input.rotate ?? removing.length > 0) {
    const next = (latestSecret(state)?.longTermEpoch ?? -1) + 1;
    secrets = [...secrets, await deriveLongTermSecret(committed.newState, state.groupId, state.group.ltsCiphersuite, next, deps)];
  }
  const sealed = await callMls('seal long-term secrets', () => createApplicationMessage(committed.newState, encodeLongTermSecrets(secrets), deps.mls));
  const document = encodeSecretGroupCommit({
    groupId: state.groupId,
    previous: state.lastCommit,
    mlsCommit: encodeMlsMessage(committed.commit),
    mlsWelcome: committed.welcome === undefined ? null : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: committed.welcome }),
    encryptedLongTermSecrets: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: sealed.privateMessage }),
  });
  const id = deps.crypto.sha256(document);
  const next: SecretGroupState = { ...state, ...saveMls(state, sealed.newState), lastCommit: id, secrets };
  return { state: next, outputs: [{ kind: 'broadcast', document, id }] };
}
