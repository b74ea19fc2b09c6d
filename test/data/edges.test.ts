/**
 * Data scheme cases the main tests leave open: secrets learnt out of order (latest only moves forward), the
 * sending counter per secret and its limit, deleteSecrets at its bounds with exactly the dropped values consumed,
 * the order of listSecrets, the replay window with counters past 9 (numeric order), the derivation's known
 * answer, and codec checks one edit at a time.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, defaultCryptoProvider, encodeCanonical, utf8, type Deps } from '../../src/crypto/index.js';
import {
  applyUpdateSecret, createDataState, currentSecret, DATA_NONCE_LENGTH, decodeDataState, decryptData, deleteSecrets, encodeDataState, encryptData,
  exportSecretBundle, findSecretById, importSecretBundle, LABEL_GROUP_SECRET, listSecrets, MAX_BUNDLE_SECRETS, MAX_DATA_COUNTER, MAX_REPLAY_TRACKED, secretDeleted,
  type DataState,
} from '../../src/data/index.js';
import { codeOf } from '../helpers/errors.js';

let clock = 5000;
const deps: Deps = { crypto: defaultCryptoProvider(), now: () => clock };
const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const aad = (e: number, c: number) => encodeCanonical([e, c]);
const secretOf = (n: number) => new Uint8Array(32).fill(n);


function add(state: DataState, member: string, epoch: number, at: number): DataState {
  clock = at;
  return applyUpdateSecret(state, { member, epoch, secret: secretOf(epoch + 1) }, deps).state;
}
const send = (state: DataState, text: string, sender = A) => encryptData(state, { sender, plaintext: utf8(text), aad }, deps);
const open = (state: DataState, m: ReturnType<typeof send>, sender = A) =>
  decryptData(state, { sender, epoch: m.epoch, counter: m.counter, nonce: m.nonce, ciphertext: m.ciphertext, aad: aad(m.epoch, m.counter) }, deps);

describe('group secrets', () => {
  it('are HKDF(update secret, 32 zero bytes, label) with id SHA-256(value) and the local time', () => {
    const state = add(createDataState(), A, 3, 777);
    const secret = currentSecret(state, A)!;
    const value = deps.crypto.hkdf(secretOf(4), new Uint8Array(32), utf8('groupcrypt/data/group-secret'), 32);
    expect(LABEL_GROUP_SECRET).toBe('groupcrypt/data/group-secret');
    expect(secret).toEqual({ id: deps.crypto.sha256(value), value, timestamp: 777, member: A, epoch: 3 });
    expect(findSecretById(state, secret.id)).toBe(secret);
    expect(findSecretById(state, new Uint8Array(32))).toBeUndefined();
  });

  it('learnt out of order (a bundle), the latest is the highest epoch, not the last learnt', () => {
    const late = add(add(createDataState(), A, 7, 100), A, 2, 200);
    expect(currentSecret(late, A)?.epoch).toBe(7);
    const bundle = exportSecretBundle(add(createDataState(), A, 1, 50));
    const merged = importSecretBundle(late, bundle, deps);
    expect(currentSecret(merged, A)?.epoch).toBe(7);
    expect(Object.keys(merged.secrets)).toHaveLength(3);
    // a secret already held is kept as it is
    expect(importSecretBundle(merged, exportSecretBundle(merged), deps)).toBe(merged);
  });

  it('a bundle for a welcome holds only the epochs below the given clock', () => {
    const state = add(add(add(createDataState(), A, 1, 100), A, 4, 100), B, 2, 100);
    const bundle = exportSecretBundle(state, { clock: (m) => (m === A ? 4 : 3) });
    expect(Object.keys(importSecretBundle(createDataState(), bundle, deps).secrets).sort()).toEqual([`${A}:1`, `${B}:2`]);
  });

  it('a second secret for the same epoch is STATE_DUPLICATE; the first stays', () => {
    const state = add(createDataState(), A, 1, 100);
    expect(codeOf(() => add(state, A, 1, 300))).toBe('STATE_DUPLICATE');
    expect(currentSecret(state, A)?.timestamp).toBe(100);
  });

  it('with replace, a derived secret replaces an imported one for the same epoch and the old value is consumed', () => {
    const bogus = importSecretBundle(createDataState(), exportSecretBundle(add(add(createDataState(), A, 1, 100), A, 4, 100)), deps);
    const imported = bogus.secrets[`${A}:1`]!;
    clock = 300;
    const out = applyUpdateSecret(bogus, { member: A, epoch: 1, secret: secretOf(9) }, deps, { replace: true });
    expect(out.consumed).toEqual([imported.value]);
    const value = deps.crypto.hkdf(secretOf(9), new Uint8Array(32), utf8(LABEL_GROUP_SECRET), 32);
    expect(out.state.secrets[`${A}:1`]).toEqual({ id: deps.crypto.sha256(value), value, timestamp: 300, member: A, epoch: 1 });
    expect(out.state.latest[A]).toBe(4);
    // nothing held: added as usual, nothing consumed
    expect(applyUpdateSecret(bogus, { member: A, epoch: 2, secret: secretOf(9) }, deps, { replace: true }).consumed).toEqual([]);
  });
});

describe('sending counters', () => {
  it('count per secret and restart at 0 with a new secret of mine', () => {
    let state = add(createDataState(), A, 1, 100);
    const first = send(state, 'a');
    const second = send(first.state, 'b');
    expect([first.counter, second.counter]).toEqual([0, 1]);
    state = add(second.state, A, 2, 200);
    const third = send(state, 'c');
    expect([third.epoch, third.counter]).toEqual([2, 0]);
    expect(third.nonce).toHaveLength(DATA_NONCE_LENGTH);
    // another member's newer secret does not change what I send with
    const withB = add(third.state, B, 9, 300);
    expect(send(withB, 'd')).toMatchObject({ epoch: 2, counter: 1 });
  });

  it('the last counter is usable, then STATE_LIMIT', () => {
    const state: DataState = { ...add(createDataState(), A, 1, 100), sending: { epoch: 1, next: MAX_DATA_COUNTER - 1 } };
    const last = send(state, 'last');
    expect(last.counter).toBe(MAX_DATA_COUNTER - 1);
    expect(codeOf(() => send(last.state, 'more'))).toBe('STATE_LIMIT');
    expect(MAX_DATA_COUNTER).toBe(2 ** 32 - 1);
  });

  it('a wrong nonce length is USAGE_NONCE_LENGTH', () => {
    const state = add(createDataState(), A, 1, 100);
    const m = send(state, 'x');
    expect(codeOf(() => decryptData(state, { sender: A, epoch: 1, counter: 0, nonce: m.nonce.subarray(1), ciphertext: m.ciphertext, aad: aad(1, 0) }, deps))).toBe('USAGE_NONCE_LENGTH');
  });
});

describe('replay window', () => {
  it('orders counters numerically (10 after 9) and moves its floor over a contiguous run', () => {
    const state = add(createDataState(), A, 1, 100);
    let sender = state;
    const sealed: ReturnType<typeof send>[] = [];
    for (let i = 0; i < 12; i++) {
      const m = send(sender, `m${i}`);
      sealed.push(m);
      sender = m.state;
    }
    let r = state;
    for (const i of [10, 9, 11, 2]) r = open(r, sealed[i]!).state;
    expect(r.seen[`${A}:1`]).toEqual({ floor: 0, above: [2, 9, 10, 11] });
    for (const i of [0, 1]) r = open(r, sealed[i]!).state;
    expect(r.seen[`${A}:1`]).toEqual({ floor: 3, above: [9, 10, 11] });
    for (const i of [0, 1, 2, 9, 10, 11]) expect(codeOf(() => open(r, sealed[i]!))).toBe('STATE_REPLAY');
    expect(open(r, sealed[5]!).plaintext).toEqual(utf8('m5'));
  });

  it(`tracks at most MAX_REPLAY_TRACKED (${MAX_REPLAY_TRACKED}) counters above the floor`, () => {
    const state: DataState = { ...add(createDataState(), A, 1, 100), seen: { [`${A}:1`]: { floor: 0, above: Array.from({ length: MAX_REPLAY_TRACKED }, (_, i) => 2 * i + 1) } } };
    const m = encryptData({ ...state, sending: { epoch: 1, next: 5000 } }, { sender: A, plaintext: utf8('x'), aad }, deps);
    const r = open(state, m).state;
    const window = r.seen[`${A}:1`]!;
    expect(window.above).toHaveLength(MAX_REPLAY_TRACKED);
    expect(window.floor).toBe(2);
    expect(window.above[0]).toBe(3);
    expect(window.above.at(-1)).toBe(5000);
  });
});

describe('deleteSecrets', () => {
  function three(): DataState {
    return add(add(add(createDataState(), A, 1, 100), A, 2, 200), B, 1, 150);
  }

  it('olderThan is strict, keeps every member\'s latest, and consumes exactly the dropped values', () => {
    const state = three();
    const old = state.secrets[`${A}:1`]!;
    expect(deleteSecrets(state, { olderThan: 100 }).consumed).toEqual([]);
    const result = deleteSecrets(state, { olderThan: 101 });
    expect(result.consumed).toEqual([old.value]);
    expect(Object.keys(result.state.secrets).sort()).toEqual([`${A}:2`, `${B}:1`]);
    expect(deleteSecrets(state, { olderThan: 10_000 }).consumed).toEqual([old.value]); // latest secrets stay whatever their age
  });

  it('allButLatest drops every other secret and its replay window; neither option is a usage error', () => {
    const base = three();
    const m = send(base, 'x');
    const state = open(base, m).state; // a window for A:2 (A's latest)
    const withOldWindow: DataState = { ...state, seen: { ...state.seen, [`${A}:1`]: { floor: 3, above: [] } } };
    const result = deleteSecrets(withOldWindow, { allButLatest: true });
    expect(Object.keys(result.state.secrets).sort()).toEqual([`${A}:2`, `${B}:1`]);
    expect(Object.keys(result.state.seen)).toEqual([`${A}:2`]);
    expect(deleteSecrets(withOldWindow, { allButLatest: false, olderThan: 0 }).consumed).toEqual([]);
    expect(codeOf(() => deleteSecrets(withOldWindow, {}))).toBe('USAGE_ARGUMENT');
    expect(codeOf(() => deleteSecrets(withOldWindow, { allButLatest: false }))).toBe('USAGE_ARGUMENT');
  });

  it('records per member the highest epoch deleted: a missing secret at or below it is deleted, above it (or one held) is not', () => {
    const state = add(add(add(add(createDataState(), A, 1, 100), A, 3, 110), A, 5, 300), B, 1, 150);
    expect(state.deleted).toBeUndefined();
    expect(deleteSecrets(state, { olderThan: 50 }).state).toBe(state); // nothing dropped, nothing recorded
    const pruned = deleteSecrets(state, { olderThan: 200 }).state;
    expect(pruned.deleted).toEqual({ [A]: 3 });
    expect([1, 2, 3, 4, 5].map((e) => secretDeleted(pruned, A, e))).toEqual([true, true, true, false, false]);
    expect(secretDeleted(pruned, B, 0)).toBe(false);
    // a later deletion only raises the floor
    const again = deleteSecrets(add(pruned, A, 7, 400), { allButLatest: true }).state;
    expect(again.deleted).toEqual({ [A]: 5 });
    // the codec keeps it (version 2), and a state without deletions still encodes as version 1
    expect(decodeDataState(encodeDataState(again), deps)).toEqual(again);
    expect((decodeCanonical(encodeDataState(again), 't') as { v: number }).v).toBe(2);
    expect((decodeCanonical(encodeDataState(state), 't') as { v: number }).v).toBe(1);
    const raw = decodeCanonical(encodeDataState(again), 't') as Record<string, unknown>;
    expect(codeOf(() => decodeDataState(encodeCanonical({ ...raw, deleted: [] }), deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeDataState(encodeCanonical({ ...raw, deleted: [[new Uint8Array(32), 1], [new Uint8Array(32), 2]] }), deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeDataState(encodeCanonical({ ...raw, v: 1 }), deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => decodeDataState(encodeCanonical({ ...raw, v: 3 }), deps))).toBe('DECODE_VERSION_UNSUPPORTED');
  });
});

describe('listSecrets', () => {
  it('newest first; ties by member, then newest epoch first', () => {
    let state = add(createDataState(), B, 1, 100);
    state = add(state, A, 1, 100);
    state = add(state, A, 2, 100);
    state = add(state, A, 3, 300);
    expect(listSecrets(state).map((s) => `${s.member.slice(0, 2)}${s.epoch}@${s.timestamp}`)).toEqual(['aa3@300', 'aa2@100', 'aa1@100', 'bb1@100']);
    expect(Object.keys(listSecrets(state)[0]!).sort()).toEqual(['epoch', 'id', 'member', 'timestamp']);
  });
});

describe('data codec, one check per edit', () => {
  function sample(): DataState {
    const base = add(add(createDataState(), A, 1, 100), B, 2, 200);
    const m = send(base, 'x');
    return open(m.state, m).state;
  }
  const fixed = sample();
  type Raw = { v: number; secrets: unknown[][]; sending: unknown; seen: unknown[][] };
  const reencode = (edit: (r: Raw) => void) => {
    const r = decodeCanonical(encodeDataState(fixed), 't') as Raw;
    edit(r);
    return encodeCanonical(r);
  };

  it('round-trips the unedited sample', () => {
    expect(decodeDataState(reencode(() => undefined), deps)).toEqual(fixed);
    expect(fixed.sending).toEqual({ epoch: 1, next: 1 });
  });

  const cases: [string, (r: Raw) => void][] = [
    ['secret entry of 3', (r) => { r.secrets[0]!.pop(); }],
    ['secret member short', (r) => { r.secrets[0]![0] = new Uint8Array(31); }],
    ['secret value short', (r) => { r.secrets[0]![2] = new Uint8Array(31); }],
    ['secret epoch negative', (r) => { r.secrets[0]![1] = -1; }],
    ['secret timestamp fractional', (r) => { r.secrets[0]![3] = 1.5; }],
    ['secret epoch a string', (r) => { r.secrets[0]![1] = '1'; }],
    ['secret listed twice', (r) => { r.secrets.push(r.secrets[0]!); }],
    ['sending of 1', (r) => { r.sending = [1]; }],
    ['sending not a list', (r) => { r.sending = 1; }],
    ['sending next negative', (r) => { r.sending = [1, -1]; }],
    ['seen entry of 3', (r) => { r.seen[0]!.pop(); }],
    ['seen counters not a list', (r) => { r.seen[0]![3] = 1; }],
    ['seen counter negative', (r) => { r.seen[0]![3] = [-1]; }],
    ['seen member short', (r) => { r.seen[0]![0] = new Uint8Array(31); }],
    ['seen floor fractional', (r) => { r.seen[0]![2] = 0.5; }],
    ['seen too many counters', (r) => { r.seen[0]![3] = Array.from({ length: MAX_REPLAY_TRACKED + 1 }, (_, i) => i + 1); }],
  ];
  for (const [name, edit] of cases) {
    it(`rejects: ${name}`, () => {
      expect(codeOf(() => decodeDataState(reencode(edit), deps))).toBe('DECODE_FIELD');
    });
  }

  it('accepts exactly MAX_REPLAY_TRACKED counters', () => {
    const state = decodeDataState(reencode((r) => { r.seen[0]![3] = Array.from({ length: MAX_REPLAY_TRACKED }, (_, i) => i + 1); }), deps);
    expect(Object.values(state.seen)[0]!.above).toHaveLength(MAX_REPLAY_TRACKED);
  });

  it('bundles: a malformed one leaves the state alone; the size bound is MAX_BUNDLE_SECRETS', () => {
    expect(codeOf(() => importSecretBundle(fixed, encodeCanonical({ v: 1, secrets: [[1, 2, 3, 4]] }), deps))).toBe('DECODE_FIELD');
    expect(codeOf(() => importSecretBundle(fixed, encodeCanonical({ v: 2, secrets: [] }), deps))).toBe('DECODE_VERSION_UNSUPPORTED');
    expect(MAX_BUNDLE_SECRETS).toBe(100_000);
    const entry = [new Uint8Array(32).fill(0xcc), 0, secretOf(1), 1];
    const tooMany = encodeCanonical({ v: 1, secrets: Array.from({ length: MAX_BUNDLE_SECRETS + 1 }, () => entry) });
    expect(codeOf(() => importSecretBundle(fixed, tooMany, deps))).toBe('DECODE_FIELD');
  });
});
