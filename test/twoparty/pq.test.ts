/**
 * Post-quantum 2SM sessions: PQXDH first messages (X3DH + ML-KEM-768 to the
 * peer's signed PQ pre-key), X-Wing HPKE afterwards, versioned codecs, and
 * bad input (tampered PQ ciphertexts, PQ pre-keys with wrong signatures,
 * missing PQ pre-keys, classic/PQ mix-ups) that changes no state.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import { createKeyManager, decodeKeyManager, encodeKeyManager, generateOneTimePreKeys, identityOf, longTermBundle } from '../../src/keys/index.js';
import type { KeyBundle, KeyManagerState, OneTimeKeyBundle, PqPreKey } from '../../src/keys/index.js';
import { createSession, decodeSession, decodeTwoPartyMessage, encodeSession, twoPartyReceive, twoPartySend } from '../../src/twoparty/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import { codeOf, makeParty, testDeps, type Party } from './helpers.js';

const deps = testDeps();

function makePqParty(): Party {
  const { state, bundles } = generateOneTimePreKeys(createKeyManager(deps, { pq: true }), deps, 1);
  return { identity: identityOf(state), keyManager: state, oneTime: bundles[0] as KeyBundle, longTerm: longTermBundle(state) };
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const read = (value: Uint8Array): string => new TextDecoder().decode(value);
const snapshot = (session: TwoPartySession, km: KeyManagerState): string => toHex(encodeSession(session)) + toHex(encodeKeyManager(km));

describe('post-quantum 2SM', () => {
  it.each(['one-time', 'long-term'] as const)('runs a conversation from a %s bundle; every message is PQ and decrypts', (kind) => {
    const a = makePqParty();
    const b = makePqParty();
    let ab = createSession(b.identity.publicKey, { pq: true });
    let ba = createSession(a.identity.publicKey, { pq: true });
    let bKeys = b.keyManager;
    let aKeys = a.keyManager;
    const first = twoPartySend(ab, text('hello 0'), { deps, identity: a.identity, peerBundle: kind === 'one-time' ? b.oneTime : b.longTerm });
    const decoded = decodeTwoPartyMessage(first.message);
    expect(decoded.kind === 'x3dh' && decoded.pq?.kind).toBe(kind);
    ab = first.session;
    const got = twoPartyReceive(ba, bKeys, first.message, { deps, identity: b.identity });
    expect(read(got.plaintext)).toBe('hello 0');
    ba = got.session;
    bKeys = got.keyManager;
    if (kind === 'one-time') {
      expect(bKeys.pqOneTimePreKeys).toHaveLength(0);
      expect(bKeys.oneTimePreKeys).toHaveLength(0);
    }
    // Both directions, several rounds, through the session codec.
    for (let i = 1; i < 4; i++) {
      const reply = twoPartySend(ba, text(`reply ${i}`), { deps, identity: b.identity });
      const m = decodeTwoPartyMessage(reply.message);
      expect(m.kind === 'hpke' && m.pq === true && m.enc.length).toBe(1120);
      ba = decodeSession(encodeSession(reply.session));
      const opened = twoPartyReceive(ab, aKeys, reply.message, { deps, identity: a.identity });
      expect(read(opened.plaintext)).toBe(`reply ${i}`);
      ab = decodeSession(encodeSession(opened.session));
      aKeys = opened.keyManager;
      const again = twoPartySend(ab, text(`hello ${i}`), { deps, identity: a.identity });
      ab = again.session;
      const back = twoPartyReceive(ba, bKeys, again.message, { deps, identity: b.identity });
      expect(read(back.plaintext)).toBe(`hello ${i}`);
      ba = back.session;
      bKeys = back.keyManager;
    }
    expect(ab.pq).toBe(true);
    expect((decodeCanonical(encodeSession(ab), 't') as { v: number }).v).toBe(2);
    expect(ab.otherPublicKey?.publicKey).toHaveLength(1216);
  });

  it('a tampered ML-KEM ciphertext in the first message fails authentication and changes nothing', () => {
    const a = makePqParty();
    const b = makePqParty();
    const ba = createSession(a.identity.publicKey, { pq: true });
    const sent = twoPartySend(createSession(b.identity.publicKey, { pq: true }), text('secret'), { deps, identity: a.identity, peerBundle: b.oneTime });
    const decoded = decodeTwoPartyMessage(sent.message);
    if (decoded.kind !== 'x3dh' || decoded.pq === undefined) throw new Error('expected a PQXDH message');
    const fields = decodeCanonical(sent.message, 't') as unknown[];
    const forgedCiphertext = Uint8Array.from(decoded.pq.ciphertext);
    forgedCiphertext[17] = (forgedCiphertext[17] as number) ^ 0x40;
    const forged = encodeCanonical([...fields.slice(0, 9), forgedCiphertext, fields[10]]);
    const before = snapshot(ba, b.keyManager);
    expect(codeOf(() => twoPartyReceive(ba, b.keyManager, forged, { deps, identity: b.identity }))).toBe('VERIFY_AEAD');
    expect(snapshot(ba, b.keyManager)).toBe(before);
    // The genuine message still opens afterwards (the one-time keys were not consumed).
    expect(read(twoPartyReceive(ba, b.keyManager, sent.message, { deps, identity: b.identity }).plaintext)).toBe('secret');
  });

  it('a tampered X-Wing enc of a later message fails authentication and changes nothing', () => {
    const a = makePqParty();
    const b = makePqParty();
    const first = twoPartySend(createSession(b.identity.publicKey, { pq: true }), text('1'), { deps, identity: a.identity, peerBundle: b.longTerm });
    const got = twoPartyReceive(createSession(a.identity.publicKey, { pq: true }), b.keyManager, first.message, { deps, identity: b.identity });
    const second = twoPartySend(first.session, text('2'), { deps, identity: a.identity });
    const fields = decodeCanonical(second.message, 't') as unknown[];
    const enc = Uint8Array.from(fields[4] as Uint8Array);
    enc[3] = (enc[3] as number) ^ 1;
    const forged = encodeCanonical([...fields.slice(0, 4), enc, fields[5]]);
    const before = snapshot(got.session, got.keyManager);
    expect(codeOf(() => twoPartyReceive(got.session, got.keyManager, forged, { deps, identity: b.identity }))).toBe('VERIFY_AEAD');
    expect(snapshot(got.session, got.keyManager)).toBe(before);
  });

  it('refuses a bundle whose PQ pre-key signature is wrong, and one without a PQ pre-key, leaving the session as it was', () => {
    const a = makePqParty();
    const b = makePqParty();
    const session = createSession(b.identity.publicKey, { pq: true });
    const bundle = b.oneTime as OneTimeKeyBundle;
    const pq = bundle.pqOneTimePreKey as PqPreKey;
    const signature = Uint8Array.from(pq.signature);
    signature[9] = (signature[9] as number) ^ 1;
    const before = toHex(encodeSession(session));
    expect(codeOf(() => twoPartySend(session, text('x'), { deps, identity: a.identity, peerBundle: { ...bundle, pqOneTimePreKey: { ...pq, signature } } }))).toBe('VERIFY_SIGNATURE');
    const classic = makeParty(deps);
    expect(codeOf(() => twoPartySend(createSession(classic.identity.publicKey, { pq: true }), text('x'), { deps, identity: a.identity, peerBundle: classic.longTerm }))).toBe('STATE_NO_BUNDLE');
    expect(toHex(encodeSession(session))).toBe(before);
  });

  it('refuses classic messages in a PQ session and PQ messages in a classic one (no downgrade)', () => {
    const a = makePqParty();
    const b = makePqParty();
    const classic = twoPartySend(createSession(b.identity.publicKey), text('c'), { deps, identity: a.identity, peerBundle: b.longTerm });
    expect(codeOf(() => twoPartyReceive(createSession(a.identity.publicKey, { pq: true }), b.keyManager, classic.message, { deps, identity: b.identity }))).toBe('VERIFY_KEY');
    const pq = twoPartySend(createSession(b.identity.publicKey, { pq: true }), text('p'), { deps, identity: a.identity, peerBundle: b.longTerm });
    expect(codeOf(() => twoPartyReceive(createSession(a.identity.publicKey), b.keyManager, pq.message, { deps, identity: b.identity }))).toBe('VERIFY_KEY');
  });

  it('session and key manager codecs keep PQ state; version-2 sessions must say pq', () => {
    const a = makePqParty();
    expect(decodeKeyManager(encodeKeyManager(a.keyManager))).toEqual(a.keyManager);
    const session = createSession(a.identity.publicKey, { pq: true });
    const value = decodeCanonical(encodeSession(session), 't') as Record<string, unknown>;
    expect(codeOf(() => decodeSession(encodeCanonical({ ...value, pq: false })))).toBe('DECODE_FIELD');
    const { pq: _pq, ...withoutFlag } = value;
    expect(codeOf(() => decodeSession(encodeCanonical(withoutFlag)))).toBe('DECODE_FIELD');
    expect(decodeSession(encodeSession(createSession(a.identity.publicKey))).pq).toBeUndefined();
  });
});
