/**
 * Types of the causal orderer. State is plain readonly data; payloads are
 * opaque bytes so the state serializes.
 */

/** Names one message: its sender and the sender's sequence number. */
export interface MessageRef {
  /** Sender id (any string; groupcrypt uses identity-key hex). */
  readonly sender: string;
  /** The sender's sequence number, consecutive from its start value. */
  readonly seq: number;
}

/** A message handed to the orderer. */
export interface OrderedMessage extends MessageRef {
  /** Messages that must be delivered first, beyond the sender's previous one (e.g. an ack's op). */
  readonly deps: readonly MessageRef[];
  /** Content hash (or signature) of the message: same sender+seq with another digest is equivocation. */
  readonly digest: Uint8Array;
  /** The message itself, opaque to the orderer. */
  readonly payload: Uint8Array;
}

/** The digest of a delivered message, kept to recognise equivocating duplicates. */
export interface DeliveredDigest {
  /** Sequence number. */
  readonly seq: number;
  /** Its digest. */
  readonly digest: Uint8Array;
}

/** The orderer's state. */
export interface OrdererState {
  /** Format version. */
  readonly v: 1;
  /** Most messages the pending buffer may hold. */
  readonly maxPending: number;
  /** Per sender, the next sequence number to deliver (absent: 0); every lower one counts as delivered. */
  readonly next: Readonly<Record<string, number>>;
  /** Buffered messages, sorted by sender (code-unit order) then seq. */
  readonly pending: readonly OrderedMessage[];
  /** Per sender, digests of its latest delivered messages (at most MAX_RECENT_DIGESTS, ascending seq). */
  readonly recent: Readonly<Record<string, readonly DeliveredDigest[]>>;
}
