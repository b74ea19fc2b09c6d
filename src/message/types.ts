/**
 * Message-scheme state: one forward-secure KDF chain per member and epoch.
 * An epoch of member M is the sequence number of the control message of M
 * whose DCGKA update secret (re)initialised M's chain.
 */

/** A member id: hex of the member's identity public key. */
export type MemberId = string;

/** Key and nonce kept for a message that was skipped (arrived later than a newer one). */
export interface SkippedKey {
  readonly counter: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** The receiving (or, for me, sending) chain of one member in one epoch. */
export interface EpochChain {
  /** Sequence number of the control message that started the epoch. */
  readonly epoch: number;
  /** Counter of the next message key that `chain` yields. */
  readonly next: number;
  /** Current chain key (yields the key of message `next`). */
  readonly chain: Uint8Array;
  /** Keys of skipped messages, sorted by counter, at most `MAX_BEHIND` behind `next`. */
  readonly skipped: readonly SkippedKey[];
}

/** The whole message-scheme state of one member in one group. Plain, serializable data. */
export interface MessageState {
  readonly v: 1;
  /** Per member, its chains sorted by epoch (the last is current; at most `MAX_PREVIOUS_EPOCHS` older ones). */
  readonly chains: Readonly<Record<MemberId, readonly EpochChain[]>>;
}

/** Result of every message-scheme transition; `consumed` lists dropped secrets to wipe after commit. */
export interface MessageResult {
  readonly state: MessageState;
  readonly consumed: readonly Uint8Array[];
}
