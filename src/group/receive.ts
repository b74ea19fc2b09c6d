/**
 * `receive`: any message, in any order. Control messages go through the
 * shared causal orderer (src/ordering): per-sender FIFO by seq, and an ack or
 * add-ack after the op it acknowledges; the orderer drops duplicates, detects
 * equivocation and bounds the buffer, and each message it delivers goes to
 * DCGKA. Application messages are authenticated on arrival and wait until
 * the control message that opened their epoch was processed.
 *
 * The message handed in is processed within the call when it can be: if it
 * fails, the call throws and the caller's state is unchanged. A buffered
 * message that fails later is reported as a `rejected` output and dropped
 * from the buffer without counting as delivered (2SM needs every message of
 * a sender in order: a correct copy that arrives later is still processed,
 * and nothing after it from that sender is skipped past it).
 */
import { bytesEqual, copyBytes, toHex } from '../crypto/index.js';
import { decryptData, secretDeleted, secretKey } from '../data/index.js';
import { MAX_DIRECT_BYTES, checkedDirect, processControl, readControl } from '../dcgka/index.js';
import type { ControlMessage, MemberId } from '../dcgka/index.js';
import { DecodeError, GroupCryptError, InternalError, StateError, UsageError, VerifyError, isGroupCryptError } from '../errors.js';
import { decryptMessage } from '../message/index.js';
import { compareRefs, delivered, enqueue, missing, nextReady } from '../ordering/index.js';
import type { MessageRef, OrderedMessage, OrdererState } from '../ordering/index.js';
import { REQUEST_ENVELOPE_VERSION, SECRETS_ENVELOPE_VERSION, aeadData, decodeEnvelope, matchSender, signedBytes, verifyEnvelope } from './envelope.js';
import { addersGone, answerRequest, forwardConcurrentSecrets, importShare, requestWantedSecrets, secretsSnapshot, wantSecret } from './share.js';
import type { Envelope, EnvelopeContext } from './envelope.js';
import {
  MAX_BUFFERED_APPLICATION_BYTES, MAX_BUFFERED_DIRECT_BYTES, MAX_PENDING_APPLICATION, MAX_PENDING_APPLICATION_BYTES, MAX_PENDING_CONTROL_BYTES, MAX_STRANGERS,
  MAX_STRANGER_BYTES, MAX_STRANGER_MESSAGE_BYTES, STRANGER_TTL_SECONDS,
} from './limits.js';
import { assertStands, comparePositions, decodeRemovalNote, withRejoin, withRemoval } from './removal.js';
import { applyDcgka, closeWork, dcgkaContext, directKey, knownIds, openWork } from './work.js';
import type { Work } from './work.js';
import type { GroupContext, GroupResult, GroupState, IncomingMessage, PendingApplication, StrangerMessage } from './types.js';

/** CBOR array-of-2 header: a DCGKA control broadcast is `[signed, signature]`. */
const CONTROL_HEADER = 0x82;

function clockOf(work: Work, member: MemberId): number {
  return work.dcgka.clock.get(member) ?? 0;
}

function envelopeContext(work: Work, env: Envelope, sender: MemberId, ad: Uint8Array | null): EnvelopeContext {
  return { scheme: work.scheme, groupId: work.dcgka.groupId, sender, epoch: env.epoch, counter: env.counter, ad: ad ?? undefined };
}

/** An authenticated sender with the message id its signature gave. */
interface Authenticated {
  readonly sender: MemberId;
  readonly id: string;
}

/** The authenticated sender (and message id), null when no known member matches the reference. */
function resolveSender(work: Work, env: Envelope, ad: Uint8Array | null): Authenticated | null {
  const candidates = matchSender(env.senderRef, knownIds(work.dcgka));
  if (candidates.length === 0) return null;
  // One hash pass over the ciphertext, whatever the number of candidates.
  const digest = work.deps.crypto.sha256(env.ciphertext);
  for (const sender of candidates) {
    const id = verifyEnvelope(work.deps, env, envelopeContext(work, env, sender, ad), digest);
    if (id !== null) return { sender, id };
  }
  throw new VerifyError('VERIFY_SIGNATURE', 'application message: bad signature');
}

/** The message id of an envelope whose sender was authenticated before (hex SHA-256 of its signed bytes). */
function messageId(work: Work, env: Envelope, sender: MemberId, ad: Uint8Array | null): string {
  return toHex(work.deps.crypto.sha256(signedBytes(work.deps, envelopeContext(work, env, sender, ad), env)));
}

function isDuplicateError(error: unknown): boolean {
  return isGroupCryptError(error, 'STATE_KEY_REUSED') || isGroupCryptError(error, 'STATE_REPLAY');
}

/**
 * Decrypts an authenticated application message whose epoch is known.
 * @param id its message id when already known (from its signature check), else computed once it decrypted.
 */
function decryptApplication(work: Work, env: Envelope, sender: MemberId, ad: Uint8Array | null, id?: string): void {
  if (sender === work.dcgka.me) {
    work.outputs.push({ kind: 'duplicate' });
    return;
  }
  // Strong removal decides which messages stand for `read`; a share is never read, and my
  // adder's shares stay what its welcome was (trusted for history) after its removal.
  if (env.version !== SECRETS_ENVELOPE_VERSION) assertStands(work, sender, env);
  const aad = aeadData(envelopeContext(work, env, sender, ad));
  const input = { sender, epoch: env.epoch, counter: env.counter, ciphertext: env.ciphertext, aad };
  let plaintext: Uint8Array;
  try {
    if (work.message) {
      const out = decryptMessage(work.message, input, work.deps);
      work.message = out.state;
      work.consumed.push(...out.consumed);
      plaintext = out.plaintext;
    } else if (work.data && env.nonce) {
      const out = decryptData(work.data, { ...input, nonce: env.nonce }, work.deps);
      work.data = out.state;
      work.consumed.push(...out.consumed);
      plaintext = out.plaintext;
    } else {
      throw new InternalError('INTERNAL', 'group: no scheme state');
    }
  } catch (error) {
    if (!isDuplicateError(error)) throw error;
    work.outputs.push({ kind: 'duplicate' });
    return;
  }
  if (env.version === SECRETS_ENVELOPE_VERSION) {
    importShare(work, sender, plaintext);
    return;
  }
  if (env.version === REQUEST_ENVELOPE_VERSION) {
    answerRequest(work, sender, plaintext);
    return;
  }
  const position = { epoch: env.epoch, counter: env.counter };
  const heard = Object.hasOwn(work.heard, sender) ? work.heard[sender] : undefined;
  if (heard === undefined || comparePositions(heard, position) < 0) work.heard[sender] = position;
  work.lamport = Math.max(work.lamport, env.lamport);
  work.outputs.push({ kind: 'application', id: id ?? messageId(work, env, sender, ad), sender, plaintext, lamport: env.lamport, epoch: env.epoch, counter: env.counter });
}

function sizeOf(m: { readonly bytes: Uint8Array; readonly direct?: Uint8Array | null; readonly ad: Uint8Array | null }): number {
  return m.bytes.length + (m.direct?.length ?? 0) + (m.ad?.length ?? 0);
}

/**
 * Whether a message of `sender` under `epoch` can be read now: its epoch is
 * known (the control message that opened it was processed) and, in the data
 * scheme, I hold its group secret. A member added concurrently with the
 * control message that made a secret gets that secret later, from its adder
 * (a secrets envelope, src/group/share.ts), possibly after messages under it:
 * those wait for it here instead of being refused. Once I am removed, no
 * secret is coming: the message is tried (and refused) at once.
 */
function readable(work: Work, sender: MemberId, epoch: number): boolean {
  if (clockOf(work, sender) <= epoch) return false;
  if (!work.data || work.dcgka.removed || sender === work.dcgka.me) return true;
  // A secret I deleted is not coming back: the message is tried (and refused) at once.
  return Object.hasOwn(work.data.secrets, secretKey(sender, epoch)) || secretDeleted(work.data, sender, epoch);
}

/** Whether a buffered message waits for a group secret (its epoch is known), not for its epoch. */
function waitsForSecret(work: Work, p: PendingApplication): boolean {
  return clockOf(work, p.sender) > p.epoch;
}

/**
 * Buffers an authenticated application message of a known sender until it
 * is readable. When the buffer is full, messages waiting for a group secret
 * make room, oldest first (one kept from me never comes):
 * each is dropped with a `rejected` output (STATE_MISSING_SECRET).
 */
function bufferApplication(work: Work, entry: PendingApplication): void {
  if (sizeOf(entry) > MAX_BUFFERED_APPLICATION_BYTES) {
    throw new StateError('STATE_LIMIT', `receive: an application message of ${sizeOf(entry)} bytes cannot wait for its epoch (limit ${MAX_BUFFERED_APPLICATION_BYTES}); hand it in again later`);
  }
  let bytes = work.pendingApplication.reduce((n, p) => n + sizeOf(p), 0);
  while (work.pendingApplication.length >= MAX_PENDING_APPLICATION || bytes + sizeOf(entry) > MAX_PENDING_APPLICATION_BYTES) {
    const victim = work.pendingApplication.findIndex((p) => waitsForSecret(work, p));
    if (victim < 0) break;
    const [dropped] = work.pendingApplication.splice(victim, 1) as [PendingApplication];
    bytes -= sizeOf(dropped);
    work.outputs.push({ kind: 'rejected', error: new StateError('STATE_MISSING_SECRET', `receive: a message of ${dropped.sender.slice(0, 16)} under epoch ${dropped.epoch} waited for its group secret and was dropped to make room`) });
  }
  if (work.pendingApplication.length >= MAX_PENDING_APPLICATION) {
    throw new StateError('STATE_LIMIT', `receive: more than ${MAX_PENDING_APPLICATION} application messages are waiting`);
  }
  work.pendingApplication.push(entry);
}

/**
 * Holds a message of a sender the group does not know (yet): a bounded allowance,
 * expired entries dropped, application messages then the oldest evicted when full, so no outsider can
 * fill the state or crowd out a later message for good.
 * @throws StateError `STATE_LIMIT` for a message too large to hold (retryable: its sender may become known).
 */
function holdStranger(work: Work, entry: StrangerMessage): void {
  if (sizeOf(entry) > MAX_STRANGER_MESSAGE_BYTES) {
    throw new StateError('STATE_LIMIT', `receive: a message of ${sizeOf(entry)} bytes from a sender not known in the group is not held (limit ${MAX_STRANGER_MESSAGE_BYTES}); hand it in again once its sender is known`);
  }
  const now = work.deps.now();
  let held = work.strangers.filter((m) => m.at + STRANGER_TTL_SECONDS > now && m.at <= now + STRANGER_TTL_SECONDS);
  if (held.some((m) => bytesEqual(m.bytes, entry.bytes) && (m.direct !== null || entry.direct === null))) {
    work.strangers = held;
    work.outputs.push({ kind: 'duplicate' });
    return;
  }
  held = held.filter((m) => !bytesEqual(m.bytes, entry.bytes));
  // Full: application messages go first (a lost one costs a read), then the oldest control message (a lost one stalls
  // its sender's later control messages, and with them membership, until resent).
  let bytes = held.reduce((n, m) => n + sizeOf(m), 0);
  while (held.length > 0 && (held.length >= MAX_STRANGERS || bytes + sizeOf(entry) > MAX_STRANGER_BYTES)) {
    const application = held.findIndex((m) => m.sender === null && m.bytes[0] !== CONTROL_HEADER);
    const victim = application >= 0 ? application : 0;
    bytes -= sizeOf(held[victim] as StrangerMessage);
    held = held.filter((_, i) => i !== victim);
  }
  work.strangers = [...held, entry];
}

/** Arrival of an application message: authenticate, then decrypt now or buffer. */
function receiveApplication(work: Work, bytes: Uint8Array, ad: Uint8Array | null): void {
  const env = decodeEnvelope(bytes, work.scheme);
  const authenticated = resolveSender(work, env, ad);
  if (authenticated === null) {
    holdStranger(work, { bytes: copyBytes(bytes), direct: null, ad: ad ? copyBytes(ad) : null, sender: null, at: work.deps.now() });
    return;
  }
  const { sender, id } = authenticated;
  if (!readable(work, sender, env.epoch)) {
    // A copy of a message already waiting (a replay passes the signature check): held once, so that replays of
    // one message cannot fill the buffer and crowd out others until its epoch opens.
    if (work.pendingApplication.some((p) => p.sender === sender && p.epoch === env.epoch && bytesEqual(p.bytes, bytes))) {
      work.outputs.push({ kind: 'duplicate' });
      return;
    }
    const entry = { bytes: copyBytes(bytes), ad: ad ? copyBytes(ad) : null, sender, epoch: env.epoch };
    bufferApplication(work, entry);
    if (waitsForSecret(work, entry)) wantSecret(work, sender, env.epoch);
    return;
  }
  decryptApplication(work, env, sender, ad, id);
}

/** Whether `sender` is known in the group (a member, or a sender of a processed control message). */
function isKnown(work: Work, sender: MemberId): boolean {
  return sender === work.dcgka.me || work.dcgka.clock.has(sender) || knownIds(work.dcgka).includes(sender);
}

/** Hands held messages of senders that became known to the orderer or the application buffer. */
function admitStrangers(work: Work): void {
  if (work.strangers.length === 0) return;
  const held = work.strangers;
  const known = knownIds(work.dcgka);
  work.strangers = [];
  for (const m of held) {
    try {
      if (m.sender !== null) {
        if (!known.includes(m.sender)) work.strangers.push(m);
        else enqueueControl(work, readControl(dcgkaContext(work), m.bytes, work.dcgka), { broadcast: m.bytes, ...(m.direct ? { direct: m.direct } : {}) });
        continue;
      }
      if (m.bytes[0] === CONTROL_HEADER) {
        // A compact ack whose references named no one known yet (see `receiveControl`).
        const message = resolveControl(work, m.bytes);
        if (message === undefined) work.strangers.push(m);
        else enqueueControl(work, message, { broadcast: m.bytes, ...signedDirect(work, message, m.direct ?? undefined) });
        continue;
      }
      const env = decodeEnvelope(m.bytes, work.scheme);
      if (matchSender(env.senderRef, known).length === 0) work.strangers.push(m);
      else receiveApplication(work, m.bytes, m.ad);
    } catch (error) {
      reject(work, error);
    }
  }
}

/** The orderer's buffer without `m` (a rejected message: dropped, not delivered). */
function withoutPending(orderer: OrdererState, m: OrderedMessage): OrdererState {
  return { ...orderer, pending: orderer.pending.filter((p) => compareRefs(p, m) !== 0) };
}

/**
 * Arrival of a control message: authenticate, then hand it to the orderer.
 * @returns its ref, or undefined for a duplicate (already processed, or buffered with the same parts).
 */
function receiveControl(work: Work, incoming: IncomingMessage): MessageRef | undefined {
  const message = resolveControl(work, incoming.broadcast);
  if (message === undefined) {
    // A compact (v4) ack names its sender and acked sender by references only the group state resolves: one that names
    // no one known yet (an ack by a member whose add has not come) is held like a stranger's message until it does.
    holdStranger(work, { bytes: copyBytes(incoming.broadcast), direct: incoming.direct ? copyBytes(incoming.direct) : null, ad: null, sender: null, at: work.deps.now() });
    return undefined;
  }
  if (message.groupId !== work.dcgka.groupId) throw new VerifyError('VERIFY_GROUP', 'receive: control message of another group');
  if (message.sender === work.dcgka.me) return undefined;
  if (incoming.direct !== undefined && incoming.direct.length > MAX_DIRECT_BYTES) {
    throw new DecodeError('DECODE_TOO_LARGE', `receive: direct part of ${incoming.direct.length} bytes exceeds ${MAX_DIRECT_BYTES}`);
  }
  if (delivered(work.orderer, message)) return enqueueControl(work, message, { broadcast: incoming.broadcast });
  // Only the direct part the sender signed is kept; a copy stripped of mine is refused (retryably), never buffered.
  const direct = checkedDirect(work.deps, message, work.dcgka.me, incoming.direct);
  const complete: IncomingMessage = { broadcast: incoming.broadcast, ...(direct ? { direct } : {}) };
  if (!isKnown(work, message.sender)) {
    holdStranger(work, { bytes: copyBytes(incoming.broadcast), direct: direct ? copyBytes(direct) : null, ad: null, sender: message.sender, at: work.deps.now() });
    return undefined;
  }
  return enqueueControl(work, message, complete);
}

/** The control message read in the group state; undefined while a compact ack's references name no one known yet. */
function resolveControl(work: Work, broadcast: Uint8Array): ControlMessage | undefined {
  try {
    return readControl(dcgkaContext(work), broadcast, work.dcgka);
  } catch (error) {
    if (isGroupCryptError(error, 'STATE_UNKNOWN_MEMBER')) return undefined;
    throw error;
  }
}

/** My direct part of `message` if its manifest names one (checked against it), as an incoming field. */
function signedDirect(work: Work, message: ControlMessage, direct: Uint8Array | undefined): { direct?: Uint8Array } {
  const checked = checkedDirect(work.deps, message, work.dcgka.me, direct);
  return checked ? { direct: checked } : {};
}

/** Hands an authenticated control message of a known sender to the orderer (undefined: a duplicate). */
function enqueueControl(work: Work, message: ControlMessage, incoming: IncomingMessage): MessageRef | undefined {
  const body = message.body;
  const deps = body.type === 'ack' || body.type === 'add-ack' ? [{ sender: body.ackedSender, seq: body.ackedSeq }] : [];
  const digest = work.deps.crypto.sha256(incoming.broadcast);
  const { state, status } = enqueue(work.orderer, { sender: message.sender, seq: message.seq, deps, digest, payload: incoming.broadcast });
  const key = directKey(message.sender, message.seq);
  if (status === 'duplicate') {
    // A buffered copy that lacked my direct part gets it from this one.
    const buffered = work.orderer.pending.some((p) => p.sender === message.sender && p.seq === message.seq);
    if (!buffered || Object.hasOwn(work.directs, key) || incoming.direct === undefined) return undefined;
  }
  work.orderer = state;
  if (incoming.direct !== undefined) work.directs[key] = copyBytes(incoming.direct);
  return { sender: message.sender, seq: message.seq };
}

function reject(work: Work, error: unknown): void {
  if (error instanceof GroupCryptError) work.outputs.push({ kind: 'rejected', error });
  else throw error;
}

/**
 * Decrypts every buffered application message that became readable (its
 * epoch known, its secret held); again while a share among them brought secrets.
 */
function drainApplications(work: Work): void {
  for (let secrets = secretsSnapshot(work); drainApplicationsOnce(work) && secretsSnapshot(work) !== secrets; secrets = secretsSnapshot(work));
}

/** One pass of `drainApplications`; whether anything was buffered. */
function drainApplicationsOnce(work: Work): boolean {
  const waiting = work.pendingApplication;
  if (waiting.length === 0) return false;
  work.pendingApplication = [];
  for (const p of waiting) {
    try {
      if (!readable(work, p.sender, p.epoch)) {
        work.pendingApplication.push(p);
        continue;
      }
      const env = decodeEnvelope(p.bytes, work.scheme);
      decryptApplication(work, env, p.sender, p.ad);
    } catch (error) {
      if (isNotForRemoved(work, error)) work.outputs.push({ kind: 'rejected', error, notForMe: true });
      else reject(work, error);
    }
  }
  return true;
}

/** Whether any buffered message may come to wait for a group secret (data scheme, a member). */
function secretWaiters(work: Work): boolean {
  return work.data !== null && !work.dcgka.removed && work.pendingApplication.length > 0;
}

/**
 * After a control message was processed: the buffered messages that wait for
 * a group secret and need it asked for now (share.ts). With `opened` (my
 * adders were gone before), those under the epoch it opened; else, when it
 * removed my last adder, every one.
 */
function wantForWaiters(work: Work, opened: MessageRef | undefined): void {
  if (!opened && !addersGone(work)) return;
  for (const p of work.pendingApplication) {
    if (opened && (p.sender !== opened.sender || p.epoch !== opened.seq)) continue;
    if (waitsForSecret(work, p) && !readable(work, p.sender, p.epoch)) wantSecret(work, p.sender, p.epoch);
  }
}

/** Records what a processed control message tells the removal rule: a remove's note, a member's rejoin. */
function recordFacts(work: Work, broadcast: Uint8Array): void {
  const m = readControl(dcgkaContext(work), broadcast, work.dcgka);
  const body = m.body;
  const op = `${m.sender}:${m.seq}`;
  if (body.type === 'remove') {
    let frontier: ReturnType<typeof decodeRemovalNote>;
    try {
      frontier = decodeRemovalNote(body.note);
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      frontier = null; // a malformed note vouches for nothing
    }
    if (frontier !== undefined) work.removals = withRemoval(work, { op, member: body.removed, frontier });
  } else if (body.type === 'ack' && body.mode === 'rejoin') {
    const add = `${body.ackedSender}:${body.ackedSeq}`;
    const records = withRejoin(work, { member: m.sender, add, seq: m.seq });
    work.removals = records.removals;
    work.rejoins = records.rejoins;
  }
}

/**
 * Processes what the orderer delivers, in causal order, until nothing is
 * ready; `input` is the ref of the message handed to this call (its failure
 * is thrown, a buffered message's failure becomes a `rejected` output).
 */
function drain(work: Work, input: MessageRef | undefined): void {
  for (;;) {
    admitStrangers(work);
    drainApplications(work);
    const next = nextReady(work.orderer);
    if (!next) return;
    const key = directKey(next.sender, next.seq);
    const direct = Object.hasOwn(work.directs, key) ? work.directs[key] : undefined;
    try {
      const secretsBefore = secretsSnapshot(work);
      const waiters = secretWaiters(work);
      const goneBefore = waiters && addersGone(work);
      applyDcgka(work, processControl(work.dcgka, dcgkaContext(work), { broadcast: next.payload, ...(direct ? { direct } : {}) }));
      recordFacts(work, next.payload);
      forwardConcurrentSecrets(work, secretsBefore, next.sender, next.seq);
      if (waiters) wantForWaiters(work, goneBefore ? next : undefined);
    } catch (error) {
      if (input && compareRefs(next, input) === 0) throw error;
      work.orderer = withoutPending(work.orderer, next);
      delete work.directs[key];
      reject(work, error);
      continue;
    }
    if (clockOf(work, next.sender) <= next.seq) {
      // DCGKA always counts a processed message in its clock (and so the orderer delivered it); anything else is a bug.
      throw new InternalError('INTERNAL', 'group: DCGKA did not record a delivered control message');
    }
  }
}

/**
 * Receives one message (control or application, in any order, duplicates
 * allowed): outputs decrypted application data with its sender, messages to
 * send (acks), `removed`, `joined`, `duplicate`, and `rejected` for buffered
 * inputs that failed. An application message waits in the state until its
 * epoch is known and, in the data scheme, until its group secret is held (a
 * member added concurrently with the secret's update gets it from its adder
 * later); one under a secret I deleted throws `STATE_MISSING_SECRET`.
 * @param incoming.ad the associated data the sender used (application messages).
 * @throws DecodeError for malformed bytes; VerifyError `VERIFY_SIGNATURE` (forged),
 *   `VERIFY_AEAD` (tampered, AD mismatch), `VERIFY_GROUP`; StateError for a message that
 *   cannot be read (`STATE_UNKNOWN_EPOCH`, `STATE_MISSING_SECRET`, window errors, `STATE_LIMIT`).
 *   On any error the caller's state is unchanged.
 * @param options.afterRemoval default `'output'`: once I was removed (`isRemoved(state)`), an application
 *   message I cannot read because it was sent under secrets my removal kept from me (`STATE_MISSING_SECRET`,
 *   `STATE_UNKNOWN_EPOCH`, `STATE_MISSING_KEY`) is not thrown but a `rejected` output with `notForMe: true`
 *   carrying that error, state unchanged ("not for me": mark it processed, never retry it). Those codes are
 *   `transient` for a member (the secret may still come), so without this a removed member would retry for
 *   ever. `'throw'`: throw them as for a member. A message labelled (v1 wire bundle) with another group or
 *   scheme throws `VERIFY_GROUP`.
 * @example
 * const { state: next, outputs } = receive(state, ctx, { broadcast, direct });
 */
export function receive(state: GroupState, ctx: GroupContext, incoming: IncomingMessage, options: { readonly afterRemoval?: 'throw' | 'output' } = {}): GroupResult {
  if (!(incoming?.broadcast instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', 'receive: broadcast must be bytes');
  if (incoming.groupId !== undefined && incoming.groupId !== state.dcgka.groupId) {
    throw new VerifyError('VERIFY_GROUP', 'receive: the wire bundle is labelled with another group');
  }
  if (incoming.scheme !== undefined && incoming.scheme !== state.scheme) {
    throw new VerifyError('VERIFY_GROUP', `receive: a "${incoming.scheme}" message for a "${state.scheme}" group`);
  }
  if (options.afterRemoval !== 'throw' && state.dcgka.removed && incoming.broadcast[0] !== CONTROL_HEADER) return receiveWhileRemoved(state, ctx, incoming);
  const work = openWork(state, ctx);
  if (incoming.broadcast[0] === CONTROL_HEADER) {
    const before = work.strangers;
    const ref = receiveControl(work, incoming);
    if (!ref && work.strangers === before) return { state, keys: ctx.keys, registry: ctx.registry, outputs: [{ kind: 'duplicate' }], consumed: [] };
    if (ref) drain(work, ref);
  } else {
    const secrets = secretsSnapshot(work);
    receiveApplication(work, incoming.broadcast, incoming.ad ?? null);
    // A share brought secrets that buffered messages wait for.
    if (secretsSnapshot(work) !== secrets) drainApplications(work);
  }
  requestWantedSecrets(work);
  checkBuffers(work);
  return closeWork(work);
}

/** Why a removed member cannot read a message: it was sent under secrets the removal kept from it. */
const NOT_FOR_REMOVED: ReadonlySet<string> = new Set(['STATE_MISSING_SECRET', 'STATE_UNKNOWN_EPOCH', 'STATE_MISSING_KEY']);

/** Whether `error` only says that a removed member cannot read a message sent after its removal. */
function isNotForRemoved(work: Work, error: unknown): error is GroupCryptError {
  return work.dcgka.removed && isGroupCryptError(error) && NOT_FOR_REMOVED.has(error.code);
}

/**
 * A removed member receiving an application message: one sent after its
 * removal is not for it, so it is a `rejected` output (state unchanged), not
 * an exception; other errors (forgery, bad bytes) still throw.
 */
function receiveWhileRemoved(state: GroupState, ctx: GroupContext, incoming: IncomingMessage): GroupResult {
  const work = openWork(state, ctx);
  try {
    receiveApplication(work, incoming.broadcast, incoming.ad ?? null);
    checkBuffers(work);
  } catch (error) {
    if (isNotForRemoved(work, error)) return { state, keys: ctx.keys, registry: ctx.registry, outputs: [{ kind: 'rejected', error, notForMe: true }], consumed: [] };
    throw error;
  }
  return closeWork(work);
}

/**
 * The buffers stay within their byte limits (so the encoded state stays far
 * below what the state codec accepts); over a limit, the call fails and
 * nothing changes: the message is retryable once what it waits for arrived.
 */
function checkBuffers(work: Work): void {
  const application = work.pendingApplication.reduce((n, p) => n + sizeOf(p), 0);
  if (application > MAX_PENDING_APPLICATION_BYTES) throw new StateError('STATE_LIMIT', `receive: more than ${MAX_PENDING_APPLICATION_BYTES} bytes of application messages would wait`);
  let control = 0;
  for (const m of work.orderer.pending) control += m.payload.length;
  for (const key of Object.keys(work.directs)) {
    const direct = work.directs[key] as Uint8Array;
    if (direct.length > MAX_BUFFERED_DIRECT_BYTES) throw new StateError('STATE_LIMIT', `receive: a direct part of ${direct.length} bytes cannot wait (limit ${MAX_BUFFERED_DIRECT_BYTES}); hand it in again later`);
    control += direct.length;
  }
  if (control > MAX_PENDING_CONTROL_BYTES) throw new StateError('STATE_LIMIT', `receive: more than ${MAX_PENDING_CONTROL_BYTES} bytes of control messages would wait`);
}

/**
 * Control messages that buffered ones are waiting for (their senders' earlier
 * messages and the ops they ack): what to ask peers to send again.
 * @returns refs sorted by sender then seq (at most MAX_MISSING_PER_SENDER per sender).
 * @example for (const { sender, seq } of missingControl(state)) requestResend(sender, seq);
 */
export function missingControl(state: GroupState): readonly MessageRef[] {
  return missing(state.orderer);
}
