/**
 * The cached state encoders (src/mls/state-codec.ts) write exactly ts-mls's
 * bytes, for states of every shape a Secret Group goes through: a lone
 * creator, adds, an update, removals (blank and trailing blank nodes),
 * application messages (advanced ratchets, skipped generations) and
 * retained past epochs; and a second encoding of a state (from the caches)
 * equals the first.
 */
import { describe, expect, it } from 'vitest';
import {
  createApplicationMessage, createCommit, createGroup, defaultLifetime, emptyPskIndex, encodeGroupState, generateKeyPackage, joinGroup, processPrivateMessage,
  type ClientState, type KeyPackage, type LeafIndex, type PrivateKeyPackage, type Proposal,
} from 'ts-mls';
import { epochReceiverDataEncoder } from 'ts-mls/epochReceiverData.js';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { MEMBER_CAPABILITIES } from '../../src/mls/key-package.js';
import { encodeEpochReceiverDataFast, encodeGroupStateFast } from '../../src/mls/state-codec.js';
import { nodeDeps, text } from './helpers.js';

const cs = nodeDeps().mls;
const stockEpochReceiverData = encode(epochReceiverDataEncoder);

async function keyPackage(name: string): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  return generateKeyPackage({ credentialType: 'basic', identity: text(name) }, MEMBER_CAPABILITIES, defaultLifetime, [], cs);
}

/** Checks the fast encoders against ts-mls for `state` and its retained epochs, twice (the second from the caches). */
function expectSameBytes(state: ClientState): void {
  for (let round = 0; round < 2; round++) {
    expect(Buffer.from(encodeGroupStateFast(state)).toString('hex')).toBe(Buffer.from(encodeGroupState(state)).toString('hex'));
    for (const data of state.historicalReceiverData.values()) {
      expect(encodeEpochReceiverDataFast(data)).toEqual(stockEpochReceiverData(data));
    }
  }
}

async function commit(state: ClientState, proposals: Proposal[]): Promise<Awaited<ReturnType<typeof createCommit>>> {
  return createCommit({ state, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension: true });
}

describe('state codec: the bytes of ts-mls encodeGroupState / epochReceiverDataEncoder', () => {
  it('matches through adds, an update, removals, application messages and past epochs', async () => {
    const creator = await keyPackage('owner');
    let owner = await createGroup(text('state-codec'), creator.publicPackage, creator.privatePackage, [], cs);
    expectSameBytes(owner);

    const joiners = await Promise.all(['a', 'b', 'c', 'd'].map(keyPackage));
    const added = await commit(owner, joiners.map((j) => ({ proposalType: 'add', add: { keyPackage: j.publicPackage } })));
    owner = added.newState;
    expect(owner.historicalReceiverData.size).toBe(1);
    expect(owner.ratchetTree.at(-1)).toBeUndefined(); // five leaves in a tree of eight: trailing blanks to strip
    expectSameBytes(owner);
    expectSameBytes(await joinGroup(added.welcome!, joiners[0]!.publicPackage, joiners[0]!.privatePackage, emptyPskIndex, cs));

    owner = (await commit(owner, [])).newState;
    expectSameBytes(owner);

    // Removing b leaves a blank leaf inside the tree; removing d (the last leaf) shrinks the tree.
    owner = (await commit(owner, [{ proposalType: 'remove', remove: { removed: 2 as LeafIndex } }])).newState;
    expectSameBytes(owner);
    const last = await commit(owner, [{ proposalType: 'remove', remove: { removed: 4 as LeafIndex } }]);
    owner = last.newState;
    expect(owner.ratchetTree[2 * 2]).toBeUndefined();
    expectSameBytes(owner);

    // A reader who joins now (it fills b's blank leaf).
    const late = await keyPackage('e');
    const withE = await commit(owner, [{ proposalType: 'add', add: { keyPackage: late.publicPackage } }]);
    owner = withE.newState;
    let reader = await joinGroup(withE.welcome!, late.publicPackage, late.privatePackage, emptyPskIndex, cs);

    // Three application messages, the third read first: a skipped generation in the reader's secret tree.
    const sent: Awaited<ReturnType<typeof createApplicationMessage>>[] = [];
    for (let i = 0; i < 3; i++) {
      const message = await createApplicationMessage(owner, text(`m${i}`), cs);
      owner = message.newState;
      sent.push(message);
    }
    expectSameBytes(owner);
    reader = (await processPrivateMessage(reader, sent[2]!.privateMessage, emptyPskIndex, cs)).newState;
    expect(Object.keys(reader.secretTree[0]!.application.unusedGenerations).length).toBeGreaterThan(0);
    expectSameBytes(reader);
    const first = await processPrivateMessage(reader, sent[0]!.privateMessage, emptyPskIndex, cs);
    expectSameBytes(first.newState);
  }, 60_000);
});
