/**
 * Public DCGKA operations: create, add, remove, update, join, and the
 * processing of any received control message. Each is
 * `(state, input, ctx) -> { state, keys, registry, outputs }` and pure: on
 * any error the caller's state, keys and registry are unchanged.
 *
 * Precondition of `processControl`: control messages arrive in causal order
 * (per-sender FIFO, an ack after what it acks) — use `src/ordering/`.
 */
import { toHex } from '../crypto/index.js';
import { StateError, UsageError, VerifyError, isGroupCryptError } from '../errors.js';
import { identityOf } from '../keys/index.js';
import { isPostQuantumMessage } from '../twoparty/index.js';
import { applyRemove, canAct, compactMembership, compactRegion, createMembership, isMember } from '../membership/index.js';
import type { MembershipState } from '../membership/index.js';
import { answerPreKeySession, processAck, recordAck, sendFarewell } from './ack.js';
import { processAdd, processAddAck, processWelcome, sendAdd } from './add.js';
import { checkedDirect, decodeControl, opIdOf, wireVersionOf } from './codec.js';
import { closeDraft, openDraft, openIncomingDirect, put } from './draft.js';
import { stateResolver } from './refs.js';
import type { Draft } from './draft.js';
import { MAX_REMOVE_NOTE_BYTES } from './limits.js';
import { PersistentMap } from '../crypto/index.js';
import { processSeed, sendRemove, sendSeedOp, sendUpdate } from './seed.js';
import type { ControlMessage, DcgkaContext, DcgkaResult, DcgkaState, IncomingControl, MemberId } from './types.js';

function emptyState(groupId: string, me: MemberId): DcgkaState {
  return {
    v: 2, groupId, me, clock: PersistentMap.empty(), membership: createMembership({ id: 'none', creator: me, members: [] }),
    sessions: PersistentMap.empty(), pendingSeeds: PersistentMap.empty(), memberSecrets: PersistentMap.empty(), ratchets: PersistentMap.empty(),
    removed: false, joinedVia: [], refreshDue: [],
  };
}

function assertActive(state: DcgkaState): void {
  if (state.removed) throw new StateError('STATE_REMOVED', 'this member was removed from the group');
}

/**
 * Creates a group with me and `members` (create + seed to every other member).
 * @param groupId 32-byte hex group id; random when omitted.
 */
export function createGroup(ctx: DcgkaContext, input: { readonly members: readonly MemberId[]; readonly groupId?: string; readonly pq?: boolean }): DcgkaResult {
  const me = toHex(identityOf(ctx.keys).publicKey);
  const groupId = input.groupId ?? toHex(ctx.deps.crypto.randomBytes(32));
  if (!/^[0-9a-f]{64}$/.test(groupId)) throw new UsageError('USAGE_ARGUMENT', 'createGroup: groupId must be 64 lowercase hex characters');
  const others = [...new Set(input.members)].filter((m) => m !== me).sort();
  for (const m of others) if (!/^[0-9a-f]{64}$/.test(m)) throw new UsageError('USAGE_ARGUMENT', 'createGroup: member ids must be 64 lowercase hex characters');
  const draft = openDraft(emptyState(groupId, me), ctx);
  draft.pq = input.pq === true;
  put(draft, 'clock', me, 1);
  draft.membership = createMembership({ id: opIdOf(me, 0), creator: me, members: [me, ...others] });
  sendSeedOp(draft, 0, { type: 'create', members: [me, ...others] });
  return closeDraft(draft);
}

/** update(): fresh randomness for post-compromise security. */
export function update(state: DcgkaState, ctx: DcgkaContext): DcgkaResult {
  assertActive(state);
  const draft = openDraft(state, ctx);
  sendUpdate(draft);
  return closeDraft(draft);
}

/**
 * remove(ID): strong removal of `member`.
 * @param note opaque bytes for the layer above, signed in the broadcast (the group layer puts what
 *   the remover had read of `member` there, so every member decides alike which of its messages stand).
 */
export function remove(state: DcgkaState, ctx: DcgkaContext, member: MemberId, note: Uint8Array = new Uint8Array(0)): DcgkaResult {
  assertActive(state);
  if (note.length > MAX_REMOVE_NOTE_BYTES) throw new UsageError('USAGE_ARGUMENT', `remove: note longer than ${MAX_REMOVE_NOTE_BYTES} bytes`);
  const draft = openDraft(state, ctx);
  sendRemove(draft, member, note);
  return closeDraft(draft);
}

/**
 * add(ID): adds `member` (its key bundle must be in `ctx.registry`).
 * @param welcomeExtra opaque payload for the layer above, delivered to the new member with its welcome.
 */
export function add(state: DcgkaState, ctx: DcgkaContext, member: MemberId, welcomeExtra: Uint8Array = new Uint8Array(0)): DcgkaResult {
  assertActive(state);
  if (!/^[0-9a-f]{64}$/.test(member)) throw new UsageError('USAGE_ARGUMENT', 'add: member id must be 64 lowercase hex characters');
  const draft = openDraft(state, ctx);
  sendAdd(draft, member, welcomeExtra);
  return closeDraft(draft);
}

/**
 * Decodes and authenticates a control message (exposed for routing before processing).
 * @param state the group state it is read in: needed for a version-4 ack or add-ack, whose
 *   member references resolve among the ids the state knows.
 * @throws as `decodeControl` (codec.ts): `STATE_UNKNOWN_GROUP` for a version-4 message without
 *   `state`; `STATE_UNKNOWN_MEMBER` while one of its references names no id the state knows (hold it and retry).
 */
export function readControl(ctx: DcgkaContext, broadcast: Uint8Array, state?: DcgkaState): ControlMessage {
  return decodeControl(broadcast, ctx.deps, state === undefined ? undefined : stateResolver(state));
}

/** A control message read with no group state: a compact (v4) ack or add-ack, which needs one, is no invitation. */
function decodeInvitation(ctx: DcgkaContext, broadcast: Uint8Array): ControlMessage {
  try {
    return decodeControl(broadcast, ctx.deps);
  } catch (error) {
    if (isGroupCryptError(error, 'STATE_UNKNOWN_GROUP')) throw new StateError('STATE_NOT_MEMBER', 'join: an ack does not make me a member');
    throw error;
  }
}

/**
 * Starts my state in a group from the first message that concerns me: a
 * create that lists me, or an add of me with its welcome.
 * @throws StateError `STATE_NOT_MEMBER` for any other message.
 */
export function joinGroup(ctx: DcgkaContext, incoming: IncomingControl): DcgkaResult {
  const message = decodeInvitation(ctx, incoming.broadcast);
  const me = toHex(identityOf(ctx.keys).publicKey);
  if (message.sender === me) throw new StateError('STATE_REPLAY', 'join: this is my own message');
  const direct = checkedDirect(ctx.deps, message, me, incoming.direct);
  const draft = openDraft(emptyState(message.groupId, me), ctx);
  draft.legacyDirect = wireVersionOf(message) < 3;
  // The group's PQ choice reaches a joiner as the kind of its direct part (a PQ session refuses classic parts and the reverse).
  draft.pq = incoming.direct !== undefined && isPostQuantumMessage(incoming.direct);
  const { body, sender, seq } = message;
  if (body.type === 'create' && body.members.includes(me) && seq === 0) {
    put(draft, 'clock', sender, 1);
    draft.membership = createMembership({ id: opIdOf(sender, 0), creator: sender, members: body.members });
    processSeed(draft, sender, seq, direct, body.commitment);
  } else if (body.type === 'add' && body.added === me) {
    processWelcome(draft, sender, seq, direct);
  } else {
    throw new StateError('STATE_NOT_MEMBER', `join: a ${body.type} message does not make me a member`);
  }
  return closeDraft(draft);
}

function checkOrder(state: DcgkaState, message: ControlMessage): void {
  if (message.groupId !== state.groupId) throw new VerifyError('VERIFY_GROUP', 'control message of another group');
  const expected = state.clock.get(message.sender) ?? 0;
  if (message.seq < expected || message.sender === state.me) {
    throw new StateError('STATE_REPLAY', `control ${message.sender.slice(0, 16)} seq ${message.seq} was already processed`);
  }
  if (message.seq > expected) {
    throw new StateError('STATE_OUT_OF_ORDER', `control ${message.sender.slice(0, 16)} seq ${message.seq} arrived before seq ${expected}`);
  }
  const body = message.body;
  if (body.type === 'ack' || body.type === 'add-ack') {
    if (body.ackedSeq >= (state.clock.get(body.ackedSender) ?? 0)) {
      throw new StateError('STATE_CAUSALITY', `ack of ${body.ackedSender.slice(0, 16)} seq ${body.ackedSeq} arrived before that message`);
    }
  }
  if (body.type === 'create') throw new StateError('STATE_DUPLICATE', 'a second create for an existing group');
  // Acks are checked once recorded (a joiner's first message is the ack that makes it see its own add).
  if (body.type !== 'ack' && body.type !== 'add-ack') assertSenderMayAct(state.membership, message.sender, state.clock);
}

/**
 * A member removed concurrently may still act (its message is processed);
 * one whose own view no longer contains it (it saw its own removal) may not.
 */
function assertSenderMayAct(membership: MembershipState, sender: MemberId, clock: PersistentMap<number>): void {
  if (canAct(membership, sender)) return;
  if (!clock.has(sender) && !isMember(membership, sender)) {
    throw new StateError('STATE_UNKNOWN_MEMBER', `control from non-member ${sender.slice(0, 16)}`);
  }
  throw new StateError('STATE_REMOVED', `${sender.slice(0, 16)} sent after seeing its own removal`);
}

function dispatch(draft: Draft, message: ControlMessage, direct: Uint8Array | undefined): void {
  const { sender, seq, body } = message;
  const id = opIdOf(sender, seq);
  switch (body.type) {
    case 'update':
      processSeed(draft, sender, seq, direct, body.commitment);
      return;
    case 'remove': {
      draft.membership = applyRemove(draft.membership, { id, actor: sender, removed: body.removed });
      const removedNow = !draft.removed && !isMember(draft.membership, draft.me);
      if (removedNow) {
        draft.removed = true;
        draft.outputs.push({ kind: 'removed', by: id });
      }
      processSeed(draft, sender, seq, direct, body.commitment);
      if (removedNow) sendFarewell(draft, sender, seq);
      return;
    }
    case 'add':
      processAdd(draft, sender, seq, body.added, direct);
      return;
    case 'ack': {
      const acked = opIdOf(body.ackedSender, body.ackedSeq);
      if (body.mode === 'catch-up') {
        // A farewell (the membership accepts it once, from a member still inside its own view): nothing more to check.
        // Its remove may have been replaced by a region (membership region.ts): a catch-up ack of a region's op is
        // only ever a farewell (any other would leave its sender outside its own view, and it sends none such).
        const kind = recordAck(draft, sender, acked);
        if ((kind === 'remove' || kind === 'region') && !canAct(draft.membership, sender)) return;
      } else {
        processAck(draft, sender, seq, acked, body.mode === 'rejoin', direct);
      }
      assertSenderMayAct(draft.membership, sender, draft.clock);
      return;
    }
    case 'add-ack':
      processAddAck(draft, sender, seq, opIdOf(body.ackedSender, body.ackedSeq), direct);
      assertSenderMayAct(draft.membership, sender, draft.clock);
      return;
    case 'create':
      throw new StateError('STATE_DUPLICATE', 'a second create for an existing group');
  }
}

/**
 * Processes one received control message (with my direct part, if any).
 * @throws DecodeError / VerifyError for malformed or forged input (`VERIFY_COMMITMENT`: a direct part
 *   that is not the signed one); StateError `STATE_REPLAY`, `STATE_OUT_OF_ORDER`, `STATE_CAUSALITY`,
 *   `STATE_UNKNOWN_MEMBER`, `STATE_REMOVED`, `STATE_MISSING_KEY` (the manifest names a direct part for me that is missing: retry with it).
 */
export function processControl(state: DcgkaState, ctx: DcgkaContext, incoming: IncomingControl): DcgkaResult {
  const message = decodeControl(incoming.broadcast, ctx.deps, stateResolver(state));
  checkOrder(state, message);
  const direct = checkedDirect(ctx.deps, message, state.me, incoming.direct);
  const draft = openDraft(state, ctx);
  draft.legacyDirect = wireVersionOf(message) < 3;
  put(draft, 'clock', message.sender, message.seq + 1);
  dispatch(draft, message, openIncomingDirect(draft, message.sender, message.seq, direct));
  answerPreKeySession(draft, message.sender, message.seq, message.body);
  return closeDraft(draft);
}

/**
 * Forgets my 2SM sessions with `peers` (default: all), e.g. after restoring
 * state from an older backup, whose sessions no longer match the peers'
 * (their messages would fail with `STATE_REPLAY` / `STATE_OUT_OF_ORDER` for
 * ever). My next direct part to each such peer opens a new session by X3DH
 * against its current key bundle, and the peer replaces its old session on
 * receipt (issue 12, "2SM after lost state"). A session lost by any other
 * means re-establishes the same way without this call.
 */
export function resetSessions(state: DcgkaState, ctx: DcgkaContext, peers?: readonly MemberId[]): DcgkaResult {
  const draft = openDraft(state, ctx);
  for (const peer of peers ?? state.sessions.sortedKeys()) {
    const session = draft.sessions.get(peer);
    if (!session) continue;
    draft.consumed.push(...session.mySecretKeys.map((k) => k.secretKey), ...(session.receivedSecretKey ? [session.receivedSecretKey] : []));
    put(draft, 'sessions', peer, undefined);
    draft.refreshDue = draft.refreshDue.filter((m) => m !== peer);
  }
  return closeDraft(draft);
}

/** Members of the group as this member sees them (sorted). */
export { members as groupMembers } from '../membership/index.js';

/**
 * The state with its membership history compacted (membership compact.ts:
 * the causally stable prefix becomes a base; every query answers as before).
 * Called by the layer above once it has recorded what it needs of the ops.
 */
export function compactHistory(state: DcgkaState, minimum?: number): DcgkaState {
  const options = minimum === undefined ? {} : { minimum };
  // the prefix first; then, past a stranded member that holds the prefix, the region out of its reach
  const membership = compactRegion(compactMembership(state.membership, options), options);
  return membership === state.membership ? state : { ...state, membership };
}
