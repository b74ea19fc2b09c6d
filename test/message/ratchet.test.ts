import { describe, expect, it } from 'vitest';
import { defaultDeps, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import {
  MAX_BEHIND, MAX_PREVIOUS_EPOCHS, MAX_SKIP_AHEAD, applyUpdateSecret, createMessageState, decodeMessageState, decryptMessage,
  encodeMessageState, encryptMessage,
} from '../../src/message/index.js';
import type { MessageState } from '../../src/message/index.js';
import { codeOf } from '../helpers/errors.js';

const deps = defaultDeps();
const A = 'aa'.repeat(32);
const secret = new Uint8Array(32).fill(7);
const aad = (e: number, c: number) => encodeCanonical([e, c]);

function pair(): { sender: MessageState; receiver: MessageState } {
  const sender = applyUpdateSecret(createMessageState(), { member: A, epoch: 3, secret }, deps).state;
  const receiver = applyUpdateSecret(createMessageState(), { member: A, epoch: 3, secret }, deps).state;
  return { sender, receiver };
}

function sendN(state: MessageState, n: number) {
  const out: ReturnType<typeof encryptMessage>[] = [];
  let s = state;
  for (let i = 0; i < n; i++) {
    const r = encryptMessage(s, { sender: A, plaintext: utf8(`m${i}`), aad }, deps);
    s = r.state;
    out.push(r);
  }
  return { state: s, sealed: out };
}

function open(state: MessageState, m: { epoch: number; counter: number; ciphertext: Uint8Array }) {
  return decryptMessage(state, { sender: A, epoch: m.epoch, counter: m.counter, ciphertext: m.ciphertext, aad: aad(m.epoch, m.counter) }, deps);
}


describe('message ratchet', () => {
  it('decrypts in order, out of order; a duplicate is STATE_KEY_REUSED; keys differ per message', () => {
    const { sender, receiver } = pair();
    const { sealed } = sendN(sender, 5);
    expect(new Set(sealed.map((m) => Buffer.from(m.ciphertext).toString('hex'))).size).toBe(5);
    let r = receiver;
    for (const i of [0, 3, 1, 4, 2]) {
      const m = sealed[i]!;
      const out = open(r, m);
      expect(new TextDecoder().decode(out.plaintext)).toBe(`m${i}`);
      r = out.state;
    }
    const before = encodeMessageState(r);
    expect(codeOf(() => open(r, sealed[2]!))).toBe('STATE_KEY_REUSED');
    expect(codeOf(() => open(r, sealed[4]!))).toBe('STATE_KEY_REUSED');
    expect(encodeMessageState(r)).toEqual(before);
  });

  it('tampered ciphertext or wrong AAD: VERIFY_AEAD and the ratchet does not advance', () => {
    const { sender, receiver } = pair();
    const { sealed } = sendN(sender, 3);
    const before = encodeMessageState(receiver);
    const bad = new Uint8Array(sealed[2]!.ciphertext);
    bad[0] = (bad[0] as number) ^ 1;
    expect(codeOf(() => open(receiver, { ...sealed[2]!, ciphertext: bad }))).toBe('VERIFY_AEAD');
    expect(codeOf(() => decryptMessage(receiver, { sender: A, epoch: 3, counter: 2, ciphertext: sealed[2]!.ciphertext, aad: aad(3, 1) }, deps))).toBe('VERIFY_AEAD');
    expect(encodeMessageState(receiver)).toEqual(before);
    // the genuine message still decrypts afterwards
    expect(open(receiver, sealed[2]!).plaintext).toEqual(utf8('m2'));
  });

  it('window ahead: exactly MAX_SKIP_AHEAD skipped is accepted, one more is STATE_WINDOW_AHEAD', () => {
    const { sender, receiver } = pair();
    const { sealed } = sendN(sender, MAX_SKIP_AHEAD + 2);
    expect(codeOf(() => open(receiver, sealed[MAX_SKIP_AHEAD + 1]!))).toBe('STATE_WINDOW_AHEAD');
    const ok = open(receiver, sealed[MAX_SKIP_AHEAD]!);
    expect(ok.plaintext).toEqual(utf8(`m${MAX_SKIP_AHEAD}`));
    // skipped keys beyond MAX_BEHIND were dropped: behind-window error; within window: readable
    expect(ok.state.chains[A]![0]!.skipped.length).toBe(MAX_BEHIND - 1);
    expect(codeOf(() => open(ok.state, sealed[MAX_SKIP_AHEAD - MAX_BEHIND]!))).toBe('STATE_WINDOW_BEHIND');
    expect(open(ok.state, sealed[MAX_SKIP_AHEAD - MAX_BEHIND + 1]!).plaintext).toEqual(utf8(`m${MAX_SKIP_AHEAD - MAX_BEHIND + 1}`));
  });

  it('keeps MAX_PREVIOUS_EPOCHS old epochs; older ones are STATE_WINDOW_BEHIND, unknown ones STATE_UNKNOWN_EPOCH', () => {
    let s = createMessageState();
    let r = createMessageState();
    const firsts: ReturnType<typeof encryptMessage>[] = [];
    for (let e = 0; e <= MAX_PREVIOUS_EPOCHS + 1; e++) {
      s = applyUpdateSecret(s, { member: A, epoch: e * 2, secret: new Uint8Array(32).fill(e) }, deps).state;
      r = applyUpdateSecret(r, { member: A, epoch: e * 2, secret: new Uint8Array(32).fill(e) }, deps).state;
      const sent = encryptMessage(s, { sender: A, plaintext: utf8(`e${e}`), aad }, deps);
      s = sent.state;
      firsts.push(sent);
    }
    expect(r.chains[A]!.length).toBe(MAX_PREVIOUS_EPOCHS + 1);
    expect(codeOf(() => open(r, firsts[0]!))).toBe('STATE_WINDOW_BEHIND');
    expect(open(r, firsts[1]!).plaintext).toEqual(utf8('e1'));
    expect(codeOf(() => open(r, { ...firsts[1]!, epoch: 3 }))).toBe('STATE_UNKNOWN_EPOCH');
    expect(codeOf(() => applyUpdateSecret(r, { member: A, epoch: 2, secret }, deps))).toBe('STATE_DUPLICATE');
  });

  it('no chain: STATE_MISSING_KEY on send, STATE_UNKNOWN_EPOCH on receive', () => {
    expect(codeOf(() => encryptMessage(createMessageState(), { sender: A, plaintext: utf8('x'), aad }, deps))).toBe('STATE_MISSING_KEY');
    expect(codeOf(() => open(createMessageState(), { epoch: 0, counter: 0, ciphertext: new Uint8Array(20) }))).toBe('STATE_UNKNOWN_EPOCH');
  });
});

describe('message state codec', () => {
  it('round-trips and rejects damage', () => {
    const { sender, receiver } = pair();
    const { sealed } = sendN(sender, 4);
    const r = open(receiver, sealed[3]!).state;
    const bytes = encodeMessageState(r);
    expect(encodeMessageState(decodeMessageState(bytes))).toEqual(bytes);
    expect(open(decodeMessageState(bytes), sealed[1]!).plaintext).toEqual(utf8('m1'));
    expect(codeOf(() => decodeMessageState(bytes.subarray(0, bytes.length - 1)))).toMatch(/^DECODE_/);
    expect(codeOf(() => decodeMessageState(new Uint8Array([...bytes, 0])))).toBe('DECODE_TRAILING_BYTES');
    expect(codeOf(() => decodeMessageState(encodeCanonical({ v: 2, chains: {} })))).toBe('DECODE_VERSION_UNSUPPORTED');
  });
});
