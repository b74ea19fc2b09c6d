/**
 * The two non-DCGKA measurements of the DCGKA benchmark:
 *
 * - the primitive **floor** of an update to n members (BENCHMARKS.md: "per
 *   recipient: X25519 key generation, DH, HKDF, a 64-byte AEAD seal, plus a
 *   key pair for the next 2SM message; per ack: an Ed25519 verification"):
 *   the sender makes n−1 HPKE seals of 64 bytes (a seed and the next public
 *   key) to distinct recipients, generates n−1 next key pairs, and checks
 *   n−1 ack signatures (XEdDSA verify, what acks use); one recipient opens
 *   one HPKE message, signs one ack, checks n−2 acks;
 * - an **application message** of 32 bytes through the group API
 *   (`src/group` `send` / `receive`, message scheme): KDF-chain step,
 *   ChaCha20-Poly1305, the signed envelope — what goes on the wire.
 */
import type { Deps } from '../src/crypto/index.js';
import { HPKE_DEFAULT_SUITE } from '../src/crypto/index.js';
import { createGroup as createGroupApi, joinGroup as joinGroupApi, receive, send } from '../src/group/index.js';
import type { GroupContext, GroupResult, GroupState, OutgoingMessage } from '../src/group/index.js';
import { generateIdentity, signWithIdentity, verifyWithIdentity } from '../src/keys/index.js';
import type { IdentityKeyPair, KeyManagerState, KeyRegistryState } from '../src/keys/index.js';
import type { BenchMember, BenchUsers, Clock, DcgkaSample } from './dcgka-harness.js';

const SEED = new Uint8Array(32).fill(7);
/** What one 2SM message seals: a 32-byte seed and the 32-byte public key of the next 2SM key pair. */
const PAYLOAD = new Uint8Array(64).fill(7);
const INFO = new TextEncoder().encode('groupcrypt/bench/floor');
/** Size of an ack's signed body in the floor (like a DCGKA ack's canonical bytes minus the signature). */
const ACK_BODY_BYTES = 110;

/** Pre-made inputs of the floor at n (recipient keys, signed acks). */
export interface FloorSetup {
  readonly n: number;
  readonly recipients: readonly { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array }[];
  readonly ackers: readonly { readonly publicKey: Uint8Array; readonly body: Uint8Array; readonly signature: Uint8Array }[];
  readonly me: IdentityKeyPair;
  /** Secrets of the peer key pairs a 2SM sender makes (their public keys are derived in each sample). */
  readonly peerSecrets: readonly Uint8Array[];
  /** A signed control message body (the check every recipient runs first). */
  readonly control: { readonly publicKey: Uint8Array; readonly body: Uint8Array; readonly signature: Uint8Array };
}

/** Generates n−1 recipient key pairs and n−1 signed acks (untimed). */
export function makeFloor(deps: Deps, n: number): FloorSetup {
  const recipients = Array.from({ length: n - 1 }, () => deps.crypto.x25519Generate());
  const ackers = Array.from({ length: n - 1 }, () => {
    const id = generateIdentity(deps);
    const body = deps.crypto.randomBytes(ACK_BODY_BYTES);
    return { publicKey: id.publicKey, body, signature: signWithIdentity(deps, id, body) };
  });
  const sender = generateIdentity(deps);
  const body = deps.crypto.randomBytes(ACK_BODY_BYTES);
  return {
    n, recipients, ackers, me: generateIdentity(deps),
    peerSecrets: Array.from({ length: n - 1 }, () => deps.crypto.randomBytes(32)),
    control: { publicKey: sender.publicKey, body, signature: signWithIdentity(deps, sender, body) },
  };
}

/** One floor sample. */
export function floorSample(deps: Deps, f: FloorSetup, clock: Clock): DcgkaSample {
  const c = deps.crypto;
  let t = clock();
  let sealedBytes = 0;
  let first: { enc: Uint8Array; ciphertext: Uint8Array } | undefined;
  for (const r of f.recipients) {
    const next = c.x25519Generate(); // the key pair the 2SM message announces for the reply
    const s = c.hpkeSeal(HPKE_DEFAULT_SUITE, r.publicKey, INFO, INFO, PAYLOAD);
    sealedBytes += s.enc.length + s.ciphertext.length;
    first ??= s;
    if (next.publicKey.length !== 32) throw new Error('floor: bad key pair');
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
  // Beside the floor, not in it: the 2SM sender's second key pair per recipient (a fresh array each time, as a
  // derived secret is: no cached import), and the recipient's check of the control message's signature.
  t = clock();
  for (const secret of f.peerSecrets) c.x25519PublicKey(secret.slice());
  const peerKeysMs = clock() - t;
  t = clock();
  const controlOk = verifyWithIdentity(deps, f.control.publicKey, f.control.body, f.control.signature);
  const controlCheckMs = clock() - t;
  if (!controlOk) throw new Error('floor: the control signature did not verify');
  const acks = f.n - 1;
  const ackBytes = ACK_BODY_BYTES + ack.length;
  return {
    senderGenMs, senderAckMs, recipientProcMs, recipientAckMs, peerKeysMs, controlCheckMs,
    bytes: sealedBytes + acks * ackBytes, ctrlBytes: sealedBytes, welcomeBytes: 0, acks, ackBytes, addedMs: 0,
  };
}

/** A group of n on the message scheme (group API) where members 0 and 2 processed everything. */
export interface MessageSetup {
  readonly deps: Deps;
  readonly sender: GroupMember;
  readonly recipient: GroupMember;
  readonly plaintext: Uint8Array;
}

/** One member of the group-API group. */
export interface GroupMember {
  readonly id: string;
  readonly state: GroupState;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
}

function sendOutput(r: GroupResult): OutgoingMessage {
  const out = r.outputs.find((o) => o.kind === 'send');
  if (!out || out.kind !== 'send') throw new Error('bench: expected a send output');
  return out.message;
}

const ctxOfGroup = (deps: Deps, m: { keys: KeyManagerState; registry: KeyRegistryState }): GroupContext => ({ deps, keys: m.keys, registry: m.registry });

/** Builds the message-scheme group from the users of the DCGKA benchmark (untimed). */
export function makeMessage(users: BenchUsers): MessageSetup {
  const { deps, fresh } = users;
  const zero = fresh[0] as BenchMember;
  const created = createGroupApi(ctxOfGroup(deps, zero), { scheme: 'message', members: fresh.map((m) => m.id) });
  const create = sendOutput(created);
  const acks: { from: string; message: OutgoingMessage }[] = [];
  const joined: GroupMember[] = [{ id: zero.id, state: created.state, keys: created.keys, registry: created.registry }];
  for (const m of fresh.slice(1)) {
    const direct = create.direct.find((d) => d.recipient === m.id);
    const r = joinGroupApi(ctxOfGroup(deps, m), { scheme: 'message', message: { broadcast: create.broadcast, ...(direct ? { direct: direct.bytes } : {}) } });
    acks.push({ from: m.id, message: sendOutput(r) });
    joined.push({ id: m.id, state: r.state, keys: r.keys, registry: r.registry });
  }
  const settle = (m: GroupMember): GroupMember => {
    let cur = m;
    for (const a of acks) {
      if (a.from === cur.id) continue;
      // An ack may carry a 2SM refresh part for the member it answers (issue 18): pass mine along.
      const direct = a.message.direct.find((d) => d.recipient === cur.id);
      const r = receive(cur.state, ctxOfGroup(deps, cur), { broadcast: a.message.broadcast, ...(direct ? { direct: direct.bytes } : {}) });
      if (r.outputs.some((o) => o.kind === 'rejected')) throw new Error('bench: an ack was rejected');
      cur = { id: cur.id, state: r.state, keys: r.keys, registry: r.registry };
    }
    return cur;
  };
  return { deps, sender: settle(joined[0] as GroupMember), recipient: settle(joined[2] as GroupMember), plaintext: deps.crypto.randomBytes(32) };
}

/** One application-message sample through the group API: `send` at member 0, `receive` at member 2. */
export function messageSample(m: MessageSetup, clock: Clock): DcgkaSample {
  const { deps, sender, recipient } = m;
  const sctx = ctxOfGroup(deps, sender);
  let t = clock();
  const sent = send(sender.state, sctx, { plaintext: m.plaintext });
  const senderGenMs = clock() - t;
  const broadcast = sendOutput(sent).broadcast;
  const rctx = ctxOfGroup(deps, recipient);
  t = clock();
  const got = receive(recipient.state, rctx, { broadcast });
  const recipientProcMs = clock() - t;
  const app = got.outputs.find((o) => o.kind === 'application');
  if (!app || app.kind !== 'application' || app.plaintext.length !== 32) throw new Error('bench: the message did not decrypt');
  const bytes = broadcast.length;
  return { senderGenMs, senderAckMs: 0, recipientProcMs, recipientAckMs: 0, bytes, ctrlBytes: bytes, welcomeBytes: 0, acks: 0, ackBytes: 0, addedMs: 0 };
}
