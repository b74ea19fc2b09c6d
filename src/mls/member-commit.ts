/**
 * A member's commit: the same RFC 9420 §12.4 steps as ts-mls's
 * `createCommit` + `createUpdatePath` (and its Welcome, §12.4.3.1), and the
 * same bytes out (test/mls/member-commit.test.ts compares them on the same
 * randomness; stock ts-mls members process these commits, test/mls), with
 * the costs of the stock path that do not depend on what changed taken out:
 *
 * - tree hashes and parent hashes reuse the hashes of unchanged subtrees
 *   (tree-hash.ts): stock re-encodes and re-hashes all ~255 nodes three times
 *   per commit at n = 128;
 * - the new epoch's secret tree is derived with constant KDFLabels
 *   (secret-tree.ts);
 * - HPKE `info` (label + provisional GroupContext) is encoded once for all
 *   copath encryptions, not once per ciphertext; the path's key pairs are
 *   derived once (stock derives them again for the private key path);
 * - the ratchet tree extension of the GroupInfo reuses the node encodings
 *   of state-codec.ts; no GroupInfo is signed and encrypted for a Welcome
 *   that is not sent (stock makes one for every commit).
 *
 * Secret hygiene is at least stock's: the leaf's path secret, the node
 * secrets and the path secrets are wiped once used, the secret tree's inner
 * node secrets too; commit, encryption and joiner secrets as in stock.
 * Only what groupcrypt sends: a plaintext (PublicMessage) commit by a member.
 */
import type { CiphersuiteImpl, ClientState, CreateCommitResult, LeafIndex, MLSMessage, Proposal, RatchetTree, Welcome } from 'ts-mls';
import { addHistoricalReceiverData, applyProposals, checkCanSendHandshakeMessages, makePskIndex, nextEpochContext, type ApplyProposalsResult } from 'ts-mls/clientState.js';
import { createGroupInfo } from 'ts-mls/createCommit.js';
import { composeBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { varLenDataEncoder } from 'ts-mls/codec/variableLength.js';
import { deriveSecret } from 'ts-mls/crypto/kdf.js';
import { createConfirmationTag, createContentCommitSignature } from 'ts-mls/framedContent.js';
import { groupContextEncoder, type GroupContext } from 'ts-mls/groupContext.js';
import { initializeEpoch, type EpochSecrets } from 'ts-mls/keySchedule.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { signLeafNodeCommit, type LeafNodeTBSCommit } from 'ts-mls/leafNode.js';
import { protectPublicMessage } from 'ts-mls/messageProtectionPublic.js';
import { getCommitSecret } from 'ts-mls/pathSecrets.js';
import { mergePrivateKeyPaths, updateLeafKey } from 'ts-mls/privateKeyPath.js';
import { filteredDirectPathAndCopathResolution, getHpkePublicKey } from 'ts-mls/ratchetTree.js';
import { directPath, leafToNodeIndex, leafWidth, toLeafIndex, toNodeIndex, type NodeIndex } from 'ts-mls/treemath.js';
import { firstCommonAncestor, type UpdatePath, type UpdatePathNode } from 'ts-mls/updatePath.js';
import { base64ToBytes } from 'ts-mls/util/byteArray.js';
import { encryptGroupInfo, encryptGroupSecrets } from 'ts-mls/welcome.js';
import { utf8, zeroize } from '../crypto/index.js';
import { InternalError } from '../errors.js';
import { createSecretTreeFast } from './secret-tree.js';
import { encodeRatchetTreeCached } from './state-codec.js';
import { parentHashOf, treeHashRootOf } from './tree-hash.js';

const encodeGroupContext = encode(groupContextEncoder);
/** `EncryptContext { opaque label<V>; opaque context<V> }` (RFC 9420 §5.1.3). */
const encodeEncryptContext = encode(composeBufferEncoders([varLenDataEncoder, varLenDataEncoder]));
const UPDATE_PATH_NODE_LABEL = utf8('MLS 1.0 UpdatePathNode');

/** One node of the committer's filtered direct path, leaf side first. */
interface PathNode {
  readonly nodeIndex: NodeIndex;
  readonly secret: Uint8Array;
  readonly sendTo: readonly NodeIndex[];
  readonly privateKey: Uint8Array;
}

/**
 * Fresh path (RFC 9420 §7.4–7.6, §7.9): the new tree with the committer's
 * new keys and parent hashes, the UpdatePath sent to the copath
 * resolutions (encrypted to the keys of `originalTree`), and the path.
 */
async function createPath(originalTree: RatchetTree, sender: LeafIndex, groupContext: GroupContext, signKey: Uint8Array, cs: CiphersuiteImpl, excluded: ReadonlySet<number>):
Promise<{ tree: RatchetTree; updatePath: UpdatePath; path: PathNode[]; leafPrivateKey: Uint8Array }> {
  const leafNodeIndex = leafToNodeIndex(sender);
  const original = originalTree[leafNodeIndex];
  if (original === undefined || original.nodeType !== 'leaf') throw new InternalError('INTERNAL', 'commit: the committer has no leaf');
  const leafPathSecret = cs.rng.randomBytes(cs.kdf.size);
  const leafNodeSecret = await deriveSecret(leafPathSecret, 'node', cs.kdf);
  const leafKeys = await cs.hpke.deriveKeyPair(leafNodeSecret);
  zeroize(leafNodeSecret);
  const copathResolutions = filteredDirectPathAndCopathResolution(sender, originalTree);
  const tree = originalTree.slice();
  for (const nodeIndex of directPath(leafNodeIndex, leafWidth(tree.length))) tree[nodeIndex] = undefined;
  const path: PathNode[] = [];
  try {
    let previous = leafPathSecret;
    for (const { nodeIndex, resolution } of copathResolutions) {
      const secret = await deriveSecret(previous, 'path', cs.kdf);
      const nodeSecret = await deriveSecret(secret, 'node', cs.kdf);
      const keys = await cs.hpke.deriveKeyPair(nodeSecret);
      zeroize(nodeSecret);
      tree[nodeIndex] = { nodeType: 'parent', parent: { hpkePublicKey: await cs.hpke.exportPublicKey(keys.publicKey), parentHash: new Uint8Array(0), unmergedLeaves: [] } };
      // New members get their path secret in the Welcome, not in the UpdatePath (as stock, and as recipients expect).
      const sendTo = excluded.size === 0 ? resolution : resolution.filter((index) => !excluded.has(index));
      path.push({ nodeIndex, secret, sendTo, privateKey: await cs.hpke.exportPrivateKey(keys.privateKey) });
      previous = secret;
    }
    // Parent hashes root first: each node's hash covers its (already final) first non-blank ancestor.
    for (let i = path.length - 1; i >= 0; i--) {
      const nodeIndex = (path[i] as PathNode).nodeIndex;
      const node = tree[nodeIndex];
      if (node === undefined || node.nodeType !== 'parent') throw new InternalError('INTERNAL', 'commit: expected a path node');
      const [parentHash] = await parentHashOf(tree, nodeIndex, cs.hash);
      tree[nodeIndex] = { nodeType: 'parent', parent: { ...node.parent, parentHash } };
    }
    const [leafParentHash] = await parentHashOf(tree, leafNodeIndex, cs.hash);
    const tbs: LeafNodeTBSCommit = {
      leafNodeSource: 'commit',
      hpkePublicKey: await cs.hpke.exportPublicKey(leafKeys.publicKey),
      extensions: original.leaf.extensions,
      capabilities: original.leaf.capabilities,
      credential: original.leaf.credential,
      signaturePublicKey: original.leaf.signaturePublicKey,
      parentHash: leafParentHash,
      groupId: groupContext.groupId,
      leafIndex: sender,
    };
    const leaf = await signLeafNodeCommit(tbs, signKey, cs.signature);
    tree[leafNodeIndex] = { nodeType: 'leaf', leaf };
    // As stock ts-mls: the HPKE context is the current GroupContext with the new tree hash and the next epoch.
    const provisional: GroupContext = { ...groupContext, treeHash: await treeHashRootOf(tree, cs.hash), epoch: groupContext.epoch + 1n };
    const info = encodeEncryptContext([UPDATE_PATH_NODE_LABEL, encodeGroupContext(provisional)]);
    const noAad = new Uint8Array(0);
    const nodes: UpdatePathNode[] = await Promise.all(path.map(async (node) => ({
      hpkePublicKey: getHpkePublicKey(tree[node.nodeIndex] as NonNullable<RatchetTree[number]>),
      encryptedPathSecret: await Promise.all(node.sendTo.map(async (recipient) => {
        const publicKey = await cs.hpke.importPublicKey(getHpkePublicKey(originalTree[recipient] as NonNullable<RatchetTree[number]>));
        const { ct, enc } = await cs.hpke.seal(publicKey, node.secret, info, noAad);
        return { ciphertext: ct, kemOutput: enc };
      })),
    })));
    return { tree, updatePath: { leafNode: leaf, nodes }, path, leafPrivateKey: await cs.hpke.exportPrivateKey(leafKeys.privateKey) };
  } catch (error) {
    for (const node of path) zeroize(node.secret, node.privateKey);
    throw error;
  } finally {
    zeroize(leafPathSecret);
  }
}

/** Options of `createMemberCommit` (those of ts-mls `createCommit` groupcrypt uses). */
export interface MemberCommitOptions {
  /** Put the ratchet tree in the Welcome's GroupInfo. */
  readonly ratchetTreeExtension: boolean;
}

/** The Welcome for the members `res` adds (§12.4.3.1), or undefined when it adds nobody. */
async function createWelcome(state: ClientState, res: ApplyProposalsResult, tree: RatchetTree, path: readonly PathNode[], groupContext: GroupContext,
  confirmationTag: Uint8Array, epochSecrets: EpochSecrets, options: MemberCommitOptions, cs: CiphersuiteImpl): Promise<Welcome | undefined> {
  if (res.additionalResult.kind !== 'memberCommit' || res.additionalResult.addedLeafNodes.length === 0) return undefined;
  const extensions = options.ratchetTreeExtension ? [{ extensionType: 'ratchet_tree' as const, extensionData: encodeRatchetTreeCached(tree) }] : [];
  const groupInfo = await createGroupInfo(groupContext, confirmationTag, state, extensions, cs);
  const encryptedGroupInfo = await encryptGroupInfo(groupInfo, epochSecrets.welcomeSecret, cs);
  const sender = toLeafIndex(state.privatePath.leafIndex);
  const secrets = await Promise.all(res.additionalResult.addedLeafNodes.map(async ([leafIndex, keyPackage]) => {
    const commonAncestor = firstCommonAncestor(tree, leafIndex, sender);
    const pathSecret = path.find((node) => node.nodeIndex === commonAncestor)?.secret;
    const initKey = await cs.hpke.importPublicKey(keyPackage.initKey);
    const sealed = await encryptGroupSecrets(initKey, encryptedGroupInfo, { joinerSecret: epochSecrets.joinerSecret, pathSecret, psks: res.pskIds }, cs.hpke);
    return { newMember: await makeKeyPackageRef(keyPackage, cs.hash), encryptedGroupSecrets: { kemOutput: sealed.enc, ciphertext: sealed.ct } };
  }));
  return { cipherSuite: groupContext.cipherSuite, secrets, encryptedGroupInfo };
}

/**
 * ts-mls `createCommit(state, { extraProposals, wireAsPublicMessage: true, ratchetTreeExtension })`, same result.
 * @throws InternalError `INTERNAL` for an external commit; ts-mls errors as `createCommit` throws them.
 */
export async function createMemberCommit(state: ClientState, extraProposals: readonly Proposal[], options: MemberCommitOptions, cs: CiphersuiteImpl): Promise<CreateCommitResult> {
  checkCanSendHandshakeMessages(state);
  const wireformat = 'mls_public_message';
  const sender = toLeafIndex(state.privatePath.leafIndex);
  const proposals = [
    ...Object.keys(state.unappliedProposals).map((ref) => ({ proposalOrRefType: 'reference' as const, reference: base64ToBytes(ref) })),
    ...extraProposals.map((proposal) => ({ proposalOrRefType: 'proposal' as const, proposal })),
  ];
  const res = await applyProposals(state, proposals, sender, makePskIndex(state, {}), true, cs);
  if (res.additionalResult.kind === 'externalCommit') throw new InternalError('INTERNAL', 'commit: an external commit from a member');
  const added = res.additionalResult.kind === 'memberCommit' ? res.additionalResult.addedLeafNodes : [];
  const excluded = new Set<number>(added.map(([leafIndex]) => leafToNodeIndex(leafIndex)));
  const made = res.needsUpdatePath ? await createPath(res.tree, sender, state.groupContext, state.signaturePrivateKey, cs, excluded) : undefined;
  const tree = made?.tree ?? res.tree;
  const path = made?.path ?? [];
  try {
    const extensions = res.additionalResult.kind === 'memberCommit' && res.additionalResult.extensions.length > 0 ? res.additionalResult.extensions : state.groupContext.extensions;
    const ownPath = { leafIndex: state.privatePath.leafIndex, privateKeys: Object.fromEntries(path.map((node) => [node.nodeIndex, node.privateKey])) };
    const privatePath = mergePrivateKeyPaths(made === undefined ? state.privatePath : updateLeafKey(state.privatePath, made.leafPrivateKey), ownPath);
    const last = path.at(-1);
    const commitSecret = last === undefined ? new Uint8Array(cs.kdf.size) : await getCommitSecret(tree, toNodeIndex(last.nodeIndex), last.secret, cs.kdf);
    const { signature, framedContent } = await createContentCommitSignature(state.groupContext, wireformat, { proposals, path: made?.updatePath },
      { senderType: 'member', leafIndex: state.privatePath.leafIndex }, new Uint8Array(0), state.signaturePrivateKey, cs.signature);
    const groupContext = await nextEpochContext({ ...state.groupContext, extensions }, wireformat, framedContent, signature, await treeHashRootOf(tree, cs.hash),
      state.confirmationTag, cs.hash);
    const epochSecrets = await initializeEpoch(state.keySchedule.initSecret, commitSecret, groupContext, res.pskSecret, cs.kdf);
    const confirmationTag = await createConfirmationTag(epochSecrets.keySchedule.confirmationKey, groupContext.confirmedTranscriptHash, cs.hash);
    const publicMessage = await protectPublicMessage(state.keySchedule.membershipKey, state.groupContext,
      { wireformat, content: framedContent, auth: { contentType: framedContent.contentType, signature, confirmationTag } }, cs);
    const commit: MLSMessage = { version: 'mls10', wireformat, publicMessage };
    const welcome = await createWelcome(state, res, tree, path, groupContext, confirmationTag, epochSecrets, options, cs);
    const [historicalReceiverData, consumedEpochData] = addHistoricalReceiverData(state);
    const newState: ClientState = {
      groupContext,
      ratchetTree: tree,
      secretTree: await createSecretTreeFast(leafWidth(tree.length), epochSecrets.encryptionSecret, cs.kdf),
      keySchedule: epochSecrets.keySchedule,
      privatePath,
      unappliedProposals: {},
      historicalReceiverData,
      confirmationTag,
      signaturePrivateKey: state.signaturePrivateKey,
      groupActiveState: res.selfRemoved ? { kind: 'removedFromGroup' }
        : res.additionalResult.kind === 'reinit' ? { kind: 'suspendedPendingReinit', reinit: res.additionalResult.reinit } : { kind: 'active' },
      clientConfig: state.clientConfig,
    };
    zeroize(commitSecret, epochSecrets.encryptionSecret, epochSecrets.joinerSecret);
    return { newState, welcome, commit, consumed: [...consumedEpochData, state.keySchedule.initSecret] };
  } finally {
    for (const node of path) zeroize(node.secret);
  }
}
