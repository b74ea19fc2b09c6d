/**
 * Owner commits (seed 001, "Add / Remove / Update group members"): one MLS
 * commit (plaintext PublicMessage) with add / remove proposals and a path
 * update, applied by the owner at once; optionally a long-term rotation
 * from the *new* epoch; then all long-term secrets, sorted and TLS-encoded,
 * sealed as an MLS application message of the new epoch.
 */
import { createApplicationMessage, encodeMlsMessage, type LeafIndex, type Proposal } from 'ts-mls';
import { bytesEqual } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import type { MlsDeps } from './config.js';
import { deriveLongTermSecret } from './create.js';
import { signHandover, signSecretGroupCommit, type FormerMember } from './documents.js';
import { isOwner, latestSecret, loadMls, rememberCommit, saveMls, type SecretGroupState } from './group-state.js';
import { verifyKeyPackageDocument } from './key-package.js';
import { proposalKeyPackage } from './proposal.js';
import { encodeLongTermSecrets, secretListAad } from './long-term-secret.js';
import { callMls, findMemberLeaf } from './mls-adapter.js';
import { createMemberCommit } from './member-commit.js';

/** What an owner commit does. An empty input is a pure update (fresh path secrets). */
export interface CommitInput {
  /** KeyPackage documents of members to add (a Welcome is produced). */
  readonly add?: readonly Uint8Array[];
  /** Identities (Ed25519 public keys) of members to remove. */
  readonly remove?: readonly Uint8Array[];
  /** Rotate the long-term secret after the commit; defaults to true when removing. */
  readonly rotate?: boolean;
  /** Hand ownership to this member (a member after the commit); the commit is the old owner's last. */
  readonly handoverTo?: Uint8Array;
  /** Also commit the members' queued proposals (default true). */
  readonly proposals?: boolean;
}

/** A queued proposal the commit could not carry, and why. */
export interface RefusedProposal {
  readonly id: Uint8Array;
  readonly code: string;
}

/** Result of `commitSecretGroup`. */
export interface CommitResult {
  readonly state: SecretGroupState;
  readonly outputs: readonly [{ readonly kind: 'broadcast'; readonly document: Uint8Array; readonly id: Uint8Array }];
  /** Members' proposals this commit settled: carried (`committed`) or refused with an error code. */
  readonly settled: { readonly committed: readonly Uint8Array[]; readonly refused: readonly RefusedProposal[] };
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
  const removedIds: Uint8Array[] = [];
  for (const identity of input.remove ?? []) {
    if (bytesEqual(identity, state.self)) throw new UsageError('USAGE_ARGUMENT', 'remove: the owner cannot remove itself');
    const leaf = findMemberLeaf(mls, identity);
    if (leaf === undefined) throw new StateError('STATE_UNKNOWN_MEMBER', 'remove: not a member');
    if (removing.includes(leaf)) throw new UsageError('USAGE_ARGUMENT', 'remove: same member twice');
    removing.push(leaf);
    removedIds.push(identity);
    proposals.push({ proposalType: 'remove', remove: { removed: leaf as LeafIndex } });
  }
  const committedIds: Uint8Array[] = [];
  const refused: RefusedProposal[] = [];
  for (const queued of input.proposals === false ? [] : state.proposals) {
    try {
      if (queued.action === 'add') {
        const verified = await verifyKeyPackageDocument(proposalKeyPackage(queued, state.groupId, deps), deps);
        if (findMemberLeaf(mls, verified.author) !== undefined) throw new StateError('STATE_ALREADY_MEMBER', 'add: already a member');
        if (!adding.some((a) => bytesEqual(a, verified.author))) {
          adding.push(verified.author);
          proposals.push({ proposalType: 'add', add: { keyPackage: verified.keyPackage } });
        }
      } else if (queued.action === 'remove') {
        if (bytesEqual(queued.subject, state.self)) throw new UsageError('USAGE_ARGUMENT', 'remove: the owner cannot remove itself');
        const leaf = findMemberLeaf(mls, queued.subject);
        if (leaf === undefined) throw new StateError('STATE_UNKNOWN_MEMBER', 'remove: not a member');
        if (!removing.includes(leaf)) {
          removing.push(leaf);
          removedIds.push(queued.subject);
          proposals.push({ proposalType: 'remove', remove: { removed: leaf as LeafIndex } });
        }
      }
      committedIds.push(queued.id);
    } catch (error) {
      refused.push({ id: queued.id, code: (error as { code?: string }).code ?? 'INTERNAL' });
    }
  }
  // Our own commit path (member-commit.ts): ts-mls createCommit's bytes, without re-hashing the unchanged tree.
  const committed = await callMls('create commit', () => createMemberCommit(mls, proposals, { ratchetTreeExtension: adding.length > 0 }, deps.mls));
  const handoverTo = input.handoverTo;
  if (handoverTo !== undefined && (bytesEqual(handoverTo, state.self) || findMemberLeaf(committed.newState, handoverTo) === undefined)) {
    throw new UsageError('USAGE_ARGUMENT', 'handover: the next owner must be another member after the commit');
  }
  let secrets = state.secrets;
  const heldUntil = latestSecret(state)?.longTermEpoch ?? 0;
  if (input.rotate ?? removing.length > 0) {
    const next = heldUntil + 1;
    secrets = [...secrets, await deriveLongTermSecret(committed.newState, state.groupId, state.group.ltsCiphersuite, next, deps)];
  }
  const mlsCommit = encodeMlsMessage(committed.commit);
  const sealed = await callMls('seal long-term secrets', () => createApplicationMessage(committed.newState, encodeLongTermSecrets(secrets), deps.mls,
    secretListAad(deps.crypto, mlsCommit)));
  const former = recordFormer(state.former, removedIds, heldUntil);
  const mlsWelcome = committed.welcome === undefined ? null : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: committed.welcome });
  const handover = handoverTo === undefined ? null : signHandover(deps.crypto, mls.signaturePrivateKey, state.groupId, state.handovers.length, handoverTo);
  const signed = signSecretGroupCommit(deps.crypto, mls.signaturePrivateKey, {
    groupId: state.groupId,
    previous: state.lastCommit,
    mlsCommit,
    mlsWelcome,
    encryptedLongTermSecrets: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: sealed.privateMessage }),
    handovers: state.handovers,
    handover,
    former: mlsWelcome === null ? [] : former,
    settled: [...committedIds, ...refused.map((r) => r.id)].sort((a, b) => compareBytes(a, b)),
  });
  const handovers = handover === null ? state.handovers : [...state.handovers, handover];
  const next: SecretGroupState = {
    ...state, ...saveMls(state, sealed.newState, deps.now()), lastCommit: signed.id, recentCommits: rememberCommit(state.recentCommits, signed.id), secrets, former, handovers, owner: handoverTo ?? state.owner,
    proposals: input.proposals === false ? state.proposals : [],
  };
  return { state: next, outputs: [{ kind: 'broadcast', document: signed.document, id: signed.id }], settled: { committed: committedIds, refused } };
}

/** Former members after removing `removed`, who held long-term secrets up to epoch `until`. */
export function recordFormer(former: readonly FormerMember[], removed: readonly Uint8Array[], until: number): FormerMember[] {
  const out = former.filter((f) => !removed.some((r) => bytesEqual(r, f.member)));
  for (const member of removed) {
    const before = former.find((f) => bytesEqual(f.member, member));
    out.push({ member: member.slice(), until: Math.max(until, before?.until ?? 0) });
  }
  return out.sort((a, b) => compareBytes(a.member, b.member));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}
