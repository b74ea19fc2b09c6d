import { describe, expect, it } from 'vitest';
import { bytesEqual, utf8 } from '../../src/crypto/index.js';
import { createSession, twoPartyReceive, twoPartySend } from '../../src/twoparty/index.js';
import { codeOf, makeParty, sessionsOf, testDeps } from './helpers.js';

describe('2SM session restart (issue 12)', () => {
  const deps = testDeps();
  const alice = makeParty(deps);
  const bob = makeParty(deps);
  const send = (s: Parameters<typeof twoPartySend>[0], text: string, bundle = false) =>
    twoPartySend(s, utf8(text), { deps, identity: alice.identity, ...(bundle ? { peerBundle: bob.longTerm } : {}) });

  it('a new X3DH on a session that already received is refused by default and accepted with allowRestart', () => {
    let { ab, ba } = sessionsOf(alice, bob);
    const first = send(ab, 'one', true);
    ab = first.session;
    const r1 = twoPartyReceive(ba, bob.keyManager, first.message, { deps, identity: bob.identity });
    ba = r1.session;
    const second = send(ab, 'two');
    ba = twoPartyReceive(ba, bob.keyManager, second.message, { deps, identity: bob.identity }).session;
    // Alice lost her session: her next message opens a new one.
    const restart = send(createSession(bob.identity.publicKey), 'again', true);
    expect(codeOf(() => twoPartyReceive(ba, bob.keyManager, restart.message, { deps, identity: bob.identity }))).toBe('STATE_REPLAY');
    const accepted = twoPartyReceive(ba, bob.keyManager, restart.message, { deps, identity: bob.identity, allowRestart: true });
    expect(new TextDecoder().decode(accepted.plaintext)).toBe('again');
    expect(accepted.session.receivedIndex).toBe(1);
    expect(accepted.session.nextIndex).toBe(1);
    // The old session's received key is among the secrets to wipe.
    expect(accepted.consumed.some((k) => ba.receivedSecretKey !== null && bytesEqual(k, ba.receivedSecretKey))).toBe(true);
    // Bob answers on the new session and Alice reads it.
    const reply = twoPartySend(accepted.session, utf8('hi'), { deps, identity: bob.identity });
    const back = twoPartyReceive(restart.session, alice.keyManager, reply.message, { deps, identity: alice.identity });
    expect(new TextDecoder().decode(back.plaintext)).toBe('hi');
    // Without allowRestart the new session refuses the same first message again (replays of whole
    // messages are the caller's to refuse when it allows restarts: the DCGKA processes each control message once).
    expect(codeOf(() => twoPartyReceive(accepted.session, bob.keyManager, restart.message, { deps, identity: bob.identity }))).toBe('STATE_REPLAY');
  });
});
