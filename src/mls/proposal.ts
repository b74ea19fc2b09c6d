/**
 * Members' proposals (seed 001: "optionally using SecretGroupProposals on
 * the network"): a member who is not the owner asks for an add, a remove or
 * an update with a `SecretGroupProposal` document signed by its identity
 * key (its MLS credential key). Every member queues valid proposals (the
 * pending view); the owner turns them into MLS Add / Remove proposals of its
 * next commit (an update request becomes a path-updating commit), and the
 * commit lists the proposals it settled.
 *
 * Why documents and not MLS proposal messages by reference: an MLS proposal
 * is only valid in the epoch it was made in, while the owner may be offline
 * for many epochs; ts-mls also cannot make Update proposals. The document is
 * authenticated by the same key MLS would sign with, and the owner's commit
 * carries the MLS proposals by value.
 */
import {
  concatBytes, decodeVersionedRecord, encodeCanonical, readBytes, readText, readUint, toHex, utf8,
} from '../crypto/index.js';
import { StateError, UsageError, VerifyError } from '../errors.js';
import { MAX_DOCUMENT_BYTES, MAX_PENDING_PROPOSALS, type MlsDeps } from './config.js';
import { DOCUMENT_ID_LENGTH, readOptionalBytes } from './documents.js';
import { loadMls, type PendingProposal, type SecretGroupState } from './group-state.js';
import { decodeKeyPackageDocument, verifyKeyPackageDocument } from './key-package.js';
import { decodeKeyPackageMessage, findMemberLeaf, IDENTITY_LENGTH } from './mls-adapter.js';

/** What a member asks the owner for. */
export type ProposalRequest =
  | { readonly action: 'add'; readonly keyPackage: Uint8Array }
  | { readonly action: 'remove'; readonly member: Uint8Array }
  | { readonly action: 'update' };

const PROPOSAL_LABEL = utf8('groupcrypt mls secret group proposal v1');
const PROPOSAL_KEYS = ['v', 'type', 'group_id', 'epoch', 'from', 'action', 'key_package', 'member', 'nonce', 'signature'];

interface ProposalFields {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly from: Uint8Array;
  readonly action: 'add' | 'remove' | 'update';
  readonly keyPackage: Uint8Array | null;
  readonly member: Uint8Array | null;
  readonly nonce: Uint8Array;
}

function proposalRecord(p: ProposalFields): Record<string, unknown> {
  return {
    v: 1, type: 'secret_group_proposal', group_id: p.groupId, epoch: p.epoch, from: p.from, action: p.action, key_package: p.keyPackage, member: p.member,
    nonce: p.nonce,
  };
}

function unsignedProposal(p: ProposalFields): Uint8Array {
  return encodeCanonical(proposalRecord(p));
}

/**
 * Signs a proposal of ours (a member of `state`'s group).
 * @returns the document to publish, its id, and the state with the proposal in its pending view.
 * @throws StateError `STATE_REMOVED`, `STATE_LIMIT`; DecodeError for a malformed key package.
 */
export function proposeSecretGroup(state: SecretGroupState, request: ProposalRequest, deps: MlsDeps): {
  state: SecretGroupState; outputs: [{ kind: 'broadcast'; document: Uint8Array; id: Uint8Array }];
} {
  const mls = loadMls(state, deps);
  const fields: ProposalFields = {
    groupId: state.groupId,
    epoch: Number(mls.groupContext.epoch),
    from: state.self,
    action: request.action,
    keyPackage: request.action === 'add' ? request.keyPackage : null,
    member: request.action === 'remove' ? request.member : null,
    nonce: deps.crypto.randomBytes(16),
  };
  const unsigned = unsignedProposal(fields);
  // our MLS signature key is our identity key (basic credential = Ed25519 public key)
  const signature = deps.crypto.ed25519Sign(mls.signaturePrivateKey, concatBytes(PROPOSAL_LABEL, unsigned));
  const document = encodeCanonical({ ...proposalRecord(fields), signature });
  const id = deps.crypto.sha256(unsigned);
  return { state: queue(state, { id, from: state.self, action: request.action, subject: subject(request, state.self), document }), outputs: [{ kind: 'broadcast', document, id }] };
}

/** Who a request is about: the removed member, the proposer for an update, the key package's credential for an add. */
function subject(request: ProposalRequest, self: Uint8Array): Uint8Array {
  if (request.action === 'remove') return request.member;
  if (request.action === 'update') return self;
  const leaf = decodeKeyPackageMessage(decodeKeyPackageDocument(request.keyPackage).mlsKeyPackage).leafNode;
  return leaf.credential.credentialType === 'basic' ? leaf.credential.identity : leaf.signaturePublicKey;
}

function queue(state: SecretGroupState, proposal: PendingProposal): SecretGroupState {
  if (state.proposals.some((p) => toHex(p.id) === toHex(proposal.id))) return state;
  if (state.proposals.length >= MAX_PENDING_PROPOSALS) throw new StateError('STATE_LIMIT', 'too many pending proposals');
  return { ...state, proposals: [...state.proposals, proposal].sort((a, b) => toHex(a.id).localeCompare(toHex(b.id))) };
}

/** A decoded, signature-checked proposal. */
export interface VerifiedProposal extends ProposalFields {
  readonly id: Uint8Array;
}

/**
 * Decodes a SecretGroupProposal and checks its signature (no membership check).
 * @throws DecodeError; VerifyError `VERIFY_SIGNATURE`, `VERIFY_GROUP`.
 */
export function verifyProposalDocument(bytes: Uint8Array, groupId: Uint8Array, deps: MlsDeps): VerifiedProposal {
  const what = 'SecretGroupProposal';
  const record = decodeVersionedRecord(bytes, what, 1, PROPOSAL_KEYS, MAX_DOCUMENT_BYTES);
  readText(record, 'type', what, ['secret_group_proposal']);
  const fields: ProposalFields = {
    groupId: readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH),
    epoch: readUint(record, 'epoch', what),
    from: readBytes(record, 'from', what, IDENTITY_LENGTH),
    action: readText(record, 'action', what, ['add', 'remove', 'update'] as const),
    keyPackage: readOptionalBytes(record, 'key_package', what, { max: MAX_DOCUMENT_BYTES }),
    member: readOptionalBytes(record, 'member', what, IDENTITY_LENGTH),
    nonce: readBytes(record, 'nonce', what, 16),
  };
  if ((fields.action === 'add') !== (fields.keyPackage !== null) || (fields.action === 'remove') !== (fields.member !== null)) {
    throw new VerifyError('VERIFY_SIGNATURE', `${what}: fields do not match the action`);
  }
  if (toHex(fields.groupId) !== toHex(groupId)) throw new VerifyError('VERIFY_GROUP', `${what}: other group`);
  const unsigned = unsignedProposal(fields);
  if (!deps.crypto.ed25519Verify(fields.from, concatBytes(PROPOSAL_LABEL, unsigned), readBytes(record, 'signature', what, 64))) {
    throw new VerifyError('VERIFY_SIGNATURE', `${what}: bad signature`);
  }
  return { ...fields, id: deps.crypto.sha256(unsigned) };
}

/**
 * Queues a member's proposal (every member does: the pending view; the
 * owner commits them). Already queued: unchanged.
 * @throws VerifyError `VERIFY_SIGNATURE`, `VERIFY_GROUP`, `VERIFY_SENDER` (proposer is not a member);
 * StateError `STATE_REMOVED`, `STATE_LIMIT`; DecodeError; for an add, the key package's errors.
 */
export async function receiveProposal(state: SecretGroupState, document: Uint8Array, deps: MlsDeps): Promise<{
  state: SecretGroupState; outputs: [{ kind: 'proposal'; proposal: PendingProposal }];
}> {
  const p = verifyProposalDocument(document, state.groupId, deps);
  const mls = loadMls(state, deps);
  if (findMemberLeaf(mls, p.from) === undefined) throw new VerifyError('VERIFY_SENDER', 'proposal: the proposer is not a member');
  let subject = p.member ?? p.from;
  if (p.keyPackage !== null) subject = (await verifyKeyPackageDocument(p.keyPackage, deps)).author;
  const proposal: PendingProposal = { id: p.id, from: p.from, action: p.action, subject, document: document.slice() };
  return { state: queue(state, proposal), outputs: [{ kind: 'proposal', proposal }] };
}

/** The key package document of a queued add proposal. */
export function proposalKeyPackage(proposal: PendingProposal, groupId: Uint8Array, deps: MlsDeps): Uint8Array {
  const p = verifyProposalDocument(proposal.document, groupId, deps);
  if (p.keyPackage === null) throw new UsageError('USAGE_ARGUMENT', 'not an add proposal');
  return p.keyPackage;
}
