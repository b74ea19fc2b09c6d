/**
 * 2SM cases the main tests leave open: which key a message names when it is not held (STATE_MISSING_KEY vs
 * STATE_KEY_CONSUMED), `consumed` is exactly what the new states dropped, every intermediate secret is wiped
 * (through a recording provider), and the session codec refuses tampered indices and keys one check at a time.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type Deps } from '../../src/crypto/index.js';
import { encodeKeyManager, type KeyManagerState } from '../../src/keys/index.js';
import {
  decodeSession, decodeTwoPartyMessage, encodeSession, twoPartyReceive, twoPartySend, type TwoPartySession,
} from '../../src/twoparty/index.js';
import { RecordingCrypto } from '../helpers/recording-crypto.js';
import { codeOf, makeParty, sessionsOf, testDeps } from './helpers.js';

const isAllZeroForTests = (bytes: Uint8Array) => bytes.every((b) => b === 0);

const deps = testDeps();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup() {
  const a = makeParty(deps);
  const b = makeParty(deps);
  return { a, b, ...sessionsOf(a, b), ctxA: { deps, identity: a.identity }, ctxB: { deps, identity: b.identity } };
}

/** A → B by X3DH, B → A sealed to A's key #1; returns the states after both are received. */
function exchange() {
  const s = setup();
  const m1 = twoPartySend(s.ab, text('a1'), { ...s.ctxA, peerBundle: s.b.oneTime });
  const r1 = twoPartyReceive(s.ba, s.b.keyManager, m1.message, s.ctxB);
  const n1 = twoPartySend(r1.session, text('b1'), s.ctxB);
  return { ...s, m1, r1, n1 };
}

describe('a message naming a key that is not held', () => {
  it('my key index below my next index: STATE_KEY_CONSUMED; at or above it: STATE_MISSING_KEY', () => {
    const { a, m1, n1, ctxA } = exchange();
    expect(decodeTwoPartyMessage(n1.message)).toMatchObject({ kind: 'hpke', keyIndex: 1, index: 1 });
    // as if key 1 had already been consumed (A's next index is 2, so key 1 was issued)
    const consumed: TwoPartySession = { ...m1.session, mySecretKeys: [] };
    expect(codeOf(() => twoPartyReceive(consumed, a.keyManager, n1.message, ctxA))).toBe('STATE_KEY_CONSUMED');
    // as if key 1 had never been issued
    const neverIssued: TwoPartySession = { ...m1.session, mySecretKeys: [], nextIndex: 1 };
    expect(codeOf(() => twoPartyReceive(neverIssued, a.keyManager, n1.message, ctxA))).toBe('STATE_MISSING_KEY');
    // the genuine state opens it
    expect(twoPartyReceive(m1.session, a.keyManager, n1.message, ctxA).plaintext).toEqual(text('b1'));
  });

  it('a message sealed to the key the peer made for me, when I hold none: STATE_MISSING_KEY', () => {
    const { b, m1, r1, ctxA, ctxB } = exchange();
    const m2 = twoPartySend(m1.session, text('a2'), ctxA);
    expect(decodeTwoPartyMessage(m2.message)).toMatchObject({ kind: 'hpke', keyIndex: 0, index: 2 });
    expect(codeOf(() => twoPartyReceive({ ...r1.session, receivedSecretKey: null }, b.keyManager, m2.message, ctxB))).toBe('STATE_MISSING_KEY');
    expect(twoPartyReceive(r1.session, b.keyManager, m2.message, ctxB).plaintext).toEqual(text('a2'));
  });
});

/** Every secret array a session and key manager hold. */
function secretsOf(session: TwoPartySession, km: KeyManagerState): Uint8Array[] {
  const out = [...session.mySecretKeys.map((k) => k.secretKey), ...km.oneTimePreKeys.map((k) => k.secretKey)];
  if (session.receivedSecretKey !== null) out.push(session.receivedSecretKey);
  return out;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function expectConsumedExactly(before: [TwoPartySession, KeyManagerState], after: [TwoPartySession, KeyManagerState], consumed: Uint8Array[]) {
  const kept = new Set(secretsOf(...after).map(hex));
  const dropped = secretsOf(...before).map(hex).filter((s) => !kept.has(s)).sort();
  expect(consumed.map(hex).sort()).toEqual(dropped);
}

describe('consumed lists exactly the secrets the receive dropped', () => {
  it('the one-time pre-key of an X3DH message', () => {
    const { b, m1, r1, ba } = exchange();
    void m1;
    expect(r1.consumed).toHaveLength(1);
    expectConsumedExactly([ba, b.keyManager], [r1.session, r1.keyManager], r1.consumed);
  });

  it('an X3DH message to a long-term bundle consumes nothing', () => {
    const { a, b, ab, ba, ctxA, ctxB } = setup();
    const m = twoPartySend(ab, text('x'), { ...ctxA, peerBundle: b.longTerm });
    const r = twoPartyReceive(ba, b.keyManager, m.message, ctxB);
    expect(r.consumed).toEqual([]);
    expect(r.keyManager).toBe(b.keyManager);
    void a;
  });

  it('my keys up to the one named, and the key the peer made for me before', () => {
    const { a, m1, r1, n1, ctxA, ctxB } = exchange();
    // A sends two more (keys 2 and 3) before reading B's reply; B replies again after reading them.
    const m2 = twoPartySend(m1.session, text('a2'), ctxA);
    const m3 = twoPartySend(m2.session, text('a3'), ctxA);
    expect(m3.session.mySecretKeys.map((k) => k.index)).toEqual([1, 2, 3]);
    const ra = twoPartyReceive(m3.session, a.keyManager, n1.message, ctxA); // sealed to A's key 1
    expectConsumedExactly([m3.session, a.keyManager], [ra.session, ra.keyManager], ra.consumed);
    expect(ra.session.mySecretKeys.map((k) => k.index)).toEqual([2, 3]);
    let sb = twoPartyReceive(n1.session, r1.keyManager, m2.message, ctxB).session;
    sb = twoPartyReceive(sb, r1.keyManager, m3.message, ctxB).session;
    const n2 = twoPartySend(sb, text('b2'), ctxB);
    expect(decodeTwoPartyMessage(n2.message)).toMatchObject({ kind: 'hpke', keyIndex: 3 });
    const ra2 = twoPartyReceive(ra.session, a.keyManager, n2.message, ctxA);
    expectConsumedExactly([ra.session, a.keyManager], [ra2.session, ra2.keyManager], ra2.consumed);
    expect(ra2.session.mySecretKeys).toEqual([]);
    expect(ra2.consumed).toHaveLength(3); // keys 2 and 3, and B's previous key for A
  });
});

describe('intermediate secrets are wiped', () => {
  it('send (X3DH and HPKE) and receive leave only what the states keep', () => {
    const s = setup();
    const recA = new RecordingCrypto(deps.crypto);
    const recB = new RecordingCrypto(deps.crypto);
    const depsA: Deps = { ...deps, crypto: recA.provider };
    const depsB: Deps = { ...deps, crypto: recB.provider };
    const m1 = twoPartySend(s.ab, text('a1'), { deps: depsA, identity: s.a.identity, peerBundle: s.b.oneTime });
    expect(recA.nonZero(secretsOf(m1.session, s.a.keyManager))).toEqual([]);
    expect(recA.count()).toBeGreaterThanOrEqual(4); // X3DH DH outputs, the two derived keys, the fresh key pair
    const r1 = twoPartyReceive(s.ba, s.b.keyManager, m1.message, { deps: depsB, identity: s.b.identity });
    expect(recB.nonZero(secretsOf(r1.session, r1.keyManager))).toEqual([]);
    expect(r1.plaintext).toEqual(text('a1'));
    recB.reset();
    const n1 = twoPartySend(r1.session, text('b1'), { deps: depsB, identity: s.b.identity });
    expect(recB.nonZero(secretsOf(n1.session, r1.keyManager))).toEqual([]);
    expect(recB.count()).toBeGreaterThanOrEqual(4); // export secret, two derived keys, the fresh key pair
    recA.reset();
    const ra = twoPartyReceive(m1.session, s.a.keyManager, n1.message, { deps: depsA, identity: s.a.identity });
    expect(recA.nonZero(secretsOf(ra.session, ra.keyManager))).toEqual([]);
    expect(ra.plaintext).toEqual(text('b1'));
  });

  it('a receive that fails authentication wipes what it derived and changes nothing', () => {
    const s = exchange();
    const rec = new RecordingCrypto(deps.crypto);
    const bad = Uint8Array.from(s.n1.message);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    const before = [hex(encodeSession(s.m1.session)), hex(encodeKeyManager(s.a.keyManager))];
    expect(codeOf(() => twoPartyReceive(s.m1.session, s.a.keyManager, bad, { deps: { ...deps, crypto: rec.provider }, identity: s.a.identity }))).toBe('VERIFY_AEAD');
    expect(rec.nonZero(secretsOf(s.m1.session, s.a.keyManager))).toEqual([]);
    expect(rec.count()).toBeGreaterThanOrEqual(3);
    expect([hex(encodeSession(s.m1.session)), hex(encodeKeyManager(s.a.keyManager))]).toEqual(before);
  });
});

describe('session codec, one check per edit', () => {
  function sample(): TwoPartySession {
    const { m1, ctxA } = exchange();
    return twoPartySend(twoPartySend(m1.session, text('a2'), ctxA).session, text('a3'), ctxA).session; // keys 1, 2, 3; next 4
  }
  const fixed = sample();
  type Raw = Record<string, unknown> & { mySecretKeys: { index: number; secretKey: Uint8Array }[]; otherPublicKey: Record<string, unknown> | null };
  const reencode = (edit: (r: Raw) => void) => {
    const r = decodeCanonical(encodeSession(fixed), 't') as Raw;
    edit(r);
    return encodeCanonical(r);
  };

  it('the unedited sample round-trips', () => {
    expect(fixed.mySecretKeys.map((k) => k.index)).toEqual([1, 2, 3]);
    expect(decodeSession(reencode(() => undefined))).toEqual(fixed);
  });

  const cases: [string, (r: Raw) => void][] = [
    ['nextIndex 0', (r) => { r['nextIndex'] = 0; r.mySecretKeys = []; }],
    ['a key index equal to nextIndex', (r) => { r['nextIndex'] = 3; }],
    ['a key index 0', (r) => { r.mySecretKeys[0]!.index = 0; }],
    ['repeated key indices', (r) => { r.mySecretKeys[1]!.index = 1; }],
    ['descending key indices', (r) => { r.mySecretKeys.reverse(); }],
    ['a short secret key', (r) => { r.mySecretKeys[0]!.secretKey = new Uint8Array(31); }],
    ['a short received key', (r) => { r['receivedSecretKey'] = new Uint8Array(31); }],
    ['a short peer identity key', (r) => { r['peerIdentityKey'] = new Uint8Array(33); }],
    ['a short other public key', (r) => { r.otherPublicKey!['publicKey'] = new Uint8Array(31); }],
    ['an other public key without index', (r) => { delete r.otherPublicKey!['keyIndex']; }],
    ['a negative received index', (r) => { r['receivedIndex'] = -1; }],
    ['a key entry with an extra field', (r) => { (r.mySecretKeys[0] as Record<string, unknown>)['x'] = 1; }],
  ];
  for (const [name, edit] of cases) {
    it(`rejects: ${name}`, () => {
      expect(codeOf(() => decodeSession(reencode(edit)))).toMatch(/^DECODE_/);
    });
  }

  it('decoded keys are copies of the input bytes', () => {
    const bytes = reencode(() => undefined);
    const s = decodeSession(bytes);
    bytes.fill(0);
    expect(isAllZeroForTests(s.mySecretKeys[0]!.secretKey)).toBe(false);
    expect(isAllZeroForTests(s.peerIdentityKey)).toBe(false);
    expect(isAllZeroForTests(s.otherPublicKey!.publicKey)).toBe(false);
  });
});
