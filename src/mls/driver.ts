/**
 * One entry point for a runtime (the Peer): pure calls
 * `(state, input) -> { state, outputs }` over the Secret Group, where
 * outputs are what to publish, delivered plaintext, membership and owner
 * changes, and what was skipped (with a stable error code, and whether it
 * may succeed later). Bad input never changes state and never throws here:
 * it comes back as `skipped`.
 *
 *     act(state, {kind:'send'|'add'|'remove'|'update'|'rotate'|'handover'|'commit'})
 *     receive(state, {kind:'commit'|'proposal'|'message', ...})
 *     view(state) -> members, owner, pending proposals
 *
 * Who commits: the owner. A member's add / remove / update becomes a
 * proposal document; the owner commits all queued proposals with its next
 * commit (`act(owner, {kind:'commit'})` flushes them). While the owner is
 * offline, proposals wait in every member's queue (nothing is lost, and a
 * new owner after a hand-over has them too).
 */
import { bytesEqual, decodeCanonical, asRecord, readText } from '../crypto/index.js';
import { GroupCryptError, StateError } from '../errors.js';
import { MAX_DOCUMENT_BYTES, type MlsDeps } from './config.js';
import { commitSecretGroup, type CommitInput, type RefusedProposal } from './commit.js';
import { commitId, decodeSecretGroupCommit } from './documents.js';
import { decryptSecretGroupMessage, encryptLongTerm, encryptSenderRatchet } from './encrypt.js';
import { isOwner, latestSecret, loadMls, type PendingProposal, type SecretGroupState } from './group-state.js';
import { memberIdentities } from './mls-adapter.js';
import { processCommit } from './process.js';
import { proposeSecretGroup, receiveProposal } from './proposal.js';

/** Something the user of a group does. */
export type SecretGroupAction =
  | { readonly kind: 'send'; readonly plaintext: Uint8Array; readonly scheme: 'long_term' | 'sender_ratchet'; readonly aad?: Uint8Array }
  | { readonly kind: 'add'; readonly keyPackage: Uint8Array }
  | { readonly kind: 'remove'; readonly member: Uint8Array }
  | { readonly kind: 'update' }
  /** Owner: a new long-term secret, announced by a commit. */
  | { readonly kind: 'rotate' }
  /** Owner: hand ownership to a member by a commit. */
  | { readonly kind: 'handover'; readonly to: Uint8Array }
  /** Owner: commit the queued proposals now (no-op when none are queued). */
  | { readonly kind: 'commit' };

/** Something that arrived from the transport. */
export type SecretGroupInput =
  | { readonly kind: 'commit'; readonly document: Uint8Array }
  | { readonly kind: 'proposal'; readonly document: Uint8Array }
  | { readonly kind: 'message'; readonly message: Uint8Array; readonly aad?: Uint8Array };

/** What a call produced. */
export type SecretGroupOutput =
  | { readonly kind: 'publish'; readonly type: 'commit' | 'proposal' | 'message'; readonly bytes: Uint8Array; readonly id?: Uint8Array }
  | {
    readonly kind: 'delivered'; readonly plaintext: Uint8Array; readonly sender: Uint8Array; readonly scheme: 'long_term' | 'sender_ratchet';
    readonly epoch: number;
  }
  | { readonly kind: 'membership'; readonly added: readonly Uint8Array[]; readonly removed: readonly Uint8Array[] }
  | { readonly kind: 'owner'; readonly owner: Uint8Array }
  | { readonly kind: 'secrets'; readonly epochs: readonly number[] }
  | { readonly kind: 'pending'; readonly proposal: PendingProposal }
  | { readonly kind: 'refused'; readonly proposals: readonly RefusedProposal[] }
  | { readonly kind: 'removed' }
  /** Not applied. `retry`: it may apply after more commits arrive (ahead of us); otherwise it never will. */
  | { readonly kind: 'skipped'; readonly code: string; readonly reason: string; readonly retry: boolean; readonly id?: Uint8Array };

/** Result of every driver call. */
export interface SecretGroupStep {
  readonly state: SecretGroupState;
  readonly outputs: readonly SecretGroupOutput[];
}

/** Codes after which the same input may succeed once earlier commits are applied. */
const RETRY_CODES = new Set(['STATE_UNKNOWN_EPOCH', 'STATE_CAUSALITY']);

function skipped(state: SecretGroupState, error: unknown, id?: Uint8Array): SecretGroupStep {
  if (!(error instanceof GroupCryptError)) throw error;
  const retry = RETRY_CODES.has(error.code) && !/expired|not retained/.test(error.message);
  return { state, outputs: [{ kind: 'skipped', code: error.code, reason: error.message, retry, ...(id === undefined ? {} : { id }) }] };
}

async function ownerCommit(state: SecretGroupState, input: CommitInput, deps: MlsDeps): Promise<SecretGroupStep> {
  const made = await commitSecretGroup(state, input, deps);
  const outputs: SecretGroupOutput[] = [{ kind: 'publish', type: 'commit', bytes: made.outputs[0].document, id: made.outputs[0].id }];
  if (made.settled.refused.length > 0) outputs.push({ kind: 'refused', proposals: made.settled.refused });
  if (input.handoverTo !== undefined) outputs.push({ kind: 'owner', owner: input.handoverTo });
  return { state: made.state, outputs };
}

/**
 * Does what the user asked. The owner commits at once (with every queued
 * proposal); a member publishes a proposal and sees it as pending.
 * Errors are typed (`STATE_NOT_OWNER` for owner-only actions, `STATE_REMOVED`, ...) and thrown:
 * they are the user's mistakes, not the network's.
 */
export async function actSecretGroup(state: SecretGroupState, action: SecretGroupAction, deps: MlsDeps): Promise<SecretGroupStep> {
  switch (action.kind) {
    case 'send': {
      const sent = action.scheme === 'long_term'
        ? await encryptLongTerm(state, action.plaintext, deps, action.aad)
        : await encryptSenderRatchet(state, action.plaintext, deps, action.aad);
      return { state: sent.state, outputs: [{ kind: 'publish', type: 'message', bytes: sent.outputs[0].message }] };
    }
    case 'rotate': {
      if (!isOwner(state)) throw new StateError('STATE_NOT_OWNER', 'only the owner rotates long-term secrets');
      return ownerCommit(state, { rotate: true }, deps);
    }
    case 'handover':
      return ownerCommit(state, { handoverTo: action.to }, deps);
    case 'commit':
      if (!isOwner(state)) throw new StateError('STATE_NOT_OWNER', 'only the owner commits');
      return state.proposals.length === 0 ? { state, outputs: [] } : ownerCommit(state, {}, deps);
    default:
  }
  if (isOwner(state)) {
    if (action.kind === 'add') return ownerCommit(state, { add: [action.keyPackage] }, deps);
    if (action.kind === 'remove') return ownerCommit(state, { remove: [action.member] }, deps);
    return ownerCommit(state, {}, deps);
  }
  const proposed = proposeSecretGroup(state, action.kind === 'add' ? { action: 'add', keyPackage: action.keyPackage }
    : action.kind === 'remove' ? { action: 'remove', member: action.member } : { action: 'update' }, deps);
  const pending = proposed.state.proposals.find((p) => bytesEqual(p.id, proposed.outputs[0].id));
  return {
    state: proposed.state,
    outputs: [
      { kind: 'publish', type: 'proposal', bytes: proposed.outputs[0].document, id: proposed.outputs[0].id },
      ...(pending === undefined ? [] : [{ kind: 'pending' as const, proposal: pending }]),
    ],
  };
}

/**
 * Applies what arrived: a commit (chain order by `previous`), a member's
 * proposal, or application data. Never throws a groupcrypt error: anything
 * that does not apply is reported as `skipped`, state unchanged.
 */
export async function receiveSecretGroup(state: SecretGroupState, input: SecretGroupInput, deps: MlsDeps): Promise<SecretGroupStep> {
  try {
    switch (input.kind) {
      case 'commit': {
        const applied = await processCommit(state, input.document, deps);
        return { state: applied.state, outputs: applied.outputs.map((o): SecretGroupOutput => o) };
      }
      case 'proposal': {
        const queued = await receiveProposal(state, input.document, deps);
        return { state: queued.state, outputs: [{ kind: 'pending', proposal: queued.outputs[0].proposal }] };
      }
      case 'message': {
        const opened = await decryptSecretGroupMessage(state, input.message, deps, input.aad);
        const m = opened.outputs[0];
        return { state: opened.state, outputs: [{ kind: 'delivered', plaintext: m.plaintext, sender: m.sender, scheme: m.scheme, epoch: m.epoch }] };
      }
    }
  } catch (error) {
    let id: Uint8Array | undefined;
    if (input.kind === 'commit') {
      try { id = commitId(deps.crypto, decodeSecretGroupCommit(input.document)); } catch { id = undefined; }
    }
    return skipped(state, error, id);
  }
}

/** Where a commit document stands relative to our chain (for ordering before `receive`). */
export function commitPosition(state: SecretGroupState, document: Uint8Array, deps: MlsDeps): 'next' | 'applied' | 'later' | 'fork' | 'invalid' {
  try {
    const doc = decodeSecretGroupCommit(document);
    if (!bytesEqual(doc.groupId, state.groupId)) return 'invalid';
    const id = commitId(deps.crypto, doc);
    if (state.recentCommits.some((c) => bytesEqual(c, id))) return 'applied';
    const next = doc.previous === null ? state.lastCommit === null : state.lastCommit !== null && bytesEqual(doc.previous, state.lastCommit);
    if (next) return 'next';
    return doc.previous === null || state.recentCommits.some((c) => bytesEqual(c, doc.previous ?? new Uint8Array(0))) ? 'fork' : 'later';
  } catch {
    return 'invalid';
  }
}

/** The kind of a Secret Group document or message, for routing (`undefined` when it is none of ours). */
export function secretGroupDocumentKind(bytes: Uint8Array): 'group' | 'commit' | 'proposal' | 'message' | 'key_package' | 'key_package_delete' | undefined {
  try {
    const type = readText(asRecord(decodeCanonical(bytes, 'secret group document', MAX_DOCUMENT_BYTES), 'document'), 'type', 'document');
    switch (type) {
      case 'secret_group': return 'group';
      case 'secret_group_commit': return 'commit';
      case 'secret_group_proposal': return 'proposal';
      case 'long_term_secret_ciphertext': case 'mls_ciphertext': return 'message';
      case 'key_package': return 'key_package';
      case 'key_package_delete': return 'key_package_delete';
      default: return undefined;
    }
  } catch {
    return undefined;
  }
}

/** A read-only summary of a group for display (`members` of the command). */
export interface SecretGroupView {
  readonly status: 'active' | 'removed';
  readonly owner: Uint8Array;
  readonly isOwner: boolean;
  /** Current members in leaf order (empty once removed). */
  readonly members: readonly Uint8Array[];
  /** Proposals waiting for the owner's next commit. */
  readonly pending: readonly { readonly id: Uint8Array; readonly from: Uint8Array; readonly action: 'add' | 'remove' | 'update'; readonly subject: Uint8Array }[];
  /** MLS epoch (null once removed). */
  readonly epoch: number | null;
  readonly longTermEpoch: number;
  readonly lastCommit: Uint8Array | null;
}

/** The view of a group. */
export function viewSecretGroup(state: SecretGroupState, deps: MlsDeps): SecretGroupView {
  const mls = state.status === 'active' ? loadMls(state, deps) : undefined;
  return {
    status: state.status,
    owner: state.owner,
    isOwner: isOwner(state),
    members: mls === undefined ? [] : memberIdentities(mls),
    pending: state.proposals.map((p) => ({ id: p.id, from: p.from, action: p.action, subject: p.subject })),
    epoch: mls === undefined ? null : Number(mls.groupContext.epoch),
    longTermEpoch: latestSecret(state)?.longTermEpoch ?? 0,
    lastCommit: state.lastCommit,
  };
}

