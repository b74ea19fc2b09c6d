/**
 * DCGKA data: per-member protocol state, control messages, and the typed
 * outputs handed to the encryption schemes.
 *
 * Message identity: every control message is named by `(sender, seq)`; as a
 * string `${senderHex}:${seq}` it is the operation id the membership layer uses.
 */
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import type { MembershipState, MemberId, OpId } from '../membership/index.js';
import type { TwoPartySession } from '../twoparty/index.js';
import type { Deps } from '../crypto/index.js';

export type { MemberId, OpId };

import type { PendingSeed } from './puncture.js';
import type { PersistentMap } from '../crypto/index.js';

export type { PersistentMap } from '../crypto/index.js';

export type { PendingSeed, SeedNode } from './puncture.js';

/**
 * The protocol state γ of one member in one group: immutable, serializable
 * data. The per-member (and per-op) tables are `PersistentMap`s, which share
 * structure between a state and the next, so a transition costs what it
 * changes rather than the size of the group (issue 13).
 */
export interface DcgkaState {
  readonly v: 2;
  /** Group id (32 bytes, hex). */
  readonly groupId: string;
  /** Own member id (hex of the X25519 identity public key). */
  readonly me: MemberId;
  /** Per sender: how many of its control messages were processed (FIFO position). */
  readonly clock: PersistentMap<number>;
  /** The group membership (strong-removal DGM). */
  readonly membership: MembershipState;
  /** 2SM session per peer. */
  readonly sessions: PersistentMap<TwoPartySession>;
  /** Seeds whose member secrets are still waiting for acks, by op id (puncturable trees, see puncture.ts). */
  readonly pendingSeeds: PersistentMap<PendingSeed>;
  /** Explicit member secrets waiting for an ack (welcome secrets), key `${opId}|${member}`. */
  readonly memberSecrets: PersistentMap<Uint8Array>;
  /** Outer ratchet (chain) state per member; absent until initialised. */
  readonly ratchets: PersistentMap<Uint8Array>;
  /** True once this member saw its own removal (it then derives and sends nothing). */
  readonly removed: boolean;
  /** Ids of the add operations that added me (their add-acks carry chains for me). */
  readonly joinedVia: readonly OpId[];
  /**
   * Present (true) in a post-quantum group: every 2SM session is post-quantum
   * (PQXDH first round, X-Wing afterwards) and every member needs PQ pre-keys.
   * Chosen at creation; a joiner takes it from the kind of its first direct part.
   */
  readonly pq?: true;
  /**
   * Only in a state decoded from version 1: the seed PRKs it kept (each yields
   * every member secret of its seed). The next transition converts them into
   * the waiting members' secrets and drops them (returned in `consumed`).
   */
  readonly legacyPrks?: Readonly<Record<OpId, Uint8Array>>;
  /**
   * Peers whose 2SM stream to me is still derived from my pre-key (I received
   * on the session and never sent on it): my next control message carries a
   * 2SM `refresh` part to each (issue 18), sorted.
   */
  readonly refreshDue: readonly MemberId[];
  /**
   * Who besides me may know my own chain, sorted (see exposure.ts); absent
   * when not tracked (anyone may). A removed member in it means I must heal
   * with an update.
   */
  readonly chainKnownBy?: readonly MemberId[];
}

/** How an ack affects chains (see `ControlBody`). */
export type AckMode = 'normal' | 'rejoin' | 'catch-up';

/** Body of a control message (the broadcast part). */
export type ControlBody =
  /** Seed ops carry `commitment` = HKDF(seed, "commit"): a seed sent in a direct part must match it. */
  | { readonly type: 'create'; readonly members: readonly MemberId[]; readonly commitment: Uint8Array }
  | { readonly type: 'update'; readonly commitment: Uint8Array }
  /** `note`: opaque bytes of the layer above (empty when none; absent on the wire then). */
  | { readonly type: 'remove'; readonly removed: MemberId; readonly commitment: Uint8Array; readonly note: Uint8Array }
  | { readonly type: 'add'; readonly added: MemberId }
  /**
   * `mode`: `normal`; `rejoin` (my chain restarts: I joined or was re-added);
   * `catch-up` (membership only: an op I processed while removed, acked after my re-add; or an ack or
   * add-ack that opened a 2SM session to me, acked at once to carry my fresh 2SM key, issue 18).
   */
  | { readonly type: 'ack'; readonly ackedSender: MemberId; readonly ackedSeq: number; readonly mode: AckMode }
  | { readonly type: 'add-ack'; readonly ackedSender: MemberId; readonly ackedSeq: number };

/** One entry of a control message's signed manifest: a recipient and the digest of its direct part. */
export interface ManifestEntry {
  /** Hex of the first 8 bytes of the recipient's id. */
  readonly recipient: string;
  /** The first 16 bytes of SHA-256 of the direct part's bytes. */
  readonly digest: Uint8Array;
}

/** The broadcast part of a control message, decoded and authenticated. */
export interface ControlMessage {
  readonly groupId: string;
  readonly sender: MemberId;
  readonly seq: number;
  readonly body: ControlBody;
  /** The direct parts the sender sent, signed (null for a version-1 message, which has none). */
  readonly manifest: readonly ManifestEntry[] | null;
  /**
   * 2 for a message decoded from wire version 2 (its direct parts use the
   * older CBOR plaintext); 4 for a compact ack or add-ack (short member
   * references, `refs`); absent otherwise (version 3, or 1 when `manifest` is null).
   */
  readonly version?: 2 | 4;
  /** Version 4: the member references on the wire (4-byte prefixes or full ids) of the sender and the acked sender. */
  readonly refs?: { readonly sender: Uint8Array; readonly acked: Uint8Array };
}

/** One direct (per-recipient) part of a control message. */
export interface DirectMessage {
  readonly recipient: MemberId;
  readonly bytes: Uint8Array;
}

/**
 * A control message ready to route: `broadcast` goes to every member (signed
 * canonical bytes), each `direct` part only to its recipient, together with
 * the broadcast.
 */
export interface OutgoingControl {
  readonly id: OpId;
  readonly message: ControlMessage;
  readonly broadcast: Uint8Array;
  readonly direct: readonly DirectMessage[];
}

/** Typed results of an operation. */
export type DcgkaOutput =
  /** A control message to send (the operation's own, or an ack / add-ack in response). */
  | { readonly kind: 'control'; readonly control: OutgoingControl }
  /** A new update secret for `member`, caused by the control message `cause` (authored by `member`). */
  | { readonly kind: 'update-secret'; readonly member: MemberId; readonly cause: OpId; readonly secret: Uint8Array }
  /** This member was removed from the group. */
  | { readonly kind: 'removed'; readonly by: OpId }
  /** This member joined (or re-joined) through a welcome; `extra` is the adder's payload for the layer above. */
  /** `clock`: the adder's clock in the welcome (what the welcome's history covers, per sender). */
  /** `concurrent`: I was a member already (an add of me concurrent with the one I joined by): my history is my own. */
  | { readonly kind: 'joined'; readonly via: OpId; readonly extra: Uint8Array; readonly clock: Readonly<Record<MemberId, number>>; readonly concurrent?: true };

/** What every DCGKA call needs beyond the group state: deps, own keys, others' bundles. */
export interface DcgkaContext {
  readonly deps: Deps;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
}

/** Result of every DCGKA call. `keys`/`registry` change when pre-keys or bundles are used. */
export interface DcgkaResult {
  readonly state: DcgkaState;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  readonly outputs: readonly DcgkaOutput[];
  /** Secrets the new state no longer holds: wipe them (`fill(0)`) once the new state is committed, not before. */
  readonly consumed: readonly Uint8Array[];
}

/** A received control message: its broadcast bytes and, if any, the direct part for this member. */
export interface IncomingControl {
  readonly broadcast: Uint8Array;
  readonly direct?: Uint8Array;
}
