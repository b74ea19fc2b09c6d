/**
 * Our commit processing (src/mls/member-process.ts) gives exactly stock
 * ts-mls's results: every member processes every commit of a run (adds with
 * and without a path, updates by the owner and by other members, unmerged
 * leaves, removes, add + remove, truncation, its own removal) with stock
 * `processPublicMessage` and with `processMemberCommit`, and the new state
 * bytes are the same — also when processed a second time (the tree-hash
 * caches then hold the new subtrees). Bad commits fail with stock's errors.
 */
import { describe, expect, it } from 'vitest';
import {
  createCommit, createGroup, defaultLifetime, emptyPskIndex, encodeGroupState, generateKeyPackage, joinGroup, processPublicMessage,
  type ClientState, type KeyPackage, type LeafIndex, type PrivateKeyPackage, type Proposal, type PublicMessage,
} from 'ts-mls';
import { MEMBER_CAPABILITIES } from '../../src/mls/key-package.js';
import { createMlsCiphersuite } from '../../src/mls/ciphersuite.js';
import { processMemberCommit } from '../../src/mls/member-process.js';
import { text } from './helpers.js';

const cs = createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

interface Member { readonly publicPackage: KeyPackage; readonly privatePackage: PrivateKeyPackage; state?: ClientState }

async function member(name: string): Promise<Member> {
  return generateKeyPackage({ credentialType: 'basic', identity: text(name) }, MEMBER_CAPABILITIES, defaultLifetime, [], cs);
}

/** The error a call throws (class name and message), or undefined. */
async function failure(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}

/** A small group run: `commit` has `committer` commit `proposals`; every other member processes it both ways and must agree. */
class Run {
  constructor(private readonly members: Map<string, Member>) {}

  private leafOf(name: string): number {
    const state = this.members.get(name)?.state;
    if (state === undefined) throw new Error(`${name} is not in the group`);
    return state.privatePath.leafIndex;
  }

  add(names: readonly string[]): Proposal[] {
    return names.map((name) => ({ proposalType: 'add' as const, add: { keyPackage: (this.members.get(name) as Member).publicPackage } }));
  }

  remove(names: readonly string[]): Proposal[] {
    return names.map((name) => ({ proposalType: 'remove' as const, remove: { removed: this.leafOf(name) as LeafIndex } }));
  }

  /** Returns the commit (to replay it) and how many members processed it. */
  async commit(committer: string, proposals: Proposal[]): Promise<{ message: PublicMessage; processed: number }> {
    const from = this.members.get(committer) as Member;
    const adding = proposals.filter((p) => p.proposalType === 'add').length > 0;
    const made = await createCommit({ state: from.state as ClientState, cipherSuite: cs }, { extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension: adding });
    if (made.commit.wireformat !== 'mls_public_message') throw new Error('expected a public message');
    const message = made.commit.publicMessage;
    const removed = new Set(proposals.flatMap((p) => (p.proposalType === 'remove' ? [p.remove.removed as number] : [])));
    let processed = 0;
    for (const [name, m] of this.members) {
      if (name === committer || m.state === undefined) continue;
      // Removed while others are added: a joiner may take our leaf, and stock ts-mls then fails (process.ts never asks it to).
      if (adding && removed.has(m.state.privatePath.leafIndex)) {
        m.state = undefined;
        continue;
      }
      const stock = await processPublicMessage(m.state, message, emptyPskIndex, cs);
      for (let round = 0; round < 2; round++) {
        const ours = await processMemberCommit(m.state, message, cs);
        expect(hex(encodeGroupState(ours.newState)), `${name}, round ${round}`).toBe(hex(encodeGroupState(stock.newState)));
        expect(ours.newState.groupActiveState).toEqual(stock.newState.groupActiveState);
        expect(ours.consumed.map(hex)).toEqual(stock.consumed.map(hex));
      }
      m.state = stock.newState.groupActiveState.kind === 'removedFromGroup' ? undefined : stock.newState;
      processed++;
    }
    from.state = made.newState;
    for (const p of proposals) {
      if (p.proposalType !== 'add') continue;
      const joiner = [...this.members.values()].find((m) => m.publicPackage === p.add.keyPackage) as Member;
      joiner.state = await joinGroup(made.welcome!, joiner.publicPackage, joiner.privatePackage, emptyPskIndex, cs);
    }
    return { message, processed };
  }
}

describe('member commit processing', () => {
  it('gives the state of ts-mls processPublicMessage through adds, updates by several members, unmerged leaves, removes and truncation', { timeout: 60_000 }, async () => {
    const names = ['owner', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    const members = new Map<string, Member>();
    for (const name of names) members.set(name, await member(name));
    const owner = members.get('owner') as Member;
    owner.state = await createGroup(text('member-process'), owner.publicPackage, owner.privatePackage, [], cs);
    const run = new Run(members);
    // Adds without a path (blank parents), then paths over them by the owner and by another member.
    await run.commit('owner', run.add(['a', 'b', 'c', 'd', 'e']));
    await run.commit('owner', []);
    await run.commit('c', []);
    // Adds after a path: unmerged leaves; then an update over them.
    await run.commit('owner', run.add(['f', 'g', 'h']));
    expect((owner.state as ClientState).ratchetTree.some((node) => node?.nodeType === 'parent' && node.parent.unmergedLeaves.length > 0)).toBe(true);
    await run.commit('g', []);
    // A remove (b processes its own removal), then an add with a remove (new members' path secrets in the Welcome).
    expect((await run.commit('owner', run.remove(['b']))).processed).toBe(8);
    expect(members.get('b')?.state).toBeUndefined();
    await run.commit('owner', [...run.add(['i', 'j', 'k']), ...run.remove(['a'])]);
    // Removing the last leaves truncates the tree; an update by a member after it.
    const before = (owner.state as ClientState).ratchetTree.length;
    await run.commit('owner', run.remove(['h', 'k']));
    expect((owner.state as ClientState).ratchetTree.length).toBeLessThan(before);
    await run.commit('d', []);
  });

  it('fails as ts-mls does on a replayed commit and on a tampered one', async () => {
    const members = new Map<string, Member>();
    for (const name of ['owner', 'a', 'b']) members.set(name, await member(name));
    const owner = members.get('owner') as Member;
    owner.state = await createGroup(text('member-process-bad'), owner.publicPackage, owner.privatePackage, [], cs);
    const run = new Run(members);
    await run.commit('owner', run.add(['a', 'b']));
    const { message } = await run.commit('owner', []);
    const a = members.get('a')?.state as ClientState;
    // Replayed: the epoch has moved on.
    const replayed = await failure(() => processMemberCommit(a, message, cs));
    expect(replayed).toBeDefined();
    expect(replayed).toBe(await failure(() => processPublicMessage(a, message, emptyPskIndex, cs)));
    // Tampered: one byte of the confirmation tag (the membership tag no longer matches).
    const next = await createCommit({ state: owner.state as ClientState, cipherSuite: cs }, { wireAsPublicMessage: true });
    if (next.commit.wireformat !== 'mls_public_message' || next.commit.publicMessage.auth.contentType !== 'commit') throw new Error('expected a public commit');
    const tag = next.commit.publicMessage.auth.confirmationTag.slice();
    tag[0] = (tag[0] as number) ^ 1;
    const tampered: PublicMessage = { ...next.commit.publicMessage, auth: { ...next.commit.publicMessage.auth, confirmationTag: tag } };
    const bad = await failure(() => processMemberCommit(a, tampered, cs));
    expect(bad).toBeDefined();
    expect(bad).toBe(await failure(() => processPublicMessage(a, tampered, emptyPskIndex, cs)));
  });
});
