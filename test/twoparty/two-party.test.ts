import { describe, expect, it } from 'vitest';
import { NodeCryptoProvider, decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import { encodeKeyManager } from '../../src/keys/index.js';
import type { KeyManagerState } from '../../src/keys/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import {
  createSession,
  decodeSession,
  decodeTwoPartyMessage,
  encodeSession,
  encodeTwoPartyMessage,
  sessionNeedsBundle,
  twoPartyReceive,
  twoPartySend,
} from '../../src/twoparty/index.js';
import type { Party } from './helpers.js';
import { codeOf, makeParty, sessionsOf, testDeps } from './helpers.js';

const deps = testDeps();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Asserts `fn` throws `code` and leaves session and key manager unchanged (by encoding). */
function expectRejected(session: TwoPartySession, km: KeyManagerState, fn: () => unknown, code: string | RegExp): void {
  const s = toHex(encodeSession(session));
  const k = toHex(encodeKeyManager(km));
  const got = codeOf(fn);
  if (typeof code === 'string') expect(got).toBe(code);
  else expect(got).toMatch(code);
  expect(toHex(encodeSession(session))).toBe(s);
  expect(toHex(encodeKeyManager(km))).toBe(k);
}

function setup(): { a: Party; b: Party; ab: TwoPartySession; ba: TwoPartySession } {
  const a = makeParty(deps);
  const b = makeParty(deps);
  return { a, b, ...sessionsOf(a, b) };
}

describe('2SM', () => {
  it('first message by X3DH (one-time pre-key consumed only by the receiver), then HPKE both ways', () => {
    const { a, b, ab, ba } = setup();
    expect(sessionNeedsBundle(ab)).toBe(true);
    expect(codeOf(() => twoPartySend(ab, text('x'), { deps, identity: a.identity }))).toBe('STATE_NO_BUNDLE');
    const abBefore = toHex(encodeSession(ab));
    const s1 = twoPartySend(ab, text('hello'), { deps, identity: a.identity, peerBundle: b.oneTime });
    expect(toHex(encodeSession(ab))).toBe(abBefore);
    expect(sessionNeedsBundle(s1.session)).toBe(false);
    expect(decodeTwoPartyMessage(s1.message).kind).toBe('x3dh');
    const baBefore = toHex(encodeSession(ba));
    const kmBefore = toHex(encodeKeyManager(b.keyManager));
    const r1 = twoPartyReceive(ba, b.keyManager, s1.message, { deps, identity: b.identity });
    expect(toHex(encodeSession(ba))).toBe(baBefore);
    expect(toHex(encodeKeyManager(b.keyManager))).toBe(kmBefore);
    expect(new TextDecoder().decode(r1.plaintext)).toBe('hello');
    expect(r1.keyManager.oneTimePreKeys).toHaveLength(0);
    expect(sessionNeedsBundle(r1.session)).toBe(false);
    // reply and more messages: all HPKE
    const s2 = twoPartySend(r1.session, text('hi back'), { deps, identity: b.identity });
    expect(decodeTwoPartyMessage(s2.message).kind).toBe('hpke');
    const r2 = twoPartyReceive(s1.session, a.keyManager, s2.message, { deps, identity: a.identity });
    expect(new TextDecoder().decode(r2.plaintext)).toBe('hi back');
    expect(r2.keyManager).toBe(a.keyManager);
    const s3 = twoPartySend(r2.session, text('third'), { deps, identity: a.identity });
    expect(new TextDecoder().decode(twoPartyReceive(s2.session, r1.keyManager, s3.message, { deps, identity: b.identity }).plaintext)).toBe('third');
  });

  it('works with a long-term bundle and with both sides starting by X3DH at once', () => {
    const { a, b, ab, ba } = setup();
    const x = twoPartySend(ab, text('from a'), { deps, identity: a.identity, peerBundle: b.longTerm });
    const y = twoPartySend(ba, text('from b'), { deps, identity: b.identity, peerBundle: a.longTerm });
    const rx = twoPartyReceive(y.session, b.keyManager, x.message, { deps, identity: b.identity });
    const ry = twoPartyReceive(x.session, a.keyManager, y.message, { deps, identity: a.identity });
    expect(rx.plaintext).toEqual(text('from a'));
    expect(ry.plaintext).toEqual(text('from b'));
    expect(rx.keyManager).toBe(b.keyManager);
    const x2 = twoPartySend(ry.session, text('a2'), { deps, identity: a.identity });
    const y2 = twoPartySend(rx.session, text('b2'), { deps, identity: b.identity });
    expect(twoPartyReceive(rx.session, b.keyManager, x2.message, { deps, identity: b.identity }).plaintext).toEqual(text('a2'));
    expect(twoPartyReceive(ry.session, a.keyManager, y2.message, { deps, identity: a.identity }).plaintext).toEqual(text('b2'));
  });

  it('crossing messages: each side keeps the keys the other may still seal to', () => {
    const { a, b, ab, ba } = setup();
    const ctxA = { deps, identity: a.identity };
    const ctxB = { deps, identity: b.identity };
    const a1 = twoPartySend(ab, text('a1'), { ...ctxA, peerBundle: b.oneTime });
    const rb1 = twoPartyReceive(ba, b.keyManager, a1.message, ctxB);
    const b1 = twoPartySend(rb1.session, text('b1'), ctxB); // sealed to Alice's key 1
    const a2 = twoPartySend(a1.session, text('a2'), ctxA); // crosses b1
    const rb2 = twoPartyReceive(b1.session, rb1.keyManager, a2.message, ctxB);
    const b2 = twoPartySend(rb2.session, text('b2'), ctxB); // sealed to Alice's key 2
    expect(decodeTwoPartyMessage(b1.message)).toMatchObject({ keyIndex: 1 });
    expect(decodeTwoPartyMessage(b2.message)).toMatchObject({ keyIndex: 2 });
    const ra1 = twoPartyReceive(a2.session, a.keyManager, b1.message, ctxA);
    expect(ra1.session.mySecretKeys.map((k) => k.index)).toEqual([2]);
    const ra2 = twoPartyReceive(ra1.session, a.keyManager, b2.message, ctxA);
    expect([ra1.plaintext, ra2.plaintext]).toEqual([text('b1'), text('b2')]);
    expect(ra2.session.mySecretKeys).toHaveLength(0);
  });

  it('interoperates across providers (node ↔ portable)', () => {
    const nodeDeps = { crypto: new NodeCryptoProvider(), now: deps.now };
    const { a, b, ab, ba } = setup();
    const a1 = twoPartySend(ab, text('n1'), { deps: nodeDeps, identity: a.identity, peerBundle: b.oneTime });
    const rb = twoPartyReceive(ba, b.keyManager, a1.message, { deps, identity: b.identity });
    const b1 = twoPartySend(rb.session, text('p1'), { deps, identity: b.identity });
    expect(twoPartyReceive(a1.session, a.keyManager, b1.message, { deps: nodeDeps, identity: a.identity }).plaintext).toEqual(text('p1'));
    expect(rb.plaintext).toEqual(text('n1'));
  });

  it('keeps later messages compact (≤ 140 bytes for a 32-byte payload)', () => {
    const { a, b, ab, ba } = setup();
    const payload = new Uint8Array(32).fill(7);
    let sa = twoPartySend(ab, payload, { deps, identity: a.identity, peerBundle: b.oneTime });
    let sb = twoPartyReceive(ba, b.keyManager, sa.message, { deps, identity: b.identity }).session;
    const sizes: number[] = [];
    let sessA = sa.session;
    for (let i = 0; i < 30; i++) {
      const out = twoPartySend(sb, payload, { deps, identity: b.identity });
      sizes.push(out.message.length);
      sb = out.session;
      sessA = twoPartyReceive(sessA, a.keyManager, out.message, { deps, identity: a.identity }).session;
      sa = twoPartySend(sessA, payload, { deps, identity: a.identity });
      sizes.push(sa.message.length);
      sessA = sa.session;
      sb = twoPartyReceive(sb, b.keyManager, sa.message, { deps, identity: b.identity }).session;
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(140);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(120);
  });

  it('checks the identity: X3DH from someone else, bundle of someone else (p2panda bugs 3)', () => {
    const { a, b, ab } = setup();
    const mallory = makeParty(deps);
    // Mallory sends an X3DH message to Bob; Bob's session expects Alice.
    const mb = createSession(b.identity.publicKey);
    const fromMallory = twoPartySend(mb, text('I am Alice'), { deps, identity: mallory.identity, peerBundle: b.oneTime });
    const baliceSession = createSession(a.identity.publicKey);
    expectRejected(baliceSession, b.keyManager, () => twoPartyReceive(baliceSession, b.keyManager, fromMallory.message, { deps, identity: b.identity }), 'VERIFY_IDENTITY');
    // Mallory forges the identity field: the AEAD (AD = IK_A ‖ IK_B, DH1) fails and nothing is consumed.
    const msg = decodeTwoPartyMessage(fromMallory.message);
    if (msg.kind !== 'x3dh') throw new Error('expected x3dh');
    const forged = encodeTwoPartyMessage({ ...msg, identityKey: a.identity.publicKey });
    expectRejected(baliceSession, b.keyManager, () => twoPartyReceive(baliceSession, b.keyManager, forged, { deps, identity: b.identity }), 'VERIFY_AEAD');
    // Alice is handed Mallory's bundle for Bob.
    expectRejected(ab, a.keyManager, () => twoPartySend(ab, text('x'), { deps, identity: a.identity, peerBundle: mallory.longTerm }), 'VERIFY_IDENTITY');
    // a key manager of another identity is a usage error
    expect(codeOf(() => twoPartyReceive(baliceSession, mallory.keyManager, fromMallory.message, { deps, identity: b.identity }))).toBe('USAGE_ARGUMENT');
  });

  it('rejects replayed, out-of-order, truncated, tampered and misdirected messages and changes nothing', () => {
    const { a, b, ab, ba } = setup();
    const s1 = twoPartySend(ab, text('one'), { deps, identity: a.identity, peerBundle: b.oneTime });
    const s2 = twoPartySend(s1.session, text('two'), { deps, identity: a.identity });
    const ctxB = { deps, identity: b.identity };
    // out of order (per-direction FIFO is required)
    expectRejected(ba, b.keyManager, () => twoPartyReceive(ba, b.keyManager, s2.message, ctxB), 'STATE_OUT_OF_ORDER');
    // truncated / tampered / trailing
    for (const n of [0, 1, 20, s1.message.length - 1]) {
      expectRejected(ba, b.keyManager, () => twoPartyReceive(ba, b.keyManager, s1.message.subarray(0, n), ctxB), /^DECODE_/);
    }
    expectRejected(ba, b.keyManager, () => twoPartyReceive(ba, b.keyManager, new Uint8Array([...s1.message, 0]), ctxB), 'DECODE_TRAILING_BYTES');
    for (const i of [s1.message.length - 1, s1.message.length - 40, 10, 40]) {
      const bad = new Uint8Array(s1.message);
      bad[i] = (bad[i] as number) ^ 0x01;
      expectRejected(ba, b.keyManager, () => twoPartyReceive(ba, b.keyManager, bad, ctxB), /^(VERIFY_|DECODE_|STATE_)/);
    }
    const r1 = twoPartyReceive(ba, b.keyManager, s1.message, ctxB);
    // replay of the X3DH message, on the new state and on an old copy (one-time key consumed)
    expectRejected(r1.session, r1.keyManager, () => twoPartyReceive(r1.session, r1.keyManager, s1.message, ctxB), 'STATE_REPLAY');
    expectRejected(ba, r1.keyManager, () => twoPartyReceive(ba, r1.keyManager, s1.message, ctxB), 'STATE_KEY_CONSUMED');
    // HPKE message: tamper the header (key index), the enc, the ciphertext
    const m2 = decodeTwoPartyMessage(s2.message);
    if (m2.kind !== 'hpke') throw new Error('expected hpke');
    const flip = (bytes: Uint8Array, i: number): Uint8Array => { const c = new Uint8Array(bytes); c[i] = (c[i] as number) ^ 0x80; return c; };
    for (const variant of [
      { ...m2, keyIndex: 1 },
      { ...m2, enc: flip(m2.enc, 3) },
      { ...m2, ciphertext: flip(m2.ciphertext, 0) },
      { ...m2, ciphertext: m2.ciphertext.subarray(0, m2.ciphertext.length - 1) },
    ]) {
      expectRejected(r1.session, r1.keyManager, () => twoPartyReceive(r1.session, r1.keyManager, encodeTwoPartyMessage(variant), ctxB), /^(VERIFY_AEAD|STATE_MISSING_KEY)$/);
    }
    const r2 = twoPartyReceive(r1.session, r1.keyManager, s2.message, ctxB);
    expect(r2.plaintext).toEqual(text('two'));
    expectRejected(r2.session, r2.keyManager, () => twoPartyReceive(r2.session, r2.keyManager, s2.message, ctxB), 'STATE_REPLAY');
    // misdirected: Bob's reply to Alice delivered to Carol's session with Bob, or reflected back to Bob
    const c = makeParty(deps);
    const cb = twoPartySend(createSession(b.identity.publicKey), text('c1'), { deps, identity: c.identity, peerBundle: b.longTerm });
    const bc = twoPartyReceive(createSession(c.identity.publicKey), r2.keyManager, cb.message, ctxB);
    const toCarol = twoPartySend(bc.session, text('for carol'), { deps, identity: b.identity });
    const toAlice = twoPartySend(r2.session, text('for alice'), { deps, identity: b.identity });
    expectRejected(cb.session, c.keyManager, () => twoPartyReceive(cb.session, c.keyManager, toAlice.message, { deps, identity: c.identity }), /^(VERIFY_AEAD|STATE_MISSING_KEY)$/);
    expectRejected(s2.session, a.keyManager, () => twoPartyReceive(s2.session, a.keyManager, toCarol.message, { deps, identity: a.identity }), /^(VERIFY_AEAD|STATE_MISSING_KEY)$/);
    const fromAlice = twoPartySend(s2.session, text('reflect me'), { deps, identity: a.identity });
    expectRejected(s2.session, a.keyManager, () => twoPartyReceive(s2.session, a.keyManager, fromAlice.message, { deps, identity: a.identity }), /^(VERIFY_AEAD|STATE_)/);
    expect(twoPartyReceive(s2.session, a.keyManager, toAlice.message, { deps, identity: a.identity }).plaintext).toEqual(text('for alice'));
  });

  it('binds ciphertexts to both identities: same keys, other peer identity → VERIFY_AEAD', () => {
    const { a, b, ab, ba } = setup();
    const s1 = twoPartySend(ab, text('1'), { deps, identity: a.identity, peerBundle: b.longTerm });
    const r1 = twoPartyReceive(ba, b.keyManager, s1.message, { deps, identity: b.identity });
    const s2 = twoPartySend(s1.session, text('2'), { deps, identity: a.identity });
    const carol = makeParty(deps);
    const relabelled: TwoPartySession = { ...r1.session, peerIdentityKey: carol.identity.publicKey };
    expectRejected(relabelled, b.keyManager, () => twoPartyReceive(relabelled, b.keyManager, s2.message, { deps, identity: b.identity }), 'VERIFY_AEAD');
    expect(twoPartyReceive(r1.session, b.keyManager, s2.message, { deps, identity: b.identity }).plaintext).toEqual(text('2'));
  });

  it('forward secrecy: a key used to open a message is gone from the state afterwards', () => {
    const { a, b, ab, ba } = setup();
    const ctxA = { deps, identity: a.identity };
    const ctxB = { deps, identity: b.identity };
    const s1 = twoPartySend(ab, text('1'), { ...ctxA, peerBundle: b.oneTime });
    const otk = b.keyManager.oneTimePreKeys[0]?.secretKey as Uint8Array;
    const r1 = twoPartyReceive(ba, b.keyManager, s1.message, ctxB);
    expect(toHex(encodeKeyManager(r1.keyManager))).not.toContain(toHex(otk));
    expect(r1.consumed.map(toHex)).toContain(toHex(otk));
    // Bob replies twice; Alice's replies use Bob's key 2, so Bob deletes keys 1 and 2.
    const b1 = twoPartySend(r1.session, text('b1'), ctxB);
    const b2 = twoPartySend(b1.session, text('b2'), ctxB);
    const bobKeys = b2.session.mySecretKeys.map((k) => toHex(k.secretKey));
    expect(bobKeys).toHaveLength(2);
    let sa = twoPartyReceive(s1.session, a.keyManager, b1.message, ctxA).session;
    sa = twoPartyReceive(sa, a.keyManager, b2.message, ctxA).session;
    const a2 = twoPartySend(sa, text('a2'), ctxA);
    expect(decodeTwoPartyMessage(a2.message)).toMatchObject({ kind: 'hpke', keyIndex: 2 });
    const usedReceived = b2.session.receivedSecretKey as Uint8Array;
    const rb = twoPartyReceive(b2.session, b.keyManager, a2.message, ctxB);
    const encoded = toHex(encodeSession(rb.session));
    for (const k of bobKeys) expect(encoded).not.toContain(k);
    expect(encoded).not.toContain(toHex(usedReceived));
    expect(rb.session.mySecretKeys).toHaveLength(0);
    // Alice seals to the key she made for Bob ("me", key index 0): Bob opens it with receivedSecretKey and replaces it.
    const a3 = twoPartySend(a2.session, text('a3'), ctxA);
    expect(decodeTwoPartyMessage(a3.message)).toMatchObject({ kind: 'hpke', keyIndex: 0 });
    const held = rb.session.receivedSecretKey as Uint8Array;
    const rb2 = twoPartyReceive(rb.session, b.keyManager, a3.message, ctxB);
    expect(toHex(encodeSession(rb2.session))).not.toContain(toHex(held));
    expect(rb2.consumed.map(toHex)).toContain(toHex(held));
  });

  it('session codec round-trips and rejects bad input', () => {
    const { a, b, ab } = setup();
    const s = twoPartySend(twoPartySend(ab, text('1'), { deps, identity: a.identity, peerBundle: b.longTerm }).session, text('2'), { deps, identity: a.identity }).session;
    for (const session of [ab, s]) {
      const bytes = encodeSession(session);
      expect(decodeSession(bytes)).toEqual(session);
      expect(toHex(encodeSession(decodeSession(bytes)))).toBe(toHex(bytes));
    }
    const bytes = encodeSession(s);
    expect(codeOf(() => decodeSession(bytes.subarray(0, bytes.length - 1)))).toMatch(/^DECODE_/);
    expect(codeOf(() => decodeSession(new Uint8Array([...bytes, 0])))).toBe('DECODE_TRAILING_BYTES');
    const value = decodeCanonical(bytes, 't') as Record<string, unknown>;
    expect(codeOf(() => decodeSession(encodeCanonical({ ...value, v: 3 })))).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(codeOf(() => decodeSession(encodeCanonical({ ...value, nextIndex: 2 })))).toBe('DECODE_FIELD');
    const keys = value['mySecretKeys'] as unknown[];
    expect(codeOf(() => decodeSession(encodeCanonical({ ...value, mySecretKeys: [...keys].reverse() })))).toBe('DECODE_FIELD');
    expect(codeOf(() => createSession(new Uint8Array(31)))).toBe('USAGE_KEY_LENGTH');
  });

  it('message codec rejects wrong versions, kinds and field lengths', () => {
    const { a, b, ab } = setup();
    const m = twoPartySend(ab, text('1'), { deps, identity: a.identity, peerBundle: b.longTerm }).message;
    const fields = decodeCanonical(m, 't') as unknown[];
    expect(codeOf(() => decodeTwoPartyMessage(encodeCanonical([2, ...fields.slice(1)])))).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(codeOf(() => decodeTwoPartyMessage(encodeCanonical([1, 7, ...fields.slice(2)])))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeTwoPartyMessage(encodeCanonical([...fields.slice(0, 3), new Uint8Array(31), ...fields.slice(4)])))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeTwoPartyMessage(encodeCanonical(fields.slice(0, 7))))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeTwoPartyMessage(encodeCanonical({ v: 1 })))).toBe('DECODE_FIELD');
    expect(decodeTwoPartyMessage(encodeTwoPartyMessage(decodeTwoPartyMessage(m)))).toEqual(decodeTwoPartyMessage(m));
  });
});
