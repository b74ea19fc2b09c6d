/**
 * Puncturable member secrets of a seed (issue 16): a GGM-style binary tree
 * of secrets over the sorted recipient list.
 *
 *   root = HKDF-Expand(PRK(seed), "tree")
 *   left/right child = HKDF-Expand(node, "left" / "right")
 *   member secret of recipient r (leaf i = rank of r) = HKDF-Expand(leaf i, "member/" ‖ r)
 *
 * A pending seed keeps only the nodes that cover the recipients whose ack has
 * not been processed yet. Taking a member's secret at its ack removes the
 * covering node and keeps the siblings along the path down to that leaf, so
 * what stays can no longer yield that member's secret (nor the sender's, which
 * is derived beside the tree from the PRK and never stored).
 *
 * Why a tree and not the paper's eager derivation of all n member secrets:
 * measured by bench/dcgka-fs.ts (one recipient of one seed, node provider,
 * CPU time, same run; results in bench/results/dcgka-fs.json):
 *
 *   n = 1024   process the seed   all 1023 acks   kept after processing
 *   eager      3.8 ms             0.6 ms          32,704 B of secrets
 *   tree       0.24 ms            18 ms           320 B (10 nodes)
 *   (PRK kept, before issue 16: 0.016 ms, 8.8 ms, 32 B, not forward secure)
 *
 * Eager derivation would more than double a recipient's whole processing of
 * an update at n = 1024 (≈ 2.2 ms) and keep n secrets per pending seed in a
 * state that is encoded after every call; the tree keeps processing O(log n)
 * and spreads the derivations over the acks, ≈ 18 µs each, well under the
 * ≈ 0.1 ms signature check every ack needs anyway. Both erase a member's
 * secret at its ack.
 *
 * The same structure without secrets (`secret` absent) tracks, for a member
 * that was not a recipient, whose chains the remaining acks will step.
 */
import { utf8, zeroize } from '../crypto/index.js';
import type { Deps } from '../crypto/index.js';
import type { MemberId } from '../membership/index.js';

const LABEL_TREE = utf8('groupcrypt/dcgka/seed-tree');
const LABEL_LEFT = utf8('groupcrypt/dcgka/seed-tree/left');
const LABEL_RIGHT = utf8('groupcrypt/dcgka/seed-tree/right');
const LABEL_MEMBER = 'groupcrypt/dcgka/member/';

/**
 * A node of the tree: `depth` 0 is the root; `index` counts from the left at
 * that depth. Listed (`keptNodes`) and encoded sorted by (depth, index).
 */
export interface SeedNode {
  readonly depth: number;
  readonly index: number;
  /** The node's secret; absent when this member does not hold the seed (positions only). */
  readonly secret?: Uint8Array;
}

/**
 * The kept nodes under one position of the tree, as a binary tree of that
 * position's descendants: `null` when none is kept there, a `kept` node, or a
 * `split` whose children hold the kept nodes below. Canonical: a split has a
 * kept node somewhere below it, so equal kept sets give equal trees.
 *
 * Why a tree and not the sorted list of kept nodes it replaces (issue 13): a
 * puncture rebuilt that list, up to n/2 nodes, at every ack, which made an
 * update O(n²) over its n − 1 acks. Here a puncture copies only the path down
 * to the leaf (O(log n) new objects) and shares every other subtree with the
 * previous state, which stays as it was (calls are pure).
 */
export type Cover = KeptCover | SplitCover | null;

/** A kept node (its position is the path to it). */
export interface KeptCover {
  readonly kind: 'kept';
  /** Absent when this member does not hold the seed (positions only). */
  readonly secret?: Uint8Array;
}

/** A position above kept nodes: its left and right children. */
export interface SplitCover {
  readonly kind: 'split';
  readonly left: Cover;
  readonly right: Cover;
}

/**
 * A seed whose member secrets still wait for acks: the sorted recipients
 * (leaves, in order) and the kept nodes covering those not consumed yet.
 */
export interface PendingSeed {
  readonly members: readonly MemberId[];
  /** The kept nodes, from the root of the tree. */
  readonly cover: Cover;
}

/** Height of the tree over `count` leaves (0 for a single leaf). */
export function treeHeight(count: number): number {
  let height = 0;
  while (1 << height < count) height++;
  return height;
}

/** The root secret of the member-secret tree of a seed with extract `prk`. */
export function treeRoot(deps: Deps, prk: Uint8Array): Uint8Array {
  return deps.crypto.hkdfExpand(prk, LABEL_TREE, 32);
}

/** The member secret of `member` from its leaf secret. */
export function memberSecretOfLeaf(deps: Deps, leaf: Uint8Array, member: MemberId): Uint8Array {
  return deps.crypto.hkdfExpand(leaf, memberLabel(member), 32);
}

/** UTF-8 of the member label prefix. */
const MEMBER_LABEL_PREFIX = utf8(LABEL_MEMBER);
/** The info of a member secret, rewritten for each (public bytes, read only during the `hkdfExpand` call). */
const memberInfo = new Uint8Array(MEMBER_LABEL_PREFIX.length + 64);
memberInfo.set(MEMBER_LABEL_PREFIX);

/** `utf8(LABEL_MEMBER + member)` without a string or an array per ack (issue 13); ASCII is its own UTF-8. */
function memberLabel(member: MemberId): Uint8Array {
  if (member.length !== 64) return utf8(LABEL_MEMBER + member);
  const offset = MEMBER_LABEL_PREFIX.length;
  for (let i = 0; i < 64; i++) {
    const code = member.charCodeAt(i);
    if (code >= 0x80) return utf8(LABEL_MEMBER + member);
    memberInfo[offset + i] = code;
  }
  return memberInfo;
}

/** A pending seed over `recipients` (sorted here) whose whole tree is still waiting. */
export function newPendingSeed(recipients: readonly MemberId[], root: Uint8Array | undefined): PendingSeed {
  // Recipients come from a member view, already sorted: a check costs less than the sort (every seed sent or received).
  return { members: isSorted(recipients) ? recipients.slice() : [...recipients].sort(), cover: keptCover(root) };
}

/** True when `ids` is in code-unit order. (No `as` inside the comparison: Stryker prints `(x as T) > y` without its parentheses.) */
export function isSorted(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) {
    const previous = ids[i - 1] ?? '';
    const next = ids[i] ?? '';
    if (previous > next) return false;
  }
  return true;
}

function keptCover(secret: Uint8Array | undefined): KeptCover {
  return secret ? { kind: 'kept', secret } : { kind: 'kept' };
}

/** A split over `left` and `right`, or null when neither holds a kept node (the tree stays canonical). */
function splitCover(left: Cover, right: Cover): Cover {
  return left === null && right === null ? null : { kind: 'split', left, right };
}

/** Which child of the node at `depth` on the path to `leaf` leads to it (0 left, 1 right). */
function branchBit(leaf: number, height: number, depth: number): number {
  return (leaf >> (height - depth - 1)) & 1;
}

/** Rank of `member` among the sorted `members`, or -1 (binary search). */
export function leafIndexOf(members: readonly MemberId[], member: MemberId): number {
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = members[mid] as MemberId;
    if (value === member) return mid;
    if (value < member) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Order of nodes in a pending seed: by depth, then index. */
export function compareNodes(a: SeedNode, b: SeedNode): number {
  return a.depth - b.depth || a.index - b.index;
}

/** The kept node covering `leaf` and its depth, or undefined: a walk down from the root, O(log n). */
function coverOf(pending: PendingSeed, height: number, leaf: number): { readonly node: KeptCover; readonly depth: number } | undefined {
  let node = pending.cover;
  let depth = 0;
  while (node !== null && node.kind === 'split') {
    node = branchBit(leaf, height, depth) === 0 ? node.left : node.right;
    depth++;
  }
  return node === null ? undefined : { node, depth };
}

/** Whether `member`'s secret is still waiting in `pending`. */
export function isWaiting(pending: PendingSeed, member: MemberId): boolean {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return false;
  return coverOf(pending, treeHeight(pending.members.length), leaf) !== undefined;
}

/** The members still waiting (sorted): every leaf under a kept node, left to right. */
export function waitingMembers(pending: PendingSeed): MemberId[] {
  const height = treeHeight(pending.members.length);
  const out: MemberId[] = [];
  const visit = (node: Cover, depth: number, index: number): void => {
    if (node === null) return;
    if (node.kind === 'split') {
      visit(node.left, depth + 1, 2 * index);
      visit(node.right, depth + 1, 2 * index + 1);
      return;
    }
    const last = Math.min(pending.members.length, (index + 1) << (height - depth));
    for (let leaf = index << (height - depth); leaf < last; leaf++) out.push(pending.members[leaf] as MemberId);
  };
  visit(pending.cover, 0, 0);
  return out;
}

/** The kept nodes of `pending`, sorted by (depth, index): the tree read level by level (what the state codec writes). */
export function keptNodes(pending: PendingSeed): SeedNode[] {
  const out: SeedNode[] = [];
  let level: { readonly node: Cover; readonly index: number }[] = [{ node: pending.cover, index: 0 }];
  for (let depth = 0; level.length > 0; depth++) {
    const next: { readonly node: Cover; readonly index: number }[] = [];
    for (const { node, index } of level) {
      if (node === null) continue;
      if (node.kind === 'kept') {
        out.push(node.secret ? { depth, index, secret: node.secret } : { depth, index });
      } else {
        next.push({ node: node.left, index: 2 * index }, { node: node.right, index: 2 * index + 1 });
      }
    }
    level = next;
  }
  return out;
}

/**
 * The pending seed over the sorted `members` that keeps `nodes` (as listed by
 * `keptNodes`, each inside the tree), or undefined when one node lies on
 * another's path (no puncture leaves that: the state is damaged).
 */
export function pendingSeedOf(members: readonly MemberId[], nodes: readonly SeedNode[]): PendingSeed | undefined {
  let cover: Cover = null;
  for (const node of nodes) {
    const placed = placeNode(cover, 0, node);
    if (placed === undefined) return undefined;
    cover = placed;
  }
  return { members, cover };
}

/** `cover` (the subtree at `depth` on the path to `node`) with `node` kept in it, or undefined when they overlap. */
function placeNode(cover: Cover, depth: number, node: SeedNode): Cover | undefined {
  if (depth === node.depth) return cover === null ? keptCover(node.secret) : undefined;
  if (cover !== null && cover.kind === 'kept') return undefined;
  const left = cover?.left ?? null;
  const right = cover?.right ?? null;
  if (((node.index >> (node.depth - depth - 1)) & 1) === 0) {
    const placed = placeNode(left, depth + 1, node);
    return placed === undefined ? undefined : { kind: 'split', left: placed, right };
  }
  const placed = placeNode(right, depth + 1, node);
  return placed === undefined ? undefined : { kind: 'split', left, right: placed };
}

/** What `puncture` returns. */
export interface Punctured {
  /** The pending seed without `member` (undefined once nobody waits). */
  readonly pending: PendingSeed | undefined;
  /** The member's secret (when the nodes held secrets); the caller owns it. */
  readonly secret: Uint8Array | undefined;
  /** The node secret removed from the kept set (still referenced by the old state: wipe after commit). */
  readonly dropped: Uint8Array | undefined;
}

/**
 * Takes `member`'s leaf out of `pending`: the covering node is replaced by the
 * siblings along the path to the leaf (O(log n) HKDF-Expands), the leaf
 * becomes the member's secret. O(log n) new tree nodes; every other subtree is
 * shared with `pending`, which is left as it was. Returns undefined when the
 * member is not waiting.
 */
export function puncture(deps: Deps, pending: PendingSeed, member: MemberId): Punctured | undefined {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return undefined;
  const count = pending.members.length;
  const height = treeHeight(count);
  // Down to the kept node covering the leaf, remembering the splits passed (the path to copy).
  const path: SplitCover[] = [];
  let node = pending.cover;
  while (node !== null && node.kind === 'split') {
    path.push(node);
    node = branchBit(leaf, height, path.length - 1) === 0 ? node.left : node.right;
  }
  if (node === null) return undefined;
  const start = node;
  const startDepth = path.length;
  const siblings: Cover[] = []; // siblings[k]: the sibling, at depth startDepth + k + 1, of the path's node
  let secret = start.secret;
  let owned = false; // whether `secret` is a temporary of this call (to wipe) rather than the state's
  for (let depth = startDepth; depth < height; depth++) {
    const bit = branchBit(leaf, height, depth);
    const siblingIndex = (leaf >> (height - depth)) * 2 + (1 - bit);
    // A sibling that covers no leaf (past the end of the list) is not kept.
    siblings.push(siblingIndex << (height - depth - 1) < count ? keptCover(secret ? child(deps, secret, 1 - bit) : undefined) : null);
    if (secret) {
      const next = child(deps, secret, bit);
      if (owned) zeroize(secret);
      secret = next;
      owned = true;
    }
  }
  let memberSecret: Uint8Array | undefined;
  if (secret) {
    memberSecret = memberSecretOfLeaf(deps, secret, member);
    if (owned) zeroize(secret);
  }
  // Bottom up: the leaf is gone, the siblings stay below the start node, the path above it is copied.
  let cover: Cover = null;
  for (let depth = height - 1; depth >= startDepth; depth--) {
    const sibling = siblings[depth - startDepth] as Cover;
    cover = branchBit(leaf, height, depth) === 0 ? splitCover(cover, sibling) : splitCover(sibling, cover);
  }
  for (let depth = startDepth - 1; depth >= 0; depth--) {
    const split = path[depth] as SplitCover;
    cover = branchBit(leaf, height, depth) === 0 ? splitCover(cover, split.right) : splitCover(split.left, cover);
  }
  return { pending: cover === null ? undefined : { members: pending.members, cover }, secret: memberSecret, dropped: start.secret };
}

/**
 * The member secret of `member` without consuming it (for forwarding my own
 * secret before my ack consumes it). The caller wipes the returned copy.
 */
export function peekSecret(deps: Deps, pending: PendingSeed, member: MemberId): Uint8Array | undefined {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return undefined;
  const height = treeHeight(pending.members.length);
  const start = coverOf(pending, height, leaf);
  if (!start?.node.secret) return undefined;
  let secret = start.node.secret;
  let owned = false;
  for (let depth = start.depth; depth < height; depth++) {
    const next = child(deps, secret, branchBit(leaf, height, depth));
    if (owned) zeroize(secret);
    secret = next;
    owned = true;
  }
  const out = memberSecretOfLeaf(deps, secret, member);
  if (owned) zeroize(secret);
  return out;
}

function child(deps: Deps, node: Uint8Array, bit: number): Uint8Array {
  return deps.crypto.hkdfExpand(node, bit === 0 ? LABEL_LEFT : LABEL_RIGHT, 32);
}
