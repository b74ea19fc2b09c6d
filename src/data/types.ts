/**
 * Data-scheme state. Every DCGKA update secret of member M (epoch = the
 * sequence number of the control message of M that caused it) yields one
 * group secret; M encrypts with the group secret of its own latest epoch.
 */

/** A member id: hex of the member's identity public key. */
export type MemberId = string;

/** One group secret. Its id is SHA-256 of its value; `(member, epoch)` names the update secret it came from. */
export interface GroupSecret {
  readonly id: Uint8Array;
  readonly value: Uint8Array;
  /** UNIX seconds at derivation (by the member that derived it first, for imported secrets). */
  readonly timestamp: number;
  readonly member: MemberId;
  readonly epoch: number;
}

/** Replay window of one (sender, epoch): every counter below `floor`, and those in `above`, were seen. */
export interface ReplayWindow {
  readonly floor: number;
  /** Seen counters at or above `floor`, sorted. */
  readonly above: readonly number[];
}

/** The data-scheme state of one member in one group. Plain, serializable data. */
export interface DataState {
  readonly v: 1;
  /** Group secrets by `${member}:${epoch}`. */
  readonly secrets: Readonly<Record<string, GroupSecret>>;
  /** Per member, the epoch of its latest group secret. */
  readonly latest: Readonly<Record<MemberId, number>>;
  /** My sending position: the epoch I last sent in and the next counter. */
  readonly sending: { readonly epoch: number; readonly next: number } | null;
  /** Replay windows by `${member}:${epoch}`. */
  readonly seen: Readonly<Record<string, ReplayWindow>>;
  /**
   * Per member, the highest epoch whose group secret I deleted (`deleteSecrets`): a message under a
   * secret I lack at or below it is unreadable for good, not waiting for a share. Absent: none deleted.
   */
  readonly deleted?: Readonly<Record<MemberId, number>>;
}

/** Result of a data-scheme transition; `consumed` lists dropped secrets to wipe after commit. */
export interface DataResult {
  readonly state: DataState;
  readonly consumed: readonly Uint8Array[];
}
