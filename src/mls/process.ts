/**
 * Members' side of commits (seed 001, "Processing commits", "Join existing
 * group"): check the chain and the owner, apply the MLS commit, check we are
 * still a member, open the long-term secrets (sent by the owner) and merge
 * them by epoch. Joining uses the commit's Welcome and a pending key package.
 *
 * Expects commits in chain order: each names the previous commit's id.
 */
import { emptyPskIndex, joinGroup, processPublicMessage, type ClientState } from 'ts-mls';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { bytesEqual, constantTimeEqual } from '../crypto/index.js';
import { StateError, UsageError, VerifyError } from '../errors.js';
import { checkConfig, DEFAULT_SECRET_GROUP_CONFIG, type MlsDeps, type SecretGroupConfig } from './config.js';
import { openApplication } from './application.js';
import { decodeSecretGroup, decodeSecretGroupCommit, type SecretGroupCommitDocument } from './documents.js';
import { loadMls, mlsSuiteNameOf, saveMls, type SecretGroupState } from './group-state.js';
import { createKeyPackageDelete, removePendingKeyPackage, type MemberKeyStore } from './key-package.js';
import { decodeLongTermSecrets, mergeLongTermSecrets, type LongTermSecret } from './long-term-secret.js';
import {
  callMls, decodeKeyPackageMessage, decodePrivateMessage, decodePublicMessage, decodeWelcomeMessage, findMemberLeaf,
  memberAtLeaf, mlsClientConfig,
} from './mls-adapter.js';

/** Outputs of commit processing. */
export type ProcessCommitOutput =
  | { readonly kind: 'secrets'; readonly epochs: readonly number[] }
  | { readonly kind: 'removed' };

/** Opens the commit's long-term secrets and checks the owner sent them. */
async function openSecrets(mls: ClientState, doc: SecretGroupCommitDocument, groupId: Uint8Array, owner: Uint8Array, deps: MlsDeps): Promise<{
  mls: ClientState; secrets: LongTermSecret[];
}> {
  const message = decodePrivateMessage(doc.encryptedLongTermSecrets);
  if (message.epoch !== mls.groupContext.epoch) throw new StateError('STATE_BROKEN_CHAIN', 'commit: secrets not sealed in the new epoch');
  const opened = await openApplication(mls, message, deps);
  if (!bytesEqual(opened.sender, owner)) throw new StateError('STATE_NOT_OWNER', 'commit: long-term secrets not sent by the owner');
  return { mls: opened.state, secrets: decodeLongTermSecrets(opened.plaintext, groupId) };
}

/**
 * Applies a SecretGroupCommit document from the owner.
 * @throws StateError `STATE_DUPLICATE` (already applied), `STATE_BROKEN_CHAIN` (not the next commit),
 * `STATE_NOT_OWNER`, `STATE_REMOVED`; VerifyError `VERIFY_GROUP` / `VERIFY_SIGNATURE` / `VERIFY_AEAD`; DecodeError.
 * State is unchanged on every error.
 */
export async function processCommit(state: SecretGroupState, commit: Uint8Array, deps: MlsDeps): Promise<{
  state: SecretGroupState; outputs: ProcessCommitOutput[];
}> {
  const doc = decodeSecretGroupCommit(commit);
  if (!bytesEqual(doc.groupId, state.groupId)) throw new VerifyError('VERIFY_GROUP', 'commit: other group');
  const id = deps.crypto.sha256(commit);
  if (state.lastCommit !== null && bytesEqual(state.lastCommit, id)) throw new StateError('STATE_DUPLICATE', 'commit: already applied');
  const continues = doc.previous === null ? state.lastCommit === null : state.lastCommit !== null && bytesEqual(doc.previous, state.lastCommit);
  if (!continues) throw new StateError('STATE_BROKEN_CHAIN', 'commit: does not continue our chain');
  const mls = loadMls(state, deps);
  const message = decodePublicMessage(doc.mlsCommit);
  const content = message.content;
  if (!bytesEqual(content.groupId, state.groupId)) throw new VerifyError('VERIFY_GROUP', 'commit: MLS group id differs');
  if (content.epoch !== mls.groupContext.epoch) throw new StateError('STATE_BROKEN_CHAIN', `commit: epoch ${content.epoch}, ours ${mls.groupContext.epoch}`);
  if (content.contentType !== 'commit') throw new StateError('STATE_UNKNOWN_OPERATION', 'commit: not an MLS commit');
  const committer = content.sender.senderType === 'member' ? memberAtLeaf(mls, content.sender.leafIndex) : undefined;
  if (committer === undefined || !bytesEqual(committer, state.group.owner)) throw new StateError('STATE_NOT_OWNER', 'commit: not from the owner');
  const applied = await callMls('apply commit', () => processPublicMessage(mls, message, emptyPskIndex, deps.mls), 'VERIFY_SIGNATURE');
  const after = applied.newState;
  if (after.groupActiveState.kind !== 'active' || findMemberLeaf(after, state.self) === undefined) {
    return { state: { ...state, status: 'removed', mls: new Uint8Array(0), past: [], lastCommit: id }, outputs: [{ kind: 'removed' }] };
  }
  const opened = await openSecrets(after, doc, state.groupId, state.group.owner, deps);
  const known = new Set(state.secrets.map((s) => s.longTermEpoch));
  const secrets = mergeLongTermSecrets(state.secrets, opened.secrets);
  const fresh = secrets.filter((s) => !known.has(s.longTermEpoch)).map((s) => s.longTermEpoch);
  return {
    state: { ...state, ...saveMls(state, opened.mls), lastCommit: id, secrets },
    outputs: [{ kind: 'secrets', epochs: fresh }],
  };
}

/** Input of `joinSecretGroup`. */
export interface JoinInput {
  /** The joiner's identity with the pending key package the Welcome names. */
  readonly identity: MemberKeyStore;
  /** The SecretGroup document. */
  readonly group: Uint8Array;
  /** The SecretGroupCommit document carrying our Welcome. */
  readonly commit: Uint8Array;
  readonly config?: SecretGroupConfig;
}

/** Result of `joinSecretGroup`. */
export interface JoinResult {
  readonly state: SecretGroupState;
  /** The identity store without the consumed key package. */
  readonly identity: MemberKeyStore;
  /** A signed delete record for the used key package, to publish. */
  readonly outputs: readonly [{ readonly kind: 'key_package_delete'; readonly record: Uint8Array }];
}

/**
 * Joins from a commit's Welcome: establishes the MLS state, checks the
 * commit came from the owner, opens the long-term secrets.
 * @throws StateError `STATE_NOT_MEMBER` (no Welcome for us / no pending key package), `STATE_NOT_OWNER`;
 * VerifyError `VERIFY_GROUP`; DecodeError.
 */
export async function joinSecretGroup(input: JoinInput, deps: MlsDeps): Promise<JoinResult> {
  const config = checkConfig(input.config ?? DEFAULT_SECRET_GROUP_CONFIG);
  const group = decodeSecretGroup(input.group);
  const groupId = deps.crypto.sha256(input.group);
  const doc = decodeSecretGroupCommit(input.commit);
  if (!bytesEqual(doc.groupId, groupId)) throw new VerifyError('VERIFY_GROUP', 'join: commit of another group');
  if (doc.mlsWelcome === null) throw new StateError('STATE_NOT_MEMBER', 'join: commit has no Welcome');
  const suite = mlsSuiteNameOf(group.mlsCiphersuite);
  if (deps.mls.name !== suite) throw new UsageError('USAGE_UNSUPPORTED', `join: deps.mls is ${deps.mls.name}, group uses ${suite}`);
  const welcome = decodeWelcomeMessage(doc.mlsWelcome);
  let chosen: { id: Uint8Array; keyPackage: ReturnType<typeof decodeKeyPackageMessage>; init: Uint8Array; hpke: Uint8Array } | undefined;
  for (const pending of input.identity.pending) {
    const keyPackage = decodeKeyPackageMessage(pending.mlsKeyPackage);
    const ref = await callMls('key package ref', () => makeKeyPackageRef(keyPackage, deps.mls.hash));
    if (welcome.secrets.some((s) => constantTimeEqual(s.newMember, ref))) {
      chosen = { id: pending.id, keyPackage, init: pending.initPrivateKey, hpke: pending.hpkePrivateKey };
      break;
    }
  }
  if (chosen === undefined) throw new StateError('STATE_NOT_MEMBER', 'join: the Welcome names none of our key packages');
  const keys = { initPrivateKey: chosen.init, hpkePrivateKey: chosen.hpke, signaturePrivateKey: input.identity.secretKey };
  const picked = chosen;
  const mls = await callMls('join group', () => joinGroup(welcome, picked.keyPackage, keys, emptyPskIndex, deps.mls, undefined, undefined,
    mlsClientConfig(config)), 'VERIFY_AEAD', 'STATE_NOT_MEMBER');
  if (!bytesEqual(mls.groupContext.groupId, groupId)) throw new VerifyError('VERIFY_GROUP', 'join: Welcome of another group');
  const commitMessage = decodePublicMessage(doc.mlsCommit);
  const sender = commitMessage.content.sender;
  const committer = sender.senderType === 'member' ? memberAtLeaf(mls, sender.leafIndex) : undefined;
  if (committer === undefined || !bytesEqual(committer, group.owner) || commitMessage.content.epoch + 1n !== mls.groupContext.epoch) {
    throw new StateError('STATE_NOT_OWNER', 'join: the commit is not the owner\'s commit of this Welcome');
  }
  const opened = await openSecrets(mls, doc, groupId, group.owner, deps);
  const state: SecretGroupState = {
    v: 1, groupId, group, self: input.identity.publicKey, config, status: 'active', ...saveMls({ past: [], config }, opened.mls),
    lastCommit: deps.crypto.sha256(input.commit), secrets: mergeLongTermSecrets([], opened.secrets), nonceCounter: 0,
  };
  return {
    state,
    identity: removePendingKeyPackage(input.identity, picked.id),
    outputs: [{ kind: 'key_package_delete', record: createKeyPackageDelete(input.identity, picked.id, deps) }],
  };
}
