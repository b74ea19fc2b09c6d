/**
 * An immutable string-keyed map with structural sharing (a hash array mapped
 * trie, 32-way): `set` and `delete` return a new map that shares every node
 * off the changed path with the old one, so a change costs O(log₃₂ n) small
 * copies instead of a copy of the whole record (issue 13: copying the
 * per-member records of a DCGKA state made every message O(n) and a whole
 * update O(n²)). The old map is never modified.
 *
 * The trie is canonical — its shape depends only on the keys it holds, not on
 * the order they were added or removed in — so equal maps iterate in the same
 * (hash) order and compare equal structurally. Callers that need a sorted
 * order (codecs) sort the keys themselves.
 */

/** One key/value pair stored in the trie. */
interface Leaf<V> {
  readonly kind: 'leaf';
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}

/** Keys whose 32-bit hashes are equal (sorted by key). */
interface Collision<V> {
  readonly kind: 'collision';
  readonly hash: number;
  readonly leaves: readonly Leaf<V>[];
}

/** An inner node: `bitmap` says which of the 32 slots are used, `children` holds them in slot order. */
interface Branch<V> {
  readonly kind: 'branch';
  readonly bitmap: number;
  readonly children: readonly TrieNode<V>[];
}

type TrieNode<V> = Leaf<V> | Collision<V> | Branch<V>;

const BITS = 5;
const MASK = (1 << BITS) - 1;

/** FNV-1a over the UTF-16 code units of `key`. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

function slotOf(hash: number, shift: number): number {
  return (hash >>> shift) & MASK;
}

function lookup<V>(node: TrieNode<V> | undefined, hash: number, key: string, from = 0): Leaf<V> | undefined {
  let shift = from;
  let cur = node;
  while (cur) {
    if (cur.kind === 'leaf') return cur.key === key ? cur : undefined;
    if (cur.kind === 'collision') return cur.hash === hash ? cur.leaves.find((l) => l.key === key) : undefined;
    const bit = 1 << slotOf(hash, shift);
    if ((cur.bitmap & bit) === 0) return undefined;
    cur = cur.children[popcount(cur.bitmap & (bit - 1))];
    shift += BITS;
  }
  return undefined;
}

/** A branch (or chain of branches) holding two nodes of different hashes that met at `shift`. */
function merge<V>(a: Leaf<V> | Collision<V>, b: Leaf<V> | Collision<V>, shift: number): TrieNode<V> {
  if (a.hash === b.hash) {
    // Only leaves meet with equal hashes here (a collision absorbs its own hash in `insert`).
    const leaves = [...(a.kind === 'leaf' ? [a] : a.leaves), ...(b.kind === 'leaf' ? [b] : b.leaves)].sort((x, y) => (x.key < y.key ? -1 : 1));
    return { kind: 'collision', hash: a.hash, leaves };
  }
  const sa = slotOf(a.hash, shift);
  const sb = slotOf(b.hash, shift);
  if (sa === sb) return { kind: 'branch', bitmap: 1 << sa, children: [merge(a, b, shift + BITS)] };
  return { kind: 'branch', bitmap: (1 << sa) | (1 << sb), children: sa < sb ? [a, b] : [b, a] };
}

/** Inserts or replaces; `added` tells the caller whether the key is new. */
function insert<V>(node: TrieNode<V> | undefined, leaf: Leaf<V>, shift: number, added: { value: boolean }): TrieNode<V> {
  if (!node) {
    added.value = true;
    return leaf;
  }
  if (node.kind === 'leaf') {
    if (node.key === leaf.key) return leaf;
    added.value = true;
    return merge(node, leaf, shift);
  }
  if (node.kind === 'collision') {
    if (node.hash !== leaf.hash) {
      added.value = true;
      return merge(node, leaf, shift);
    }
    const at = node.leaves.findIndex((l) => l.key === leaf.key);
    if (at >= 0) return { kind: 'collision', hash: node.hash, leaves: node.leaves.map((l, i) => (i === at ? leaf : l)) };
    added.value = true;
    return { kind: 'collision', hash: node.hash, leaves: [...node.leaves, leaf].sort((x, y) => (x.key < y.key ? -1 : 1)) };
  }
  const bit = 1 << slotOf(leaf.hash, shift);
  const index = popcount(node.bitmap & (bit - 1));
  const children = node.children.slice();
  if ((node.bitmap & bit) === 0) {
    added.value = true;
    children.splice(index, 0, leaf);
    return { kind: 'branch', bitmap: node.bitmap | bit, children };
  }
  children[index] = insert(children[index], leaf, shift + BITS, added);
  return { kind: 'branch', bitmap: node.bitmap, children };
}

/**
 * Removes `key` (the node is returned unchanged when absent). A branch left
 * with a single leaf or collision is replaced by it, which keeps the trie canonical.
 */
function remove<V>(node: TrieNode<V>, hash: number, key: string, shift: number): TrieNode<V> | undefined {
  if (node.kind === 'leaf') return node.key === key ? undefined : node;
  if (node.kind === 'collision') {
    if (node.hash !== hash || !node.leaves.some((l) => l.key === key)) return node;
    const leaves = node.leaves.filter((l) => l.key !== key);
    return leaves.length === 1 ? leaves[0] : { kind: 'collision', hash, leaves };
  }
  const bit = 1 << slotOf(hash, shift);
  if ((node.bitmap & bit) === 0) return node;
  const index = popcount(node.bitmap & (bit - 1));
  const child = node.children[index] as TrieNode<V>;
  const next = remove(child, hash, key, shift + BITS);
  if (next === child) return node;
  const children = node.children.slice();
  let bitmap = node.bitmap;
  if (next === undefined) {
    children.splice(index, 1);
    bitmap &= ~bit;
  } else {
    children[index] = next;
  }
  if (children.length === 0) return undefined;
  const only = children[0] as TrieNode<V>;
  if (children.length === 1 && only.kind !== 'branch') return only;
  return { kind: 'branch', bitmap, children };
}

/** Appends to `out` the keys of `a` whose value `b` (the same trie position, at `shift`) lacks or holds differently. */
function diff<V>(a: TrieNode<V> | undefined, b: TrieNode<V> | undefined, shift: number, out: string[]): void {
  if (a === b || !a) return;
  if (a.kind === 'branch' && b?.kind === 'branch') {
    let rest = a.bitmap;
    while (rest !== 0) {
      const bit = rest & -rest;
      rest ^= bit;
      const mine = a.children[popcount(a.bitmap & (bit - 1))];
      const theirs = (b.bitmap & bit) === 0 ? undefined : b.children[popcount(b.bitmap & (bit - 1))];
      diff(mine, theirs, shift + BITS, out);
    }
    return;
  }
  for (const leaf of walk(a)) {
    const found = lookup(b, leaf.hash, leaf.key, shift);
    if (!found || found.value !== leaf.value) out.push(leaf.key);
  }
}

function* walk<V>(node: TrieNode<V> | undefined): Generator<Leaf<V>> {
  if (!node) return;
  if (node.kind === 'leaf') yield node;
  else if (node.kind === 'collision') yield* node.leaves;
  else for (const child of node.children) yield* walk(child);
}

/**
 * An immutable map from strings to `V`. Reads follow `ReadonlyMap`;
 * `set`/`delete` return a new map and leave this one as it was.
 */
export class PersistentMap<V> implements ReadonlyMap<string, V> {
  private static readonly EMPTY = new PersistentMap<never>(undefined, 0);

  private constructor(
    private readonly root: TrieNode<V> | undefined,
    /** Number of keys. */
    readonly size: number,
  ) {
    Object.freeze(this);
  }

  /** The empty map. */
  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as PersistentMap<V>;
  }

  /** A map of the given pairs (a later pair for the same key wins), or of a record's own entries. */
  static from<V>(source: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): PersistentMap<V> {
    const pairs: Iterable<readonly [string, V]> = Symbol.iterator in source ? (source as Iterable<readonly [string, V]>) : Object.entries(source as Record<string, V>);
    let map = PersistentMap.empty<V>();
    for (const [key, value] of pairs) map = map.set(key, value);
    return map;
  }

  get(key: string): V | undefined {
    return lookup(this.root, hashOf(key), key)?.value;
  }

  has(key: string): boolean {
    return lookup(this.root, hashOf(key), key) !== undefined;
  }

  /** This map with `key` set to `value` (this map itself when nothing changes). */
  set(key: string, value: V): PersistentMap<V> {
    const hash = hashOf(key);
    const found = lookup(this.root, hash, key);
    if (found && found.value === value) return this;
    const added = { value: false };
    const root = insert(this.root, { kind: 'leaf', hash, key, value }, 0, added);
    return new PersistentMap(root, this.size + (added.value ? 1 : 0));
  }

  /** This map without `key` (this map itself when it has no such key). */
  delete(key: string): PersistentMap<V> {
    if (!this.root) return this;
    const root = remove(this.root, hashOf(key), key, 0);
    return root === this.root ? this : new PersistentMap(root, this.size - 1);
  }

  *entries(): MapIterator<[string, V]> {
    for (const leaf of walk(this.root)) yield [leaf.key, leaf.value];
  }

  *keys(): MapIterator<string> {
    for (const leaf of walk(this.root)) yield leaf.key;
  }

  *values(): MapIterator<V> {
    for (const leaf of walk(this.root)) yield leaf.value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const leaf of walk(this.root)) callback.call(thisArg, leaf.value, leaf.key, this);
  }

  /**
   * Keys this map holds with another value than `older` does, or that
   * `older` lacks (keys only `older` holds are not listed); values compare
   * by identity. Subtrees the two maps share are skipped, so for a map made
   * from `older` by k changes this costs O(k log n), not O(n).
   */
  changedSince(older: PersistentMap<V>): string[] {
    const out: string[] = [];
    diff(this.root, older.root, 0, out);
    return out;
  }

  /** The keys, sorted (the order codecs write). */
  sortedKeys(): string[] {
    return [...this.keys()].sort();
  }

  /** A plain record of the entries, keys in sorted order. */
  toRecord(): Record<string, V> {
    const out: Record<string, V> = {};
    for (const key of this.sortedKeys()) out[key] = this.get(key) as V;
    return out;
  }
}
