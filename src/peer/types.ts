/**
 * What a `Peer` takes and gives: options, group and peer views, sync
 * reports and events.
 */
import type { Deps } from '../crypto/index.js';
import type { GroupScheme } from '../group/index.js';
import type { Store } from '../store/index.js';
import type { Transport } from '../transport/index.js';
import type { PreKeyPolicy } from './prekeys.js';

/** Options of `Peer.open` / `Peer.create`. */
export interface PeerOptions {
  /** Where the peer keeps its private state (one commit per state change). */
  readonly store: Store;
  /**
   * How bytes travel, or a function of this peer's id that opens the
   * transport (a folder or a log is per peer). Without one the peer works
   * offline (local views) and publishes nothing; its outbox waits.
   */
  readonly transport?: Transport | ((self: string) => Transport);
  /** Crypto provider and clock (UNIX seconds); the platform default when omitted. */
  readonly deps?: Deps;
  /** Signed pre-key rotation schedule (default: rotate weekly, delete a superseded secret a week later). */
  readonly preKeys?: Partial<PreKeyPolicy>;
  /**
   * Post-quantum pre-keys (default true): a new identity gets a signed
   * ML-KEM-768 pre-key (rotated with its signed pre-key) and an identity
   * made without one gets it on open, so others can add this peer to
   * post-quantum groups. False keeps a classic-only identity as it is.
   */
  readonly pq?: boolean;
  /**
   * One-time pre-keys kept offered to each known peer (default 0: none; at most 16). An offer is
   * addressed to one peer and signed (offers.ts), so it is used at most once without coordination;
   * its secret is deleted at the first X3DH that uses it, and `sync` / `maintainKeys` replace it. Adders
   * with no offer left use the signed pre-key. Offers travel beside the profile (transport kind `bundle`).
   */
  readonly oneTimePreKeys?: number;
  /** Most messages applied per store commit while processing a backlog (default 1,000). */
  readonly batchSize?: number;
  /** Bytes of a backlog held in memory while it is ordered; beyond, only ids are kept and items are read again (default 32 MiB). */
  readonly memoryBudgetBytes?: number;
  /**
   * Most items `rejected()` lists (default 1,000): the latest ones. Older records go as new ones
   * come (the items stay settled), so a removed peer that keeps hearing its old group's messages,
   * or a net full of garbage, does not grow its store for good.
   */
  readonly rejectedRecords?: number;
}

/** A group as this peer sees it. */
export interface GroupInfo {
  readonly group: string;
  readonly scheme: GroupScheme | 'mls';
  /** True for a post-quantum group (PQXDH first rounds, X-Wing 2SM); false for MLS groups. */
  readonly pq: boolean;
  /** Current member ids, sorted (the last ones known after a removal). */
  readonly members: readonly string[];
  /** True once this peer learnt it was removed. */
  readonly removed: boolean;
  /** Received messages waiting for their causal predecessors (MLS: proposals waiting for the owner's commit). */
  readonly pending: number;
  /** MLS groups: the owner (the only member who commits). */
  readonly owner?: string;
  /** MLS groups: proposals waiting for the owner's next commit. */
  readonly proposals?: readonly { readonly action: 'add' | 'remove' | 'update'; readonly subject: string; readonly from: string }[];
}

/** How much membership history a group keeps uncompacted, and who holds it (`Peer.history`). */
export interface HistoryInfo {
  readonly group: string;
  /** Membership operations kept uncompacted. */
  readonly ops: number;
  /** Most it may keep: past it, new membership operations fail with `STATE_LIMIT`. */
  readonly limit: number;
  /**
   * Who keeps the oldest of them from being compacted, sorted: members that have not acknowledged
   * them yet, a removed member never heard from since, an added member not heard from yet.
   */
  readonly heldBy: readonly string[];
}

/** A known peer (from its verified, signed profile). */
export interface PeerInfo {
  readonly id: string;
  readonly name: string;
}

/** One decrypted application message. */
export interface ReadEntry {
  readonly sender: string;
  readonly data: Uint8Array;
  /** The associated data it was sent with, or null (none, or not known). */
  readonly ad: Uint8Array | null;
}

/** Something that was not applied, with the reason (`CODE: message`). */
export interface Skipped {
  /** Where it was found (a path, `log:<key>:<seq>`, …). */
  readonly origin: string;
  readonly reason: string;
  /** @internal already emitted as an event. */
  readonly emitted?: boolean;
}

/** What a `sync` did. */
export interface SyncReport {
  /** Messages applied (processed) by this sync. */
  readonly processed: number;
  /** Messages held in groups, waiting for their causal predecessors. */
  readonly pending: number;
  /**
   * Messages of groups this peer was removed from, sent after its removal (it never gets their
   * secrets): settled for good, listed by `rejected()`, neither processed nor skipped. In an MLS
   * group also what was sent or proposed in an epoch before this peer joined.
   */
  readonly notForMe: number;
  readonly skipped: readonly Skipped[];
}

/** Events, emitted after the commit that made them true. */
export type PeerEvent =
  | { readonly type: 'message'; readonly group: string; readonly sender: string; readonly data: Uint8Array; readonly ad: Uint8Array | null }
  | { readonly type: 'members'; readonly group: string; readonly members: readonly string[]; readonly removed: boolean }
  | { readonly type: 'removed'; readonly group: string }
  | { readonly type: 'peer'; readonly id: string; readonly name: string }
  | { readonly type: 'skipped'; readonly origin: string; readonly reason: string }
  /** A message of a group this peer was removed from, sent after its removal: settled, never read (see `rejected()`). */
  | { readonly type: 'not-for-me'; readonly group: string; readonly origin: string; readonly reason: string };

/** Listener of `Peer.on`. */
export type PeerListener = (event: PeerEvent) => void;
