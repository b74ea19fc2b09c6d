import { describe, expect, it } from 'vitest';
import { defaultCryptoProvider, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import {
  MAX_REPLAY_TRACKED, applyUpdateSecret, createDataState, decodeDataState, decryptData, deleteSecrets, encodeDataState, encryptData,
  exportSecretBundle, findSecretById, importSecretBundle, listSecrets,
} from '../../src/data/index.js';
import type { DataState } from '../../src/data/index.js';
import { codeOf } from '../helpers/errors.js';

let clock = 1000;
const deps: Deps = { crypto: defaultCryptoProvider(), now: () => clock };
const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const aad = (e: number, c: number) => encodeCanonical([e, c]);


function withEpochs(state: DataState, member: string, epochs: readonly number[]): DataState {
  let s = state;
  for (const epoch of epochs) {
    clock += 10;
    s = applyUpdateSecret(s, { member, epoch, secret: new Uint8Array(32).fill(epoch + 1) }, deps).state;
  }
  return s;
}

function open(state: DataState, m: ReturnType<typeof encryptData>, sender = A, ad = aad(m.epoch, m.counter)) {
  return decryptData(state, { sender, epoch: m.epoch, counter: m.counter, nonce: m.nonce, ciphertext: m.ciphertext, aad: ad }, deps);
}

describe('data scheme', () => {
  it('sender uses its own latest secret; receiver decrypts; id = SHA-256(value)', () => {
    const a = withEpochs(createDataState(), A, [0, 2]);
    const b = withEpochs(withEpochs(createDataState(), A, [0, 2]), B, [5]);
    const m = encryptData(a, { sender: A, plaintext: utf8('hello'), aad }, deps);
    expect(m.epoch).toBe(2);
    expect(m.nonce.length).toBe(24);
    const out = open(b, m);
    expect(out.plaintext).toEqual(utf8('hello'));
    const found = findSecretById(b, m.secretId);
    expect(found?.epoch).toBe(2);
    expect(deps.crypto.sha256(found!.value)).toEqual(m.secretId);
  });

  it('replay is STATE_REPLAY; tampered and wrong AAD are VERIFY_AEAD; state unchanged on every error', () => {
    const a = withEpochs(createDataState(), A, [0]);
    const b = withEpochs(createDataState(), A, [0]);
    const m1 = encryptData(a, { sender: A, plaintext: utf8('one'), aad }, deps);
    const m2 = encryptData(m1.state, { sender: A, plaintext: utf8('two'), aad }, deps);
    expect(m2.counter).toBe(1);
    const before = encodeDataState(b);
    const bad = new Uint8Array(m1.ciphertext);
    bad[2] = (bad[2] as number) ^ 4;
    expect(codeOf(() => open(b, { ...m1, ciphertext: bad }))).toBe('VERIFY_AEAD');
    expect(codeOf(() => open(b, m1, A, aad(0, 7)))).toBe('VERIFY_AEAD');
    expect(encodeDataState(b)).toEqual(before);
    const b2 = open(open(b, m2).state, m1).state;
    const after = encodeDataState(b2);
    expect(codeOf(() => open(b2, m1))).toBe('STATE_REPLAY');
    expect(codeOf(() => open(b2, m2))).toBe('STATE_REPLAY');
    expect(encodeDataState(b2)).toEqual(after);
  });

  it('an unknown secret is STATE_MISSING_SECRET; deleted secrets make old ciphertexts unreadable, latest kept', () => {
    const a = withEpochs(createDataState(), A, [0]);
    const old = encryptData(a, { sender: A, plaintext: utf8('old'), aad }, deps);
    const a2 = withEpochs(old.state, A, [3]);
    const fresh = encryptData(a2, { sender: A, plaintext: utf8('new'), aad }, deps);
    const b = withEpochs(createDataState(), A, [0, 3]);
    expect(codeOf(() => open(createDataState(), old))).toBe('STATE_MISSING_SECRET');
    const pruned = deleteSecrets(b, { olderThan: clock + 1000 });
    expect(pruned.consumed.length).toBe(1);
    expect(listSecrets(pruned.state).map((s) => s.epoch)).toEqual([3]);
    expect(codeOf(() => open(pruned.state, old))).toBe('STATE_MISSING_SECRET');
    expect(open(pruned.state, fresh).plaintext).toEqual(utf8('new'));
    expect(listSecrets(deleteSecrets(b, { allButLatest: true }).state).length).toBe(1);
    expect(listSecrets(deleteSecrets(b, { olderThan: 0 }).state).length).toBe(2);
    expect(codeOf(() => deleteSecrets(b, {}))).toBe('USAGE_ARGUMENT');
  });

  it('a secret bundle gives a late joiner the history', () => {
    const a = withEpochs(withEpochs(createDataState(), A, [0, 4]), B, [1]);
    const sealed = encryptData(a, { sender: A, plaintext: utf8('history'), aad }, deps);
    const joiner = importSecretBundle(createDataState(), exportSecretBundle(a), deps);
    expect(listSecrets(joiner).length).toBe(3);
    expect(open(joiner, sealed).plaintext).toEqual(utf8('history'));
    expect(codeOf(() => importSecretBundle(createDataState(), new Uint8Array([1, 2, 3]), deps))).toMatch(/^DECODE_/);
  });

  it('replay window moves its floor beyond MAX_REPLAY_TRACKED gaps', () => {
    let a = withEpochs(createDataState(), A, [0]);
    let b = withEpochs(createDataState(), A, [0]);
    const sent: ReturnType<typeof encryptData>[] = [];
    for (let i = 0; i < MAX_REPLAY_TRACKED + 3; i++) {
      const m = encryptData(a, { sender: A, plaintext: utf8(`${i}`), aad }, deps);
      a = m.state;
      sent.push(m);
    }
    for (let i = 1; i < sent.length; i++) b = open(b, sent[i]!).state;
    expect(codeOf(() => open(b, sent[0]!))).toBe('STATE_REPLAY');
  });

  it('state codec round-trips and rejects damage', () => {
    const a = withEpochs(withEpochs(createDataState(), A, [0, 4]), B, [1]);
    const m = encryptData(a, { sender: A, plaintext: utf8('x'), aad }, deps);
    const b = open(withEpochs(createDataState(), A, [0, 4]), m).state;
    for (const s of [m.state, b]) {
      const bytes = encodeDataState(s);
      expect(encodeDataState(decodeDataState(bytes, deps))).toEqual(bytes);
    }
    const bytes = encodeDataState(b);
    expect(codeOf(() => open(decodeDataState(bytes, deps), m))).toBe('STATE_REPLAY');
    expect(codeOf(() => decodeDataState(bytes.subarray(1), deps))).toMatch(/^DECODE_/);
    expect(codeOf(() => decodeDataState(new Uint8Array([...bytes, 0]), deps))).toBe('DECODE_TRAILING_BYTES');
    expect(codeOf(() => decodeDataState(encodeCanonical({ v: 9, secrets: [], sending: null, seen: [] }), deps))).toBe('DECODE_VERSION_UNSUPPORTED');
  });
});
