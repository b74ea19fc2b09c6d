/**
 * Bad input never changes state: malformed, forged, replayed, reordered,
 * misrouted and out-of-group control messages give typed errors and leave the
 * caller's state (and keys) byte-identical.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import { MAX_DIRECT_BYTES, decodeDcgkaState, encodeDcgkaState, processControl, readControl, update } from '../../src/dcgka/index.js';
import type { IncomingControl } from '../../src/dcgka/index.js';
import { encodeControl } from '../../src/dcgka/codec.js';
import { encodeKeyManager } from '../../src/keys/index.js';
import { isGroupCryptError } from '../../src/errors.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import type { Peer, WireMessage } from '../helpers/dcgka-sim.js';

function incomingFor(peer: Peer, message: WireMessage): IncomingControl {
  const direct = message.direct.get(peer.id);
  return { broadcast: message.broadcast, ...(direct ? { direct } : {}) };
}

/** Runs `processControl` expecting a typed error `code`, and checks nothing changed. */
function expectRejected(sim: DcgkaSim, peer: Peer, incoming: IncomingControl, code: string): void {
  const state = peer.state!;
  const before = encodeDcgkaState(state);
  const keysBefore = encodeKeyManager(peer.keys);
  let caught: unknown;
  try {
    processControl(state, sim.ctx(peer), incoming);
  } catch (error) {
    caught = error;
  }
  expect(isGroupCryptError(caught), `expected a GroupCryptError, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
  expect(bytesEqual(encodeDcgkaState(state), before)).toBe(true);
  expect(bytesEqual(encodeKeyManager(peer.keys), keysBefore)).toBe(true);
}

/** A group {A,B,C} where everyone processed everything, then an update by A not yet delivered. */
function setup() {
  const sim = new DcgkaSim(['A', 'B', 'C', 'M']);
  sim.create('A', ['B', 'C']);
  sim.settle();
  sim.update('A');
  const update = sim.wire[sim.wire.length - 1] as WireMessage;
  const b = sim.peer('B');
  b.inbox = [];
  return { sim, update, b };
}

describe('dcgka bad input', () => {
  it('processes the genuine message (control for the cases below)', () => {
    const { sim, update, b } = setup();
    const result = processControl(b.state!, sim.ctx(b), incomingFor(b, update));
    expect(result.outputs.some((o) => o.kind === 'update-secret')).toBe(true);
  });

  it('truncated, extended and garbage bytes → DECODE_*', () => {
    const { sim, update, b } = setup();
    expectRejected(sim, b, { broadcast: update.broadcast.slice(0, update.broadcast.length - 1) }, 'DECODE_MALFORMED');
    expectRejected(sim, b, { broadcast: new Uint8Array([...update.broadcast, 0]) }, 'DECODE_TRAILING_BYTES');
    expectRejected(sim, b, { broadcast: encodeCanonical([1, 2, 3]) }, 'DECODE_FIELD');
    expectRejected(sim, b, { broadcast: new Uint8Array(0) }, 'DECODE_MALFORMED');
  });

  it('a flipped bit in the signed part or the signature → VERIFY_SIGNATURE or DECODE_*', () => {
    const { sim, update, b } = setup();
    const [signed, signature] = decodeCanonical(update.broadcast, 't') as [Uint8Array, Uint8Array];
    const badSig = new Uint8Array(signature);
    badSig[10] = (badSig[10] as number) ^ 1;
    expectRejected(sim, b, { broadcast: encodeCanonical([signed, badSig]), direct: update.direct.get(b.id)! }, 'VERIFY_SIGNATURE');
    // Re-sign nothing: change the seq inside the signed part (still canonical) → signature fails.
    const inner = decodeCanonical(signed, 't') as unknown[];
    const forged = encodeCanonical([inner[0], inner[1], inner[2], (inner[3] as number) + 1, ...inner.slice(4)]);
    expectRejected(sim, b, { broadcast: encodeCanonical([forged, signature]) }, 'VERIFY_SIGNATURE');
  });

  it('a message claiming another sender (copied signature) → VERIFY_SIGNATURE', () => {
    const { sim, update, b } = setup();
    const [signed, signature] = decodeCanonical(update.broadcast, 't') as [Uint8Array, Uint8Array];
    const inner = decodeCanonical(signed, 't') as unknown[];
    const claimed = encodeCanonical([inner[0], inner[1], new Uint8Array(Buffer.from(sim.id('C'), 'hex')), ...inner.slice(3)]);
    expectRejected(sim, b, { broadcast: encodeCanonical([claimed, signature]) }, 'VERIFY_SIGNATURE');
  });

  it('a replay, and a message from the future → STATE_REPLAY / STATE_OUT_OF_ORDER', () => {
    const { sim, update, b } = setup();
    const processed = processControl(b.state!, sim.ctx(b), incomingFor(b, update));
    b.state = processed.state;
    b.keys = processed.keys;
    expectRejected(sim, b, incomingFor(b, update), 'STATE_REPLAY');
    sim.update('A');
    sim.update('A');
    const future = sim.wire[sim.wire.length - 1] as WireMessage;
    expectRejected(sim, b, incomingFor(b, future), 'STATE_OUT_OF_ORDER');
  });

  it('an ack before the message it acks → STATE_CAUSALITY', () => {
    const { sim, update, b } = setup();
    const c = sim.peer('C');
    sim.deliver(c, update);
    const ack = sim.wire[sim.wire.length - 1] as WireMessage;
    expect(ack.type).toBe('ack');
    expectRejected(sim, b, incomingFor(b, ack), 'STATE_CAUSALITY');
  });

  it('a missing or misdirected direct part → typed error, state unchanged (missing: retryable STATE_MISSING_KEY, the signed manifest names it)', () => {
    const { sim, update, b } = setup();
    expectRejected(sim, b, { broadcast: update.broadcast }, 'STATE_MISSING_KEY');
    const forC = update.direct.get(sim.id('C'))!;
    let caught: unknown;
    try {
      processControl(b.state!, sim.ctx(b), { broadcast: update.broadcast, direct: forC });
    } catch (error) {
      caught = error;
    }
    expect(isGroupCryptError(caught)).toBe(true);
    expect(bytesEqual(encodeDcgkaState(b.state!), encodeDcgkaState(decodeDcgkaState(encodeDcgkaState(b.state!))))).toBe(true);
  });

  it('a seed that does not match its signed commitment → VERIFY_COMMITMENT (equivocation)', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    const a = sim.peer('A');
    const b = sim.peer('B');
    // Two versions of A's next update (same seq, different seeds): A equivocates.
    const first = update(a.state!, sim.ctx(a)).outputs.find((o) => o.kind === 'control');
    const second = update(a.state!, sim.ctx(a)).outputs.find((o) => o.kind === 'control');
    if (first?.kind !== 'control' || second?.kind !== 'control') throw new Error('no control output');
    expect(bytesEqual(first.control.broadcast, second.control.broadcast)).toBe(false);
    const otherSeed = second.control.direct.find((d) => d.recipient === b.id)!.bytes;
    expectRejected(sim, b, { broadcast: first.control.broadcast, direct: otherSeed }, 'VERIFY_COMMITMENT');
  });

  it('a direct part over MAX_DIRECT_BYTES → DECODE_TOO_LARGE; at the bound it is read (and fails later)', () => {
    const { sim, update, b } = setup();
    expectRejected(sim, b, { broadcast: update.broadcast, direct: new Uint8Array(MAX_DIRECT_BYTES + 1) }, 'DECODE_TOO_LARGE');
    let caught: unknown;
    try {
      processControl(b.state!, sim.ctx(b), { broadcast: update.broadcast, direct: new Uint8Array(MAX_DIRECT_BYTES) });
    } catch (error) {
      caught = error;
    }
    expect(isGroupCryptError(caught)).toBe(true);
    expect((caught as { code: string }).code).not.toBe('DECODE_TOO_LARGE');
  });

  it('a control message of another group → VERIFY_GROUP', () => {
    const { sim, b } = setup();
    sim.create('M', ['B']);
    const other = sim.wire[sim.wire.length - 1] as WireMessage;
    expectRejected(sim, b, incomingFor(b, other), 'VERIFY_GROUP');
  });

  it('a message from someone who is not in the group → STATE_UNKNOWN_MEMBER', () => {
    const { sim, b } = setup();
    // M signs a well-formed update for B's group: decode succeeds (valid signature by M), membership refuses.
    const msg = readControl(sim.ctx(b), sim.wire[0]!.broadcast);
    expect(msg.body.type).toBe('create');
    const m = sim.peer('M');
    const forged = { ...msg, sender: m.id, seq: 0, body: { type: 'update' as const, commitment: new Uint8Array(32) } };
    const bytes = encodeControl(forged, { secretKey: m.keys.identity.secretKey, publicKey: m.keys.identity.publicKey }, sim.deps);
    expectRejected(sim, b, { broadcast: bytes }, 'STATE_UNKNOWN_MEMBER');
  });

  it('the DCGKA state codec round-trips and rejects damage', () => {
    const { b } = setup();
    const bytes = encodeDcgkaState(b.state!);
    expect(bytesEqual(encodeDcgkaState(decodeDcgkaState(bytes)), bytes)).toBe(true);
    const codes = new Set<string>();
    for (const bad of [bytes.slice(0, bytes.length - 3), new Uint8Array([...bytes, 0]), encodeCanonical({ v: 2 })]) {
      try {
        decodeDcgkaState(bad);
      } catch (error) {
        if (isGroupCryptError(error)) codes.add(error.code);
      }
    }
    expect([...codes].every((c) => c.startsWith('DECODE_'))).toBe(true);
    expect(codes.size).toBeGreaterThanOrEqual(2);
  });
});
