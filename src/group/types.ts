/**
 * Group state and results of the high-level Group API.
 */
import type { DataState } from '../data/index.js';
import type { DcgkaState, DirectMessage, MemberId, OpId } from '../dcgka/index.js';
import type { GroupCryptError } from '../errors.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import type { MessageState } from '../message/index.js';
import type { OrdererState } from '../ordering/index.js';
import type { ReadPosition } from './order.js';

/** Which encryption scheme a group uses. */
export type GroupScheme = 'data' | 'message';

/** A received control message waiting for its causal predecessors (a view of the orderer's buffer). */
export interface PendingControl {
  readonly sender: MemberId;
  readonly seq: number;
  /** For acks and add-acks: the message they acknowledge (processed first). */
  readonly acked: { readonly sender: MemberId; readonly seq: number } | null;
  readonly broadcast: Uint8Array;
  readonly direct: Uint8Array | null;
}

/** A received application message of a known sender waiting for its epoch. */
export interface PendingApplication {
  readonly bytes: Uint8Array;
  readonly ad: Uint8Array | null;
  /** The authenticated sender. */
  readonly sender: MemberId;
  readonly epoch: number;
}

/** A message of a sender not (yet) known in the group, held in a small expiring allowance. */
export interface StrangerMessage {
  /** A control broadcast or an application envelope. */
  readonly bytes: Uint8Array;
  /** My direct part (control messages). */
  readonly direct: Uint8Array | null;
  /** The application's AD (application messages). */
  readonly ad: Uint8Array | null;
  /** The signing sender of a control message; null for an application envelope. */
  readonly sender: MemberId | null;
  /** When it arrived (UNIX seconds, `deps.now()`). */
  readonly at: number;
}

/** A position in one sender's sequence of application messages. */
export interface Position {
  readonly epoch: number;
  readonly counter: number;
}

/** A processed removal: what its author had read of the removed member (see removal.ts). */
export interface RemovalRecord {
  /** The remove op id. */
  readonly op: OpId;
  readonly member: MemberId;
  /** Highest position of `member` the remover had delivered; null: none. */
  readonly frontier: Position | null;
  /**
   * The epoch from which `member`'s messages stand again: the lowest seq of
   * its rejoin acks of an add this removal's author had not seen. Absent: none
   * yet. Kept here, computed while both ops are in the history, so the record
   * still decides once compaction (membership compact.ts) has dropped them.
   */
  readonly until?: number;
}

/** A processed rejoin: `member`'s ack (seq `seq`) of its add `add`. */
export interface RejoinRecord {
  readonly member: MemberId;
  readonly add: OpId;
  readonly seq: number;
}

/** The whole state of one member in one group. Plain, serializable data. */
export interface GroupState {
  readonly v: 3;
  readonly scheme: GroupScheme;
  readonly dcgka: DcgkaState;
  /** Present when `scheme === 'message'`. */
  readonly message: MessageState | null;
  /** Present when `scheme === 'data'`. */
  readonly data: DataState | null;
  /**
   * Causal orderer of received control messages (payload: the broadcast;
   * deps: the acked op of an ack or add-ack). Its per-sender `next` equals
   * DCGKA's clock: everything below was processed or covered by my welcome.
   */
  readonly orderer: OrdererState;
  /** My direct parts of the control messages buffered in `orderer`, by `${sender}:${seq}`. */
  readonly directs: Readonly<Record<string, Uint8Array>>;
  /** Derived, read-only view of the control messages buffered in `orderer` (not encoded). */
  readonly pendingControl: readonly PendingControl[];
  readonly pendingApplication: readonly PendingApplication[];
  /** Messages of unknown senders (bounded, oldest evicted, expiring). */
  readonly strangers: readonly StrangerMessage[];
  /** My Lamport time: the highest of every application message I delivered or sent. */
  readonly lamport: number;
  /** Per sender, the highest position of its application messages I delivered (what my removal of it says I read). */
  readonly heard: Readonly<Record<MemberId, Position>>;
  /** Removals processed (and those my welcome listed), in processing order. */
  readonly removals: readonly RemovalRecord[];
  /** Rejoins processed (and those my welcome listed). */
  readonly rejoins: readonly RejoinRecord[];
}

/** A message to send: `broadcast` to every member, each `direct` part only to its recipient (with the broadcast). */
export interface OutgoingMessage {
  /** True for a control message (DCGKA), false for application data. */
  readonly control: boolean;
  readonly broadcast: Uint8Array;
  readonly direct: readonly DirectMessage[];
  /** The group it belongs to (set on every Group API output; `encodeWireBundle` labels the bundle with it). */
  readonly groupId?: string;
  /** The group's scheme (set on every Group API output). */
  readonly scheme?: GroupScheme;
}

/** Typed outputs of every Group API call. */
export type GroupOutput =
  /**
   * Send this (see `encodeWireBundle` for transports without routing). For my own application
   * message, `position` is where it stands in the read order (`compareReadOrder`).
   */
  | { readonly kind: 'send'; readonly message: OutgoingMessage; readonly position?: ReadPosition }
  /**
   * Decrypted application data and its authenticated sender; `id` and `lamport` (with sender,
   * epoch, counter) place it in the read order: sort with `compareReadOrder` / `readOrderKey`.
   */
  | { readonly kind: 'application'; readonly id: string; readonly sender: MemberId; readonly plaintext: Uint8Array; readonly lamport: number; readonly epoch: number; readonly counter: number }
  /**
   * My own application message, as receivers' `application` output shows it (after the `send` output of `send`):
   * log it like the others. Not sent anywhere.
   */
  | { readonly kind: 'sent'; readonly id: string; readonly sender: MemberId; readonly plaintext: Uint8Array; readonly lamport: number; readonly epoch: number; readonly counter: number }
  /** This member was removed by the control message `by`. */
  | { readonly kind: 'removed'; readonly by: OpId }
  /** This member joined (or re-joined) through the add `via`. */
  | { readonly kind: 'joined'; readonly via: OpId }
  /** An input was a duplicate (already processed) and was dropped. */
  | { readonly kind: 'duplicate' }
  /**
   * An input was rejected and dropped: a buffered one that became processable but failed, or
   * (`notForMe`) a message sent under secrets my removal kept from me. With `notForMe`, `error` says
   * which secret was missing; for an application message handed in, it is that message (state
   * unchanged): mark it processed and never hand it in again.
   */
  | { readonly kind: 'rejected'; readonly error: GroupCryptError; readonly notForMe?: true };

/** What every Group call needs beyond the group state: deps, own keys, others' bundles (shared across groups). */
export interface GroupContext {
  readonly deps: import('../crypto/index.js').Deps;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  /**
   * Least number of causally stable membership ops worth compacting after a
   * call (bounded state; membership COMPACT_MINIMUM, 32, by default). Only a
   * cost trade-off: answers are the same. Tests set 1 to compact at every chance.
   */
  readonly compactAt?: number;
}

/** Result of every Group call: the new state, keys and registry (commit them together) and the outputs. */
export interface GroupResult {
  readonly state: GroupState;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  readonly outputs: readonly GroupOutput[];
  /** Secrets the new state no longer holds (used message keys, dropped chains): wipe them once the result is committed. */
  readonly consumed: readonly Uint8Array[];
}

/** A received message: broadcast bytes (control or application) and, for a control message, my direct part. */
export interface IncomingMessage {
  readonly broadcast: Uint8Array;
  readonly direct?: Uint8Array;
  /** Associated data the application expects this message to carry (application messages only). */
  readonly ad?: Uint8Array;
  /**
   * The group the wire bundle is labelled with (v1 bundles; `openWireBundle` sets it): route by it.
   * `receive` refuses a message whose label names another group (`VERIFY_GROUP`).
   */
  readonly groupId?: string;
  /** The scheme the wire bundle is labelled with: `joinGroup` takes it when not given, and refuses a different one. */
  readonly scheme?: GroupScheme;
}
