/**
 * `receive`: any message, in any order. Control messages wait in a buffer
 * until their causal predecessors were processed (per-sender FIFO; an ack or
 * add-ack after the message it acknowledges), then go to DCGKA. Application
 * messages are authenticated on arrival and wait until the control message
 * that opened their epoch was processed. Duplicates are dropped.
 *
 * The message handed in is processed within the call when it can be: if it
 * fails, the call throws and the caller's state is unchanged. A buffered
 * message that fails later is reported as a `rejected` output and dropped.
 */
import { copyBytes } from '../crypto/index.js';
import { decryptData } from '../data/index.js';
import { processControl, readControl } from '../dcgka/index.js';
import type { MemberId } from '../dcgka/index.js';
import { GroupCryptError, StateError, VerifyError, isGroupCryptError } from '../errors.js';
import { decryptMessage } from '../message/index.js';
import { aeadData, decodeEnvelope, matchSender, verifyEnvelope } from './envelope.js';
import type { Envelope, EnvelopeContext } from './envelope.js';
import { MAX_PENDING_APPLICATION, MAX_PENDING_CONTROL } from './limits.js';
import { applyDcgka, closeWork, dcgkaContext, knownIds, openWork } from './work.js';
import type { Work } from './work.js';
import type { GroupContext, GroupResult, GroupState, IncomingMessage, PendingApplication, PendingControl } from './types.js';

/** CBOR array-of-2 header: a DCGKA control broadcast is `[signed, signature]`. */
const CONTROL_HEADER = 0x82;

function clockOf(work: Work, member: MemberId): number {
  return work.dcgka.clock[member] ?? 0;
}

function isObsolete(work: Work, p: PendingControl): boolean {
  return p.sender === work.dcgka.me || p.seq < clockOf(work, p.sender);
}

function isReady(work: Work, p: PendingControl): boolean {
  return p.seq === clockOf(work, p.sender) && (p.acked === null || p.acked.seq < clockOf(work, p.acked.sender));
}

function envelopeContext(work: Work, env: Envelope, sender: MemberId, ad: Uint8Array | null): EnvelopeContext {
  return { scheme: work.scheme, groupId: work.dcgka.groupId, sender, epoch: env.epoch, counter: env.counter, ad: ad ?? undefined };
}

/** The authenticated sender, null when no known member matches the reference. */
function resolveSender(work: Work, env: Envelope, ad: Uint8Array | null): MemberId | null {
  const candidates = matchSender(env.senderRef, knownIds(work.dcgka));
  if (candidates.length === 0) return null;
  for (const id of candidates) if (verifyEnvelope(work.deps, env, envelopeContext(work, env, id, ad))) return id;
  throw new VerifyError('VERIFY_SIGNATURE', 'application message: bad signature');
}

function isDuplicateError(error: unknown): boolean {
  return isGroupCryptError(error, 'STATE_KEY_REUSED') || isGroupCryptError(error, 'STATE_REPLAY');
}

/** Decrypts an authenticated application message whose epoch is known. */
function decryptApplication(work: Work, env: Envelope, sender: MemberId, ad: Uint8Array | null): void {
  if (sender === work.dcgka.me) {
    work.outputs.push({ kind: 'duplicate' });
    return;
  }
  const aad = aeadData(envelopeContext(work, env, sender, ad));
  const input = { sender, epoch: env.epoch, counter: env.counter, ciphertext: env.ciphertext, aad };
  try {
    if (work.message) {
      const out = decryptMessage(work.message, input, work.deps);
      work.message = out.state;
      work.outputs.push({ kind: 'application', sender, plaintext: out.plaintext, epoch: env.epoch, counter: env.counter });
    } else if (work.data && env.nonce) {
      const out = decryptData(work.data, { ...input, nonce: env.nonce }, work.deps);
      work.data = out.state;
      work.outputs.push({ kind: 'application', sender, plaintext: out.plaintext, epoch: env.epoch, counter: env.counter });
    }
  } catch (error) {
    if (!isDuplicateError(error)) throw error;
    work.outputs.push({ kind: 'duplicate' });
  }
}

function bufferApplication(work: Work, entry: PendingApplication): void {
  if (work.pendingApplication.length >= MAX_PENDING_APPLICATION) {
    throw new StateError('STATE_LIMIT', `receive: more than ${MAX_PENDING_APPLICATION} application messages are waiting`);
  }
  work.pendingApplication.push(entry);
}

/** Arrival of an application message: authenticate, then decrypt now or buffer. */
function receiveApplication(work: Work, bytes: Uint8Array, ad: Uint8Array | null): void {
  const env = decodeEnvelope(bytes, work.scheme);
  const sender = resolveSender(work, env, ad);
  if (sender === null || clockOf(work, sender) <= env.epoch) {
    bufferApplication(work, { bytes: copyBytes(bytes), ad: ad ? copyBytes(ad) : null, sender, epoch: env.epoch });
    return;
  }
  decryptApplication(work, env, sender, ad);
}

/** Arrival of a control message: authenticate, drop duplicates, buffer for causal order. */
function receiveControl(work: Work, incoming: IncomingMessage): PendingControl | undefined {
  const message = readControl(dcgkaContext(work), incoming.broadcast);
  if (message.groupId !== work.dcgka.groupId) throw new VerifyError('VERIFY_GROUP', 'receive: control message of another group');
  const body = message.body;
  const acked = body.type === 'ack' || body.type === 'add-ack' ? { sender: body.ackedSender, seq: body.ackedSeq } : null;
  const entry: PendingControl = { sender: message.sender, seq: message.seq, acked, broadcast: incoming.broadcast, direct: incoming.direct ?? null };
  if (isObsolete(work, entry)) return undefined;
  const index = work.pendingControl.findIndex((p) => p.sender === entry.sender && p.seq === entry.seq);
  if (index >= 0) {
    if ((work.pendingControl[index] as PendingControl).direct !== null || entry.direct === null) return undefined;
    work.pendingControl.splice(index, 1);
  }
  if (work.pendingControl.length >= MAX_PENDING_CONTROL) {
    throw new StateError('STATE_LIMIT', `receive: more than ${MAX_PENDING_CONTROL} control messages are waiting`);
  }
  work.pendingControl.push(entry);
  return entry;
}

function reject(work: Work, error: unknown): void {
  if (error instanceof GroupCryptError) work.outputs.push({ kind: 'rejected', error });
  else throw error;
}

/** Decrypts every buffered application message whose epoch became known. */
function drainApplications(work: Work): void {
  const waiting = work.pendingApplication;
  work.pendingApplication = [];
  for (const p of waiting) {
    try {
      const env = decodeEnvelope(p.bytes, work.scheme);
      const sender = p.sender ?? resolveSender(work, env, p.ad);
      if (sender === null || clockOf(work, sender) <= env.epoch) {
        work.pendingApplication.push({ ...p, sender });
        continue;
      }
      decryptApplication(work, env, sender, p.ad);
    } catch (error) {
      reject(work, error);
    }
  }
}

/** Processes buffered control messages in causal order; `input` is the one handed to this call. */
function drain(work: Work, input: PendingControl | undefined): void {
  for (;;) {
    drainApplications(work);
    work.pendingControl = work.pendingControl.filter((p) => !isObsolete(work, p));
    const next = work.pendingControl.find((p) => isReady(work, p));
    if (!next) return;
    work.pendingControl = work.pendingControl.filter((p) => p !== next);
    try {
      const incoming = { broadcast: next.broadcast, ...(next.direct ? { direct: next.direct } : {}) };
      applyDcgka(work, processControl(work.dcgka, dcgkaContext(work), incoming));
    } catch (error) {
      if (next === input) throw error;
      reject(work, error);
    }
  }
}

/**
 * Receives one message (control or application, in any order, duplicates
 * allowed): outputs decrypted application data with its sender, messages to
 * send (acks), `removed`, `joined`, `duplicate`, and `rejected` for buffered
 * inputs that failed.
 * @param incoming.ad the associated data the sender used (application messages).
 * @throws DecodeError for malformed bytes; VerifyError `VERIFY_SIGNATURE` (forged),
 *   `VERIFY_AEAD` (tampered, AD mismatch), `VERIFY_GROUP`; StateError for a message that
 *   cannot be read (`STATE_UNKNOWN_EPOCH`, `STATE_MISSING_SECRET`, window errors, `STATE_LIMIT`).
 *   On any error the caller's state is unchanged.
 * @example
 * const { state: next, outputs } = receive(state, ctx, { broadcast, direct });
 */
export function receive(state: GroupState, ctx: GroupContext, incoming: IncomingMessage): GroupResult {
  const work = openWork(state, ctx);
  if (incoming.broadcast[0] === CONTROL_HEADER) {
    const entry = receiveControl(work, incoming);
    if (!entry) return { state, keys: ctx.keys, registry: ctx.registry, outputs: [{ kind: 'duplicate' }] };
    drain(work, entry);
  } else {
    receiveApplication(work, incoming.broadcast, incoming.ad ?? null);
  }
  return closeWork(work);
}
