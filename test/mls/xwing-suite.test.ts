/**
 * A Secret Group on the X-Wing MLS ciphersuites of ts-mls (post-quantum KEM,
 * Ed25519 signatures): created, members added by commit, joined, long-term
 * secrets agree and messages decrypt; the group document names suite 83/84
 * and a member's key package advertises that suite.
 */
import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
import { describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { commitSecretGroup, createSecretGroup, decodeSecretGroup, decodeSecretGroupState, decryptLongTerm, decryptSenderRatchet, encodeSecretGroupState, encryptLongTerm, encryptSenderRatchet, joinSecretGroup, PQ_MLS_SUITES, type MlsDeps } from '../../src/mls/index.js';
import { newMember, text } from './helpers.js';

describe.each(PQ_MLS_SUITES.map((name) => [name] as const))('Secret Group on %s', (name: CiphersuiteName) => {
  it('creates, adds, joins, and members read each other', async () => {
    const deps: MlsDeps = { ...defaultDeps(), mls: await getCiphersuiteImpl(getCiphersuiteFromName(name)) };
    const owner = await newMember(deps, 0);
    const alice = await newMember(deps);
    const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x03 }, deps);
    const groupDoc = created.outputs[0].document;
    expect(decodeSecretGroup(groupDoc).mlsCiphersuite).toBe(name === 'MLS_256_XWING_AES256GCM_SHA512_Ed25519' ? 83 : 84);
    const added = await commitSecretGroup(created.state, { add: [alice.packages[0]!] }, deps);
    const joined = await joinSecretGroup({ identity: alice.store, group: groupDoc, commit: added.outputs[0].document }, deps);
    const ownerState = decodeSecretGroupState(encodeSecretGroupState(added.state));
    expect(toHex(ownerState.secrets.at(-1)!.value)).toBe(toHex(joined.state.secrets.at(-1)!.value));
    const sealed = await encryptLongTerm(ownerState, text('post-quantum hello'), deps);
    const opened = decryptLongTerm(joined.state, sealed.outputs[0].message, deps);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('post-quantum hello');
    const ratcheted = await encryptSenderRatchet(joined.state, text('ratchet'), deps);
    const read = await decryptSenderRatchet(ownerState, ratcheted.outputs[0].message, deps);
    expect(new TextDecoder().decode(read.outputs[0].plaintext)).toBe('ratchet');
  });
});
