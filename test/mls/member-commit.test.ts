/**
 * Our commit path (src/mls/member-commit.ts) and its parts give exactly
 * stock ts-mls's results: with the same random bytes, a commit (add, update,
 * remove, add + remove), its Welcome and the new state are the bytes of
 * ts-mls `createCommit`; the cached tree and parent hashes equal ts-mls's
 * `treeHashRoot` / `calculateParentHash` on trees with blanks and unmerged
 * leaves, also when computed a second time (from the caches); the secret
 * tree equals `createSecretTree`.
 */
import { describe, expect, it } from 'vitest';
import {
  createCommit, createGroup, defaultLifetime, encodeGroupState, encodeMlsMessage, generateKeyPackage,
  type CiphersuiteImpl, type ClientState, type KeyPackage, type LeafIndex, type PrivateKeyPackage, type Proposal, type Welcome,
} from 'ts-mls';
import { calculateParentHash } from 'ts-mls/parentHash.js';
import { createSecretTree } from 'ts-mls/secretTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { toNodeIndex } from 'ts-mls/treemath.js';
import { defaultCryptoProvider, type CryptoProvider } from '../../src/crypto/index.js';
import { MEMBER_CAPABILITIES } from '../../src/mls/key-package.js';
import { createMlsCiphersuite } from '../../src/mls/ciphersuite.js';
import { createMemberCommit } from '../../src/mls/member-commit.js';
import { createSecretTreeFast } from '../../src/mls/secret-tree.js';
import { parentHashOf, treeHashRootOf } from '../../src/mls/tree-hash.js';
import { text } from './helpers.js';

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const cs = createMlsCiphersuite(SUITE);

/** A provider whose random bytes are a fixed function of `seed` and the call count (to run two commit paths on the same randomness). */
function seededProvider(seed: number): CryptoProvider {
  const base = defaultCryptoProvider();
  let calls = 0;
  const seeded = Object.create(base) as CryptoProvider;
  Object.defineProperty(seeded, 'randomBytes', {
    value: (length: number): Uint8Array => {
      const out = new Uint8Array(length);
      for (let offset = 0, block = 0; offset < length; offset += 32, block++) {
        out.set(base.sha256(Uint8Array.of(seed, calls & 0xff, calls >> 8, block)).subarray(0, Math.min(32, length - offset)), offset);
      }
      calls++;
      return out;
    },
  });
  return seeded;
}

function seededSuite(seed: number): CiphersuiteImpl {
  return createMlsCiphersuite(SUITE, seededProvider(seed));
}

async function keyPackage(name: string): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  return generateKeyPackage({ credentialType: 'basic', identity: text(name) }, MEMBER_CAPABILITIES, defaultLifetime, [], cs);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Checks tree hash and every parent hash against ts-mls, twice (the second time from the caches). */
async function expectSameHashes(state: ClientState): Promise<void> {
  const tree = state.ratchetTree;
  for (let round = 0; round < 2; round++) {
    expect(hex(await treeHashRootOf(tree, cs.hash))).toBe(hex(await treeHashRoot(tree, cs.hash)));
    for (let index = 0; index < tree.length; index++) {
      if (tree[index] === undefined) continue;
      const ours = await parentHashOf(tree, toNodeIndex(index), cs.hash);
      const stock = await calculateParentHash(tree, toNodeIndex(index), cs.hash);
      expect([hex(ours[0]), ours[1]]).toEqual([hex(stock[0]), stock[1]]);
    }
  }
}

/** Our commit and stock's on the same randomness: same commit, Welcome and new state bytes; returns stock's new state. */
async function expectSameCommit(state: ClientState, proposals: Proposal[], seed: number, ratchetTreeExtension = false): Promise<ClientState> {
  const ours = await createMemberCommit(state, proposals, { ratchetTreeExtension }, seededSuite(seed));
  const stock = await createCommit({ state, cipherSuite: seededSuite(seed) }, { extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension });
  expect(hex(encodeMlsMessage(ours.commit))).toBe(hex(encodeMlsMessage(stock.commit)));
  expect(hex(encodeGroupState(ours.newState))).toBe(hex(encodeGroupState(stock.newState)));
  const welcome = (w: Welcome | undefined): string | undefined => (w === undefined ? undefined : hex(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: w })));
  expect(welcome(ours.welcome)).toBe(welcome(stock.welcome));
  expect(ours.consumed.length).toBe(stock.consumed.length);
  return stock.newState;
}

describe('member commit without a Welcome', () => {
  it('makes the bytes of ts-mls createCommit, with the same hashes, through adds, blanks, unmerged leaves and removes', async () => {
    const packages = await Promise.all(['owner', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map(keyPackage));
    const [owner, ...others] = packages;
    let state = await createGroup(text('member-commit'), owner!.publicPackage, owner!.privatePackage, [], cs);
    const addAll = (list: typeof others): Proposal[] => list.map((m) => ({ proposalType: 'add' as const, add: { keyPackage: m.publicPackage } }));
    // Adds without a path (a Welcome with the tree): blank parents, then a path over them.
    state = await expectSameCommit(state, addAll(others.slice(0, 5)), 1, true);
    await expectSameHashes(state);
    state = await expectSameCommit(state, [], 2);
    await expectSameHashes(state);
    // Adds after a path: unmerged leaves in the path's parent nodes (a Welcome without the tree).
    state = await expectSameCommit(state, addAll(others.slice(5, 8)), 3);
    expect(state.ratchetTree.some((node) => node?.nodeType === 'parent' && node.parent.unmergedLeaves.length > 0)).toBe(true);
    await expectSameHashes(state);
    state = await expectSameCommit(state, [{ proposalType: 'remove', remove: { removed: 3 as LeafIndex } }], 4);
    await expectSameHashes(state);
    // An add with a remove: a path whose secrets reach the new members in the Welcome, not in the UpdatePath.
    state = await expectSameCommit(state, [...addAll(others.slice(8)), { proposalType: 'remove', remove: { removed: 2 as LeafIndex } }], 5, true);
    await expectSameHashes(state);
    // Removing the last leaves (of 9) truncates the tree.
    expect(state.ratchetTree.length).toBe(31);
    state = await expectSameCommit(state, [{ proposalType: 'remove', remove: { removed: 8 as LeafIndex } }, { proposalType: 'remove', remove: { removed: 7 as LeafIndex } }], 6);
    expect(state.ratchetTree.length).toBe(15);
    await expectSameHashes(state);
    state = await expectSameCommit(state, [], 7);
    await expectSameHashes(state);
  });

  it('derives the secret tree of ts-mls createSecretTree', async () => {
    for (const leaves of [1, 2, 8, 16]) {
      const secret = cs.rng.randomBytes(32);
      const ours = await createSecretTreeFast(leaves, secret, cs.kdf);
      const stock = await createSecretTree(leaves, secret, cs.kdf);
      expect(ours).toEqual(stock);
      expect(secret.some((b) => b !== 0)).toBe(true);
    }
  });
});
