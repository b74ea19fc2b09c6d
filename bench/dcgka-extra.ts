/**
 * The two non-DCGKA measurements of the DCGKA benchmark:
 *
 * - the primitive **floor** of an update to n members (BENCHMARKS.md): the
 *   sender makes n−1 HPKE seals of a 32-byte secret to distinct recipients
 *   and checks n−1 ack signatures (XEdDSA verify, what acks use); one
 *   recipient opens one HPKE message, signs one ack, checks n−2 acks;
 * - an **application message** of 32 bytes: the message scheme
 *   (`src/message`: chain step + ChaCha20-Poly1305) with a stand-in envelope
 *   and signature, because no group layer exposes a wire format yet:
 *   CBOR `[1, senderTag(8), epoch, counter, ciphertext]` ‖ XEdDSA signature.
 */
import type { Deps } from '../src/crypto/index.js';
import { HPKE_DEFAULT_SUITE, decodeCanonical, encodeCanonical, fromHex } from '../src/crypto/index.js';
import { generateIdentity, signWithIdentity, verifyWithIdentity } from '../src/keys/index.js';
import type { IdentityKeyPair } from '../src/keys/index.js';
import { applyUpdateSecret, createMessageState, decryptMessage, encryptMessage } from '../src/message/index.js';
import type { MessageState } from '../src/message/index.js';
import type { Clock, DcgkaSample } from './dcgka-harness.js';

const SEED = new Uint8Array(32).fill(7);
const INFO = new TextEncoder().encode('groupcrypt/bench/floor');
/** Size of an ack's signed body in the floor (like a DCGKA ack's canonical bytes minus the signature). */
const ACK_BODY_BYTES = 110;

/** Pre-made inputs of the floor at n (recipient keys, signed acks). */
export interface FloorSetup {
  readonly n: number;
  readonly recipients: readonly { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array }[];
  readonly ackers: readonly { readonly publicKey: Uint8Array; readonly body: Uint8Array; readonly signature: Uint8Array }[];
  readonly me: IdentityKeyPair;
}

/** Generates n−1 recipient key pairs and n−1 signed acks (untimed). */
export function makeFloor(deps: Deps, n: number): FloorSetup {
  const recipients = Array.from({ length: n - 1 }, () => deps.crypto.x25519Generate());
  const ackers = Array.from({ length: n - 1 }, () => {
    const id = generateIdentity(deps);
    const body = deps.crypto.randomBytes(ACK_BODY_BYTES);
    return { publicKey: id.publicKey, body, signature: signWithIdentity(deps, id, body) };
  });
  return { n, recipients, ackers, me: generateIdentity(deps) };
}

/** One floor sample. */
export function floorSample(deps: Deps, f: FloorSetup, clock: Clock): DcgkaSample {
  const c = deps.crypto;
  let t = clock();
  let sealedBytes = 0;
  let first: { enc: Uint8Array; ciphertext: Uint8Array } | undefined;
  for (const r of f.recipients) {
    const s = c.hpkeSeal(HPKE_DEFAULT_SUITE, r.publicKey, INFO, INFO, SEED);
    sealedBytes += s.enc.length + s.ciphertext.length;
    first ??= s;
  }
  const senderGenMs = clock() - t;
  t = clock();
  let ok = 0;
  for (const a of f.ackers) if (verifyWithIdentity(deps, a.publicKey, a.body, a.signature)) ok++;
  const senderAckMs = clock() - t;
  if (ok !== f.ackers.length || !first) throw new Error('floor: a signature did not verify');
  const mine = f.recipients[0] as { secretKey: Uint8Array };
  t = clock();
  c.hpkeOpen(HPKE_DEFAULT_SUITE, mine.secretKey, first.enc, INFO, INFO, first.ciphertext);
  const ack = signWithIdentity(deps, f.me, SEED);
  const recipientProcMs = clock() - t;
  t = clock();
  for (const a of f.ackers.slice(1)) verifyWithIdentity(deps, a.publicKey, a.body, a.signature);
  const recipientAckMs = clock() - t;
  const acks = f.n - 1;
  const ackBytes = ACK_BODY_BYTES + ack.length;
  return {
    senderGenMs, senderAckMs, recipientProcMs, recipientAckMs,
    bytes: sealedBytes + acks * ackBytes, ctrlBytes: sealedBytes, welcomeBytes: 0, acks, ackBytes, addedMs: 0,
  };
}

/** Sender and recipient message states that share member `sender`'s chain, plus its identity. */
export interface MessageSetup {
  readonly sender: string;
  readonly identity: IdentityKeyPair;
  readonly senderState: MessageState;
  readonly recipientState: MessageState;
  readonly plaintext: Uint8Array;
}

/**
 * Starts the sender's chain from its DCGKA update secret on both sides.
 * @param secret the update secret of `sender` from the settled group (epoch `epoch`).
 */
export function makeMessage(deps: Deps, sender: string, identity: IdentityKeyPair, secret: Uint8Array, epoch: number): MessageSetup {
  const input = { member: sender, epoch, secret };
  return {
    sender,
    identity,
    senderState: applyUpdateSecret(createMessageState(), input, deps).state,
    recipientState: applyUpdateSecret(createMessageState(), input, deps).state,
    plaintext: deps.crypto.randomBytes(32),
  };
}

/** One application-message sample: seal + envelope + sign; verify + decode + open. */
export function messageSample(deps: Deps, m: MessageSetup, clock: Clock): DcgkaSample {
  const tag = fromHex(m.sender.slice(0, 16));
  let t = clock();
  const sealed = encryptMessage(m.senderState, { sender: m.sender, plaintext: m.plaintext, aad: (epoch, counter) => encodeCanonical([1, tag, epoch, counter]) }, deps);
  const envelope = encodeCanonical([1, tag, sealed.epoch, sealed.counter, sealed.ciphertext]);
  const signature = signWithIdentity(deps, m.identity, envelope);
  const senderGenMs = clock() - t;
  t = clock();
  if (!verifyWithIdentity(deps, m.identity.publicKey, envelope, signature)) throw new Error('message: bad signature');
  const fields = decodeCanonical(envelope, 'bench message') as [number, Uint8Array, number, number, Uint8Array];
  const opened = decryptMessage(m.recipientState, {
    sender: m.sender, epoch: fields[2], counter: fields[3], ciphertext: fields[4], aad: encodeCanonical([1, fields[1], fields[2], fields[3]]),
  }, deps);
  const recipientProcMs = clock() - t;
  if (opened.plaintext.length !== 32) throw new Error('message: wrong plaintext');
  const bytes = envelope.length + signature.length;
  return { senderGenMs, senderAckMs: 0, recipientProcMs, recipientAckMs: 0, bytes, ctrlBytes: bytes, welcomeBytes: 0, acks: 0, ackBytes: 0, addedMs: 0 };
}
