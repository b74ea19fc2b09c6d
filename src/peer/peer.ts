/**
 * `Peer`: the live peer applications use — identity, store, groups of both
 * schemes, causal delivery, a transport, events.
 *
 * - Every state change is ONE store commit (group states, pre-join inboxes,
 *   keys, registry, decrypted data, processed ids and the outbox), and what
 *   it sends is published only after that commit; a crash in between loses
 *   nothing (the next `flush` publishes the outbox).
 * - Items are named by their content hash (their message id): a duplicate,
 *   from anywhere, is recognised and applied once.
 * - A message that is not causally ready waits inside its group's state (the
 *   group layer's orderer and buffers); a message of a group this peer has
 *   no state in waits in that group's pre-join inbox until an invitation
 *   lets it join. Bad input is reported as skipped and never fatal; input
 *   rejected for good is remembered by its content hash and never read again.
 * - A backlog is streamed, ordered (control first, then each sender's data
 *   oldest first) keeping only ids and order keys beyond a memory budget,
 *   and applied in batches: one commit per batch, group states encoded once
 *   per batch.
 * - Calls are serialized: each runs alone, in call order.
 */
import type { Deps } from '../crypto/index.js';
import { defaultDeps, toHex, utf8 } from '../crypto/index.js';
import { DecodeError, GroupCryptError, StateError, StoreError, UsageError } from '../errors.js';
import type { GroupInbox, GroupResult, GroupScheme, GroupState, IncomingMessage } from '../group/index.js';
import {
  addMember, applicationPosition, applicationStands, createGroup, createGroupInbox, decodeGroupInbox, decodeGroupState, deleteGroupSecrets, encodeGroupInbox, encodeGroupState,
  encodeWireBundle, groupMembers, isPostQuantumGroup, openWireBundle, receive, receivePreJoin, removeMember, send, updateGroup,
} from '../group/index.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import { MAX_MEMBERSHIP_OPS, compactionHolders } from '../membership/index.js';
import {
  consumeOneTimePreKey, createKeyManager, createKeyRegistry, decodeKeyManager, decodeKeyRegistry, dropSupersededOneTimeBundles, enablePqPreKeys, encodeKeyManager,
  encodeKeyRegistry, generateOneTimePreKeys, hasPqPreKeys, identityOf, isLifetimeValid, registerBundle, rotateSignedPreKey,
} from '../keys/index.js';
import type { OutboxMessage, Store } from '../store/index.js';
import type { LogPosition, Transport, TransportItem, TransportProblem } from '../transport/index.js';
import type { AppEntry } from './app-log.js';
import type { LogMark, LogMarks, Settled } from './log-marks.js';
import { NO_MARKS, decodeLogMark, encodeLogMark, isSettled, movedLogs, settle } from './log-marks.js';
import { appName, appPrefix, decodeAppEntry, encodeAppEntry, readOrder } from './app-log.js';
import type { PreKeyPolicy } from './prekeys.js';
import { DEFAULT_PREKEY_GRACE_SECONDS, DEFAULT_PREKEY_ROTATION_SECONDS, maintainPreKeys } from './prekeys.js';
import type { Offer, OfferedKey } from './offers.js';
import { decodeOffer, decodeOfferBook, encodeOffer, encodeOfferBook } from './offers.js';
import type { Profile } from './profile.js';
import { decodeProfile, encodeProfile } from './profile.js';
import type { GroupInfo, HistoryInfo, PeerEvent, PeerInfo, PeerListener, PeerOptions, ReadEntry, Skipped, SyncReport } from './types.js';
import { decodeMessageItem, encodeMessageItem } from './wire.js';
import type { MlsCreateOptions, MlsRuntime } from './mls-runtime.js';
import { decodeMlsItem, mlsGroupIds, mlsInUse, rejectedRecordName } from './mls-item.js';

/** Store names. */
const KEYS = 'keys';
const NAME = 'name';
const REGISTRY = 'registry';
/** What this peer offered as one-time pre-keys, per addressee (see offers.ts). */
const OFFERS = 'otk-offers';
const groupName = (id: string): string => `group:${id}`;
const inboxName = (id: string, scheme: GroupScheme): string => `inbox:${id}:${scheme}`;
const profileName = (id: string): string => `profile:${id}`;
/** The settled mark of one log of a log transport (log-marks.ts). */
const logMarkName = (log: string): string => `logmark:${log}`;
const rejectedName = rejectedRecordName;
/** The order in which rejected records were written (n → content hash), so the oldest go first. */
const rejectedQueueName = (n: number): string => `rejectedq:${String(n).padStart(16, '0')}`;
/** How many rejected records were ever queued (the next queue index). */
const REJECTED_NEXT = 'rejected-next';
const DEFAULT_REJECTED_RECORDS = 1_000;
/** Number of entries in a group's read log (the next entry's sequence number). */
const appCountName = (id: string): string => `appn:${id}`;
/** Processed-id prefixes: applied messages, handled bundles, items rejected for good. */
const msgId = (hash: string): string => `msg:${hash}`;
const bundleId = (hash: string): string => `bundle:${hash}`;
const badId = (hash: string): string => `bad:${hash}`;

const DEFAULT_BATCH = 1_000;
/** Most one-time pre-keys offered to one peer. */
const MAX_OFFER_POOL = 16;
/** Most one-time pre-keys offered in all (about 1.5 KB each with post-quantum keys in the key manager); peers beyond get none. */
const MAX_OFFERED_KEYS = 1024;
const DEFAULT_MEMORY_BUDGET = 32 * 1024 * 1024;
/** Typed errors that may pass once the state changed (not remembered as bad). */
const RETRYABLE = new Set(['STATE_LIMIT', 'STORE_IO', 'STORE_LOCKED', 'STORE_CLOSED']);

/** True for an MLS item (it has its own wrapper; DCGKA items never decode as one). */
function isMls(bytes: Uint8Array): boolean {
  try {
    return decodeMlsItem(bytes) !== undefined;
  } catch {
    return true;
  }
}

/** A new message of a backlog, ordered before it is applied. */
interface Candidate {
  readonly id: string;
  readonly origin: string;
  /** Processing order: [0 control carrying a part for me (invitations first), 1 other control, 2 data], epoch, counter. */
  readonly order: readonly [number, number, number];
  /** Kept while the memory budget allows; read again through `transport.fetch` otherwise. */
  bytes: Uint8Array | undefined;
}

/** An item rejected for good. */
interface Rejected {
  readonly id: string;
  readonly reason: string;
}

/** Everything one commit will write, built up by pure group calls. */
class Work {
  keys: KeyManagerState;
  registry: KeyRegistryState;
  keysChanged = false;
  registryChanged = false;
  readonly groups = new Map<string, GroupState>();
  readonly inboxes = new Map<string, GroupInbox | null>();
  readonly app = new Map<string, AppEntry[]>();
  readonly processed = new Set<string>();
  readonly outbox: OutboxMessage[] = [];
  readonly consumed: Uint8Array[] = [];
  readonly states: Record<string, Uint8Array | null> = {};
  readonly events: PeerEvent[] = [];
  applied = 0;
  /** Messages found not for this peer (sent after its removal). */
  notForMe = 0;

  constructor(keys: KeyManagerState, registry: KeyRegistryState) {
    this.keys = keys;
    this.registry = registry;
  }

  get empty(): boolean {
    return this.processed.size === 0 && this.outbox.length === 0 && this.groups.size === 0 && this.inboxes.size === 0
      && Object.keys(this.states).length === 0 && !this.keysChanged && !this.registryChanged;
  }
}

/**
 * Decodes a record of our own store: a failure is the store's (written by a
 * newer version, or damaged), never blamed on the message being applied.
 * @throws StoreError `STORE_VERSION_UNSUPPORTED`, `STORE_CORRUPT`.
 */
function ownRecord<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (error) {
    if (!(error instanceof GroupCryptError) || error instanceof StoreError) throw error;
    const newer = error.code === 'DECODE_VERSION_UNSUPPORTED' || error.code === 'STATE_VERSION_UNSUPPORTED';
    throw new StoreError(newer ? 'STORE_VERSION_UNSUPPORTED' : 'STORE_CORRUPT', `${what}: ${error.message}`, { cause: error });
  }
}

/** The content hash of a processed id that settles an item for good (`msg:`, `bundle:`, `bad:`), else undefined. */
function settledHash(id: string): string | undefined {
  const colon = id.indexOf(':');
  const prefix = id.slice(0, colon);
  return prefix === 'msg' || prefix === 'bad' || prefix === 'bundle' ? id.slice(colon + 1) : undefined;
}

/** Adds the content hash of a processed id that settles an item for good. */
function addKnown(known: Set<string>, id: string): void {
  const hash = settledHash(id);
  if (hash !== undefined) known.add(hash);
}

function typed(error: unknown): GroupCryptError {
  if (error instanceof GroupCryptError) return error;
  throw error;
}

function reasonOf(error: GroupCryptError): string {
  return `${error.code}: ${error.message}`;
}

/** Why a message is not for this peer: it was sent after its removal, under secrets it never got. */
function notForMeReason(groupId: string, error: GroupCryptError): string {
  return `not for me: sent after my removal from group ${groupId.slice(0, 16)} (${reasonOf(error)})`;
}

/**
 * Whether profile `a` supersedes `b`: its signed pre-key is valid longer, or
 * as long and `a` adds the post-quantum pre-key `b` lacks (an upgrade made
 * within the same second as the identity).
 */
function isNewerProfile(a: Profile, b: Profile): boolean {
  const ta = a.bundle.signedPreKey.lifetime.notAfter;
  const tb = b.bundle.signedPreKey.lifetime.notAfter;
  return ta > tb || (ta === tb && a.bundle.pqPreKey !== undefined && b.bundle.pqPreKey === undefined);
}

function byOrder(a: Candidate, b: Candidate): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.order[i] as number) - (b.order[i] as number);
    if (d !== 0) return d;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Resolves a full id or a unique prefix (at least one character) among `ids`.
 * @throws StateError `notFound` when nothing matches, `STATE_DUPLICATE` when ambiguous.
 */
export function resolvePrefix(prefix: string, ids: readonly string[], what: string, notFound: 'STATE_UNKNOWN_GROUP' | 'STATE_UNKNOWN_MEMBER'): string {
  const lower = prefix.toLowerCase();
  const matches = [...new Set(ids.filter((id) => id.startsWith(lower)))];
  if (lower.length === 0 || matches.length === 0) throw new StateError(notFound, `unknown ${what} ${prefix}`);
  if (matches.length > 1) throw new StateError('STATE_DUPLICATE', `${what} prefix ${prefix} is ambiguous (${matches.length} matches)`);
  return matches[0] as string;
}

/**
 * A live peer over a store and a transport.
 * @example
 * const peer = await Peer.create({ store: new MemoryStore(), transport }, { name: 'alice' });
 * peer.on((event) => { if (event.type === 'message') show(event.sender, event.data); });
 * const { group } = await peer.create('data');
 * await peer.send(group, utf8('hello'), { ad: utf8('doc-1') });
 */
export class Peer {
  readonly deps: Deps;
  readonly store: Store;
  readonly transport: Transport | undefined;
  #keys: KeyManagerState;
  #registry: KeyRegistryState;
  #name: string;
  readonly #policy: PreKeyPolicy;
  readonly #pq: boolean;
  /** One-time pre-keys kept offered to each known peer (0: none, adders use the signed pre-key). */
  readonly #offerPool: number;
  readonly #batchSize: number;
  readonly #budget: number;
  readonly #rejectedRecords: number;
  /** The next rejected-queue index, as committed (loaded on first use). */
  #rejectedNext: number | undefined;
  readonly #listeners = new Set<PeerListener>();
  readonly #groups = new Map<string, GroupState>();
  #groupIds: Set<string> | undefined;
  readonly #appCount = new Map<string, number>();
  /** Content hashes of items handled for good (processed ids `msg:`, `bundle:`, `bad:`), loaded at the first catch-up. */
  #known: Set<string> | undefined;
  /** Settled marks per log (log transports only), loaded with `#known`: what the last commit wrote. */
  #marks: LogMarks | undefined;
  /** Items found already settled (their processed ids are stored) at these positions since the last commit. */
  readonly #knownAt: Settled[] = [];
  /** Positions of the items found and not settled yet (content hash → positions). */
  readonly #positions = new Map<string, LogPosition[]>();
  /** Associated data of arrived application messages, until delivered (they may wait in a buffer). */
  readonly #pendingAd = new Map<string, { ad: Uint8Array }[]>();
  #queue: Promise<unknown> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  /** The MLS Secret Group side (its own records and items), loaded on first use (see mls-item.ts). */
  #mlsRuntime: MlsRuntime | undefined;
  readonly #signing: { readonly seed: Uint8Array | undefined; readonly self: string };
  /** Messages found not for this peer since it was opened (committed): `sync` reports its own share. */
  #notForMe = 0;

  private constructor(options: PeerOptions, deps: Deps, keys: KeyManagerState, registry: KeyRegistryState, name: string) {
    this.store = options.store;
    const transport = options.transport;
    this.transport = typeof transport === 'function' ? transport(toHex(identityOf(keys).publicKey)) : transport;
    this.deps = deps;
    this.#keys = keys;
    this.#registry = registry;
    this.#name = name;
    this.#policy = {
      rotationSeconds: options.preKeys?.rotationSeconds ?? DEFAULT_PREKEY_ROTATION_SECONDS,
      graceSeconds: options.preKeys?.graceSeconds ?? DEFAULT_PREKEY_GRACE_SECONDS,
    };
    this.#pq = options.pq !== false;
    this.#offerPool = options.oneTimePreKeys ?? 0;
    if (!Number.isSafeInteger(this.#offerPool) || this.#offerPool < 0 || this.#offerPool > MAX_OFFER_POOL) {
      throw new UsageError('USAGE_ARGUMENT', `oneTimePreKeys: expected an integer in 0..${MAX_OFFER_POOL}`);
    }
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH;
    this.#budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
    this.#rejectedRecords = options.rejectedRecords ?? DEFAULT_REJECTED_RECORDS;
    if (!Number.isSafeInteger(this.#rejectedRecords) || this.#rejectedRecords < 1) {
      throw new UsageError('USAGE_ARGUMENT', 'rejectedRecords: expected a positive integer');
    }
    this.#signing = { seed: identityOf(keys).signingSeed, self: toHex(identityOf(keys).publicKey) };
  }

  /** The MLS side, loading src/mls on first use. */
  async #mls(): Promise<MlsRuntime> {
    if (this.#mlsRuntime === undefined) {
      const { MlsRuntime: Runtime } = await import('./mls-runtime.js');
      this.#mlsRuntime = new Runtime(this.deps, this.store, this.#signing.seed, this.#signing.self);
    }
    return this.#mlsRuntime;
  }

  /**
   * Creates a new identity (keys, signed pre-key, signed profile) in an empty
   * store, in one commit, and publishes its profile.
   * @throws StateError `STATE_DUPLICATE` when the store already holds an identity.
   */
  static async create(options: PeerOptions, identity: { readonly name?: string } = {}): Promise<Peer> {
    const deps = options.deps ?? defaultDeps();
    if ((await options.store.load(KEYS)) !== undefined) throw new StateError('STATE_DUPLICATE', 'this store already holds an identity');
    const keys = createKeyManager(deps, { pq: options.pq !== false });
    const id = toHex(identityOf(keys).publicKey);
    const name = identity.name ?? `peer-${id.slice(0, 8)}`;
    const profile = encodeProfile(keys, name, deps);
    const hash = toHex(deps.crypto.sha256(profile));
    const registry = createKeyRegistry();
    await options.store.commit({
      states: { [KEYS]: encodeKeyManager(keys), [NAME]: utf8(name), [REGISTRY]: encodeKeyRegistry(registry), [profileName(id)]: profile },
      processed: [bundleId(hash)],
      outbox: [{ id: bundleId(hash), topic: 'bundle', bytes: profile }],
    });
    const peer = new Peer(options, deps, keys, registry, name);
    await peer.flush();
    return peer;
  }

  /**
   * Opens the identity held by a store.
   * @throws UsageError `USAGE_ARGUMENT` when the store holds no identity.
   */
  static async open(options: PeerOptions): Promise<Peer> {
    const deps = options.deps ?? defaultDeps();
    const [keys, name, registry] = await Promise.all([options.store.load(KEYS), options.store.load(NAME), options.store.load(REGISTRY)]);
    if (keys === undefined || name === undefined) throw new UsageError('USAGE_ARGUMENT', 'this store holds no identity (create one first)');
    const peer = new Peer(options, deps, decodeKeyManager(keys), registry === undefined ? createKeyRegistry() : decodeKeyRegistry(registry), new TextDecoder().decode(name));
    await peer.#run(() => peer.#enablePq());
    return peer;
  }

  /** Opens the identity of a store, or creates one when it holds none. */
  static async openOrCreate(options: PeerOptions, identity: { readonly name?: string } = {}): Promise<Peer> {
    return (await options.store.load(KEYS)) === undefined ? Peer.create(options, identity) : Peer.open(options);
  }

  /** This peer's id: hex of its identity public key. */
  get id(): string {
    return toHex(identityOf(this.#keys).publicKey);
  }

  /** This peer's name (signed into its profile). */
  get name(): string {
    return this.#name;
  }

  /** True when this peer publishes post-quantum (ML-KEM-768) pre-keys: others can add it to post-quantum groups. */
  get hasPqPreKeys(): boolean {
    return hasPqPreKeys(this.#keys);
  }

  /** The signed pre-keys held (ids), oldest first: lets tests and tools watch rotation. */
  get signedPreKeyIds(): readonly number[] {
    return this.#keys.signedPreKeys.map((k) => k.id);
  }

  /** The one-time pre-key secrets held (ids, ascending): lets tests and tools watch the pool. */
  get oneTimePreKeyIds(): readonly number[] {
    return this.#keys.oneTimePreKeys.map((k) => k.id);
  }

  /** Listens to events; returns the function that stops listening. */
  on(listener: PeerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(events: readonly PeerEvent[]): void {
    for (const event of events) {
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // a listener's failure is the application's; the committed state stands
        }
      }
    }
  }

  #run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      if (this.#closed) throw new StoreError('STORE_CLOSED', 'peer is closed');
      return task();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every call made so far has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const current = this.#queue;
      await current;
      if (current === this.#queue) return;
    }
  }

  /**
   * Goes live: publishes what the outbox still holds, listens to the
   * transport (each arrival applied in one commit) and catches up.
   */
  start(): Promise<SyncReport> {
    if (this.transport !== undefined && this.#unsubscribe === undefined) {
      this.#unsubscribe = this.transport.subscribe((found) => {
        void this.#run(() => this.#arrive(found)).catch((error: unknown) => {
          this.#emit([{ type: 'skipped', origin: found.origin, reason: error instanceof GroupCryptError ? reasonOf(error) : String(error) }]);
        });
      });
    }
    return this.#run(async () => {
      // peers that came online after this one published learn of it again
      const profile = await this.store.load(profileName(this.id));
      if (profile !== undefined) await this.transport?.publish('bundle', profile);
    }).then(() => this.sync());
  }

  // ---------------------------------------------------------------- views

  async #ids(): Promise<Set<string>> {
    this.#groupIds ??= new Set((await this.store.names('group:')).map((n) => n.slice('group:'.length)));
    return this.#groupIds;
  }

  async #state(groupId: string): Promise<GroupState | undefined> {
    const cached = this.#groups.get(groupId);
    if (cached !== undefined) return cached;
    const bytes = await this.store.load(groupName(groupId));
    if (bytes === undefined) return undefined;
    const state = ownRecord(() => decodeGroupState(bytes, this.deps), `group ${groupId}`);
    this.#groups.set(groupId, state);
    return state;
  }

  async #resolveGroup(prefix: string): Promise<{ groupId: string; state: GroupState }> {
    const groupId = resolvePrefix(prefix, [...(await this.#ids())], 'group', 'STATE_UNKNOWN_GROUP');
    const state = await this.#state(groupId);
    if (state === undefined) throw new StoreError('STORE_CORRUPT', `group ${groupId} vanished`);
    return { groupId, state };
  }

  /** Resolves a prefix among DCGKA and MLS groups; `mls` tells which. */
  async #resolveAny(prefix: string): Promise<{ groupId: string; mls: boolean }> {
    const mlsIds = await mlsGroupIds(this.store);
    const groupId = resolvePrefix(prefix, [...(await this.#ids()), ...mlsIds], 'group', 'STATE_UNKNOWN_GROUP');
    return { groupId, mls: mlsIds.includes(groupId) };
  }

  /** Runs an MLS action in one commit. */
  async #mlsAct(groupId: string, action: Parameters<MlsRuntime['act']>[2]): Promise<GroupInfo> {
    const work = this.#work();
    const info = await (await this.#mls()).act(work, groupId, action);
    await this.#commit(work);
    return info;
  }

  async #mlsInfo(groupId: string): Promise<GroupInfo> {
    const state = await (await this.#mls()).state(undefined, groupId);
    if (state === undefined) throw new StoreError('STORE_CORRUPT', `group ${groupId} vanished`);
    return (await this.#mls()).describe(groupId, state);
  }

  #info(state: GroupState): GroupInfo {
    return {
      group: state.dcgka.groupId, scheme: state.scheme, pq: isPostQuantumGroup(state), members: [...groupMembers(state)].sort(), removed: state.dcgka.removed,
      pending: state.pendingControl.length + state.pendingApplication.length,
    };
  }

  /** Every group this peer is or was a member of, by id. */
  groups(): Promise<GroupInfo[]> {
    return this.#run(async () => {
      const out: GroupInfo[] = [];
      for (const id of [...(await this.#ids())].sort()) out.push(this.#info((await this.#state(id)) as GroupState));
      for (const id of (await mlsGroupIds(this.store)).sort()) out.push(await this.#mlsInfo(id));
      return out;
    });
  }

  /**
   * A group's members as this peer sees them.
   * @param group full id or unique prefix.
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_DUPLICATE` (ambiguous prefix).
   */
  members(group: string): Promise<GroupInfo> {
    return this.#run(async () => {
      const { groupId, mls } = await this.#resolveAny(group);
      return mls ? this.#mlsInfo(groupId) : this.#info((await this.#resolveGroup(groupId)).state);
    });
  }

  /**
   * How much membership history a DCGKA group keeps uncompacted, and who holds it: a member removed
   * while away for good (it never heard of its removal, so it never said farewell) keeps the history
   * after its last message (README, "Bounded state").
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_DUPLICATE`; UsageError `USAGE_ARGUMENT` for an MLS
   *   group (it keeps no membership history).
   */
  history(group: string): Promise<HistoryInfo> {
    return this.#run(async () => {
      const { groupId, mls } = await this.#resolveAny(group);
      if (mls) throw new UsageError('USAGE_ARGUMENT', 'an MLS group keeps no membership history');
      const membership = (await this.#resolveGroup(groupId)).state.dcgka.membership;
      return { group: groupId, ops: membership.ops.length, limit: MAX_MEMBERSHIP_OPS, heldBy: compactionHolders(membership) };
    });
  }

  /**
   * Everything of the group this peer decrypted, its own messages included, oldest first.
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_DUPLICATE`.
   */
  read(group: string): Promise<ReadEntry[]> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      if (any.mls) {
        // MLS: delivery order (commits are owner-ordered, so every member sees epochs in one order)
        const out: ReadEntry[] = [];
        const count = await this.#storedAppCount(any.groupId);
        for (let n = 0; n < count; n++) {
          const bytes = await this.store.load(appName(any.groupId, n));
          if (bytes !== undefined) {
            const e = decodeAppEntry(bytes);
            out.push({ sender: e.sender, data: e.data, ad: e.ad });
          }
        }
        return out;
      }
      const { groupId, state } = await this.#resolveGroup(any.groupId);
      const entries: AppEntry[] = [];
      for (const name of await this.store.names(appPrefix(groupId))) {
        const bytes = await this.store.load(name);
        if (bytes !== undefined) entries.push(decodeAppEntry(bytes));
      }
      return readOrder(entries, (position) => applicationStands(state, position)).map((e) => ({ sender: e.sender, data: e.data, ad: e.ad }));
    });
  }

  /** Known peers with a currently valid profile (this peer included), sorted by id. */
  peers(): Promise<PeerInfo[]> {
    return this.#run(async () => (await this.#profiles()).map((p) => ({ id: p.id, name: p.name })));
  }

  async #profiles(): Promise<Profile[]> {
    const out: Profile[] = [];
    const now = this.deps.now();
    for (const name of await this.store.names('profile:')) {
      const bytes = await this.store.load(name);
      if (bytes === undefined) continue;
      try {
        const profile = decodeProfile(bytes, this.deps);
        if (isLifetimeValid(profile.bundle.signedPreKey.lifetime, now)) out.push(profile);
      } catch (error) {
        typed(error);
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Resolves a peer id or unique prefix among known peers (and, with
   * `group`, that group's members).
   * @throws StateError `STATE_UNKNOWN_MEMBER`, `STATE_DUPLICATE`.
   */
  resolvePeer(prefix: string, group?: string): Promise<string> {
    return this.#run(async () => {
      const ids = (await this.#profiles()).map((p) => p.id);
      if (group !== undefined) {
        const any = await this.#resolveAny(group);
        ids.push(...(any.mls ? (await this.#mlsInfo(any.groupId)).members : groupMembers((await this.#resolveGroup(any.groupId)).state)));
      }
      return resolvePrefix(prefix, ids, 'peer', 'STATE_UNKNOWN_MEMBER');
    });
  }

  /**
   * Resolves a group id or unique prefix.
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_DUPLICATE`.
   */
  resolveGroup(prefix: string): Promise<string> {
    return this.#run(async () => (await this.#resolveAny(prefix)).groupId);
  }

  // ------------------------------------------------------------ operations

  /**
   * Creates a group of this peer and `members` (known peers' ids or unique
   * prefixes). One commit; the create is published after it.
   * @throws StateError `STATE_UNKNOWN_MEMBER`, `STATE_DUPLICATE` (ambiguous prefix).
   */
  create(scheme: 'mls', options?: MlsCreateOptions): Promise<GroupInfo>;
  create(scheme?: GroupScheme, options?: { readonly members?: readonly string[]; readonly pq?: boolean }): Promise<GroupInfo>;
  create(scheme: GroupScheme | 'mls' = 'data', options: { readonly members?: readonly string[]; readonly pq?: boolean } & MlsCreateOptions = {}): Promise<GroupInfo> {
    if (scheme === 'mls') {
      // the MLS Secret Group: the creator owns it; members join through their published key packages
      return this.#run(async () => {
        const work = this.#work();
        const info = await (await this.#mls()).create(work, options);
        await this.#commit(work);
        return info;
      });
    }
    return this.#run(async () => {
      const profiles = await this.#profiles();
      const known = profiles.map((p) => p.id);
      const members = (options.members ?? []).map((m) => resolvePrefix(m, known, 'peer', 'STATE_UNKNOWN_MEMBER'));
      const pq = options.pq === true;
      if (pq) {
        await this.#enablePq();
        for (const id of members) this.#assertPqReady(profiles, id);
      }
      const work = this.#work();
      const result = createGroup(this.#ctx(work), { scheme, members, ...(pq ? { pq: true } : {}) });
      this.#adopt(work, result, null);
      await this.#commit(work);
      return this.#info(result.state);
    });
  }

  /**
   * Adds a known peer (its profile must have been seen: `refreshPeers`).
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_UNKNOWN_MEMBER`, `STATE_REMOVED`, `STATE_ALREADY_MEMBER`.
   */
  add(group: string, member: string): Promise<GroupInfo> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      // MLS: the new member's profile and key packages may be new: read what is new first
      if (any.mls) await this.#catchUp([], false);
      const profiles = await this.#profiles();
      const id = resolvePrefix(member, profiles.map((p) => p.id), 'peer', 'STATE_UNKNOWN_MEMBER');
      if (any.mls) return this.#mlsAct(any.groupId, { kind: 'add-peer', peer: id });
      const { state } = await this.#resolveGroup(any.groupId);
      if (isPostQuantumGroup(state)) this.#assertPqReady(profiles, id, state.dcgka.groupId);
      return this.#operate((work) => addMember(state, this.#ctx(work), id));
    });
  }

  /**
   * Removes a member (strong removal).
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_UNKNOWN_MEMBER`, `STATE_REMOVED`.
   */
  remove(group: string, member: string): Promise<GroupInfo> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      if (any.mls) {
        const ids = [...(await this.#mlsInfo(any.groupId)).members, ...(await this.#profiles()).map((p) => p.id)];
        return this.#mlsAct(any.groupId, { kind: 'remove-peer', peer: resolvePrefix(member, ids, 'peer', 'STATE_UNKNOWN_MEMBER') });
      }
      const { state } = await this.#resolveGroup(any.groupId);
      const ids = [...groupMembers(state), ...(await this.#profiles()).map((p) => p.id)];
      const id = resolvePrefix(member, ids, 'peer', 'STATE_UNKNOWN_MEMBER');
      return this.#operate((work) => removeMember(state, this.#ctx(work), id));
    });
  }

  /**
   * Rotates this peer's secrets in the group (post-compromise security).
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_REMOVED`.
   */
  update(group: string): Promise<GroupInfo> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      if (any.mls) return this.#mlsAct(any.groupId, { kind: 'update' });
      const { state } = await this.#resolveGroup(any.groupId);
      return this.#operate((work) => updateGroup(state, this.#ctx(work)));
    });
  }

  /**
   * Encrypts and publishes application data. `ad` (associated data) travels
   * in the clear beside the ciphertext, bound into its AEAD and signature.
   * @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_REMOVED`; UsageError for an oversized `ad`.
   */
  send(group: string, data: Uint8Array, options: { readonly ad?: Uint8Array; readonly secrets?: 'long_term' | 'sender_ratchet' } = {}): Promise<{ group: string; bytes: number; id: string }> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      if (any.mls) {
        // MLS: long-term secrets by default (late joiners read them), the sender ratchet on request (forward secrecy)
        if (options.ad !== undefined) throw new UsageError('USAGE_UNSUPPORTED', 'MLS groups carry no associated data yet');
        const work = this.#work();
        await (await this.#mls()).act(work, any.groupId, { kind: 'send', plaintext: data, scheme: options.secrets ?? 'long_term' });
        await this.#commit(work);
        return { group: any.groupId, bytes: data.length, id: work.outbox[0]?.id.slice('msg:'.length) ?? '' };
      }
      const { groupId, state } = await this.#resolveGroup(any.groupId);
      const ad = options.ad ?? null;
      const work = this.#work();
      const result = send(state, this.#ctx(work), { plaintext: data, ...(ad !== null ? { ad } : {}) });
      this.#adopt(work, result, ad);
      const position = result.outputs.find((o) => o.kind === 'send' && o.position !== undefined);
      this.#appendApp(work, groupId, { sender: this.id, data, ad, ...(position?.kind === 'send' && position.position ? { position: position.position } : {}) });
      await this.#commit(work);
      const id = work.outbox[0]?.id.slice('msg:'.length) ?? '';
      return { group: groupId, bytes: data.length, id };
    });
  }

  /**
   * Deletes data-scheme group secrets (forward secrecy on request): those
   * older than `olderThan` (UNIX seconds) or all but each member's latest.
   * The deleted values are wiped after the commit.
   * @throws UsageError `USAGE_UNSUPPORTED` for a message-scheme group.
   */
  forgetSecrets(group: string, options: { readonly olderThan?: number; readonly allButLatest?: boolean }): Promise<number> {
    return this.#run(async () => {
      const { groupId, state } = await this.#resolveGroup(group);
      const out = deleteGroupSecrets(state, options);
      const work = this.#work();
      work.groups.set(groupId, out.state);
      work.consumed.push(...out.consumed);
      await this.#commit(work);
      return out.consumed.length;
    });
  }

  /**
   * Takes part in MLS Secret Groups: keeps a pool of signed key packages
   * published (others `add` this peer with one) and replenishes it at every
   * sync. Creating an MLS group does it too. One commit when anything changed.
   */
  enableMls(): Promise<void> {
    return this.#run(async () => {
      const work = this.#work();
      await (await this.#mls()).replenish(work);
      await this.#commit(work);
    });
  }

  /**
   * MLS groups: the owner hands ownership to a member by a commit, so the
   * group survives its creator leaving. Proposals made meanwhile wait in
   * every member's queue; the new owner commits them.
   * @throws StateError `STATE_NOT_OWNER`, `STATE_UNKNOWN_MEMBER`, `STATE_REMOVED`; UsageError `USAGE_UNSUPPORTED` for a DCGKA group.
   */
  handover(group: string, member: string): Promise<GroupInfo> {
    return this.#run(async () => {
      const any = await this.#resolveAny(group);
      if (!any.mls) throw new UsageError('USAGE_UNSUPPORTED', 'only MLS groups have an owner');
      const info = await this.#mlsInfo(any.groupId);
      // a removed peer's member list is only the last it knew: say it was removed, not that the member is unknown
      if (info.removed) throw new StateError('STATE_REMOVED', 'you were removed from this group');
      const to = resolvePrefix(member, info.members, 'peer', 'STATE_UNKNOWN_MEMBER');
      return this.#mlsAct(any.groupId, { kind: 'handover-peer', peer: to });
    });
  }

  /**
   * A post-quantum group needs every member's ML-KEM pre-key: refuse before
   * any state is touched, naming the peer.
   * @throws StateError `STATE_NO_BUNDLE`.
   */
  #assertPqReady(profiles: readonly Profile[], id: string, groupId?: string): void {
    const profile = profiles.find((p) => p.id === id);
    if (profile === undefined || profile.bundle.pqPreKey !== undefined) return;
    const group = groupId === undefined ? 'a post-quantum group' : `post-quantum group ${groupId.slice(0, 8)}`;
    throw new StateError('STATE_NO_BUNDLE', `peer ${id.slice(0, 8)} (${profile.name}) has no post-quantum pre-keys, so it cannot be added to ${group} `
      + '(it publishes them once it runs a groupcrypt with post-quantum support)');
  }

  async #operate(call: (work: Work) => GroupResult): Promise<GroupInfo> {
    const work = this.#work();
    const result = call(work);
    this.#adopt(work, result, null);
    await this.#commit(work);
    return this.#info(result.state);
  }

  // ------------------------------------------------------------- pre-keys

  /**
   * Rotates the signed pre-key when due and deletes superseded secrets past
   * their grace period; a new profile is published. One commit when anything changed.
   * @returns true when the signed pre-key was rotated.
   */
  maintainKeys(): Promise<boolean> {
    return this.#run(async () => {
      const rotated = await this.#maintainKeys();
      await this.#maintainOffers();
      return rotated;
    });
  }

  /**
   * Gives a classic-only identity its post-quantum pre-keys (unless the
   * peer was opened with `pq: false`): a new signed pre-key with its signed
   * ML-KEM pre-key, and a new profile, so peers that hold the old profile
   * take the new one. One commit. @returns true when it did.
   */
  async #enablePq(): Promise<boolean> {
    if (!this.#pq || hasPqPreKeys(this.#keys)) return false;
    const work = this.#work();
    work.keys = enablePqPreKeys(rotateSignedPreKey(this.#keys, this.deps), this.deps);
    work.keysChanged = true;
    this.#publishProfile(work);
    await this.#commit(work);
    return true;
  }

  /** Queues this peer's profile (from the work's keys) for the next commit. */
  #publishProfile(work: Work): void {
    const profile = encodeProfile(work.keys, this.#name, this.deps);
    const hash = toHex(this.deps.crypto.sha256(profile));
    work.states[profileName(this.id)] = profile;
    work.processed.add(bundleId(hash));
    work.outbox.push({ id: bundleId(hash), topic: 'bundle', bytes: profile });
  }

  async #maintainKeys(): Promise<boolean> {
    if (await this.#enablePq()) return true;
    const out = maintainPreKeys(this.#keys, this.deps, this.#policy);
    if (out.keys === this.#keys) return false;
    const work = this.#work();
    work.keys = out.keys;
    work.keysChanged = true;
    work.consumed.push(...out.consumed);
    if (out.rotated) this.#publishProfile(work);
    await this.#commit(work);
    return out.rotated;
  }

  /**
   * Keeps `oneTimePreKeys` one-time pre-keys offered to each known peer
   * (offers.ts): one used by its addressee's X3DH is gone from my keys, so it
   * is replaced; those offered under a signed pre-key I no longer hold can
   * never open and are deleted. Nothing else is deleted: a published offer may
   * be used until then (also after the pool was turned off, or by a peer whose
   * profile expired). New offers are published beside the profile. One commit
   * when anything changed.
   * @returns true when it changed anything.
   */
  async #maintainOffers(): Promise<boolean> {
    const stored = await this.store.load(OFFERS);
    if (this.#offerPool === 0 && stored === undefined) return false;
    const book = stored === undefined ? {} : ownRecord(() => decodeOfferBook(stored), OFFERS);
    const work = this.#work();
    let keys = work.keys;
    const held = new Set(keys.oneTimePreKeys.map((k) => k.id));
    const signed = new Set(keys.signedPreKeys.map((k) => k.id));
    const current = keys.signedPreKeys[keys.signedPreKeys.length - 1]?.id;
    const peers = new Set(this.#offerPool === 0 ? [] : (await this.#profiles()).map((p) => p.id).filter((id) => id !== this.id));
    let changed = false;
    const drop = (k: OfferedKey): void => {
      const taken = consumeOneTimePreKey(keys, k.id);
      keys = taken.state;
      work.consumed.push(taken.secretKey, ...(taken.pqSecretKey !== undefined ? [taken.pqSecretKey] : []));
      changed = true;
    };
    const next: Record<string, OfferedKey[]> = {};
    for (const [peer, list] of Object.entries(book)) {
      const live = list.filter((k) => held.has(k.id)); // a used one is gone already
      if (live.length !== list.length) changed = true;
      const keep = live.filter((k) => signed.has(k.signedPreKeyId));
      for (const k of live) if (!keep.includes(k)) drop(k);
      if (keep.length > 0) next[peer] = keep;
    }
    let total = Object.values(next).reduce((n, list) => n + list.length, 0);
    for (const peer of [...peers].sort()) {
      const list = next[peer] ?? [];
      // offers under a superseded signed pre-key still open during its grace period, but adders drop them
      const missing = Math.min(this.#offerPool - list.filter((k) => k.signedPreKeyId === current).length, MAX_OFFERED_KEYS - total);
      if (missing <= 0) continue;
      total += missing;
      const made = generateOneTimePreKeys(keys, this.deps, missing);
      keys = made.state;
      changed = true;
      next[peer] = [...list, ...made.bundles.map((b) => ({ id: b.oneTimePreKey.id, signedPreKeyId: b.signedPreKey.id }))];
      for (const bundle of made.bundles) {
        const bytes = encodeOffer(keys, peer, bundle, this.deps);
        const id = bundleId(toHex(this.deps.crypto.sha256(bytes)));
        work.processed.add(id);
        work.outbox.push({ id, topic: 'bundle', bytes });
      }
    }
    if (!changed) return false;
    work.keys = keys;
    work.keysChanged = true;
    work.states[OFFERS] = Object.keys(next).length === 0 ? null : encodeOfferBook(next);
    await this.#commit(work);
    return true;
  }

  // ----------------------------------------------------------------- sync

  /** Publishes every outbox entry not yet sent (after a crash, or with a transport given later). */
  flush(): Promise<number> {
    return this.#run(() => this.#flush());
  }

  async #flush(): Promise<number> {
    if (this.transport === undefined) return 0;
    const pending = await this.store.outbox({ unsentOnly: true });
    for (const entry of pending) await this.transport.publish(entry.topic === 'bundle' ? 'bundle' : 'msg', entry.bytes);
    if (pending.length > 0) await this.store.markSent(pending.map((e) => e.id));
    return pending.length;
  }

  /** Reads the peers' profiles on the transport (no messages). @returns what was skipped. */
  refreshPeers(): Promise<Skipped[]> {
    return this.#run(async () => {
      const skipped: Skipped[] = [];
      await this.#catchUp(skipped, true);
      return skipped.map(({ origin, reason }) => ({ origin, reason }));
    });
  }

  /**
   * Reads everything new on the transport, orders it and applies it in
   * batches; rotates pre-keys when due; publishes what it owes.
   */
  sync(): Promise<SyncReport> {
    return this.#run(async () => {
      await this.#flush();
      await this.#maintainKeys();
      if (await mlsInUse(this.store)) {
        const work = this.#work();
        await (await this.#mls()).replenish(work);
        await this.#commit(work);
      }
      const skipped: Skipped[] = [];
      const notForMeBefore = this.#notForMe;
      const processed = await this.#catchUp(skipped, false);
      const notForMe = this.#notForMe - notForMeBefore;
      // after reading: peers seen and offers used by this sync are taken into account at once
      await this.#maintainOffers();
      await this.#flush();
      let pending = 0;
      for (const id of await this.#ids()) {
        const state = (await this.#state(id)) as GroupState;
        pending += state.pendingControl.length + state.pendingApplication.length;
      }
      return { processed, pending, notForMe, skipped: skipped.map(({ origin, reason }) => ({ origin, reason })) };
    });
  }

  async #knownIds(): Promise<Set<string>> {
    if (this.#known !== undefined) return this.#known;
    const known = new Set<string>();
    if (this.store.processedIds !== undefined) {
      for (const prefix of ['msg:', 'bad:', 'bundle:']) for (const hash of await this.store.processedIds(prefix, { strip: true })) known.add(hash);
    }
    const marks = new Map<string, LogMark>();
    for (const name of await this.store.names('logmark:')) {
      const bytes = await this.store.load(name);
      if (bytes !== undefined) marks.set(name.slice('logmark:'.length), ownRecord(() => decodeLogMark(bytes), name));
    }
    this.#marks = marks;
    this.#knownAt.length = 0;
    this.#known = known;
    return known;
  }

  /** Notes where an item sits on a log transport, until a commit settles it. */
  #notePosition(hash: string, position: LogPosition | undefined): void {
    if (position === undefined) return;
    const list = this.#positions.get(hash);
    if (list === undefined) this.#positions.set(hash, [position]);
    else if (!list.some((p) => p.log === position.log && p.seq === position.seq)) list.push(position);
  }

  /** An item already settled (its processed id is stored) found at `position`: the next commit may move the mark over it. */
  #settleKnown(hash: string, position: LogPosition): void {
    if (!isSettled(this.#marks ?? NO_MARKS, position)) this.#knownAt.push([position, hash]);
  }

  async #isKnown(hash: string): Promise<boolean> {
    const known = await this.#knownIds();
    if (known.has(hash)) return true;
    if (this.store.processedIds !== undefined) return false;
    return (await this.store.isProcessed(msgId(hash))) || (await this.store.isProcessed(badId(hash))) || (await this.store.isProcessed(bundleId(hash)));
  }

  /** Streams the transport's new items; bundles are applied first, then messages in batches. @returns messages applied. */
  async #catchUp(skipped: Skipped[], bundlesOnly: boolean): Promise<number> {
    if (this.transport === undefined) return 0;
    await this.#knownIds();
    const bundles: TransportItem[] = [];
    const candidates: Candidate[] = [];
    const bad: Rejected[] = [];
    const seen = new Set<string>();
    const mlsItems: TransportItem[] = [];
    let held = 0;
    const canRefetch = this.transport.fetch !== undefined;
    const known = this.#known;
    // with every processed id in memory the check is synchronous: no promise per file of a long backlog
    const noteKnown = (hash: string, position: LogPosition | undefined, isKnown: boolean): boolean => {
      if (isKnown && position !== undefined) this.#settleKnown(hash, position);
      return isKnown;
    };
    const isKnown = known !== undefined && this.store.processedIds !== undefined
      ? (hash: string, position?: LogPosition): boolean => noteKnown(hash, position, known.has(hash))
      : async (hash: string, position?: LogPosition): Promise<boolean> => noteKnown(hash, position, await this.#isKnown(hash));
    this.#positions.clear();
    const marks = this.#marks ?? NO_MARKS;
    const settled = new Map([...marks].map(([log, mark]) => [log, mark.settled] as const));
    for await (const found of this.transport.catchUp(isKnown, { ...(bundlesOnly ? { kinds: ['bundle'] as const } : {}), settled })) {
      if (found.id !== undefined) this.#notePosition(found.id, found.position);
      if (found.kind === 'problem') {
        skipped.push({ origin: found.origin, reason: found.reason });
        if (found.permanent && found.id !== undefined) bad.push({ id: found.id, reason: found.reason });
        continue;
      }
      if (seen.has(found.id)) continue;
      seen.add(found.id);
      if (found.kind === 'bundle') {
        bundles.push(found);
        continue;
      }
      if (isMls(found.bytes)) {
        mlsItems.push(found);
        continue;
      }
      try {
        const order = this.#orderOf(found.bytes);
        const keep = !canRefetch || held + found.bytes.length <= this.#budget;
        if (keep) held += found.bytes.length;
        candidates.push({ id: found.id, origin: found.origin, order, bytes: keep ? found.bytes : undefined });
      } catch (error) {
        const reason = reasonOf(typed(error));
        skipped.push({ origin: found.origin, reason });
        bad.push({ id: found.id, reason });
      }
    }
    await this.#applyBundles(bundles, bad, skipped);
    candidates.sort(byOrder);
    let applied = 0;
    const failed: { candidate: Candidate; error: GroupCryptError }[] = [];
    for (let start = 0; start < candidates.length; start += this.#batchSize) {
      applied += await this.#applyBatch(candidates.slice(start, start + this.#batchSize), failed, skipped);
    }
    // what failed may pass now that the rest is applied (a join later in the backlog); once more, then remembered
    if (failed.length > 0) {
      const retry = failed.splice(0).map((f) => f.candidate);
      applied += await this.#applyBatch(retry, failed, skipped);
      for (const { candidate, error } of failed) {
        skipped.push({ origin: candidate.origin, reason: reasonOf(error) });
        if (!RETRYABLE.has(error.code)) bad.push({ id: candidate.id, reason: reasonOf(error) });
      }
    }
    if (mlsItems.length > 0) applied += await this.#applyMls(mlsItems, skipped);
    await this.#remember(bad);
    if (this.#knownAt.length > 0) await this.#commit(this.#work()); // known items found at new positions: marks may move
    this.#emit(skipped.filter((s) => s.emitted !== true).map((s) => ({ type: 'skipped' as const, origin: s.origin, reason: s.reason })));
    return applied;
  }

  /** Applies MLS items in one commit (bad ones are reported as skipped; held ones wait in the MLS side). */
  async #applyMls(items: readonly TransportItem[], skipped: Skipped[]): Promise<number> {
    const work = this.#work();
    const found = items.flatMap((i) => (i.kind === 'msg' ? [{ id: i.id, origin: i.origin, bytes: i.bytes }] : []));
    const applied = await (await this.#mls()).apply(work, found, skipped);
    await this.#commit(work);
    return applied;
  }

  /** Remembers items rejected for good (by content hash, with the reason), in one commit. */
  async #remember(bad: readonly Rejected[]): Promise<void> {
    if (bad.length === 0) return;
    const work = this.#work();
    for (const { id, reason } of bad) {
      work.processed.add(badId(id));
      work.states[rejectedName(id)] = utf8(reason.slice(0, 500));
    }
    await this.#commit(work);
  }

  /** Items this peer rejected for good (content hash and reason), sorted by hash: the latest `rejectedRecords` (default 1,000). */
  rejected(): Promise<{ id: string; reason: string }[]> {
    return this.#run(async () => {
      const out: { id: string; reason: string }[] = [];
      for (const name of await this.store.names('rejected:')) {
        const bytes = await this.store.load(name);
        if (bytes !== undefined) out.push({ id: name.slice('rejected:'.length), reason: new TextDecoder().decode(bytes) });
      }
      return out;
    });
  }

  #orderOf(bytes: Uint8Array): readonly [number, number, number] {
    const item = decodeMessageItem(bytes);
    if (item.control) return [openWireBundle(item.bundle, this.id).direct === undefined ? 1 : 0, 0, 0];
    const { epoch, counter } = applicationPosition(item.bundle, item.scheme);
    return [2, epoch, counter];
  }

  /**
   * The offer in a bundle item, or undefined when the item is no offer (a profile).
   * @throws VerifyError for an offer that does not verify.
   */
  #offerOf(bytes: Uint8Array): Offer | undefined {
    try {
      return decodeOffer(bytes, this.deps);
    } catch (error) {
      if (error instanceof DecodeError) return undefined;
      throw error;
    }
  }

  /** Verifies profiles and registers the bundles (one commit). */
  async #applyBundles(bundles: readonly TransportItem[], bad: Rejected[], skipped: Skipped[]): Promise<void> {
    if (bundles.length === 0) return;
    const work = this.#work();
    const best = new Map<string, Profile>();
    const offers: Offer[] = [];
    for (const item of bundles) {
      try {
        const offer = this.#offerOf(item.bytes);
        if (offer !== undefined) {
          if (offer.to === this.id) offers.push(offer);
          work.processed.add(bundleId(item.id));
          continue;
        }
        const profile = decodeProfile(item.bytes, this.deps);
        const known = best.get(profile.id);
        if (known === undefined || isNewerProfile(profile, known)) best.set(profile.id, profile);
        work.processed.add(bundleId(item.id));
        if (known === undefined || best.get(profile.id) === profile) work.states[profileName(profile.id)] = item.bytes;
      } catch (error) {
        const e = typed(error);
        skipped.push({ origin: item.origin, reason: reasonOf(e) });
        if (e.code !== 'VERIFY_NOT_YET_VALID') bad.push({ id: item.id, reason: reasonOf(e) });
      }
    }
    // one-time pre-keys offered to me: used once each by my next first message to their owner
    for (const offer of offers) {
      try {
        const next = dropSupersededOneTimeBundles(registerBundle(work.registry, offer.bundle, this.deps), offer.bundle.identityKey);
        if (next !== work.registry) {
          work.registry = next;
          work.registryChanged = true;
        }
      } catch (error) {
        typed(error); // handed out already, or expired: nothing to keep
      }
    }
    for (const [id, profile] of best) {
      const stored = await this.store.load(profileName(id));
      let older: Profile | undefined;
      if (stored !== undefined) {
        try {
          older = decodeProfile(stored, this.deps);
        } catch (error) {
          typed(error);
        }
      }
      if (older !== undefined && !isNewerProfile(profile, older)) {
        delete work.states[profileName(id)];
        continue;
      }
      try {
        work.registry = dropSupersededOneTimeBundles(registerBundle(work.registry, profile.bundle, this.deps), profile.bundle.identityKey);
        work.registryChanged = true;
      } catch (error) {
        typed(error);
      }
      if (older === undefined && id !== this.id) work.events.push({ type: 'peer', id, name: profile.name });
    }
    await this.#commit(work);
  }

  /** Applies one batch of candidates in one commit. Typed failures go to `failed` and change nothing. */
  async #applyBatch(batch: readonly Candidate[], failed: { candidate: Candidate; error: GroupCryptError }[], skipped: Skipped[]): Promise<number> {
    const work = this.#work();
    for (const candidate of batch) {
      let bytes = candidate.bytes;
      if (bytes === undefined) {
        const again = await (this.transport as Transport).fetch?.({ kind: 'msg', id: candidate.id, origin: candidate.origin });
        if (again === undefined || !(again instanceof Uint8Array)) {
          skipped.push({ origin: candidate.origin, reason: again === undefined ? 'vanished' : again.reason });
          continue;
        }
        bytes = again;
      }
      try {
        const notForMe = await this.#applyMessage(work, bytes, candidate.origin);
        if (notForMe === undefined) {
          work.processed.add(msgId(candidate.id));
          work.applied++;
        } else {
          // settled for good, like a rejected item: never read again, listed by `rejected()`
          work.processed.add(badId(candidate.id));
          work.states[rejectedName(candidate.id)] = utf8(notForMe.slice(0, 500));
        }
      } catch (error) {
        // a failure of our own store is not the message's: nothing of the batch is committed
        if (error instanceof StoreError) throw error;
        failed.push({ candidate: { ...candidate, bytes }, error: typed(error) });
      }
    }
    await this.#commit(work);
    for (const e of work.events) if (e.type === 'skipped') skipped.push({ origin: e.origin, reason: e.reason, emitted: true });
    return work.applied;
  }

  /** One arrival from a live transport: applied in one commit. */
  async #arrive(found: TransportItem | TransportProblem): Promise<void> {
    if (found.kind === 'problem') {
      this.#emit([{ type: 'skipped', origin: found.origin, reason: found.reason }]);
      return;
    }
    await this.#knownIds();
    if (found.position !== undefined && isSettled(this.#marks ?? NO_MARKS, found.position)) return;
    if (await this.#isKnown(found.id)) {
      if (found.position !== undefined) this.#settleKnown(found.id, found.position);
      return;
    }
    this.#notePosition(found.id, found.position);
    const skipped: Skipped[] = [];
    const bad: Rejected[] = [];
    if (found.kind === 'bundle') {
      await this.#applyBundles([found], bad, skipped);
    } else if (isMls(found.bytes)) {
      await this.#applyMls([found], skipped);
    } else {
      const failed: { candidate: Candidate; error: GroupCryptError }[] = [];
      await this.#applyBatch([{ id: found.id, origin: found.origin, order: [0, 0, 0], bytes: found.bytes }], failed, skipped);
      for (const { error } of failed) {
        skipped.push({ origin: found.origin, reason: reasonOf(error) });
        if (!RETRYABLE.has(error.code)) bad.push({ id: found.id, reason: reasonOf(error) });
      }
    }
    await this.#remember(bad);
    // rejected buffered messages were emitted with their commit; report the rest
    this.#emit(skipped.filter((s) => s.origin === found.origin).map((s) => ({ type: 'skipped' as const, origin: s.origin, reason: s.reason })));
  }

  /**
   * Applies one message item to the work (pure group calls); throws a typed error and leaves the work unchanged when it fails.
   * @returns the reason when the item is an application message not for this peer (sent after its removal), else undefined.
   */
  async #applyMessage(work: Work, bytes: Uint8Array, origin: string): Promise<string | undefined> {
    const item = decodeMessageItem(bytes);
    const incoming: IncomingMessage = openWireBundle(item.bundle, this.id, item.ad ?? undefined);
    if (!item.control && item.ad !== null) this.#rememberAd(item.group, item.bundle, item.scheme, item.ad);
    const state = work.groups.get(item.group) ?? (await this.#state(item.group));
    if (state !== undefined) {
      const result = receive(state, this.#ctx(work), incoming, { afterRemoval: 'output' });
      this.#adopt(work, result, null, origin);
      // an application message handed in comes back as a `notForMe` rejection only for itself
      const notForMe = item.control ? undefined : result.outputs.find((o) => o.kind === 'rejected' && o.notForMe === true);
      return notForMe?.kind === 'rejected' ? notForMeReason(item.group, notForMe.error) : undefined;
    }
    const name = inboxName(item.group, item.scheme);
    let inbox = work.inboxes.get(name);
    if (inbox === undefined) {
      const stored = await this.store.load(name);
      inbox = stored === undefined ? null : ownRecord(() => decodeGroupInbox(stored), name);
    }
    const result = receivePreJoin(inbox ?? createGroupInbox({ scheme: item.scheme, groupId: item.group }), this.#ctx(work), incoming);
    if (result.joined === null) {
      work.inboxes.set(name, result.inbox);
      return;
    }
    for (const scheme of ['data', 'message'] as const) work.inboxes.set(inboxName(item.group, scheme), null);
    this.#adopt(work, result.joined, null, origin);
    return undefined;
  }

  #rememberAd(group: string, bundle: Uint8Array, scheme: GroupScheme, ad: Uint8Array): void {
    const { epoch, counter } = applicationPosition(bundle, scheme);
    const key = `${group}:${epoch}:${counter}`;
    const list = this.#pendingAd.get(key) ?? [];
    list.push({ ad });
    this.#pendingAd.set(key, list);
    if (this.#pendingAd.size > 10_000) this.#pendingAd.delete(this.#pendingAd.keys().next().value as string);
  }

  #takeAd(group: string, epoch: number, counter: number): Uint8Array | null {
    const key = `${group}:${epoch}:${counter}`;
    const list = this.#pendingAd.get(key);
    if (list === undefined || list.length !== 1) return null;
    this.#pendingAd.delete(key);
    return (list[0] as { ad: Uint8Array }).ad;
  }

  // ------------------------------------------------------------- commits

  #work(): Work {
    return new Work(this.#keys, this.#registry);
  }

  #ctx(work: Work): { deps: Deps; keys: KeyManagerState; registry: KeyRegistryState } {
    return { deps: this.deps, keys: work.keys, registry: work.registry };
  }

  #appendApp(work: Work, groupId: string, entry: AppEntry): void {
    const list = work.app.get(groupId) ?? [];
    list.push(entry);
    work.app.set(groupId, list);
  }

  /** Takes a group result into the work: state, keys, registry, outputs. `ad` is the associated data of an own send. */
  #adopt(work: Work, result: GroupResult, ad: Uint8Array | null, origin = 'buffered message'): void {
    const groupId = result.state.dcgka.groupId;
    const scheme = result.state.scheme;
    if (result.keys !== work.keys) work.keysChanged = true;
    if (result.registry !== work.registry) work.registryChanged = true;
    work.keys = result.keys;
    work.registry = result.registry;
    work.groups.set(groupId, result.state);
    work.consumed.push(...result.consumed);
    for (const output of result.outputs) {
      if (output.kind === 'send') {
        const bytes = encodeMessageItem({ group: groupId, scheme, control: output.message.control, bundle: encodeWireBundle(output.message), ad: output.message.control ? null : ad });
        const id = msgId(toHex(this.deps.crypto.sha256(bytes)));
        work.outbox.push({ id, topic: 'msg', bytes });
        work.processed.add(id);
      } else if (output.kind === 'application') {
        const entryAd = this.#takeAd(groupId, output.epoch, output.counter);
        const position = { id: output.id, sender: output.sender, lamport: output.lamport, epoch: output.epoch, counter: output.counter };
        this.#appendApp(work, groupId, { sender: output.sender, data: output.plaintext, ad: entryAd, position });
        work.events.push({ type: 'message', group: groupId, sender: output.sender, data: output.plaintext, ad: entryAd });
      } else if (output.kind === 'removed') {
        work.events.push({ type: 'removed', group: groupId });
      } else if (output.kind === 'rejected' && output.notForMe === true) {
        work.notForMe++;
        work.events.push({ type: 'not-for-me', group: groupId, origin, reason: notForMeReason(groupId, output.error) });
      } else if (output.kind === 'rejected') {
        work.events.push({ type: 'skipped', origin, reason: reasonOf(output.error) });
      }
    }
  }

  /**
   * Writes the work in ONE commit, then adopts it in memory, emits its
   * events and publishes its outbox.
   * @throws StateError `STATE_DUPLICATE` when another writer applied the same input first (memory is reloaded).
   */
  async #commit(work: Work): Promise<void> {
    if (work.empty && this.#knownAt.length === 0) {
      this.#emit(work.events);
      return;
    }
    const states: Record<string, Uint8Array | null> = { ...work.states };
    const ids = await this.#ids();
    const before = new Map<string, GroupInfo | undefined>();
    for (const [groupId, state] of work.groups) {
      const old = this.#groups.get(groupId) ?? (ids.has(groupId) ? await this.#state(groupId) : undefined);
      before.set(groupId, old === undefined ? undefined : this.#info(old));
      states[groupName(groupId)] = encodeGroupState(state);
    }
    for (const [name, inbox] of work.inboxes) {
      if (inbox === null) {
        if ((await this.store.load(name)) !== undefined) states[name] = null;
      } else {
        states[name] = encodeGroupInbox(inbox);
      }
    }
    const counts = new Map<string, number>();
    for (const [groupId, entries] of work.app) {
      let next = this.#appCount.get(groupId) ?? (await this.#storedAppCount(groupId));
      for (const entry of entries) states[appName(groupId, next++)] = encodeAppEntry(entry);
      counts.set(groupId, next);
      states[appCountName(groupId)] = utf8(String(next));
    }
    if (work.keysChanged) states[KEYS] = encodeKeyManager(work.keys);
    if (work.registryChanged) states[REGISTRY] = encodeKeyRegistry(work.registry);
    const rejectedNext = await this.#queueRejected(states);
    const settling = this.#settle(work);
    if (settling.marks !== undefined) {
      for (const log of movedLogs(this.#marks ?? NO_MARKS, settling.marks)) states[logMarkName(log)] = encodeLogMark(settling.marks.get(log) as LogMark);
    }
    let result;
    try {
      result = await this.store.commit({ states, processed: settling.processed, forget: settling.forget, outbox: work.outbox, consumed: work.consumed });
    } catch (error) {
      this.#forget();
      throw error;
    }
    if (!result.applied) {
      this.#forget();
      throw new StateError('STATE_DUPLICATE', `already processed: ${result.duplicates.join(', ')}`);
    }
    this.#keys = work.keys;
    this.#registry = work.registry;
    this.#notForMe += work.notForMe;
    this.#rejectedNext = rejectedNext;
    for (const [groupId, state] of work.groups) {
      this.#groups.set(groupId, state);
      ids.add(groupId);
    }
    for (const [groupId, n] of counts) this.#appCount.set(groupId, n);
    if (this.#known !== undefined) for (const id of work.processed) addKnown(this.#known, id);
    this.#knownAt.length = 0;
    if (settling.marks !== undefined) {
      this.#marks = settling.marks;
      for (const hash of settling.passed) this.#known?.delete(hash);
    }
    for (const id of work.processed) this.#positions.delete(id.slice(id.indexOf(':') + 1));
    const events = [...work.events];
    for (const [groupId, state] of work.groups) {
      const now = this.#info(state);
      const old = before.get(groupId);
      if (old === undefined || old.removed !== now.removed || old.members.join() !== now.members.join()) {
        events.push({ type: 'members', group: groupId, members: now.members, removed: now.removed });
      }
    }
    this.#emit(events);
    if (work.outbox.length > 0 && this.transport !== undefined) {
      // publish exactly what this commit queued (no scan of the whole outbox); a failure leaves them for the next flush
      for (const entry of work.outbox) await this.transport.publish(entry.topic === 'bundle' ? 'bundle' : 'msg', entry.bytes);
      await this.store.markSent(work.outbox.map((entry) => entry.id));
    }
  }

  /** How many entries a group's read log holds (its counter, or a count for a store written before counters). */
  async #storedAppCount(groupId: string): Promise<number> {
    const bytes = await this.store.load(appCountName(groupId));
    const n = bytes === undefined ? Number.NaN : Number(new TextDecoder().decode(bytes));
    return Number.isSafeInteger(n) && n >= 0 ? n : (await this.store.names(appPrefix(groupId))).length;
  }

  /** Drops every cache (after a failed commit the store is the truth). */
  #forget(): void {
    this.#groups.clear();
    this.#groupIds = undefined;
    this.#appCount.clear();
    this.#known = undefined;
    this.#marks = undefined;
    this.#knownAt.length = 0;
    this.#rejectedNext = undefined;
  }

  /**
   * Queues the rejected records `states` writes, and drops the oldest beyond
   * `rejectedRecords` (their items stay settled: only the record of why goes).
   * Records written before the queue existed are never dropped.
   * @returns the next queue index once these states are committed.
   */
  async #queueRejected(states: Record<string, Uint8Array | null>): Promise<number | undefined> {
    const added = Object.keys(states).filter((name) => name.startsWith('rejected:') && states[name] !== null);
    if (added.length === 0) return this.#rejectedNext;
    let next = this.#rejectedNext;
    if (next === undefined) {
      const stored = await this.store.load(REJECTED_NEXT);
      next = stored === undefined ? 0 : Number(new TextDecoder().decode(stored));
      if (!Number.isSafeInteger(next) || next < 0) throw new StoreError('STORE_CORRUPT', `${REJECTED_NEXT}: not a count`);
    }
    for (const name of added) {
      states[rejectedQueueName(next)] = utf8(name.slice('rejected:'.length));
      const oldest = next - this.#rejectedRecords;
      if (oldest >= 0) {
        const queued = states[rejectedQueueName(oldest)] ?? (await this.store.load(rejectedQueueName(oldest)));
        if (queued !== undefined && queued !== null) states[rejectedName(new TextDecoder().decode(queued))] = null;
        states[rejectedQueueName(oldest)] = null;
      }
      next++;
    }
    states[REJECTED_NEXT] = utf8(String(next));
    return next;
  }

  /**
   * What a commit of `work` writes of settlement: the items it settles at
   * known log positions move their logs' marks; processed ids the marks
   * passed are not written (or are forgotten, when an earlier commit wrote
   * them), so on a log transport the processed table holds only what sits
   * above a gap. `marks` is undefined when they did not move.
   */
  #settle(work: Work): { processed: string[]; forget: string[]; marks: LogMarks | undefined; passed: readonly string[] } {
    const before = this.#marks ?? NO_MARKS;
    const blocks: Settled[] = [...this.#knownAt];
    for (const id of work.processed) {
      const hash = id.slice(id.indexOf(':') + 1);
      for (const position of this.#positions.get(hash) ?? []) blocks.push([position, hash]);
    }
    const { marks, passed } = settle(before, blocks);
    if (marks === before) return { processed: [...work.processed], forget: [], marks: undefined, passed: [] };
    const passedSet = new Set(passed);
    const processed: string[] = [];
    const unwritten = new Set<string>();
    for (const id of work.processed) {
      const hash = settledHash(id);
      if (hash !== undefined && passedSet.has(hash)) unwritten.add(hash);
      else processed.push(id);
    }
    const forget: string[] = [];
    for (const hash of passedSet) {
      if (unwritten.has(hash)) continue; // settled and passed in this very commit: never written
      forget.push(msgId(hash), badId(hash), bundleId(hash));
    }
    return { processed, forget, marks, passed };
  }


  /** Stops listening, closes the transport and the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unsubscribe?.();
    await this.#queue;
    this.#closed = true;
    await this.transport?.close();
    await this.store.close();
  }
}
