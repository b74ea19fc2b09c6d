/**
 * The cover tree of a pending seed (issue 13) against the sorted node list it
 * replaced: the same member secrets, the same dropped secrets, the same kept
 * nodes and so the same encoded state, for every puncture order. Two oracles:
 * states encoded by the list-based code of main (fixture), and that list
 * algorithm rewritten below for random groups and orders.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PersistentMap, defaultDeps, fromHex, toHex } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import { decodeDcgkaState, encodeDcgkaState } from '../../src/dcgka/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import { isWaiting, keptNodes, memberSecretOfLeaf, newPendingSeed, peekSecret, puncture, treeHeight, waitingMembers } from '../../src/dcgka/puncture.js';
import type { PendingSeed, SeedNode } from '../../src/dcgka/puncture.js';
import { createMembership } from '../../src/membership/index.js';
import { utf8 } from '../../src/crypto/index.js';

const deps = defaultDeps();
const idOf = (i: number): string => toHex(deps.crypto.hkdf(Uint8Array.of(i & 255, i >> 8), new Uint8Array(32), new Uint8Array(0), 32));

interface FixtureStep { member: string; secret: string | null; dropped: string | null; state?: string }
interface FixtureRun { n: number; root: string | null; initial: string; steps: FixtureStep[] }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/v2-pending-tree.json', import.meta.url), 'utf8')) as { groupId: string; me: string; opId: string; runs: FixtureRun[] };

/** The fixture's state: nothing but `pending` under the fixture's op id. */
function stateWith(pending: PendingSeed | undefined): DcgkaState {
  return {
    v: 2, groupId: fixture.groupId, me: fixture.me, clock: PersistentMap.empty(), membership: createMembership({ id: 'none', creator: fixture.me, members: [] }),
    sessions: PersistentMap.empty(), pendingSeeds: pending ? PersistentMap.from({ [fixture.opId]: pending }) : PersistentMap.empty(),
    memberSecrets: PersistentMap.empty(), ratchets: PersistentMap.empty(), removed: false, joinedVia: [], refreshDue: [],
  };
}
const hexOrNull = (bytes: Uint8Array | undefined): string | null => (bytes ? toHex(bytes) : null);

describe('cover tree: states encoded by the list-based puncture of main', () => {
  for (const run of fixture.runs) {
    it(`n = ${run.n}, ${run.root ? 'secrets' : 'positions only'}: same secrets, dropped secrets and state bytes at every step`, () => {
      const members = Array.from({ length: run.n }, (_, i) => idOf(i));
      let pending: PendingSeed | undefined = newPendingSeed(members, run.root ? fromHex(run.root) : undefined);
      // Bytes as this version writes the fixture's state (the membership inside is written as v3 since issue 12).
      const current = (hex: string): string => toHex(encodeDcgkaState(decodeDcgkaState(fromHex(hex))));
      expect(toHex(encodeDcgkaState(stateWith(pending)))).toBe(current(run.initial));
      let checked = 0;
      for (const [k, step] of run.steps.entries()) {
        const taken = puncture(deps, pending as PendingSeed, step.member);
        expect(taken, `step ${k}`).toBeDefined();
        expect(hexOrNull(taken?.secret)).toBe(step.secret);
        expect(hexOrNull(taken?.dropped)).toBe(step.dropped);
        pending = taken?.pending;
        if (step.state === undefined) continue;
        checked++;
        expect(toHex(encodeDcgkaState(stateWith(pending)))).toBe(current(step.state));
        // The decoded state is the same tree, and goes on exactly as the punctured one.
        const decoded = decodeDcgkaState(fromHex(step.state));
        expect(decoded).toEqual(stateWith(pending));
        expect(decoded.pendingSeeds.get(fixture.opId)).toEqual(pending);
        const next = run.steps[k + 1];
        if (next) expect(hexOrNull(puncture(deps, decoded.pendingSeeds.get(fixture.opId) as PendingSeed, next.member)?.secret)).toBe(next.secret);
      }
      expect(pending).toBeUndefined();
      expect(checked).toBeGreaterThanOrEqual(3);
    });
  }
});

/** The algorithm the cover tree replaced: the kept nodes as a list sorted by (depth, index). */
interface ListSeed { readonly members: readonly string[]; readonly nodes: readonly SeedNode[] }

const LABEL_LEFT = utf8('groupcrypt/dcgka/seed-tree/left');
const LABEL_RIGHT = utf8('groupcrypt/dcgka/seed-tree/right');

function listPuncture(d: Deps, seed: ListSeed, member: string): { seed: ListSeed; secret: Uint8Array | undefined; dropped: Uint8Array | undefined } | undefined {
  const leaf = seed.members.indexOf(member);
  const height = treeHeight(seed.members.length);
  const at = seed.nodes.findIndex((node) => node.depth <= height && leaf >> (height - node.depth) === node.index);
  if (leaf < 0 || at < 0) return undefined;
  const start = seed.nodes[at] as SeedNode;
  const added: SeedNode[] = [];
  let secret = start.secret;
  for (let depth = start.depth; depth < height; depth++) {
    const bit = (leaf >> (height - depth - 1)) & 1;
    const sibling = (leaf >> (height - depth)) * 2 + (1 - bit);
    const derive = (b: number): Uint8Array | undefined => (secret ? d.crypto.hkdfExpand(secret, b === 0 ? LABEL_LEFT : LABEL_RIGHT, 32) : undefined);
    if (sibling << (height - depth - 1) < seed.members.length) {
      const siblingSecret = derive(1 - bit);
      added.push(siblingSecret ? { depth: depth + 1, index: sibling, secret: siblingSecret } : { depth: depth + 1, index: sibling });
    }
    secret = derive(bit);
  }
  const nodes = [...seed.nodes.filter((_, i) => i !== at), ...added].sort((a, b) => a.depth - b.depth || a.index - b.index);
  return { seed: { members: seed.members, nodes }, secret: secret ? memberSecretOfLeaf(d, secret, member) : undefined, dropped: start.secret };
}

const nodeView = (nodes: readonly SeedNode[]): string[] => nodes.map((n) => `${n.depth}/${n.index}/${n.secret ? toHex(n.secret) : '-'}`);

describe('cover tree: random groups and puncture orders against the list algorithm', () => {
  it('same secrets, dropped secrets, kept nodes, waiting members and encoded state; earlier versions unchanged', () => {
    const arbCase = fc.integer({ min: 1, max: 140 }).chain((n) => fc.record({
      n: fc.constant(n),
      order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: 1, maxLength: n }),
      secrets: fc.boolean(),
      root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      encodeEvery: fc.integer({ min: 1, max: 8 }),
    }));
    fc.assert(fc.property(arbCase, ({ n, order, secrets, root, encodeEvery }) => {
      const members = Array.from({ length: n }, (_, i) => idOf(i)).sort();
      let tree: PendingSeed | undefined = newPendingSeed(members, secrets ? root : undefined);
      let list: ListSeed | undefined = { members, nodes: [secrets ? { depth: 0, index: 0, secret: root } : { depth: 0, index: 0 }] };
      const waiting = new Set(members);
      for (const [k, leaf] of order.entries()) {
        const member = members[leaf] as string;
        const before = tree as PendingSeed;
        const beforeNodes = nodeView(keptNodes(before));
        const peeked = peekSecret(deps, before, member);
        const fromTree = puncture(deps, before, member);
        const fromList = listPuncture(deps, list as ListSeed, member);
        expect(hexOrNull(fromTree?.secret)).toBe(hexOrNull(fromList?.secret));
        expect(hexOrNull(fromTree?.secret)).toBe(hexOrNull(peeked));
        expect(hexOrNull(fromTree?.dropped)).toBe(hexOrNull(fromList?.dropped));
        expect(nodeView(keptNodes(before))).toEqual(beforeNodes); // the previous state keeps its tree
        tree = fromTree?.pending;
        list = fromList?.seed.nodes.length ? fromList.seed : undefined;
        waiting.delete(member);
        expect(tree === undefined).toBe(list === undefined);
        if (!tree || !list) continue;
        expect(nodeView(keptNodes(tree))).toEqual(nodeView(list.nodes));
        expect(waitingMembers(tree)).toEqual([...waiting].sort());
        expect(isWaiting(tree, member)).toBe(false);
        expect(puncture(deps, tree, member)).toBeUndefined();
        if (k % encodeEvery === 0) {
          const bytes = encodeDcgkaState(stateWith(tree));
          const decoded = decodeDcgkaState(bytes);
          expect(decoded.pendingSeeds.get(fixture.opId)).toEqual(tree);
          expect(toHex(encodeDcgkaState(decoded))).toBe(toHex(bytes));
        }
      }
      expect(tree === undefined).toBe(waiting.size === 0);
    }), { numRuns: 60 });
  });

  it('a puncture creates O(log n) tree nodes and shares the rest with the previous version', () => {
    const members = Array.from({ length: 1024 }, (_, i) => idOf(i)).sort();
    let pending = newPendingSeed(members, deps.crypto.randomBytes(32));
    for (let i = 0; i < 512; i += 2) pending = puncture(deps, pending, members[(i * 37) % 1024] as string)?.pending as PendingSeed;
    const objects = (p: PendingSeed): Set<unknown> => {
      const out = new Set<unknown>();
      const visit = (node: unknown): void => {
        if (node === null || typeof node !== 'object') return;
        out.add(node);
        const split = node as { kind: string; left?: unknown; right?: unknown };
        if (split.kind === 'split') {
          visit(split.left);
          visit(split.right);
        }
      };
      visit(p.cover);
      return out;
    };
    const before = objects(pending);
    expect(keptNodes(pending).length).toBeGreaterThan(100);
    const after = objects(puncture(deps, pending, members[1] as string)?.pending as PendingSeed);
    const fresh = [...after].filter((node) => !before.has(node)).length;
    expect(fresh).toBeGreaterThan(0);
    expect(fresh).toBeLessThanOrEqual(2 * treeHeight(1024) + 1);
  });
});
