import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.js';
import type { KeyManagerState } from '../../src/keys/index.js';
import { decodeKeyManager, encodeKeyManager } from '../../src/keys/index.js';
import type { TwoPartySession } from '../../src/twoparty/index.js';
import { decodeSession, encodeSession, twoPartyReceive, twoPartySend } from '../../src/twoparty/index.js';
import type { Party } from './helpers.js';
import { codeOf, makeParty, sessionsOf, testDeps } from './helpers.js';

const deps = testDeps();

/** One side of the conversation as the simulation holds it. */
interface Side {
  party: Party;
  session: TwoPartySession;
  keyManager: KeyManagerState;
  sent: number;
  /** Plaintexts received, in order. */
  received: string[];
  /** Messages in flight towards this side (FIFO), and the last one delivered. */
  inbox: Uint8Array[];
  lastDelivered: Uint8Array | null;
}

type Op = 'sendA' | 'sendB' | 'deliverToB' | 'deliverToA' | 'replayToB' | 'replayToA' | 'persist';

function send(from: Side, to: Side, name: string, bundleKind: 'one-time' | 'long-term'): void {
  const plaintext = `${name}${from.sent}`;
  const peerBundle = bundleKind === 'one-time' ? to.party.oneTime : to.party.longTerm;
  const out = twoPartySend(from.session, new TextEncoder().encode(plaintext), { deps, identity: from.party.identity, peerBundle });
  from.session = out.session;
  from.sent += 1;
  to.inbox.push(out.message);
}

function deliver(to: Side): void {
  const message = to.inbox.shift();
  if (message === undefined) return;
  const before = toHex(encodeSession(to.session));
  const out = twoPartyReceive(to.session, to.keyManager, message, { deps, identity: to.party.identity });
  expect(toHex(encodeSession(to.session))).toBe(before);
  // forward secrecy: nothing consumed survives in the new states
  const encoded = toHex(encodeSession(out.session)) + toHex(encodeKeyManager(out.keyManager));
  for (const secret of out.consumed) expect(encoded).not.toContain(toHex(secret));
  to.session = out.session;
  to.keyManager = out.keyManager;
  to.received.push(new TextDecoder().decode(out.plaintext));
  to.lastDelivered = message;
}

function replay(to: Side): void {
  if (to.lastDelivered === null) return;
  const before = toHex(encodeSession(to.session)) + toHex(encodeKeyManager(to.keyManager));
  const message = to.lastDelivered;
  expect(codeOf(() => twoPartyReceive(to.session, to.keyManager, message, { deps, identity: to.party.identity }))).toBe('STATE_REPLAY');
  expect(toHex(encodeSession(to.session)) + toHex(encodeKeyManager(to.keyManager))).toBe(before);
}

describe('2SM random interleavings', () => {
  it('every message decrypts, in order per sender, whatever the interleaving of both directions', () => {
    const a0 = makeParty(deps);
    const b0 = makeParty(deps);
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<Op>('sendA', 'sendB', 'deliverToB', 'deliverToA') },
      { weight: 1, arbitrary: fc.constantFrom<Op>('replayToB', 'replayToA', 'persist') },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.constantFrom('one-time', 'long-term'), fc.constantFrom('one-time', 'long-term'), (ops, kindA, kindB) => {
        const { ab, ba } = sessionsOf(a0, b0);
        const A: Side = { party: a0, session: ab, keyManager: a0.keyManager, sent: 0, received: [], inbox: [], lastDelivered: null };
        const B: Side = { party: b0, session: ba, keyManager: b0.keyManager, sent: 0, received: [], inbox: [], lastDelivered: null };
        for (const op of ops) {
          if (op === 'sendA') send(A, B, 'a', kindB as 'one-time' | 'long-term');
          else if (op === 'sendB') send(B, A, 'b', kindA as 'one-time' | 'long-term');
          else if (op === 'deliverToB') deliver(B);
          else if (op === 'deliverToA') deliver(A);
          else if (op === 'replayToB') replay(B);
          else if (op === 'replayToA') replay(A);
          else {
            for (const side of [A, B]) {
              side.session = decodeSession(encodeSession(side.session));
              side.keyManager = decodeKeyManager(encodeKeyManager(side.keyManager));
            }
          }
        }
        while (A.inbox.length > 0 || B.inbox.length > 0) {
          deliver(A);
          deliver(B);
        }
        expect(B.received).toEqual(Array.from({ length: A.sent }, (_, i) => `a${i}`));
        expect(A.received).toEqual(Array.from({ length: B.sent }, (_, i) => `b${i}`));
        // each side keeps at most the keys the peer has not yet sealed to
        expect(A.session.mySecretKeys.length).toBeLessThanOrEqual(A.sent);
        expect(B.session.mySecretKeys.length).toBeLessThanOrEqual(B.sent);
      }),
      { numRuns: 100 },
    );
  });
});
