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
 * that depth. A pending seed keeps its nodes sorted by (depth, index).
 */
export interface SeedNode {
  readonly depth: number;
  readonly index: number;
  /** The node's secret; absent when this member does not hold the seed (positions only). */
  readonly secret?: Uint8Array;
}

/**
 * A seed whose member secrets still wait for acks: the sorted recipients
 * (leaves, in order) and the nodes covering those not consumed yet.
 */
export interface PendingSeed {
  readonly members: readonly MemberId[];
  readonly nodes: readonly SeedNode[];
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
  return { members: [...recipients].sort(), nodes: [root ? { depth: 0, index: 0, secret: root } : { depth: 0, index: 0 }] };
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

/** Position of node `(depth, index)` in the sorted `nodes`, or where it would go (`~position` when absent). */
function searchNode(nodes: readonly SeedNode[], depth: number, index: number): number {
  let lo = 0;
  let hi = nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const node = nodes[mid] as SeedNode;
    const order = node.depth - depth || node.index - index;
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return ~lo;
}

/**
 * Position in `nodes` of the node covering `leaf`, or -1: one of the leaf's
 * height + 1 ancestors, each found by binary search, so an ack costs
 * O(log² n) here however many nodes the seed still keeps (up to n/2).
 */
function coverOf(nodes: readonly SeedNode[], height: number, leaf: number): number {
  for (let depth = 0; depth <= height; depth++) {
    const at = searchNode(nodes, depth, leaf >> (height - depth));
    if (at >= 0) return at;
  }
  return -1;
}

/** Whether `member`'s secret is still waiting in `pending`. */
export function isWaiting(pending: PendingSeed, member: MemberId): boolean {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return false;
  return coverOf(pending.nodes, treeHeight(pending.members.length), leaf) >= 0;
}

/** The members still waiting (sorted): every leaf under a kept node. */
export function waitingMembers(pending: PendingSeed): MemberId[] {
  const height = treeHeight(pending.members.length);
  const out: number[] = [];
  for (const node of pending.nodes) {
    const first = node.index << (height - node.depth);
    const last = Math.min(pending.members.length, (node.index + 1) << (height - node.depth));
    for (let leaf = first; leaf < last; leaf++) out.push(leaf);
  }
  return out.sort((a, b) => a - b).map((leaf) => pending.members[leaf] as MemberId);
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
 * becomes the member's secret. Returns undefined when the member is not waiting.
 */
export function puncture(deps: Deps, pending: PendingSeed, member: MemberId): Punctured | undefined {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return undefined;
  const count = pending.members.length;
  const height = treeHeight(count);
  const at = coverOf(pending.nodes, height, leaf);
  if (at < 0) return undefined;
  const start = pending.nodes[at] as SeedNode;
  const siblings: SeedNode[] = []; // by increasing depth, one per depth: already in node order
  let secret = start.secret;
  let owned = false; // whether `secret` is a temporary of this call (to wipe) rather than the state's
  for (let depth = start.depth; depth < height; depth++) {
    const bit = (leaf >> (height - depth - 1)) & 1;
    const index = (leaf >> (height - depth)) * 2;
    const siblingIndex = index + (1 - bit);
    // A sibling that covers no leaf (past the end of the list) is not kept.
    if (siblingIndex << (height - depth - 1) < count) {
      siblings.push(secret ? { depth: depth + 1, index: siblingIndex, secret: child(deps, secret, 1 - bit) } : { depth: depth + 1, index: siblingIndex });
    }
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
  const kept = replaceNode(pending.nodes, at, siblings);
  return { pending: kept.length > 0 ? { members: pending.members, nodes: kept } : undefined, secret: memberSecret, dropped: start.secret };
}

/**
 * The member secret of `member` without consuming it (for forwarding my own
 * secret before my ack consumes it). The caller wipes the returned copy.
 */
export function peekSecret(deps: Deps, pending: PendingSeed, member: MemberId): Uint8Array | undefined {
  const leaf = leafIndexOf(pending.members, member);
  if (leaf < 0) return undefined;
  const height = treeHeight(pending.members.length);
  const start = pending.nodes[coverOf(pending.nodes, height, leaf)];
  if (!start?.secret) return undefined;
  let secret = start.secret;
  let owned = false;
  for (let depth = start.depth; depth < height; depth++) {
    const next = child(deps, secret, (leaf >> (height - depth - 1)) & 1);
    if (owned) zeroize(secret);
    secret = next;
    owned = true;
  }
  const out = memberSecretOfLeaf(deps, secret, member);
  if (owned) zeroize(secret);
  return out;
}

/**
 * `nodes` without the one at `at`, with the sorted `siblings` (new: they lay
 * under the removed node) merged in: one pass and one array per ack, where
 * copying, then splicing each sibling in, moved the up to n/2 kept nodes
 * several times (issue 13).
 */
function replaceNode(nodes: readonly SeedNode[], at: number, siblings: readonly SeedNode[]): SeedNode[] {
  const out = new Array<SeedNode>(nodes.length - 1 + siblings.length); // its final size: no regrowth while filling
  let next = 0;
  let placed = 0;
  for (let i = 0; i < nodes.length; i++) {
    if (i === at) continue;
    const node = nodes[i] as SeedNode;
    while (next < siblings.length && compareNodes(siblings[next] as SeedNode, node) < 0) out[placed++] = siblings[next++] as SeedNode;
    out[placed++] = node;
  }
  while (next < siblings.length) out[placed++] = siblings[next++] as SeedNode;
  return out;
}

function child(deps: Deps, node: Uint8Array, bit: number): Uint8Array {
  return deps.crypto.hkdfExpand(node, bit === 0 ? LABEL_LEFT : LABEL_RIGHT, 32);
}
