/**
 * Members' side of commits (seed 001, "Processing commits", "Join existing
 * group"): check the chain, the owner's signature over the whole document
 * and the MLS commit's sender, apply the MLS commit, check we are still a
 * member, open the long-term secrets (the owner's first message of the new
 * epoch, bound to this commit) and merge them by epoch. Joining uses the
 * commit's Welcome and a pending key package, and checks the commit too.
 *
 * Expects commits in chain order: each names the previous commit's id.
 */
import { emptyPskIndex, joinGroup, type ClientState } from 'ts-mls';
import { verifyConfirmationTag } from 'ts-mls/framedContent.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { bytesEqual, constantTimeEqual } from '../crypto/index.js';
import { StateError, UsageError, VerifyError } from '../errors.js';
import { checkConfig, DEFAULT_SECRET_GROUP_CONFIG, type MlsDeps, type SecretGroupConfig } from './config.js';
import { openApplication } from './application.js';
import {
  commitId, decodeSecretGroup, decodeSecretGroupCommit, ownerAfter, verifyCommitSignature, type Handover, type SecretGroupCommitDocument,
} from './documents.js';
import { latestSecret, loadMls, mlsSuiteNameOf, rememberCommit, saveMls, type PendingProposal, type SecretGroupState } from './group-state.js';
import { createKeyPackageDelete, removePendingKeyPackage, type MemberKeyStore } from './key-package.js';
import { decodeLongTermSecrets, mergeLongTermSecrets, secretListAad, type LongTermSecret } from './long-term-secret.js';
import {
  callMls, decodeKeyPackageMessage, decodePrivateMessage, decodePublicMessage, decodeWelcomeMessage, findMemberLeaf,
  memberAtLeaf, memberIdentities, mlsClientConfig,
} from './mls-adapter.js';
import { recordFormer } from './commit.js';
import { processMemberCommit } from './member-process.js';

/** Outputs of commit processing. */
export type ProcessCommitOutput =
  | { readonly kind: 'secrets'; readonly epochs: readonly number[] }
  | { readonly kind: 'membership'; readonly added: readonly Uint8Array[]; readonly removed: readonly Uint8Array[] }
  | { readonly kind: 'owner'; readonly owner: Uint8Array }
  /** Our own proposals the commit did not settle (the owner had not seen them): propose them again. */
  | { readonly kind: 'dropped'; readonly proposals: readonly PendingProposal[] }
  | { readonly kind: 'removed' };

/**
 * Opens the commit's long-term secrets: the owner's generation-0 application
 * message of the new epoch, with the commit-bound authenticated data.
 */
async function openSecrets(mls: ClientState, doc: SecretGroupCommitDocument, groupId: Uint8Array, owner: Uint8Array, deps: MlsDeps): Promise<{
  mls: ClientState; secrets: LongTermSecret[];
}> {
  const message = decodePrivateMessage(doc.encryptedLongTermSecrets);
  if (message.epoch !== mls.groupContext.epoch) throw new StateError('STATE_BROKEN_CHAIN', 'commit: secrets not sealed in the new epoch');
  if (!constantTimeEqual(message.authenticatedData, secretListAad(deps.crypto, doc.mlsCommit))) {
    throw new VerifyError('VERIFY_AEAD', 'commit: long-term secrets are not bound to this commit');
  }
  const opened = await openApplication(mls, message, deps, { generation: 0 });
  if (!bytesEqual(opened.sender, owner)) throw new StateError('STATE_NOT_OWNER', 'commit: long-term secrets not sent by the owner');
  return { mls: opened.state, secrets: decodeLongTermSecrets(opened.plaintext, groupId) };
}

/**
 * Checks the hand-overs a commit lists against ours and its own new one.
 * @returns the owner after the commit.
 */
function checkHandovers(state: SecretGroupState, doc: SecretGroupCommitDocument, deps: MlsDeps): { owner: Uint8Array; handovers: readonly Handover[] } {
  const same = doc.handovers.length === state.handovers.length
    && doc.handovers.every((h, i) => bytesEqual(h.to, state.handovers[i]?.to ?? new Uint8Array(0)) && bytesEqual(h.signature, state.handovers[i]?.signature ?? new Uint8Array(0)));
  if (!same) throw new StateError('STATE_NOT_OWNER', 'commit: its hand-overs differ from ours');
  if (doc.handover === null) return { owner: state.owner, handovers: state.handovers };
  const handovers = [...state.handovers, doc.handover];
  return { owner: ownerAfter(deps.crypto, state.groupId, state.group.owner, handovers), handovers };
}

/**
 * Applies a SecretGroupCommit document from the owner.
 * @throws StateError `STATE_DUPLICATE` (already applied), `STATE_BROKEN_CHAIN` (forks off our chain),
 * `STATE_CAUSALITY` (its previous commit is not applied yet: retry later),
 * `STATE_NOT_OWNER`, `STATE_REMOVED`; VerifyError `VERIFY_KEY` (a secret epoch beyond ours + 1), `VERIFY_GROUP` / `VERIFY_SIGNATURE` / `VERIFY_AEAD`; DecodeError.
 * State is unchanged on every error.
 */
export async function processCommit(state: SecretGroupState, commit: Uint8Array, deps: MlsDeps): Promise<{
  state: SecretGroupState; outputs: ProcessCommitOutput[];
}> {
  const doc = decodeSecretGroupCommit(commit);
  if (!bytesEqual(doc.groupId, state.groupId)) throw new VerifyError('VERIFY_GROUP', 'commit: other group');
  const id = commitId(deps.crypto, doc);
  if (state.recentCommits.some((c) => bytesEqual(c, id))) throw new StateError('STATE_DUPLICATE', 'commit: already applied');
  const continues = doc.previous === null ? state.lastCommit === null : state.lastCommit !== null && bytesEqual(doc.previous, state.lastCommit);
  if (!continues) {
    const forks = doc.previous === null || state.recentCommits.some((c) => bytesEqual(c, doc.previous ?? new Uint8Array(0)));
    if (forks) throw new StateError('STATE_BROKEN_CHAIN', 'commit: forks off our chain (its previous commit already has a successor)');
    throw new StateError('STATE_CAUSALITY', 'commit: its previous commit has not been applied yet');
  }
  if (!verifyCommitSignature(deps.crypto, doc, state.owner)) throw new VerifyError('VERIFY_SIGNATURE', 'commit: not signed by the owner');
  const nextOwner = checkHandovers(state, doc, deps);
  const mls = loadMls(state, deps);
  const message = decodePublicMessage(doc.mlsCommit);
  const content = message.content;
  if (!bytesEqual(content.groupId, state.groupId)) throw new VerifyError('VERIFY_GROUP', 'commit: MLS group id differs');
  if (content.epoch !== mls.groupContext.epoch) throw new StateError('STATE_BROKEN_CHAIN', `commit: epoch ${content.epoch}, ours ${mls.groupContext.epoch}`);
  if (content.contentType !== 'commit') throw new StateError('STATE_UNKNOWN_OPERATION', 'commit: not an MLS commit');
  const committer = content.sender.senderType === 'member' ? memberAtLeaf(mls, content.sender.leafIndex) : undefined;
  if (committer === undefined || !bytesEqual(committer, state.owner)) throw new StateError('STATE_NOT_OWNER', 'commit: not from the owner');
  const before = memberIdentities(mls);
  const heldUntil = latestSecret(state)?.longTermEpoch ?? 0;
  const ownLeaf = mls.privatePath.leafIndex;
  // A commit that removes us cannot be applied by us (no path secret is encrypted to us; ts-mls fails
  // when it also adds members). It is authentic already: the owner signed the document.
  const removesUs = content.contentType === 'commit' && content.commit.proposals.some((p) => p.proposalOrRefType === 'proposal'
    && p.proposal.proposalType === 'remove' && p.proposal.remove.removed === ownLeaf);
  if (removesUs) return removedState(state, id, before, heldUntil, nextOwner);
  // Our own processing path (member-process.ts): ts-mls processPublicMessage's state, without re-hashing the unchanged tree.
  const applied = await callMls('apply commit', () => processMemberCommit(mls, message, deps.mls), 'VERIFY_SIGNATURE');
  const after = applied.newState;
  const now = memberIdentities(after);
  const added = now.filter((m) => !before.some((b) => bytesEqual(b, m)));
  const removed = before.filter((b) => !now.some((m) => bytesEqual(b, m)));
  const former = recordFormer(state.former, removed, heldUntil);
  if (after.groupActiveState.kind !== 'active' || findMemberLeaf(after, state.self) === undefined) return removedState(state, id, before, heldUntil, nextOwner);
  if (doc.handover !== null && findMemberLeaf(after, nextOwner.owner) === undefined) {
    throw new StateError('STATE_NOT_MEMBER', 'commit: hands ownership to a non-member');
  }
  const opened = await openSecrets(after, doc, state.groupId, state.owner, deps);
  const known = new Set(state.secrets.map((s) => s.longTermEpoch));
  const beyond = opened.secrets.find((s) => s.longTermEpoch > heldUntil + 1);
  if (beyond !== undefined) throw new VerifyError('VERIFY_KEY', `commit: long-term epoch ${beyond.longTermEpoch} skips beyond ${heldUntil + 1}`);
  const secrets = mergeLongTermSecrets(state.secrets, opened.secrets);
  const fresh = secrets.filter((s) => !known.has(s.longTermEpoch)).map((s) => s.longTermEpoch);
  const outputs: ProcessCommitOutput[] = [{ kind: 'secrets', epochs: fresh }];
  // our own proposals the owner did not see before committing: report them so the runtime proposes again
  const dropped = state.proposals.filter((p) => bytesEqual(p.from, state.self) && !doc.settled.some((id) => bytesEqual(id, p.id)));
  if (dropped.length > 0) outputs.push({ kind: 'dropped', proposals: dropped });
  if (added.length > 0 || removed.length > 0) outputs.push({ kind: 'membership', added, removed });
  if (doc.handover !== null) outputs.push({ kind: 'owner', owner: nextOwner.owner });
  return {
    state: {
      ...state, ...saveMls(state, opened.mls, deps.now()), lastCommit: id, recentCommits: rememberCommit(state.recentCommits, id), secrets, former, owner: nextOwner.owner, handovers: nextOwner.handovers,
      proposals: settleProposals(state.proposals.filter((p) => !doc.settled.some((id) => bytesEqual(id, p.id))), after, Number(after.groupContext.epoch)),
    },
    outputs,
  };
}

/** Our state once a commit removed us: long-term secrets kept, MLS dropped, the last members count as former. */
function removedState(state: SecretGroupState, id: Uint8Array, before: readonly Uint8Array[], heldUntil: number,
  nextOwner: { owner: Uint8Array; handovers: readonly Handover[] }): { state: SecretGroupState; outputs: ProcessCommitOutput[] } {
  // Once removed we see no more commits: the members of our last epoch count as "former" for long-term history.
  const others = before.filter((m) => !bytesEqual(m, state.self));
  return {
    state: {
      ...state, status: 'removed', mls: new Uint8Array(0), past: [], lastCommit: id, recentCommits: rememberCommit(state.recentCommits, id),
      former: recordFormer(state.former, others, heldUntil), proposals: [], owner: nextOwner.owner, handovers: nextOwner.handovers,
    },
    outputs: [{ kind: 'removed' }],
  };
}

/**
 * Drops pending proposals a commit settled or made moot: added / removed already, proposer gone, or made
 * before this commit (the owner never saw it; its author proposes again, see `droppedProposals`).
 */
function settleProposals(proposals: SecretGroupState['proposals'], after: ClientState, epoch: number): SecretGroupState['proposals'] {
  return proposals.filter((p) => {
    if (p.epoch < epoch) return false;
    if (findMemberLeaf(after, p.from) === undefined) return false;
    if (p.action === 'add') return findMemberLeaf(after, p.subject) === undefined;
    if (p.action === 'remove') return findMemberLeaf(after, p.subject) !== undefined;
    return true;
  });
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
 * Joins from a commit's Welcome: checks the owner (creator, then signed
 * hand-overs) signed the whole commit document, establishes the MLS state,
 * checks the MLS commit came from the owner's leaf and carries this epoch's
 * confirmation tag, opens the long-term secrets.
 * @throws StateError `STATE_NOT_MEMBER` (no Welcome for us / no pending key package), `STATE_NOT_OWNER`;
 * VerifyError `VERIFY_GROUP`, `VERIFY_SIGNATURE`; DecodeError.
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
  const committerOwner = ownerAfter(deps.crypto, groupId, group.owner, doc.handovers);
  if (!verifyCommitSignature(deps.crypto, doc, committerOwner)) throw new VerifyError('VERIFY_SIGNATURE', 'join: commit not signed by the owner');
  const handovers = doc.handover === null ? doc.handovers : [...doc.handovers, doc.handover];
  const owner = ownerAfter(deps.crypto, groupId, group.owner, handovers);
  const welcome = decodeWelcomeMessage(doc.mlsWelcome);
  const commitMessage = decodePublicMessage(doc.mlsCommit);
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
  const content = commitMessage.content;
  const committer = content.sender.senderType === 'member' ? memberAtLeaf(mls, content.sender.leafIndex) : undefined;
  if (committer === undefined || !bytesEqual(committer, committerOwner) || content.epoch + 1n !== mls.groupContext.epoch
    || content.contentType !== 'commit' || !bytesEqual(content.groupId, groupId)) {
    throw new StateError('STATE_NOT_OWNER', 'join: the commit is not the owner\'s commit of this Welcome');
  }
  // The commit must carry the confirmation tag of the epoch the Welcome leads into.
  const tag = commitMessage.auth.contentType === 'commit' ? commitMessage.auth.confirmationTag : new Uint8Array(0);
  const confirmed = await callMls('check confirmation tag', () => verifyConfirmationTag(mls.keySchedule.confirmationKey, tag,
    mls.groupContext.confirmedTranscriptHash, deps.mls.hash));
  if (!confirmed) throw new VerifyError('VERIFY_SIGNATURE', 'join: the commit\'s confirmation tag does not match the Welcome\'s epoch');
  if (findMemberLeaf(mls, owner) === undefined) throw new StateError('STATE_NOT_MEMBER', 'join: the owner is not a member');
  const opened = await openSecrets(mls, doc, groupId, committerOwner, deps);
  const state: SecretGroupState = {
    v: 2, groupId, group, self: input.identity.publicKey, config, owner, handovers, former: [...doc.former], proposals: [],
    status: 'active', ...saveMls({ past: [], config }, opened.mls, deps.now()),
    lastCommit: commitId(deps.crypto, doc), recentCommits: [commitId(deps.crypto, doc)], secrets: mergeLongTermSecrets([], opened.secrets), nonceCounter: 0,
  };
  return {
    state,
    identity: removePendingKeyPackage(input.identity, picked.id),
    outputs: [{ kind: 'key_package_delete', record: createKeyPackageDelete(input.identity, picked.id, deps) }],
  };
}
