/**
 * A member processing a member's commit: the same RFC 9420 §12.4.2 steps as
 * ts-mls's `processPublicMessage` (its `processCommit`, `applyTreeUpdate`
 * and `applyUpdatePath`), the same checks in the same order, the same new
 * state (test/mls/member-process.test.ts compares its bytes with stock's),
 * with what does not depend on the commit's size taken out as on the
 * sender's side (member-commit.ts):
 *
 * - the parent hashes of the UpdatePath and the new tree hashes reuse the
 *   hashes of unchanged subtrees (tree-hash.ts): stock re-hashes all ~255
 *   nodes three times per commit at n = 128 (766 SHA-256 runs);
 * - the new epoch's secret tree is derived with constant KDFLabels
 *   (secret-tree.ts): stock builds each of its 764 labels afresh.
 *
 * Secret hygiene is at least stock's: the path secrets from the decrypted
 * one up to the root and the node secrets are wiped once the keys and the
 * commit secret are derived (stock leaves them to the garbage collector);
 * commit, encryption and joiner secrets as in stock.
 * Anything but a plaintext commit by a member goes to stock ts-mls.
 */
import {
  emptyPskIndex, processPublicMessage, type CiphersuiteImpl, type ClientState, type LeafIndex, type PskIndex, type PublicMessage, type RatchetTree,
} from 'ts-mls';
import {
  addHistoricalReceiverData, applyProposals, nextEpochContext, throwIfDefined, validateLeafNodeCredentialAndKeyUniqueness, validateLeafNodeUpdateOrCommit,
} from 'ts-mls/clientState.js';
import { applyUpdatePathSecret } from 'ts-mls/createCommit.js';
import { deriveSecret } from 'ts-mls/crypto/kdf.js';
import { verifyConfirmationTag } from 'ts-mls/framedContent.js';
import type { GroupContext } from 'ts-mls/groupContext.js';
import { initializeEpoch } from 'ts-mls/keySchedule.js';
import { unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js';
import { CryptoVerificationError, InternalError, ValidationError } from 'ts-mls/mlsError.js';
import { mergePrivateKeyPaths, type PrivateKeyPath } from 'ts-mls/privateKeyPath.js';
import { filteredDirectPath, findBlankLeafNodeIndex, findFirstNonBlankAncestor } from 'ts-mls/ratchetTree.js';
import { directPath, leafToNodeIndex, leafWidth, root, toLeafIndex, toNodeIndex, type NodeIndex } from 'ts-mls/treemath.js';
import type { UpdatePath } from 'ts-mls/updatePath.js';
import { constantTimeEqual, zeroize } from '../crypto/index.js';
import { createSecretTreeFast } from './secret-tree.js';
import { parentHashOf, treeHashRootOf } from './tree-hash.js';

/** What `processMemberCommit` returns (the fields of ts-mls's result groupcrypt reads). */
export interface MemberCommitProcessed {
  readonly newState: ClientState;
  readonly consumed: Uint8Array[];
}

/**
 * ts-mls `applyUpdatePath` for a member committer (RFC 9420 §7.5, §7.9.2):
 * the same checks (new leaf key, path keys not in the tree, path length,
 * the leaf's parent hash), parent hashes from tree-hash.ts.
 */
async function applyMemberUpdatePath(tree: RatchetTree, sender: LeafIndex, path: UpdatePath, cs: CiphersuiteImpl): Promise<RatchetTree> {
  const senderNode = leafToNodeIndex(sender);
  const current = tree[senderNode];
  if (current === undefined || current.nodeType === 'parent') throw new InternalError('Leaf node not defined or is parent');
  if (constantTimeEqual(current.leaf.hpkePublicKey, path.leafNode.hpkePublicKey)) {
    throw new ValidationError("Public key in the LeafNode is the same as the committer's current leaf node");
  }
  const reused = path.nodes.some((node) => tree.some((treeNode) => treeNode?.nodeType === 'parent' && constantTimeEqual(treeNode.parent.hpkePublicKey, node.hpkePublicKey)));
  if (reused) throw new ValidationError('Public keys in the UpdatePath may not appear in a node of the new ratchet tree');
  const updated = tree.slice();
  updated[senderNode] = { nodeType: 'leaf', leaf: path.leafNode };
  const rootFirst = filteredDirectPath(sender, tree).reverse();
  for (const nodeIndex of directPath(senderNode, leafWidth(tree.length))) updated[nodeIndex] = undefined;
  const keysRootFirst = path.nodes.slice().reverse();
  if (keysRootFirst.length !== rootFirst.length) throw new ValidationError('Invalid length of UpdatePath');
  for (const [level, nodeIndex] of rootFirst.entries()) {
    const [parentHash] = await parentHashOf(updated, nodeIndex, cs.hash);
    updated[nodeIndex] = { nodeType: 'parent', parent: { hpkePublicKey: (keysRootFirst[level] as UpdatePath['nodes'][number]).hpkePublicKey, unmergedLeaves: [], parentHash } };
  }
  const [leafParentHash] = await parentHashOf(updated, senderNode, cs.hash);
  if (!constantTimeEqual(leafParentHash, path.leafNode.parentHash)) throw new ValidationError('Parent hash did not match the UpdatePath');
  return updated;
}

/**
 * Our private keys on the committer's new path (ts-mls `updatePrivateKeyPath`):
 * the path secret encrypted to us, the path secrets above it up to the root
 * (§7.4), their node key pairs, and the commit secret. Path and node secrets
 * are wiped before returning.
 */
async function receivePathSecrets(tree: RatchetTree, privatePath: PrivateKeyPath, sender: LeafIndex, context: GroupContext, path: UpdatePath, excluded: NodeIndex[],
  cs: CiphersuiteImpl): Promise<{ privatePath: PrivateKeyPath; commitSecret: Uint8Array }> {
  const received = await applyUpdatePathSecret(tree, privatePath, sender, context, path, excluded, cs);
  const rootIndex = root(leafWidth(tree.length));
  const secrets: { nodeIndex: NodeIndex; secret: Uint8Array }[] = [{ nodeIndex: toNodeIndex(received.nodeIndex), secret: received.pathSecret }];
  try {
    for (let current = secrets[0] as (typeof secrets)[number]; current.nodeIndex !== rootIndex;) {
      current = { nodeIndex: findFirstNonBlankAncestor(tree, current.nodeIndex), secret: await deriveSecret(current.secret, 'path', cs.kdf) };
      secrets.push(current);
    }
    const privateKeys: Record<number, Uint8Array> = {};
    for (const { nodeIndex, secret } of secrets) {
      const nodeSecret = await deriveSecret(secret, 'node', cs.kdf);
      const { privateKey } = await cs.hpke.deriveKeyPair(nodeSecret);
      zeroize(nodeSecret);
      privateKeys[nodeIndex] = await cs.hpke.exportPrivateKey(privateKey);
    }
    const rootSecret = secrets.at(-1) as (typeof secrets)[number];
    const commitSecret = await deriveSecret(rootSecret.secret, 'path', cs.kdf);
    return { privatePath: mergePrivateKeyPaths(privatePath, { leafIndex: privatePath.leafIndex, privateKeys }), commitSecret };
  } finally {
    for (const { secret } of secrets) zeroize(secret);
  }
}

/**
 * ts-mls `processPublicMessage(state, message, pskSearch, cs)`, same new
 * state, same errors, for a commit by a member; other messages go to it.
 * (groupcrypt uses no PSKs; `pskSearch` is for the RFC 9420 vectors, which do.)
 * @throws ts-mls errors as `processPublicMessage` throws them.
 */
export async function processMemberCommit(state: ClientState, message: PublicMessage, cs: CiphersuiteImpl, pskSearch: PskIndex = emptyPskIndex): Promise<MemberCommitProcessed> {
  if (message.content.contentType !== 'commit' || message.content.sender.senderType !== 'member') return processPublicMessage(state, message, pskSearch, cs);
  if (message.content.epoch < state.groupContext.epoch) throw new ValidationError('Cannot process message, epoch too old');
  const content = await unprotectPublicMessage(state.keySchedule.membershipKey, state.groupContext, state.ratchetTree, message, cs);
  if (content.content.contentType !== 'commit' || content.content.sender.senderType !== 'member') throw new InternalError('commit: content changed in unprotecting');
  if (content.content.epoch !== state.groupContext.epoch) throw new ValidationError('Could not validate epoch');
  const sender = toLeafIndex(content.content.sender.leafIndex);
  const commit = content.content.commit;
  const result = await applyProposals(state, commit.proposals, sender, pskSearch, false, cs);
  if (commit.path !== undefined) {
    throwIfDefined(await validateLeafNodeUpdateOrCommit(commit.path.leafNode, sender, state.groupContext, state.clientConfig.authService, cs.signature));
    throwIfDefined(await validateLeafNodeCredentialAndKeyUniqueness(result.tree, commit.path.leafNode, sender));
  }
  if (result.needsUpdatePath && commit.path === undefined) throw new ValidationError('Update path is required');
  // Removed by this commit: no path secret reaches us (as stock: record the removal, keep the old epoch's keys).
  if (result.selfRemoved) {
    return { newState: { ...state, ratchetTree: result.tree, unappliedProposals: {}, groupActiveState: { kind: 'removedFromGroup' } }, consumed: [] };
  }
  const groupContext = result.additionalResult.kind === 'memberCommit' && result.additionalResult.extensions.length > 0
    ? { ...state.groupContext, extensions: result.additionalResult.extensions } : state.groupContext;
  const excluded = result.additionalResult.kind === 'memberCommit'
    ? result.additionalResult.addedLeafNodes.map(([leafIndex]) => leafToNodeIndex(toLeafIndex(leafIndex)))
    : [findBlankLeafNodeIndex(result.tree) ?? toNodeIndex(result.tree.length + 1)];
  let tree = result.tree;
  let privatePath = state.privatePath;
  let commitSecret: Uint8Array = new Uint8Array(cs.kdf.size);
  if (commit.path !== undefined) {
    tree = await applyMemberUpdatePath(result.tree, sender, commit.path, cs);
    // As stock ts-mls: the HPKE context is the GroupContext with the new tree hash and the next epoch.
    const provisional: GroupContext = { ...groupContext, treeHash: await treeHashRootOf(tree, cs.hash), epoch: groupContext.epoch + 1n };
    ({ privatePath, commitSecret } = await receivePathSecrets(tree, state.privatePath, sender, provisional, commit.path, excluded, cs));
  }
  if (content.auth.contentType !== 'commit') throw new ValidationError('Received content as commit, but not auth');
  const nextContext = await nextEpochContext(groupContext, 'mls_public_message', content.content, content.auth.signature, await treeHashRootOf(tree, cs.hash),
    state.confirmationTag, cs.hash);
  const initSecret = state.keySchedule.initSecret;
  const epochSecrets = await initializeEpoch(initSecret, commitSecret, nextContext, result.pskSecret, cs.kdf);
  zeroize(commitSecret);
  try {
    const tagValid = await verifyConfirmationTag(epochSecrets.keySchedule.confirmationKey, content.auth.confirmationTag, nextContext.confirmedTranscriptHash, cs.hash);
    if (!tagValid) throw new CryptoVerificationError('Could not verify confirmation tag');
    const secretTree = await createSecretTreeFast(leafWidth(tree.length), epochSecrets.encryptionSecret, cs.kdf);
    const [historicalReceiverData, consumedEpochData] = addHistoricalReceiverData(state);
    const groupActiveState: ClientState['groupActiveState'] = result.additionalResult.kind === 'reinit'
      ? { kind: 'suspendedPendingReinit', reinit: result.additionalResult.reinit } : { kind: 'active' };
    return {
      newState: {
        ...state, secretTree, ratchetTree: tree, privatePath, groupContext: nextContext, keySchedule: epochSecrets.keySchedule,
        confirmationTag: content.auth.confirmationTag, historicalReceiverData, unappliedProposals: {}, groupActiveState,
      },
      consumed: [...consumedEpochData, initSecret],
    };
  } finally {
    zeroize(epochSecrets.joinerSecret, epochSecrets.encryptionSecret);
  }
}
