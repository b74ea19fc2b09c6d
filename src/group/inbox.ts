/**
 * The pre-join inbox: what a member receives for a group before it has any
 * state in it. Messages are held (authenticated control messages, and
 * application envelopes whose sender cannot be resolved yet) until an
 * invitation for me is held: a create listing me or an add of me, with my
 * direct part. Then I join through the causally earliest invitation — one
 * whose welcome has no other invitation of me in its causal past (joining
 * through a later one would skip 2SM messages the earlier one started; when
 * the earlier one is not held yet, I wait for it) — and every other held
 * message goes through `receive`, whose causal orderer puts them in order
 * and drops what the welcome already covers.
 *
 * Trial joins are free: every join is a pure function, only the chosen one is kept.
 *
 * Nothing held is authenticated as a member's (anyone can sign a control
 * message): the inbox is a bounded allowance — a size limit per message,
 * held messages expire after `HELD_TTL_SECONDS`, and when it is full
 * application messages are evicted first, then the oldest control messages
 * (the joiner needs every control message of its backlog to converge) — so
 * junk can delay but never block an invitation, and
 * the encoded inbox stays far below what its codec accepts.
 */
// A type import first: it stays in the .d.ts, and the module comment above with it.
import type { GroupContext, GroupOutput, GroupResult, GroupScheme, IncomingMessage } from './types.js';
import { bytesEqual, copyBytes, decodeCanonical, decodeVersionedRecord, encodeCanonical, fromHex, readArray, readText, toHex } from '../crypto/index.js';
import { checkedDirect, readControl } from '../dcgka/index.js';
import type { ControlMessage } from '../dcgka/index.js';
import { DecodeError, StateError, UsageError, VerifyError, isGroupCryptError } from '../errors.js';
import { identityOf } from '../keys/index.js';
import { decodeEnvelope } from './envelope.js';
import { joinGroup } from './group.js';
import { HELD_TTL_SECONDS, MAX_HELD_BYTES, MAX_HELD_MESSAGES, MAX_HELD_MESSAGE_BYTES } from './limits.js';
import { receive } from './receive.js';

/** CBOR array-of-2 header: a DCGKA control broadcast is `[signed, signature]`. */
const CONTROL_HEADER = 0x82;
const VERSION = 2;

/** A message held before joining. */
export interface HeldMessage {
  readonly broadcast: Uint8Array;
  /** My direct part (control messages). */
  readonly direct: Uint8Array | null;
  /** The associated data the application expects (application messages). */
  readonly ad: Uint8Array | null;
  /** When it arrived (UNIX seconds; 0 for a message held by an inbox of version 1: counted from the next arrival). */
  readonly at: number;
}

/** Messages of one group held before I have state in it. Plain, serializable data. */
export interface GroupInbox {
  readonly v: 2;
  readonly scheme: GroupScheme;
  /** The group id (hex) when the application knows it: control messages of other groups are refused. */
  readonly groupId: string | null;
  /** Held messages in arrival order. */
  readonly held: readonly HeldMessage[];
}

/** Result of `receivePreJoin`. */
export interface PreJoinResult {
  /** The inbox to keep while `joined` is null (empty once joined). */
  readonly inbox: GroupInbox;
  /** Set once I joined: the group state (continue with `receive`), keys, registry and every output, incl. those of the held messages. */
  readonly joined: GroupResult | null;
}

/**
 * An empty pre-join inbox.
 * @param input.groupId 64 hex characters; when given, control messages of other groups are refused.
 * @throws UsageError `USAGE_ARGUMENT` for a bad scheme or group id.
 * @example let inbox = createGroupInbox({ scheme: 'message', groupId });
 */
export function createGroupInbox(input: { readonly scheme: GroupScheme; readonly groupId?: string }): GroupInbox {
  if (input.scheme !== 'data' && input.scheme !== 'message') throw new UsageError('USAGE_ARGUMENT', 'inbox: scheme must be "data" or "message"');
  if (input.groupId !== undefined && !/^[0-9a-f]{64}$/.test(input.groupId)) throw new UsageError('USAGE_ARGUMENT', 'inbox: groupId must be 64 lowercase hex characters');
  return { v: 2, scheme: input.scheme, groupId: input.groupId ?? null, held: [] };
}

function sizeOf(h: { readonly broadcast: Uint8Array; readonly direct?: Uint8Array | null | undefined; readonly ad?: Uint8Array | null | undefined }): number {
  return h.broadcast.length + (h.direct?.length ?? 0) + (h.ad?.length ?? 0);
}

function heldBytes(held: readonly HeldMessage[]): number {
  return held.reduce((n, h) => n + sizeOf(h), 0);
}

/** Held messages that have not expired (a version-1 entry's clock starts now), oldest first. */
function unexpired(held: readonly HeldMessage[], now: number): HeldMessage[] {
  return held.map((h) => (h.at === 0 ? { ...h, at: now } : h)).filter((h) => h.at + HELD_TTL_SECONDS > now && h.at <= now + HELD_TTL_SECONDS);
}

function sameMessage(a: HeldMessage, b: IncomingMessage): boolean {
  return bytesEqual(a.broadcast, b.broadcast) && (a.ad === null ? b.ad === undefined : b.ad !== undefined && bytesEqual(a.ad, b.ad));
}

/**
 * A control message read with no group state (authenticated); undefined for a
 * compact (v4) ack, which only a group state can read: it is held as it came,
 * like an application message, and authenticated by `receive` after the join.
 */
function readWithoutGroup(ctx: GroupContext, broadcast: Uint8Array): ControlMessage | undefined {
  try {
    return readControl(ctx, broadcast);
  } catch (error) {
    if (isGroupCryptError(error, 'STATE_UNKNOWN_GROUP')) return undefined;
    throw error;
  }
}

/** Whether a held control message invites me (trial-joinable), with its ref. */
function invitation(ctx: GroupContext, me: string, h: HeldMessage): { sender: string; seq: number } | undefined {
  if (h.direct === null || h.broadcast[0] !== CONTROL_HEADER) return undefined;
  const m = readWithoutGroup(ctx, h.broadcast);
  if (m === undefined) return undefined;
  const invites = (m.body.type === 'create' && m.seq === 0 && m.body.members.includes(me)) || (m.body.type === 'add' && m.body.added === me);
  return invites ? { sender: m.sender, seq: m.seq } : undefined;
}

/** Ids of the ops in a joined state's membership that invite me (a create listing me, an add of me). */
function invitationsOfMe(result: GroupResult, me: string): string[] {
  return result.state.dcgka.membership.ops.filter((op) => (op.kind === 'add' || op.kind === 'create') && op.targets.includes(me)).map((op) => op.id);
}

/**
 * Joins through the earliest held invitation, then receives every other held
 * message. A trial join's membership lists every invitation of me in its
 * causal past; the trial is taken only if each of those is held and unusable
 * (its own trial failed): otherwise an earlier invitation is held (take that
 * one) or still on its way (wait for it).
 */
function tryJoin(inbox: GroupInbox, ctx: GroupContext): GroupResult | null {
  const me = toHex(identityOf(ctx.keys).publicKey);
  const invites: { index: number; id: string; result: GroupResult | null }[] = [];
  inbox.held.forEach((h, index) => {
    const ref = invitation(ctx, me, h);
    if (!ref) return;
    let result: GroupResult | null = null;
    try {
      result = joinGroup(ctx, { scheme: inbox.scheme, message: { broadcast: h.broadcast, direct: h.direct as Uint8Array } });
      if (inbox.groupId !== null && result.state.dcgka.groupId !== inbox.groupId) result = null;
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
    }
    invites.push({ index, id: `${ref.sender}:${ref.seq}`, result });
  });
  const unusable = new Set(invites.filter((i) => i.result === null).map((i) => i.id));
  const chosen = invites
    .filter((i) => i.result !== null && invitationsOfMe(i.result, me).every((id) => id === i.id || unusable.has(id)))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  if (!chosen || !chosen.result) return null;
  let { state, keys, registry } = chosen.result;
  const outputs: GroupOutput[] = [...chosen.result.outputs];
  const consumed: Uint8Array[] = [...chosen.result.consumed];
  inbox.held.forEach((h, index) => {
    if (index === chosen.index) return;
    const incoming: IncomingMessage = { broadcast: h.broadcast, ...(h.direct ? { direct: h.direct } : {}), ...(h.ad ? { ad: h.ad } : {}) };
    try {
      const r = receive(state, { deps: ctx.deps, keys, registry }, incoming);
      ({ state, keys, registry } = r);
      outputs.push(...r.outputs);
      consumed.push(...r.consumed);
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      outputs.push({ kind: 'rejected', error });
    }
  });
  return { state, keys, registry, outputs, consumed };
}

/**
 * Receives a message for a group I have no state in yet: holds it, and joins
 * as soon as an invitation for me is held (see the module comment at the top of this file, kept in its .d.ts).
 * @returns the inbox to keep, and `joined` (the group result) once I joined.
 * @throws DecodeError for malformed bytes; VerifyError `VERIFY_SIGNATURE` (forged control message),
 *   `VERIFY_GROUP` (another group); StateError `STATE_LIMIT` (inbox full). On error the inbox is unchanged.
 * @example
 * const { inbox: next, joined } = receivePreJoin(inbox, ctx, openWireBundle(bundle, me));
 * if (joined) state = joined.state;
 */
export function receivePreJoin(inbox: GroupInbox, ctx: GroupContext, incoming: IncomingMessage): PreJoinResult {
  if (!(incoming?.broadcast instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', 'receivePreJoin: broadcast must be bytes');
  let isInvitation = false;
  const m = incoming.broadcast[0] === CONTROL_HEADER ? readWithoutGroup(ctx, incoming.broadcast) : undefined;
  if (m !== undefined) {
    if (inbox.groupId !== null && m.groupId !== inbox.groupId) throw new VerifyError('VERIFY_GROUP', 'receivePreJoin: control message of another group');
    // Only the direct part the sender signed is held; a copy stripped of mine is refused (retryably).
    const direct = checkedDirect(ctx.deps, m, toHex(identityOf(ctx.keys).publicKey), incoming.direct);
    incoming = { broadcast: incoming.broadcast, ...(direct ? { direct } : {}) };
    isInvitation = m.body.type === 'create' || m.body.type === 'add';
  } else if (incoming.broadcast[0] !== CONTROL_HEADER) {
    decodeEnvelope(incoming.broadcast, inbox.scheme);
  }
  if (sizeOf(incoming) > MAX_HELD_MESSAGE_BYTES) throw new StateError('STATE_LIMIT', `receivePreJoin: a message of ${sizeOf(incoming)} bytes is not held (limit ${MAX_HELD_MESSAGE_BYTES})`);
  const now = ctx.deps.now();
  const entry: HeldMessage = {
    broadcast: copyBytes(incoming.broadcast),
    direct: incoming.direct ? copyBytes(incoming.direct) : null,
    ad: incoming.ad ? copyBytes(incoming.ad) : null,
    at: now,
  };
  let held = unexpired(inbox.held, now);
  const index = held.findIndex((h) => sameMessage(h, incoming));
  if (index >= 0) {
    if ((held[index] as HeldMessage).direct !== null || entry.direct === null) return { inbox, joined: null };
    held = held.filter((_, i) => i !== index);
  }
  // Full: application messages go first (a lost one costs a read), then the oldest control message (a lost one stalls its
  // sender's later control messages, and with them membership, until resent). Nothing here is a member's yet.
  let bytes = heldBytes(held);
  while (held.length > 0 && (held.length >= MAX_HELD_MESSAGES || bytes + sizeOf(entry) > MAX_HELD_BYTES)) {
    const application = held.findIndex((h) => h.broadcast[0] !== CONTROL_HEADER);
    const victim = application >= 0 ? application : 0;
    bytes -= sizeOf(held[victim] as HeldMessage);
    held = held.filter((_, i) => i !== victim);
  }
  held = [...held, entry];
  const next: GroupInbox = { ...inbox, held };
  const joined = isInvitation && entry.direct !== null ? tryJoin(next, ctx) : null;
  return joined ? { inbox: { ...inbox, held: [] }, joined } : { inbox: next, joined: null };
}

/**
 * Encodes a pre-join inbox: `{ v: 2, scheme, groupId: bytes(32) | null, held: [[broadcast, direct | null, ad | null, at]] }`
 * (version 1, still read, has no `at`).
 */
export function encodeGroupInbox(inbox: GroupInbox): Uint8Array {
  return encodeCanonical({
    v: VERSION, scheme: inbox.scheme, groupId: inbox.groupId === null ? null : fromHex(inbox.groupId),
    held: inbox.held.map((h) => [h.broadcast, h.direct, h.ad, h.at]),
  });
}

function nullableBytes(value: unknown): Uint8Array | null {
  if (value === null) return null;
  if (!(value instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', 'group-inbox.held: expected bytes or null');
  return value;
}

/**
 * Decodes a pre-join inbox.
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED`, `DECODE_FIELD` and other `DECODE_*` codes.
 */
export function decodeGroupInbox(bytes: Uint8Array): GroupInbox {
  const top = decodeCanonical(bytes, 'group-inbox');
  const v1 = top !== null && typeof top === 'object' && (top as Record<string, unknown>)['v'] === 1;
  const r = decodeVersionedRecord(bytes, 'group-inbox', v1 ? 1 : VERSION, ['v', 'scheme', 'groupId', 'held']);
  const scheme = readText<GroupScheme>(r, 'scheme', 'group-inbox', ['data', 'message']);
  const groupId = r['groupId'];
  if (groupId !== null && !(groupId instanceof Uint8Array && groupId.length === 32)) throw new DecodeError('DECODE_FIELD', 'group-inbox.groupId: expected 32 bytes or null');
  // A version-1 inbox may hold more than today's limits: keep its newest messages within them.
  const list = readArray(r, 'held', 'group-inbox', v1 ? 1_000 : MAX_HELD_MESSAGES);
  let held = list.map((value): HeldMessage => {
    if (!Array.isArray(value) || value.length !== (v1 ? 3 : 4) || !(value[0] instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', 'group-inbox.held: expected [broadcast, direct, ad, at]');
    const at = v1 ? 0 : value[3];
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) throw new DecodeError('DECODE_FIELD', 'group-inbox.held: expected an arrival time');
    return { broadcast: value[0], direct: nullableBytes(value[1]), ad: nullableBytes(value[2]), at };
  });
  if (v1) {
    held = held.filter((h) => sizeOf(h) <= MAX_HELD_MESSAGE_BYTES);
    while (held.length > 0 && (held.length > MAX_HELD_MESSAGES || heldBytes(held) > MAX_HELD_BYTES)) held = held.slice(1);
  }
  if (heldBytes(held) > MAX_HELD_BYTES) throw new DecodeError('DECODE_FIELD', `group-inbox.held: more than ${MAX_HELD_BYTES} bytes`);
  return { v: 2, scheme, groupId: groupId === null ? null : toHex(groupId), held };
}
