/**
 * Types of the membership layer. State is plain readonly data: arrays in
 * processing order, records keyed by id, bit sets as `Uint8Array`.
 */
import type { PersistentMap } from '../crypto/index.js';

/** A member id (the DCGKA layer uses the hex of an identity key). */
export type MemberId = string;

/** An opaque, unique operation id (the DCGKA layer uses `${senderHex}:${seq}`). */
export type OpId = string;

/** The membership operations; acks are recorded in the seen sets only. */
export type OpKind = 'create' | 'add' | 'remove' | 'region';

/**
 * What a region placeholder (kind 'region', compact.ts) keeps of the ops it
 * replaced. Entries are named by key (`entryKey`), stable across rebuilds.
 */
export interface RegionData {
  /** Per target (the op's `targets`, same order), the keys of its leaves: the entries outside the region its held chain of supports reaches. */
  readonly leaves: readonly (readonly string[])[];
  /** Keys of the entries outside the region that a remove in it cancelled (directly or not). */
  readonly killed: readonly string[];
  /** `${add key}\n${support key}`: supports of an add held before the region that every remove in it cancelling the support saw the add (the support still holds for it). */
  readonly held: readonly string[];
  /** Per actor, the [lowest, highest] sequence numbers of its ops in the region. */
  readonly ranges: Readonly<Record<MemberId, readonly [number, number]>>;
  /** Every id the region's ops named, sorted. */
  readonly named: readonly MemberId[];
}

/** One membership operation as processed. */
export interface MembershipOp {
  /** Operation id, unique in the state. */
  readonly id: OpId;
  /** create, add or remove. */
  readonly kind: OpKind;
  /** The member that issued it (the creator for create). */
  readonly actor: MemberId;
  /** create: the initial members, sorted, creator included; add/remove: the one target. */
  readonly targets: readonly MemberId[];
  /** The ops the actor had seen when issuing it (bit set over op indices, causally closed). */
  readonly past: Uint8Array;
  /** Only for a region placeholder. */
  readonly region?: RegionData;
}

/** One add of one member: an add op, one initial member of the create op, or a base member (derived). */
export interface AddEntry {
  /** Index of the op in `ops`; BASE_OP for a member live in the compacted base (in every past and scope). */
  readonly op: number;
  /** The member it adds. */
  readonly member: MemberId;
  /** Entries adding the op's actor that are in the op's past (a region's entry: its leaves); null for create (unconditional). */
  readonly supports: readonly number[] | null;
  /** A name stable across rebuilds: `${op id}#${position among the op's targets}`, or `#${member}` for a base entry. */
  readonly key: string;
}

/** The fields the DGM evaluation reads. */
export interface MembershipCore {
  /** Every op, in local processing order (a causal order); `ops[0]` is the create. */
  readonly ops: readonly MembershipOp[];
  /** Derived: every add entry, in op order. */
  readonly entries: readonly AddEntry[];
  /** Derived: per op index, the entries a remove op cancels directly (a region: those its removes cancelled; empty for other ops). */
  readonly cancels: readonly (readonly number[])[];
  /** Derived: per region op index, its `held` pairs as entry indices `${add entry}:${support entry}`. */
  readonly held?: ReadonlyMap<number, ReadonlySet<string>>;
}

/**
 * What compaction (compact.ts) keeps of the ops it drops: a prefix of the
 * processing order that every actor that may still send had seen, and that
 * every later op has in its past. From there on those ops act only through
 * the members they left live, each as one add that every past contains.
 */
export interface MembershipBase {
  /** How many ops were compacted in all (the processing index of `ops[0]`). */
  readonly count: number;
  /** The create op's id (an ack of the create still restarts a chain in DCGKA). */
  readonly create: OpId;
  /** Per actor, the highest sequence number of its compacted ops (ids are `actor:seq`). */
  readonly marks: Readonly<Record<MemberId, number>>;
  /** The members the compacted ops left live, sorted. */
  readonly members: readonly MemberId[];
  /** Every id a compacted op named (actors and targets), sorted: still known, not strangers. */
  readonly named: readonly MemberId[];
}

/**
 * A replica's membership state. `ops` and `seen` are the data (encoded);
 * `index`, `entries`, `entriesOf`, `cancels` and `members` are caches derived
 * from them (rebuilt on decode, never encoded).
 */
export interface MembershipState extends MembershipCore {
  /** Format version. */
  readonly v: 1;
  /**
   * Per actor, the ops in the causal past of its latest processed message (bit
   * set). A persistent map: every ack replaces one entry, and copying the
   * whole table per ack made a remove or add O(n²) in its acks (issue 13).
   */
  readonly seen: PersistentMap<Uint8Array>;
  /** The compacted history, or null while nothing was compacted (bit i of a set is `ops[i]` either way). */
  readonly base: MembershipBase | null;
  /** Derived: op id → index in `ops`. */
  readonly index: Readonly<Record<OpId, number>>;
  /** Derived: member → indices of the entries adding it. */
  readonly entriesOf: Readonly<Record<MemberId, readonly number[]>>;
  /** Derived: current members, sorted. */
  readonly members: readonly MemberId[];
}
