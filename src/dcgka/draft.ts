/**
 * A working copy of one DCGKA call. Every operation opens the caller's state
 * as a `Draft`, replaces the draft's own fields (the per-member tables are
 * persistent maps: a change makes a new map sharing all the rest), and
 * returns it once at the end: if anything throws, the caller's state is
 * untouched, and a call costs what it changes, not the size of the group.
 */
import { copyBytes, utf8, zeroize } from '../crypto/index.js';
import type { Deps } from '../crypto/index.js';
import { DecodeError, StateError, VerifyError } from '../errors.js';
import { MAX_DIRECT_BYTES } from './limits.js';
import { hasPqPreKey, identityOf, takeBundle } from '../keys/index.js';
import type { IdentityKeyPair, KeyManagerState, KeyRegistryState } from '../keys/index.js';
import { createSession, sessionNeedsBundle, twoPartyReceive, twoPartySend } from '../twoparty/index.js';
import type { TwoPartySession } from '../twoparty/index.js';
import { isMember } from '../membership/index.js';
import type { MembershipState } from '../membership/index.js';
import { fromHex } from '../crypto/index.js';
import { DIRECT_KINDS, decodeDirectPart, decodeDirectPlaintext, directAssociatedData, encodeDirectPart } from './codec.js';
import type { DirectKind } from './codec.js';
import { isSorted, isWaiting, keptNodes, puncture } from './puncture.js';
import type { PendingSeed } from './puncture.js';
import type { DcgkaContext, DcgkaOutput, DcgkaResult, DcgkaState, DirectMessage, MemberId, OpId } from './types.js';
import type { PersistentMap } from '../crypto/index.js';

const LABEL_CHAIN = utf8('groupcrypt/dcgka/chain');
const LABEL_UPDATE = utf8('groupcrypt/dcgka/update');
const LABEL_MEMBER = 'groupcrypt/dcgka/member/';
const ZERO_CHAIN = new Uint8Array(32);

/** Mutable working copy of a call (never escapes the call except as its result). */
export interface Draft {
  readonly deps: Deps;
  readonly identity: IdentityKeyPair;
  groupId: string;
  me: MemberId;
  clock: PersistentMap<number>;
  membership: MembershipState;
  sessions: PersistentMap<TwoPartySession>;
  pendingSeeds: PersistentMap<PendingSeed>;
  memberSecrets: PersistentMap<Uint8Array>;
  ratchets: PersistentMap<Uint8Array>;
  removed: boolean;
  /** Only ever replaced, never changed in place: a call shares the state's list (issue 13). */
  joinedVia: readonly OpId[];
  /** Peers owed a 2SM refresh (see `DcgkaState.refreshDue`); only ever replaced, like `joinedVia`. */
  refreshDue: readonly MemberId[];
  /**
   * Who may know my own chain (see `DcgkaState.chainKnownBy`, exposure.ts).
   * Sorted, and only ever replaced (never changed in place), so a call shares
   * the state's list instead of copying up to n ids (issue 13).
   */
  chainKnownBy: readonly MemberId[] | undefined;
  /**
   * The message being processed came in wire version 1 or 2: its direct parts
   * are CBOR plaintexts without associated data (codec.ts). Parts I send are always version 3.
   */
  legacyDirect: boolean;
  /** The direct part of the message being processed, opened up front (`openIncomingDirect`). */
  opened: { readonly message: Uint8Array; readonly kind: DirectKind; readonly payload: Uint8Array } | undefined;
  /** Post-quantum group (see `DcgkaState.pq`). */
  pq: boolean;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  outputs: DcgkaOutput[];
  /** Superseded secrets, wiped by the caller after it committed the new state. */
  consumed: Uint8Array[];
  /** Secrets that live only during this call (derived, never stored): wiped when the draft closes. */
  scratch: Uint8Array[];
}

/** The keyed tables of a draft (persistent maps). */
export type RecordName = 'clock' | 'sessions' | 'pendingSeeds' | 'memberSecrets' | 'ratchets';

/** The value type of table `K`. */
type ValueOf<K extends RecordName> = Draft[K] extends PersistentMap<infer V> ? V : never;

/**
 * Sets (or with `undefined`, deletes) `key` in one of the draft's tables. The
 * table is a persistent map, so the caller's state keeps its own version:
 * O(log n), never a copy of the table (issue 13).
 */
export function put<K extends RecordName>(draft: Draft, name: K, key: string, value: ValueOf<K> | undefined): void {
  const table = draft[name] as unknown as PersistentMap<ValueOf<K>>;
  (draft as unknown as Record<RecordName, unknown>)[name] = value === undefined ? table.delete(key) : table.set(key, value);
}

/**
 * Sets (or deletes) a secret record entry; the value it replaces leaves the
 * state and goes to `consumed`, so the caller wipes it after committing.
 * Every write of a secret record goes through here.
 */
export function putSecret(draft: Draft, name: 'ratchets' | 'memberSecrets', key: string, value: Uint8Array | undefined): void {
  const previous = draft[name].get(key);
  if (previous && previous !== value) draft.consumed.push(previous);
  put(draft, name, key, value);
}

/** Replaces (or deletes) a pending seed; node secrets it no longer holds go to `consumed`. */
export function putPendingSeed(draft: Draft, id: OpId, value: PendingSeed | undefined): void {
  const previous = draft.pendingSeeds.get(id);
  if (previous) {
    const kept = new Set(value === undefined ? [] : keptNodes(value).map((n) => n.secret));
    for (const node of keptNodes(previous)) if (node.secret && !kept.has(node.secret)) draft.consumed.push(node.secret);
  }
  put(draft, 'pendingSeeds', id, value);
}

/** Registers a secret that lives only during this call (wiped when the draft closes). */
export function scratch(draft: Draft, secret: Uint8Array): Uint8Array {
  draft.scratch.push(secret);
  return secret;
}

/**
 * Converts the seed PRKs of a version-1 state (issue 16): each waiting
 * member's secret is derived now (the old derivation) and kept until its ack,
 * and the PRK, which also yields the secrets of members who already acked and
 * of the sender, is dropped.
 */
function convertLegacyPrks(draft: Draft, prks: Readonly<Record<OpId, Uint8Array>>): void {
  for (const [id, prk] of Object.entries(prks)) {
    const pending = draft.pendingSeeds.get(id);
    for (const member of pending ? pending.members : []) {
      if (pending && isWaiting(pending, member)) putSecret(draft, 'memberSecrets', `${id}|${member}`, legacyMemberSecret(draft, prk, member));
    }
    draft.consumed.push(prk);
  }
}

/**
 * A member secret as version 1 derived it for every member: HKDF-Expand(PRK, "member/" ‖ id).
 * Still used for the sender's own secret, and for all secrets of a seed whose
 * commitment says it was sent by version 1 (seed.ts).
 */
export function legacyMemberSecret(draft: Draft, prk: Uint8Array, member: MemberId): Uint8Array {
  return draft.deps.crypto.hkdfExpand(prk, utf8(LABEL_MEMBER + member), 32);
}

/** Opens a draft of `state`. */
export function openDraft(state: DcgkaState, ctx: DcgkaContext): Draft {
  const draft = openPlainDraft(state, ctx);
  if (state.legacyPrks) convertLegacyPrks(draft, state.legacyPrks);
  return draft;
}

function openPlainDraft(state: DcgkaState, ctx: DcgkaContext): Draft {
  return {
    deps: ctx.deps,
    identity: identityOf(ctx.keys),
    groupId: state.groupId,
    me: state.me,
    clock: state.clock,
    membership: state.membership,
    sessions: state.sessions,
    pendingSeeds: state.pendingSeeds,
    memberSecrets: state.memberSecrets,
    ratchets: state.ratchets,
    removed: state.removed,
    joinedVia: state.joinedVia,
    refreshDue: state.refreshDue,
    chainKnownBy: state.chainKnownBy,
    legacyDirect: false,
    opened: undefined,
    pq: state.pq === true,
    keys: ctx.keys,
    registry: ctx.registry,
    outputs: [],
    consumed: [],
    scratch: [],
  };
}

/** Closes a draft into the call's result. */
export function closeDraft(draft: Draft): DcgkaResult {
  zeroize(...draft.scratch);
  draft.scratch = [];
  if (draft.opened) zeroize(draft.opened.payload); // opened but not used by the message's processing
  draft.opened = undefined;
  const state: DcgkaState = {
    v: 2,
    groupId: draft.groupId,
    me: draft.me,
    clock: draft.clock,
    membership: draft.membership,
    sessions: draft.sessions,
    pendingSeeds: draft.pendingSeeds,
    memberSecrets: draft.memberSecrets,
    ratchets: draft.ratchets,
    removed: draft.removed,
    joinedVia: draft.joinedVia,
    refreshDue: isSorted(draft.refreshDue) ? draft.refreshDue : [...draft.refreshDue].sort(),
    ...(draft.chainKnownBy !== undefined ? { chainKnownBy: draft.chainKnownBy } : {}),
    ...(draft.pq ? { pq: true as const } : {}),
  };
  return { state, keys: draft.keys, registry: draft.registry, outputs: draft.outputs, consumed: draft.consumed };
}

/** 2SM-encrypts a direct part for `recipient`, bound to `(group, seq, kind)`. */
export function encryptTo(draft: Draft, recipient: MemberId, seq: number, kind: DirectKind, payload: Uint8Array): Uint8Array {
  let session = draft.sessions.get(recipient) ?? createSession(fromHex(recipient), { pq: draft.pq });
  let peerBundle;
  if (sessionNeedsBundle(session)) {
    const taken = takeBundle(draft.registry, fromHex(recipient), draft.deps);
    if (draft.pq && !hasPqPreKey(taken.bundle)) {
      throw new StateError('STATE_NO_BUNDLE', `member ${recipient.slice(0, 16)} has no post-quantum pre-key: a post-quantum group needs one for every member`);
    }
    draft.registry = taken.state;
    peerBundle = taken.bundle;
  }
  const plaintext = encodeDirectPart(kind, payload);
  let sent;
  try {
    const associatedData = directAssociatedData(draft.groupId, seq);
    sent = twoPartySend(session, plaintext, { deps: draft.deps, identity: draft.identity, associatedData, ...(peerBundle ? { peerBundle } : {}) });
  } finally {
    zeroize(plaintext); // it holds the secret payload
  }
  session = sent.session;
  put(draft, 'sessions', recipient, session);
  // Any message I send carries my fresh 2SM key: the peer's stream to me leaves my pre-key.
  if (draft.refreshDue.includes(recipient)) draft.refreshDue = draft.refreshDue.filter((m) => m !== recipient);
  return sent.message;
}

/**
 * Issue 18, "move off the pre-key at once". My 2SM stream from a peer whose
 * session was opened by X3DH is derived, message by message, from my
 * long-term pre-key until I send on that session: a later theft of my key
 * manager would replay it. So every control message I send carries an empty
 * 2SM `refresh` part to each member I received from and never answered (and
 * who gets no other part of this message): the ack I send anyway to a seed or
 * welcome answers at once, so the sender's stream to me leaves the pre-key
 * chain after one round trip. A session opened by an add-ack or a forward,
 * to which I send no ack, is answered at once by a `catch-up` ack of that
 * message (ack.ts `answerPreKeySession`).
 */
export function emitRefreshes(draft: Draft, seq: number, direct: readonly DirectMessage[]): DirectMessage[] {
  if (draft.refreshDue.length === 0) return [...direct];
  const out = [...direct];
  for (const peer of [...draft.refreshDue]) {
    if (peer === draft.me || !isMember(draft.membership, peer) || direct.some((d) => d.recipient === peer)) continue;
    out.push({ recipient: peer, bytes: encryptTo(draft, peer, seq, 'refresh', new Uint8Array(0)) });
  }
  return out;
}

function receiveDirect(draft: Draft, sender: MemberId, seq: number, kind: string, message: Uint8Array): Uint8Array {
  if (message.length > MAX_DIRECT_BYTES) {
    throw new DecodeError('DECODE_TOO_LARGE', `direct ${kind} part of ${message.length} bytes exceeds the limit of ${MAX_DIRECT_BYTES}`);
  }
  const session = draft.sessions.get(sender) ?? createSession(fromHex(sender), { pq: draft.pq });
  const associatedData = draft.legacyDirect ? undefined : directAssociatedData(draft.groupId, seq);
  const received = twoPartyReceive(session, draft.keys, message, { deps: draft.deps, identity: draft.identity, allowRestart: true, ...(associatedData ? { associatedData } : {}) });
  put(draft, 'sessions', sender, received.session);
  draft.keys = received.keyManager;
  draft.consumed.push(...received.consumed);
  if (received.session.nextIndex === 1 && !draft.refreshDue.includes(sender)) draft.refreshDue = [...draft.refreshDue, sender];
  return received.plaintext;
}

/**
 * Opens the direct part of a received control message before dispatching it,
 * so that a `refresh` part (which may ride on any message) is consumed here.
 * @returns the direct part for the message's own processing (undefined for a refresh).
 */
export function openIncomingDirect(draft: Draft, sender: MemberId, seq: number, message: Uint8Array | undefined): Uint8Array | undefined {
  if (message === undefined) return undefined;
  const plaintext = receiveDirect(draft, sender, seq, 'control', message);
  try {
    if (!draft.legacyDirect) {
      const { kind, payload } = decodeDirectPart(plaintext);
      if (kind === 'refresh') {
        if (payload.length !== 0) throw new DecodeError('DECODE_FIELD', 'direct: a refresh part carries nothing');
        return undefined;
      }
      draft.opened = { message, kind, payload: copyBytes(payload) };
      return message;
    }
    let first: unknown;
    for (const kind of DIRECT_KINDS) {
      try {
        const payload = copyBytes(decodeDirectPlaintext(plaintext, draft.groupId, seq, kind));
        if (kind === 'refresh') return undefined;
        draft.opened = { message, kind, payload };
        return message;
      } catch (error) {
        first ??= error;
        if (!(error instanceof VerifyError)) throw error;
      }
    }
    throw first;
  } finally {
    zeroize(plaintext);
  }
}

/** 2SM-decrypts a direct part from `sender` and checks its binding. */
export function decryptFrom(draft: Draft, sender: MemberId, seq: number, kind: DirectKind, message: Uint8Array | undefined): Uint8Array {
  if (message === undefined) throw new StateError('STATE_MISSING_SECRET', `direct ${kind} part from ${sender.slice(0, 16)} seq ${seq} is missing`);
  const opened = draft.opened;
  if (opened && opened.message === message) {
    draft.opened = undefined;
    if (opened.kind !== kind) throw new VerifyError('VERIFY_GROUP', `direct: part does not belong to this ${kind} message`);
    return opened.payload;
  }
  const plaintext = receiveDirect(draft, sender, seq, kind, message);
  try {
    // A copy: the plaintext buffer (which may hold secrets around the payload) is wiped here.
    if (draft.legacyDirect) return copyBytes(decodeDirectPlaintext(plaintext, draft.groupId, seq, kind));
    const part = decodeDirectPart(plaintext);
    if (part.kind !== kind) throw new VerifyError('VERIFY_GROUP', `direct: part does not belong to this ${kind} message`);
    return copyBytes(part.payload);
  } finally {
    zeroize(plaintext);
  }
}

/**
 * update-ratchet(ID, input): one HKDF step of `member`'s outer chain; returns
 * the member's new update secret and overwrites the chain state.
 *
 * A chain this member does not hold (never received, or dropped when it was
 * removed) is not stepped and yields nothing, unless `fresh` says the chain
 * legitimately starts here (the member's first ack of a create, or an ack that
 * restarts its chain after a (re)join).
 */
export function updateRatchet(draft: Draft, member: MemberId, input: Uint8Array, fresh = false): Uint8Array | undefined {
  const previous = draft.ratchets.get(member);
  if (!previous && !fresh) return undefined;
  const { next, secret } = ratchetStep(draft.deps, previous, input);
  // putSecret without its lookup: `previous` is the entry it replaces.
  if (previous) draft.consumed.push(previous);
  put(draft, 'ratchets', member, next);
  return secret;
}

/** One step of an outer chain: from the previous chain state (none: the zero chain) and an input, the next state and the update secret. */
export function ratchetStep(deps: Deps, previous: Uint8Array | undefined, input: Uint8Array): { next: Uint8Array; secret: Uint8Array } {
  const prk = deps.crypto.hkdfExtract(previous ?? ZERO_CHAIN, input);
  try {
    return { next: deps.crypto.hkdfExpand(prk, LABEL_CHAIN, 32), secret: deps.crypto.hkdfExpand(prk, LABEL_UPDATE, 32) };
  } finally {
    zeroize(prk);
  }
}

/** The sender's own member secret of a seed with extract `prk` (derived beside the member-secret tree). */
export function deriveSenderSecret(draft: Draft, prk: Uint8Array, sender: MemberId): Uint8Array {
  return legacyMemberSecret(draft, prk, sender);
}

/**
 * Takes (and erases) the member secret of `member` for op `id`: an explicit
 * one (welcome, or converted from a version-1 state) or the leaf of the
 * pending seed's tree, which is punctured. `stepped` says whether `member`'s
 * own chain advanced with a secret for `id` (it was a recipient of the seed),
 * which matters when I cannot derive that secret. The secret lives until the
 * draft closes (wiped then, or after commit for a stored one).
 */
export function takeMemberSecret(draft: Draft, id: OpId, member: MemberId): { secret: Uint8Array | undefined; stepped: boolean } {
  // Explicit secrets are rare (a welcome, a converted version-1 state): no key built while there are none.
  const key = draft.memberSecrets.size === 0 ? undefined : `${id}|${member}`;
  const explicit = key === undefined ? undefined : draft.memberSecrets.get(key);
  if (key !== undefined && explicit) putSecret(draft, 'memberSecrets', key, undefined);
  const pending = draft.pendingSeeds.get(id);
  const punctured = pending ? puncture(draft.deps, pending, member) : undefined;
  if (punctured) {
    // Puncturing drops exactly one kept node (its siblings below are new): wipe that one, no diff of the whole seed.
    if (punctured.dropped) draft.consumed.push(punctured.dropped);
    put(draft, 'pendingSeeds', id, punctured.pending);
    if (punctured.secret) scratch(draft, punctured.secret);
  }
  return { secret: explicit ?? punctured?.secret, stepped: explicit !== undefined || punctured !== undefined };
}

/** Records an update secret output (nothing when the chain was not held). */
export function emitUpdateSecret(draft: Draft, member: MemberId, cause: OpId, secret: Uint8Array | undefined): void {
  if (secret) draft.outputs.push({ kind: 'update-secret', member, cause, secret });
}

/** Next own sequence number (and advance the own clock). */
export function nextSeq(draft: Draft): number {
  const seq = draft.clock.get(draft.me) ?? 0;
  put(draft, 'clock', draft.me, seq + 1);
  return seq;
}
