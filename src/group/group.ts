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
import { InternalError, StateError, UsageError, VerifyError } from '../errors.js';
import { identityOf } from '../keys/index.js';
import { encryptMessage } from '../message/index.js';
import { aeadData, encodeEnvelope, senderRefFor } from './envelope.js';
import { applyDcgka, closeWork, dcgkaContext, freshWork, knownIds, openWork } from './work.js';
import { encodeRemovalNote, encodeWelcomeExtra, withRemoval } from './removal.js';
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
 * @param input.scheme optional when the message came from a v1 wire bundle (`openWireBundle` labels it with its scheme);
 *   when both are given they must agree.
 * @returns the state and a `joined` output (`via`: the create or add that made me a member), plus acks to send.
 * @throws UsageError `USAGE_ARGUMENT` for a scheme that disagrees with the bundle's (or none at all);
 *   VerifyError `VERIFY_GROUP` when the bundle's group id is not the message's;
 *   StateError `STATE_NOT_MEMBER` for any other message; DecodeError / VerifyError for bad input.
 * @example const { state, outputs } = joinGroup(ctx, { message: openWireBundle(blob, me) });
 */
export function joinGroup(ctx: GroupContext, input: { readonly scheme?: GroupScheme; readonly message: IncomingMessage }): GroupResult {
  const labelled = input.message.scheme;
  if (input.scheme !== undefined && labelled !== undefined && input.scheme !== labelled) {
    throw new UsageError('USAGE_ARGUMENT', `joinGroup: the invitation is of a "${labelled}" group, not "${input.scheme}" (leave scheme out to take it from the bundle)`);
  }
  const scheme = input.scheme ?? labelled;
  if (scheme === undefined) throw new UsageError('USAGE_ARGUMENT', 'joinGroup: no scheme: pass one, or a message from a v1 wire bundle (openWireBundle)');
  checkScheme(scheme);
  const incoming = { broadcast: input.message.broadcast, ...(input.message.direct ? { direct: input.message.direct } : {}) };
  const result = dcgkaJoin(ctx, incoming);
  if (input.message.groupId !== undefined && input.message.groupId !== result.state.groupId) {
    throw new VerifyError('VERIFY_GROUP', 'joinGroup: the bundle is labelled with another group than its message');
  }
  const work = freshWork(scheme, ctx, result.state);
  applyDcgka(work, result);
  // A join through an add already says `joined`; a join through the create says it here.
  const via = work.dcgka.membership.ops[0]?.id;
  if (!work.outputs.some((o) => o.kind === 'joined') && via !== undefined) work.outputs.unshift({ kind: 'joined', via });
  return closeWork(work);
}

/**
 * Adds `member` (its key bundle must be in `ctx.registry`). Data scheme: the
 * welcome carries all my group secrets.
 * @throws StateError `STATE_REMOVED`, `STATE_ALREADY_MEMBER`; UsageError `USAGE_ARGUMENT`.
 */
export function addMember(state: GroupState, ctx: GroupContext, member: MemberId): GroupResult {
  const work = openWork(state, ctx);
  const extra = encodeWelcomeExtra(work.data, member, work.removals, work.rejoins, work.dcgka.clock);
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
    work.removals = withRemoval(work, { op, member, frontier });
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
 * @returns a `send` output whose broadcast is the application envelope (its `position` places it in the read order),
 *   then a `sent` output: my own message as every receiver's `application` output shows it, so the app can log it like the others.
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
  work.outputs.push({ kind: 'sent', id: envelope.id, sender: me, plaintext: input.plaintext, lamport, epoch, counter });
  return closeWork(work);
}

/**
 * Current members as I see them (sorted ids). Once I was removed, the list is
 * the membership as I last saw it and `removed` is true (the list stops
 * changing: a removed member processes no further control messages).
 * @example const members = groupMembers(state); if (members.removed) showRemovedBanner();
 */
export function groupMembers(state: GroupState): readonly MemberId[] & { readonly removed: boolean } {
  return Object.assign([...dcgkaMembers(state.dcgka.membership)], { removed: state.dcgka.removed });
}

/** My own member id in this group. */
export function myId(state: GroupState): MemberId {
  return state.dcgka.me;
}

/** The group's id (64 hex characters): what wire bundles are labelled with. */
export function groupIdOf(state: GroupState): string {
  return state.dcgka.groupId;
}

/** The group's scheme, `'data'` or `'message'`. */
export function schemeOf(state: GroupState): GroupScheme {
  return state.scheme;
}

/** True once I was removed from the group (a `removed` output said so; an add of me with its welcome makes it false again). */
export function isRemoved(state: GroupState): boolean {
  return state.dcgka.removed;
}

/** True for a post-quantum group (created with `pq: true`, or joined through one). */
export function isPostQuantumGroup(state: GroupState): boolean {
  return state.dcgka.pq === true;
}
