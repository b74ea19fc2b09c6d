/**
 * mls — the "Secret Group" of seed 001 on ts-mls (RFC 9420): one owner
 * orders commits; members share long-term secrets (late joiners read
 * history) and sender-ratchet secrets (MLS application messages, forward
 * secrecy). Every operation is async (ts-mls is) and pure:
 * `(state, input, deps) -> Promise<{ state, outputs }>` over plain data.
 */
export type { MlsDeps, SecretGroupConfig } from './config.js';
export {
  DEFAULT_SECRET_GROUP_CONFIG, KEY_PACKAGE_LIFETIME_SECONDS, MAX_DOCUMENT_BYTES, MAX_FORWARD_STEPS, MAX_LONG_TERM_SECRETS, MAX_RETAIN_EPOCHS,
  MAX_RETAIN_GENERATIONS,
} from './config.js';
export type { FormerMember, Handover, SecretGroupCommitDocument, SecretGroupDocument } from './documents.js';
export { commitId, decodeSecretGroup, decodeSecretGroupCommit, encodeSecretGroup, encodeSecretGroupCommit } from './documents.js';
export type { LongTermSecret, LongTermSecretCiphersuite } from './long-term-secret.js';
export {
  decodeLongTermSecrets, encodeLongTermSecrets, LONG_TERM_NONCE_LABEL, LONG_TERM_SECRET_CIPHERSUITES, LONG_TERM_SECRET_LABEL, mergeLongTermSecrets,
} from './long-term-secret.js';
export type { KeyPackageDelete, KeyPackageDocument, MemberKeyStore, PendingKeyPackage } from './key-package.js';
export {
  checkKeyPackageLifetime, createKeyPackage, createKeyPackageDelete, createMemberKeyStore, decodeKeyPackageDocument, decodeMemberKeyStore,
  encodeKeyPackageDocument, encodeMemberKeyStore, KEY_PACKAGE_POOL_SIZE, replenishKeyPackages, SUPPORTED_MLS_SUITES, verifyKeyPackageDelete,
  verifyKeyPackageDocument,
} from './key-package.js';
export type { KeyPackageRegistry, KeyPackageTombstone, RegisteredKeyPackage } from './key-registry.js';
export {
  applyKeyPackageDelete, countKeyPackages, createKeyPackageRegistry, decodeKeyPackageRegistry, encodeKeyPackageRegistry, pruneKeyPackages, registerKeyPackage,
  takeKeyPackage,
} from './key-registry.js';
export type { PendingProposal, SecretGroupState } from './group-state.js';
export { decodeSecretGroupState, encodeSecretGroupState, isOwner } from './group-state.js';
export type { CreateSecretGroupInput, CreateSecretGroupResult } from './create.js';
export { createSecretGroup, rotateLongTermSecret } from './create.js';
export type { CommitInput, CommitResult, RefusedProposal } from './commit.js';
export { commitSecretGroup } from './commit.js';
export type { JoinInput, JoinResult, ProcessCommitOutput } from './process.js';
export { joinSecretGroup, processCommit } from './process.js';
export type { DecryptedMessage, LongTermSecretCiphertext } from './encrypt.js';
export {
  decodeLongTermSecretCiphertext, decryptLongTerm, decryptSecretGroupMessage, decryptSenderRatchet, encryptLongTerm, encryptSenderRatchet,
} from './encrypt.js';
export { groupMembers } from './members.js';
export { createMlsCiphersuite } from './ciphersuite.js';
export type { ProposalRequest, VerifiedProposal } from './proposal.js';
export { proposeSecretGroup, receiveProposal, verifyProposalDocument } from './proposal.js';
export type { SecretGroupAction, SecretGroupInput, SecretGroupOutput, SecretGroupStep, SecretGroupView } from './driver.js';
export { actSecretGroup, commitPosition, receiveSecretGroup, secretGroupDocumentKind, viewSecretGroup } from './driver.js';
