/**
 * `documentEpoch` (src/peer/mls-runtime.ts) reads the MLS epoch from the
 * framing of a Secret Group document: the runtime uses it to tell what was
 * made before a peer joined. Checked against the driver's own epochs.
 */
import { describe, expect, it } from 'vitest';
import { defaultCryptoProvider, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import type { MlsDeps, SecretGroupStep } from '../../src/mls/index.js';
import { actSecretGroup, createMemberKeyStore, createMlsCiphersuite, createSecretGroup, replenishKeyPackages, viewSecretGroup } from '../../src/mls/index.js';
import { documentEpoch, PEER_MLS_SUITE } from '../../src/peer/mls-runtime.js';

const crypto = defaultCryptoProvider();
const deps: MlsDeps = { crypto, now: () => Math.floor(Date.now() / 1000), mls: createMlsCiphersuite(PEER_MLS_SUITE, crypto) };
const published = (step: SecretGroupStep): Uint8Array => {
  const out = step.outputs.find((o) => o.kind === 'publish');
  if (out?.kind !== 'publish') throw new Error('nothing published');
  return out.bytes;
};

describe('documentEpoch', () => {
  it('reads the epoch of sender-ratchet messages and commits; undefined for long-term messages, key packages and garbage', async () => {
    const identity = createMemberKeyStore(crypto, crypto.randomBytes(32));
    let { state } = await createSecretGroup({ identity, ltsCiphersuite: 1 }, deps);
    for (let epoch = 0; epoch < 3; epoch++) {
      expect(viewSecretGroup(state, deps).epoch).toBe(epoch);
      const sent = await actSecretGroup(state, { kind: 'send', plaintext: utf8('x'), scheme: 'sender_ratchet' }, deps);
      expect(documentEpoch(published(sent))).toBe(epoch);
      const longTerm = await actSecretGroup(sent.state, { kind: 'send', plaintext: utf8('y'), scheme: 'long_term' }, deps);
      expect(documentEpoch(published(longTerm))).toBeUndefined();
      const committed = await actSecretGroup(longTerm.state, { kind: 'update' }, deps);
      expect(documentEpoch(published(committed))).toBe(epoch);
      state = committed.state;
    }
    const pool = await replenishKeyPackages(identity, deps);
    const keyPackage = pool.outputs.find((o) => o.kind === 'key_package');
    expect(keyPackage?.kind === 'key_package' ? documentEpoch(keyPackage.document) : 'none').toBeUndefined();
    expect(documentEpoch(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(documentEpoch(encodeCanonical({ type: 'mls_ciphertext', mls: new Uint8Array([0, 1, 0, 2]) }))).toBeUndefined();
    expect(documentEpoch(encodeCanonical({ type: 'secret_group_proposal', epoch: 7 }))).toBe(7);
  });
});
