/**
 * Message ratchet cases the main tests leave open: a late message of an old epoch must not disturb the current
 * chain; the window arithmetic far from counter 0 (custom windows, counters near MAX_COUNTER); `consumed` lists
 * exactly the secrets the new state no longer holds; the derivation labels (known answers); codec checks one by one.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeps, encodeCanonical, utf8 } from '../../src/crypto/index.js';
import {
  applyUpdateSecret, createMessageState, decodeMessageState, decryptMessage, DEFAULT_WINDOW, encryptMessage, epochChainKey,
  knownSenders, LABEL_CHAIN, LABEL_EPOCH, LABEL_KEY, LABEL_NONCE, MAX_BEHIND, MAX_COUNTER, MAX_PREVIOUS_EPOCHS, MAX_SKIP_AHEAD, stepChain,
  type MessageResult, type MessageState, type MessageWindow,
} from '../../src/message/index.js';
import { codeOf } from '../helpers/errors.js';

const deps = defaultDeps();
const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const aad = (e: number, c: number) => encodeCanonical([e, c]);
const secretOf = (n: number) => new Uint8Array(32).fill(n);


type Sealed = ReturnType<typeof encryptMessage>;
function send(state: MessageState, text: string, sender = A): Sealed {
  return encryptMessage(state, { sender, plaintext: utf8(text), aad }, deps);
}
function open(state: MessageState, m: Sealed, window: MessageWindow = DEFAULT_WINDOW, sender = A) {
  return decryptMessage(state, { sender, epoch: m.epoch, counter: m.counter, ciphertext: m.ciphertext, aad: aad(m.epoch, m.counter) }, deps, window);
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Every secret array a state holds. */
function secretsIn(state: MessageState): Set<Uint8Array> {
  const out = new Set<Uint8Array>();
  for (const list of Object.values(state.chains)) {
    for (const chain of list) {
      out.add(chain.chain);
      for (const s of chain.skipped) {
        out.add(s.key);
        out.add(s.nonce);
      }
    }
  }
  return out;
}

/** `consumed` holds every secret the old state had and the new one dropped, and nothing the new one still holds. */
function expectConsumedExactly(before: MessageState, result: MessageResult, alsoUsed = 0): void {
  const after = secretsIn(result.state);
  const dropped = [...secretsIn(before)].filter((s) => !after.has(s));
  for (const s of dropped) expect(result.consumed).toContain(s);
  for (const c of result.consumed) expect(after.has(c)).toBe(false);
  expect(new Set(result.consumed).size).toBe(result.consumed.length);
  expect(result.consumed.length).toBe(dropped.length + alsoUsed);
}

/** A chain of member A in epoch `epoch` whose next counter is `next` (both sides derive it from the same key). */
function chainAt(epoch: number, next: number, seed = 9): MessageState {
  return { v: 1, chains: { [A]: [{ epoch, next, chain: secretOf(seed), skipped: [] }] } };
}

describe('epochs', () => {
  it('a late message of an old epoch decrypts without touching the current chain', () => {
    let sender = applyUpdateSecret(createMessageState(), { member: A, epoch: 1, secret: secretOf(1) }, deps).state;
    let receiver = applyUpdateSecret(createMessageState(), { member: A, epoch: 1, secret: secretOf(1) }, deps).state;
    const old = [send(sender, 'old 0')];
    old.push(send(old[0]!.state, 'old 1'));
    sender = applyUpdateSecret(old[1]!.state, { member: A, epoch: 5, secret: secretOf(5) }, deps).state;
    receiver = applyUpdateSecret(receiver, { member: A, epoch: 5, secret: secretOf(5) }, deps).state;
    const current = send(sender, 'new 0');
    const next = send(current.state, 'new 1');
    receiver = open(receiver, current).state;
    const currentChain = receiver.chains[A]![1]!;
    const late = open(receiver, old[1]!);
    expect(text(late.plaintext)).toBe('old 1');
    expect(late.state.chains[A]!.map((c) => c.epoch)).toEqual([1, 5]);
    expect(late.state.chains[A]![1]).toBe(currentChain);
    expect(text(open(late.state, next).plaintext)).toBe('new 1');
    expect(text(open(late.state, old[0]!).plaintext)).toBe('old 0');
    // the current epoch goes on after the late message: a third message of epoch 5 follows on
    const third = send(next.state, 'new 2');
    expect([third.epoch, third.counter]).toEqual([5, 2]);
    expect(text(open(open(late.state, next).state, third).plaintext)).toBe('new 2');
  });

  it('keeps exactly MAX_PREVIOUS_EPOCHS old epochs and lists the dropped one in consumed', () => {
    let state = createMessageState();
    for (let e = 0; e <= MAX_PREVIOUS_EPOCHS; e++) state = applyUpdateSecret(state, { member: A, epoch: e, secret: secretOf(e) }, deps).state;
    expect(state.chains[A]).toHaveLength(MAX_PREVIOUS_EPOCHS + 1);
    const result = applyUpdateSecret(state, { member: A, epoch: MAX_PREVIOUS_EPOCHS + 1, secret: secretOf(99) }, deps);
    expect(result.state.chains[A]!.map((c) => c.epoch)[0]).toBe(1);
    expectConsumedExactly(state, result);
    expect(result.consumed).toEqual([state.chains[A]![0]!.chain]);
    const first = applyUpdateSecret(createMessageState(), { member: A, epoch: 0, secret: secretOf(0) }, deps);
    expect(first.consumed).toEqual([]);
  });

  it('an epoch equal to the current one is refused; other members are independent', () => {
    const state = applyUpdateSecret(createMessageState(), { member: A, epoch: 4, secret: secretOf(4) }, deps).state;
    expect(codeOf(() => applyUpdateSecret(state, { member: A, epoch: 4, secret: secretOf(4) }, deps))).toBe('STATE_DUPLICATE');
    const withB = applyUpdateSecret(state, { member: B, epoch: 1, secret: secretOf(1) }, deps).state;
    expect(knownSenders(withB)).toEqual([A, B]);
    expect(knownSenders(applyUpdateSecret(createMessageState(), { member: B, epoch: 0, secret: secretOf(1) }, deps).state)).toEqual([B]);
    expect(withB.chains[A]).toBe(state.chains[A]);
  });
});

describe('window arithmetic far from counter 0', () => {
  const window: MessageWindow = { maxSkipAhead: 3, maxBehind: 2 };
  const start = MAX_COUNTER - 20;

  function sentFrom(next: number, n: number): Sealed[] {
    const out: Sealed[] = [];
    let s = chainAt(7, next);
    for (let i = 0; i < n; i++) {
      const m = send(s, `m${next + i}`);
      out.push(m);
      s = m.state;
    }
    return out;
  }

  it('skips exactly maxSkipAhead, not one more', () => {
    const sealed = sentFrom(start, 6);
    expect(sealed.map((m) => m.counter)).toEqual([0, 1, 2, 3, 4, 5].map((i) => start + i));
    expect(codeOf(() => open(chainAt(7, start), sealed[4]!, window))).toBe('STATE_WINDOW_AHEAD');
    const ok = open(chainAt(7, start), sealed[3]!, window);
    expect(text(ok.plaintext)).toBe(`m${start + 3}`);
    expect(ok.state.chains[A]![0]!.next).toBe(start + 4);
    // keys kept: those at most maxBehind − 1 behind the new next − 1 (counter + 1 − maxBehind = start + 2)
    expect(ok.state.chains[A]![0]!.skipped.map((s) => s.counter)).toEqual([start + 2]);
    expect(text(open(ok.state, sealed[2]!, window).plaintext)).toBe(`m${start + 2}`);
    expect(codeOf(() => open(ok.state, sealed[1]!, window))).toBe('STATE_WINDOW_BEHIND');
    expect(codeOf(() => open(ok.state, sealed[3]!, window))).toBe('STATE_KEY_REUSED');
  });

  it('behind the window vs. a reused key: decided by the distance to next', () => {
    const sealed = sentFrom(start, 4);
    let r = chainAt(7, start);
    for (const m of sealed) r = open(r, m, window).state; // in order: nothing skipped
    expect(r.chains[A]![0]!.skipped).toEqual([]);
    expect(codeOf(() => open(r, sealed[2]!, window))).toBe('STATE_KEY_REUSED'); // next − counter = 2 = maxBehind
    expect(codeOf(() => open(r, sealed[1]!, window))).toBe('STATE_WINDOW_BEHIND'); // 3 > maxBehind
  });

  it('the last counter of an epoch is usable; after it the sender must update', () => {
    const last = send(chainAt(7, MAX_COUNTER - 1), 'last');
    expect(last.counter).toBe(MAX_COUNTER - 1);
    expect(text(open(chainAt(7, MAX_COUNTER - 1), last).plaintext)).toBe('last');
    expect(codeOf(() => send(last.state, 'one more'))).toBe('STATE_LIMIT');
  });

  it('the default window is MAX_SKIP_AHEAD ahead and MAX_BEHIND behind', () => {
    expect(DEFAULT_WINDOW).toEqual({ maxSkipAhead: MAX_SKIP_AHEAD, maxBehind: MAX_BEHIND });
    expect([MAX_SKIP_AHEAD, MAX_BEHIND, MAX_PREVIOUS_EPOCHS, MAX_COUNTER]).toEqual([1000, 100, 32, 2 ** 32 - 1]);
  });

  it('refuses negative, fractional and unsafe counters', () => {
    const m = sentFrom(start, 1)[0]!;
    for (const counter of [-1, 1.5, 2 ** 53]) {
      expect(codeOf(() => decryptMessage(chainAt(7, start), { sender: A, epoch: 7, counter, ciphertext: m.ciphertext, aad: aad(7, counter) }, deps))).toBe('USAGE_ARGUMENT');
    }
  });
});

describe('consumed: exactly the secrets the new state dropped, plus the used key and nonce', () => {
  it('encrypt', () => {
    const state = chainAt(2, 0);
    const sealed = send(state, 'x');
    expectConsumedExactly(state, sealed, 2);
    expect(sealed.consumed[0]).toBe(state.chains[A]![0]!.chain);
  });

  it('decrypt in order, ahead (skipping), from the skipped keys, and dropping keys that fell behind', () => {
    const sealed: Sealed[] = [];
    let s = chainAt(2, 0);
    for (let i = 0; i < 8; i++) {
      const m = send(s, `m${i}`);
      sealed.push(m);
      s = m.state;
    }
    const window: MessageWindow = { maxSkipAhead: 10, maxBehind: 3 };
    let r = chainAt(2, 0);
    let result = open(r, sealed[0]!, window);
    expectConsumedExactly(r, result, 2); // the used key and nonce are in neither state
    r = result.state;
    result = open(r, sealed[4]!, window); // skips 1, 2, 3: the key of 1 falls behind at once
    expect(result.state.chains[A]![0]!.skipped.map((k) => k.counter)).toEqual([2, 3]);
    expectConsumedExactly(r, result, 2 + 2 + 3); // used key+nonce, dropped key+nonce of 1, chain keys of 1..3
    r = result.state;
    result = open(r, sealed[3]!, window); // from the skipped keys
    expectConsumedExactly(r, result);
    expect(result.consumed).toHaveLength(2);
    r = result.state;
    result = open(r, sealed[7]!, window); // skipping 5, 6 pushes 2 out
    expect(result.state.chains[A]![0]!.skipped.map((k) => k.counter)).toEqual([5, 6]);
    expectConsumedExactly(r, result, 2 + 2);
  });
});

describe('derivation (known answers from the labels)', () => {
  it('epoch chain key and one step use HKDF with the documented labels', () => {
    const secret = secretOf(3);
    expect(epochChainKey(deps, secret)).toEqual(deps.crypto.hkdf(secret, new Uint8Array(32), utf8('groupcrypt/message/epoch'), 32));
    const chain = secretOf(4);
    const step = stepChain(deps, chain);
    expect(step.key).toEqual(deps.crypto.hkdfExpand(chain, utf8('groupcrypt/message/key'), 32));
    expect(step.nonce).toEqual(deps.crypto.hkdfExpand(chain, utf8('groupcrypt/message/nonce'), 12));
    expect(step.next).toEqual(deps.crypto.hkdfExpand(chain, utf8('groupcrypt/message/chain'), 32));
    expect([LABEL_EPOCH, LABEL_KEY, LABEL_NONCE, LABEL_CHAIN]).toEqual([
      'groupcrypt/message/epoch', 'groupcrypt/message/key', 'groupcrypt/message/nonce', 'groupcrypt/message/chain',
    ]);
  });

  it('a message is ChaCha20-Poly1305 under the step key and nonce with the caller\'s AAD', () => {
    const sealed = send(chainAt(2, 0), 'known');
    const step = stepChain(deps, secretOf(9));
    expect(deps.crypto.aeadOpen('chacha20-poly1305', step.key, step.nonce, sealed.ciphertext, aad(2, 0))).toEqual(utf8('known'));
  });
});

describe('message state codec, one check per edit', () => {
  function sample(): MessageState {
    const sealed: Sealed[] = [];
    let s = chainAt(2, 0);
    for (let i = 0; i < 3; i++) {
      const m = send(s, `m${i}`);
      sealed.push(m);
      s = m.state;
    }
    const r = open(chainAt(2, 0), sealed[2]!).state;
    return applyUpdateSecret(r, { member: A, epoch: 3, secret: secretOf(3) }, deps).state;
  }
  type RawChain = [number, number, Uint8Array, [number, Uint8Array, Uint8Array][]];
  const reencode = (edit: (chains: Record<string, RawChain[]>) => void): Uint8Array => {
    const state = sample();
    const chains: Record<string, RawChain[]> = {};
    for (const [member, list] of Object.entries(state.chains)) {
      chains[member] = list.map((c) => [c.epoch, c.next, c.chain, c.skipped.map((k) => [k.counter, k.key, k.nonce] as [number, Uint8Array, Uint8Array])]);
    }
    edit(chains);
    return encodeCanonical({ v: 1, chains });
  };

  it('round-trips the unedited sample (two epochs, skipped keys)', () => {
    const state = sample();
    expect(state.chains[A]![0]!.skipped).toHaveLength(2);
    expect(decodeMessageState(reencode(() => undefined))).toEqual(state);
  });

  const cases: [string, (c: Record<string, RawChain[]>) => void][] = [
    ['member not 64 hex digits', (c) => { c['AA'.repeat(32)] = c[A]!; delete c[A]; }],
    ['member too short', (c) => { c['aa'] = c[A]!; delete c[A]; }],
    ['no epochs', (c) => { c[A] = []; }],
    ['epochs not a list', (c) => { (c as Record<string, unknown>)[A] = 5; }],
    ['too many epochs', (c) => { c[A] = Array.from({ length: MAX_PREVIOUS_EPOCHS + 2 }, (_, i) => [i, 0, secretOf(1), []] as RawChain); }],
    ['epochs out of order', (c) => { c[A]!.reverse(); }],
    ['epochs repeated', (c) => { c[A]![1]![0] = c[A]![0]![0]; }],
    ['chain not a list of 4', (c) => { (c[A]![0] as unknown[]).push(1); }],
    ['skipped not a list', (c) => { (c[A]![0] as unknown[])[3] = 1; }],
    ['more skipped keys than MAX_BEHIND', (c) => { c[A]![0]![3] = Array.from({ length: MAX_BEHIND + 1 }, (_, i) => [i, secretOf(1), new Uint8Array(12)]); }],
    ['epoch negative', (c) => { c[A]![0]![0] = -1; }],
    ['next fractional', (c) => { c[A]![0]![1] = 1.5; }],
    ['next a string', (c) => { (c[A]![0] as unknown[])[1] = '1'; }],
    ['chain key short', (c) => { c[A]![0]![2] = new Uint8Array(31); }],
    ['chain key not bytes', (c) => { (c[A]![0] as unknown[])[2] = [1]; }],
    ['skipped entry of 2', (c) => { (c[A]![0]![3][0] as unknown[]).pop(); }],
    ['skipped counter negative', (c) => { c[A]![0]![3][0]![0] = -1; }],
    ['skipped key short', (c) => { c[A]![0]![3][0]![1] = new Uint8Array(12); }],
    ['skipped nonce long', (c) => { c[A]![0]![3][0]![2] = new Uint8Array(32); }],
  ];
  for (const [name, edit] of cases) {
    it(`rejects: ${name}`, () => {
      expect(codeOf(() => decodeMessageState(reencode(edit)))).toBe('DECODE_FIELD');
    });
  }

  it('accepts exactly MAX_PREVIOUS_EPOCHS + 1 epochs and MAX_BEHIND skipped keys', () => {
    const bytes = reencode((c) => {
      c[A] = Array.from({ length: MAX_PREVIOUS_EPOCHS + 1 }, (_, i) => [i, 0, secretOf(1), []] as RawChain);
      c[A]![0]![3] = Array.from({ length: MAX_BEHIND }, (_, i) => [i, secretOf(1), new Uint8Array(12)]);
    });
    const state = decodeMessageState(bytes);
    expect(state.chains[A]).toHaveLength(MAX_PREVIOUS_EPOCHS + 1);
    expect(state.chains[A]![0]!.skipped).toHaveLength(MAX_BEHIND);
  });

  it('names the state and the field in its errors', () => {
    expect(() => decodeMessageState(reencode((c) => { c[A]![0]![2] = new Uint8Array(31); }))).toThrow(/message-state\.chains\.aaaaaaaa/);
    expect(() => decodeMessageState(reencode((c) => { c[A]!.reverse(); }))).toThrow(/chains\.order/);
  });
});
