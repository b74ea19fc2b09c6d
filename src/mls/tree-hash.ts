/**
 * RFC 9420 tree hashes (§7.8) and parent hashes (§7.9) with the subtree
 * hashes of unchanged nodes reused: the bytes are those of ts-mls's
 * `treeHash` / `calculateParentHash` (its own TreeHashInput and
 * ParentHashInput encoders are used), only computed once per content.
 *
 * Why: a commit with a path at n = 128 hashes the whole ratchet tree about
 * three times (two root tree hashes, plus every copath subtree for the
 * parent hashes): 766 TLS encodings and SHA-256 runs, a third of the
 * sender's time, although only the committer's path changed.
 *
 * What is cached (all of it public: tree hashes of public tree nodes):
 * - a leaf's hash, keyed by the leaf node *object* (ts-mls never mutates a
 *   node it returned; a changed leaf is a new object) and checked against
 *   its leaf index;
 * - a parent subtree's hash, keyed by the left child's hash *array* (the
 *   arrays of unchanged subtrees are the cached ones, so identity follows
 *   the content) and checked field by field: right child's hash, and the
 *   parent node's key, parent hash and unmerged leaves (or blank).
 * WeakMaps: an entry lives as long as the node or hash it is keyed on.
 */
import type { Hash, LeafNode, RatchetTree } from 'ts-mls';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { parentHashInputEncoder } from 'ts-mls/parentHash.js';
import type { ParentNode } from 'ts-mls/parentNode.js';
import { findFirstNonBlankAncestor, removeLeaves } from 'ts-mls/ratchetTree.js';
import { encodeLeafNodeHashInput, encodeParentNodeHashInput } from 'ts-mls/treeHash.js';
import { isLeaf, leafWidth, left, nodeToLeafIndex, right, root, rootFromNodeWidth, toLeafIndex, toNodeIndex, type NodeIndex } from 'ts-mls/treemath.js';
import { bytesEqual } from '../crypto/index.js';
import { InternalError } from '../errors.js';

/** Entries kept per left-child hash (a subtree under a few different parents: a path update, a blank, …). */
const PARENT_ENTRIES_PER_KEY = 4;
const encodeParentHashInput = encode(parentHashInputEncoder);

interface ParentEntry {
  readonly node: ParentNode | undefined;
  readonly right: Uint8Array;
  readonly hash: Uint8Array;
}

interface Caches {
  readonly leaves: WeakMap<LeafNode, { readonly leafIndex: number; readonly hash: Uint8Array }>;
  readonly blankLeaves: Map<number, Uint8Array>;
  readonly parents: WeakMap<Uint8Array, ParentEntry[]>;
}

/** One set of caches per hash implementation (a hash of another suite is another function). */
const cachesByHash = new WeakMap<Hash, Caches>();
/** Bound on cached blank-leaf hashes (keyed by leaf index; a group of 2^16 leaves stays under it). */
const BLANK_LEAF_CACHE_SIZE = 1 << 16;

function cachesFor(h: Hash): Caches {
  let caches = cachesByHash.get(h);
  if (caches === undefined) {
    caches = { leaves: new WeakMap(), blankLeaves: new Map(), parents: new WeakMap() };
    cachesByHash.set(h, caches);
  }
  return caches;
}

function sameParentNode(a: ParentNode | undefined, b: ParentNode | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return bytesEqual(a.hpkePublicKey, b.hpkePublicKey) && bytesEqual(a.parentHash, b.parentHash)
    && a.unmergedLeaves.length === b.unmergedLeaves.length && a.unmergedLeaves.every((leaf, i) => leaf === b.unmergedLeaves[i]);
}

async function leafHash(tree: RatchetTree, nodeIndex: NodeIndex, h: Hash, caches: Caches): Promise<Uint8Array> {
  const node = tree[nodeIndex];
  if (node?.nodeType === 'parent') throw new InternalError('INTERNAL', 'tree hash: a parent node at a leaf position');
  const leafIndex = nodeToLeafIndex(nodeIndex);
  if (node === undefined) {
    let hash = caches.blankLeaves.get(leafIndex);
    if (hash === undefined) {
      hash = await h.digest(encodeLeafNodeHashInput({ nodeType: 'leaf', leafIndex, leafNode: undefined }));
      if (caches.blankLeaves.size >= BLANK_LEAF_CACHE_SIZE) caches.blankLeaves.clear();
      caches.blankLeaves.set(leafIndex, hash);
    }
    return hash;
  }
  const hit = caches.leaves.get(node.leaf);
  if (hit !== undefined && hit.leafIndex === leafIndex) return hit.hash;
  const hash = await h.digest(encodeLeafNodeHashInput({ nodeType: 'leaf', leafIndex, leafNode: node.leaf }));
  caches.leaves.set(node.leaf, { leafIndex, hash });
  return hash;
}

async function subtreeHash(tree: RatchetTree, nodeIndex: NodeIndex, h: Hash, caches: Caches): Promise<Uint8Array> {
  if (isLeaf(nodeIndex)) return leafHash(tree, nodeIndex, h, caches);
  const node = tree[nodeIndex];
  if (node?.nodeType === 'leaf') throw new InternalError('INTERNAL', 'tree hash: a leaf node at a parent position');
  const parentNode = node?.parent;
  const leftHash = await subtreeHash(tree, left(nodeIndex), h, caches);
  const rightHash = await subtreeHash(tree, right(nodeIndex), h, caches);
  const entries = caches.parents.get(leftHash);
  const hit = entries?.find((e) => sameParentNode(e.node, parentNode) && bytesEqual(e.right, rightHash));
  if (hit !== undefined) return hit.hash;
  const hash = await h.digest(encodeParentNodeHashInput({ nodeType: 'parent', parentNode, leftHash, rightHash }));
  const entry: ParentEntry = { node: parentNode, right: rightHash, hash };
  caches.parents.set(leftHash, [entry, ...(entries ?? []).slice(0, PARENT_ENTRIES_PER_KEY - 1)]);
  return hash;
}

/** Tree hash of the subtree at `nodeIndex` (ts-mls `treeHash`); the result is a fresh array. */
export async function treeHashOf(tree: RatchetTree, nodeIndex: NodeIndex, h: Hash): Promise<Uint8Array> {
  return (await subtreeHash(tree, nodeIndex, h, cachesFor(h))).slice();
}

/** Tree hash of the whole tree (ts-mls `treeHashRoot`); the result is a fresh array. */
export async function treeHashRootOf(tree: RatchetTree, h: Hash): Promise<Uint8Array> {
  return treeHashOf(tree, rootFromNodeWidth(tree.length), h);
}

/**
 * Parent hash of the node at `nodeIndex` as its first non-blank ancestor
 * gives it (ts-mls `calculateParentHash`, same result and same
 * [hash, ancestor index] shape).
 * @throws InternalError `INTERNAL` when the ancestor found is not a parent node.
 */
export async function parentHashOf(tree: RatchetTree, nodeIndex: NodeIndex, h: Hash): Promise<[Uint8Array, NodeIndex | undefined]> {
  const rootIndex = root(leafWidth(tree.length));
  if (nodeIndex === rootIndex) return [new Uint8Array(0), undefined];
  const parentIndex = findFirstNonBlankAncestor(tree, nodeIndex);
  const parentNode = tree[parentIndex];
  if (parentIndex === rootIndex && parentNode === undefined) return [new Uint8Array(0), parentIndex];
  if (parentNode === undefined || parentNode.nodeType === 'leaf') throw new InternalError('INTERNAL', 'parent hash: expected a parent node');
  const siblingIndex = nodeIndex < parentIndex ? right(parentIndex) : left(parentIndex);
  const unmerged = parentNode.parent.unmergedLeaves;
  // The sibling's "original" tree hash: as before the unmerged leaves were added (RFC 9420 §7.9.1).
  const original = unmerged.length === 0 ? tree : removeLeaves(tree, unmerged.map((leaf) => toLeafIndex(leaf)));
  const siblingHash = await subtreeHash(original, toNodeIndex(siblingIndex), h, cachesFor(h));
  const input = { encryptionKey: parentNode.parent.hpkePublicKey, parentHash: parentNode.parent.parentHash, originalSiblingTreeHash: siblingHash };
  return [await h.digest(encodeParentHashInput(input)), parentIndex];
}
