/**
 * The Group API, one for both schemes: create, join, add, remove, update,
 * send, members. Each call is pure, `(state, ctx, input) -> { state, keys,
 * registry, outputs }`; keys and registry are shared across groups, so they
 * are passed in and returned like the state. Receiving is in `receive.ts`.
 */
import { encryptData } from '../data/index.js';
import {
  add as dcgkaAdd, createGroup as dcgkaCreate, groupMembers as dcgkaMembers, joinGroup as dcgkaJoin, remove as dcgkaRemove, update as dcgkaUpdate,
} from '../dcgka/index.js';
import type { MemberId } from '../dcgka/index.js';
import { InternalError, StateError, UsageError } from '../errors.js';
import { identityOf } from '../keys/index.js';
import { encryptMessage } from '../message/index.js';
import { aeadData, encodeEnvelope, senderRefFor } from './envelope.js';
import { applyDcgka, closeWork, dcgkaContext, freshWork, knownIds, openWork } from './work.js';
import { encodeRemovalNote, encodeWelcomeExtra, withRecord } from './removal.js';
import type { GroupContext, GroupResult, GroupScheme, GroupState, IncomingMessage } from './types.js';

function checkScheme(scheme: GroupScheme): void {
  if (scheme !== 'data' && scheme !== 'message') throw new UsageError('USAGE_ARGUMENT', 'group: scheme must be "data" or "message"');
}

/**
 * Creates a group of me and `members`.
 * @param input.groupId 64 hex characters; random when omitted.
 * @param input.pq post-quantum key agreement (PQXDH first rounds, X-Wing 2SM): every member needs ML-KEM pre-keys.
 * @returns the state and a `send` output (the create, with a direct part per member).
 * @throws UsageError `USAGE_ARGUMENT` for a bad scheme, group id or member id.
 * @example
 * const { state, outputs } = createGroup({ deps, keys, registry }, { scheme: 'message', members: [bobId] });
 */
export function createGroup(ctx: GroupContext, input: { readonly scheme: GroupScheme; readonly members: readonly MemberId[]; readonly groupId?: string; readonly pq?: boolean }): GroupResult {
  checkScheme(input.scheme);
  const result = dcgkaCreate(ctx, { members: input.members, ...(input.groupId !== undefined ? { groupId: input.groupId } : {}), ...(input.pq === true ? { pq: true } : {}) });
  const work = freshWork(input.scheme, ctx, result.state);
  applyDcgka(work, result);
  return closeWork(work);
}

/**
 * Starts my state from the first message that makes me a member: a create
 * listing me, or an add of me with its welcome (data scheme: the welcome
 * carries the adder's group secrets, so history is readable). Messages
 * received before it must be handed to `receive` again afterwards (or let
 * `receivePreJoin` hold them and join through the earliest invitation).
 * @throws StateError `STATE_NOT_MEMBER` for any other message; DecodeError / VerifyError for bad input.
 */
export function joinGroup(ctx: GroupContext, input: { readonly scheme: GroupScheme; readonly message: IncomingMessage }): GroupResult {
  checkScheme(input.scheme);
  const incoming = { broadcast: input.message.broadcast, ...(input.message.direct ? { direct: input.message.direct } : {}) };
  const result = dcgkaJoin(ctx, incoming);
  const work = freshWork(input.scheme, ctx, result.state);
  applyDcgka(work, result);
  return closeWork(work);
}

/**
 * Adds `member` (its key bundle must be in `ctx.registry`). Data scheme: the
 * welcome carries all my group secrets.
 * @throws StateError `STATE_REMOVED`, `STATE_ALREADY_MEMBER`; UsageError `USAGE_ARGUMENT`.
 */
export function addMember(state: GroupState, ctx: GroupContext, member: MemberId): GroupResult {
  const work = openWork(state, ctx);
  const extra = encodeWelcomeExtra(work.data, member, work.removals, work.rejoins);
  applyDcgka(work, dcgkaAdd(work.dcgka, dcgkaContext(work), member, extra));
  return closeWork(work);
}

/**
 * Removes `member` (strong removal; fresh secrets for everyone else). The
 * remove says, signed, which of `member`'s messages I had read: only those
 * (and earlier ones of `member`) stand for every member afterwards.
 * @throws StateError `STATE_REMOVED`, `STATE_UNKNOWN_MEMBER`.
 */
export function removeMember(state: GroupState, ctx: GroupContext, member: MemberId): GroupResult {
  const work = openWork(state, ctx);
  const frontier = Object.hasOwn(work.heard, member) ? work.heard[member] ?? null : null;
  const result = dcgkaRemove(work.dcgka, dcgkaContext(work), member, encodeRemovalNote(frontier));
  applyDcgka(work, result);
  const sent = result.outputs.find((o) => o.kind === 'control');
  if (sent?.kind === 'control') {
    const op = sent.control.id;
    work.removals = withRecord(work.removals, { op, member, frontier }, (r) => r.op === op);
  }
  return closeWork(work);
}

/**
 * Rotates my secrets (post-compromise security).
 * @throws StateError `STATE_REMOVED`.
 */
export function updateGroup(state: GroupState, ctx: GroupContext): GroupResult {
  const work = openWork(state, ctx);
  applyDcgka(work, dcgkaUpdate(work.dcgka, dcgkaContext(work)));
  return closeWork(work);
}

/**
 * Encrypts application data for the group and signs it with my identity key.
 * @param input.ad optional associated data (not sent; receivers pass the same `ad` to `receive`).
 * @returns a `send` output whose broadcast is the application envelope.
 * @throws StateError `STATE_REMOVED`; `STATE_MISSING_KEY` / `STATE_MISSING_SECRET` before my first update secret.
 * @example
 * const sent = send(state, ctx, { plaintext: utf8('hi'), ad: utf8('doc-1') });
 */
export function send(state: GroupState, ctx: GroupContext, input: { readonly plaintext: Uint8Array; readonly ad?: Uint8Array }): GroupResult {
  if (state.dcgka.removed) throw new StateError('STATE_REMOVED', 'send: this member was removed from the group');
  if (!(input.plaintext instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', 'send: plaintext must be bytes');
  const work = openWork(state, ctx);
  const me = work.dcgka.me;
  const base = { scheme: work.scheme, groupId: work.dcgka.groupId, sender: me, ad: input.ad };
  const aad = (epoch: number, counter: number): Uint8Array => aeadData({ ...base, epoch, counter });
  const ref = senderRefFor(me, knownIds(work.dcgka));
  const identity = identityOf(ctx.keys);
  const lamport = work.lamport + 1;
  let sealed: { readonly epoch: number; readonly counter: number; readonly nonce?: Uint8Array; readonly ciphertext: Uint8Array };
  if (work.message) {
    const out = encryptMessage(work.message, { sender: me, plaintext: input.plaintext, aad }, ctx.deps);
    work.message = out.state;
    work.consumed.push(...out.consumed);
    sealed = out;
  } else if (work.data) {
    const out = encryptData(work.data, { sender: me, plaintext: input.plaintext, aad }, ctx.deps);
    work.data = out.state;
    work.consumed.push(...out.consumed);
    sealed = out;
  } else {
    throw new InternalError('INTERNAL', 'group: no scheme state');
  }
  const { epoch, counter } = sealed;
  const envelope = encodeEnvelope(ctx.deps, identity, { ...base, epoch, counter }, ref, { lamport, nonce: sealed.nonce, ciphertext: sealed.ciphertext });
  work.lamport = lamport;
  work.outputs.push({ kind: 'send', message: { control: false, broadcast: envelope.bytes, direct: [] }, position: { id: envelope.id, sender: me, lamport, epoch, counter } });
  return closeWork(work);
}

/** Current members as I see them (sorted ids). */
export function groupMembers(state: GroupState): readonly MemberId[] {
  return dcgkaMembers(state.dcgka.membership);
}

/** My own member id in this group. */
export function myId(state: GroupState): MemberId {
  return state.dcgka.me;
}

/** True for a post-quantum group (created with `pq: true`, or joined through one). */
export function isPostQuantumGroup(state: GroupState): boolean {
  return state.dcgka.pq === true;
}
