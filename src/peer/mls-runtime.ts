/**
 * The MLS Secret Group (src/mls) inside the Peer: its own store records and
 * its own transport item, so nothing of the DCGKA paths changes.
 *
 *   item  { v: 1, mls: <document>, group: <32-byte id, or empty for key packages> }
 *   store mlsgroup:<id> (state), mlsdoc:<id> (SecretGroup document),
 *         mlskeys (identity + key-package pool), mlsreg (others' key packages),
 *         mlsheld (documents that may apply later: commits ahead of us, a
 *         joiner's history before its Welcome), mlsjoin:<id> (the MLS epoch
 *         we joined at: what was sent or proposed before it is not for us),
 *         mlslast:<id> (once removed: the members we last knew)
 *
 * Two MLS ciphersuites (RFC 9420 ids 1 and 3: X25519, Ed25519, with
 * AES-128-GCM or ChaCha20-Poly1305): a peer keeps one key-package pool and
 * one registry of others' key packages per suite (suite 1 under the names
 * above, suite 3 under `mlskeys:3`, `mlsreg:3`), and runs each group on the
 * suite its SecretGroup document names.
 *
 * The MLS identity is the peer's Ed25519 signing seed: a member's MLS
 * credential is the Edwards form of its peer id, so ids map both ways
 * without any extra binding. Calls here only add to a `Work`; the Peer
 * commits it (one store commit per change, outbox published after).
 */
import type { Deps } from '../crypto/index.js';
import { bytesEqual, decodeCanonical, encodeCanonical, fromHex, toHex, utf8, xeddsaEdwardsPublicKey } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import type {
  KeyPackageRegistry, LongTermSecretCiphersuite, MemberKeyStore, MlsDeps, PendingProposal, SecretGroupAction, SecretGroupState, SecretGroupStep,
} from '../mls/index.js';
import {
  actSecretGroup, applyKeyPackageDelete, commitPosition, createKeyPackageRegistry, createMemberKeyStore, createMlsCiphersuite, createSecretGroup, decodeSecretGroup,
  decodeKeyPackageRegistry, decodeMemberKeyStore, decodeSecretGroupState, encodeKeyPackageRegistry, encodeMemberKeyStore, encodeSecretGroupState,
  joinSecretGroup, receiveSecretGroup, registerKeyPackage, replenishKeyPackages, secretGroupDocumentKind, takeKeyPackage, verifyProposalDocument,
  viewSecretGroup,
} from '../mls/index.js';
import type { OutboxMessage, Store } from '../store/index.js';
import type { AppEntry } from './app-log.js';
import type { GroupInfo, PeerEvent, Skipped } from './types.js';
import { decodeMlsItem, encodeMlsItem, MLS_KEYS, mlsGroupIds, mlsGroupName, mlsInUse, rejectedRecordName } from './mls-item.js';

export { decodeMlsItem, encodeMlsItem, mlsGroupName } from './mls-item.js';

/** The Peer's default MLS ciphersuite (id 1). */
export const PEER_MLS_SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
/** The MLS ciphersuites a Peer runs, by RFC 9420 id; it keeps a key-package pool of each. */
export const PEER_MLS_SUITES = { 1: PEER_MLS_SUITE, 3: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519' } as const;
type PeerSuite = keyof typeof PEER_MLS_SUITES;
const SUITE_IDS: readonly PeerSuite[] = [1, 3];
const isPeerSuite = (id: number): id is PeerSuite => (SUITE_IDS as readonly number[]).includes(id);
const keysName = (suite: PeerSuite): string => (suite === 1 ? MLS_KEYS : `${MLS_KEYS}:${suite}`);
/** Most documents held for later. */
const MAX_HELD = 10_000;

const mlsDocName = (id: string): string => `mlsdoc:${id}`;
const MLS_REGISTRY = 'mlsreg';
const registryName = (suite: PeerSuite): string => (suite === 1 ? MLS_REGISTRY : `${MLS_REGISTRY}:${suite}`);

/** The ciphersuite id of a KeyPackage document's MLS key package (MLSMessage: version, wire format, then KeyPackage: version, cipher_suite). */
function keyPackageSuite(document: Uint8Array): number | undefined {
  try {
    const record = decodeCanonical(document, 'KeyPackage');
    const mls = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)['mls_key_package'] : undefined;
    return mls instanceof Uint8Array && mls.length >= 8 ? ((mls[6] as number) << 8) | (mls[7] as number) : undefined;
  } catch {
    return undefined;
  }
}
const MLS_HELD = 'mlsheld';
const mlsJoinName = (id: string): string => `mlsjoin:${id}`;
/** Once removed: the members we last knew (peer ids), as `members` shows them (CLI.md "Removed peers"). */
const mlsLastName = (id: string): string => `mlslast:${id}`;

/**
 * The MLS epoch a sender-ratchet message, a proposal or a commit was made
 * in, read from its framing (RFC 9420 MLSMessage: version u16, wire format
 * u16, then PublicMessage or PrivateMessage: group_id<V>, epoch u64);
 * undefined for anything else.
 */
export function documentEpoch(document: Uint8Array): number | undefined {
  let record: unknown;
  try {
    record = decodeCanonical(document, 'mlsDocument');
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const fields = record as Record<string, unknown>;
  if (fields['type'] === 'secret_group_proposal') return typeof fields['epoch'] === 'number' ? fields['epoch'] : undefined;
  const mls = fields['type'] === 'secret_group_commit' ? fields['mls_commit'] : fields['mls'];
  if (!(mls instanceof Uint8Array) || mls.length < 5 || (mls[3] !== 1 && mls[3] !== 2)) return undefined;
  const prefix = (mls[4] as number) >> 6;
  if (prefix > 2) return undefined;
  const lengthBytes = 1 << prefix;
  let length = (mls[4] as number) & 0x3f;
  for (let i = 1; i < lengthBytes; i++) length = length * 256 + (mls[4 + i] as number);
  const at = 4 + lengthBytes + length;
  if (mls.length < at + 8) return undefined;
  let epoch = 0;
  for (let i = 0; i < 8; i++) epoch = epoch * 256 + (mls[at + i] as number);
  return Number.isSafeInteger(epoch) ? epoch : undefined;
}

/** What a Peer's `Work` offers the MLS side. */
export interface MlsWork {
  readonly states: Record<string, Uint8Array | null>;
  readonly outbox: OutboxMessage[];
  readonly processed: Set<string>;
  readonly events: PeerEvent[];
  readonly app: Map<string, AppEntry[]>;
  /** Documents found not for this peer (sent or proposed before it joined). */
  notForMe: number;
}

/** Options of `create('mls', …)`. */
export interface MlsCreateOptions {
  /** Long-term-secret suite of seed 001: 1 AES-128-GCM (default), 2 AES-256-GCM, 3 ChaCha20-Poly1305. */
  readonly ltsCiphersuite?: 1 | 2 | 3;
  /** MLS ciphersuite id (RFC 9420): 1 (default) or 3. */
  readonly mlsCiphersuite?: number;
}

const P = (1n << 255n) - 19n;
function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** The peer id (X25519, hex) of an MLS member (its Ed25519 key): u = (1 + y) / (1 - y). */
export function peerIdOfMember(edwards: Uint8Array): string {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? (edwards[i] as number) & 0x7f : (edwards[i] as number));
  const u = (((1n + y) % P) * modPow((P + 1n - y) % P, P - 2n)) % P;
  const out = new Uint8Array(32);
  let v = u;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return toHex(out);
}

/** The MLS member key (Ed25519) of a peer id. @throws StateError `STATE_UNKNOWN_MEMBER` when the id has no Edwards form. */
export function memberOfPeerId(peerId: string): Uint8Array {
  const edwards = xeddsaEdwardsPublicKey(fromHex(peerId));
  if (edwards === undefined) throw new StateError('STATE_UNKNOWN_MEMBER', `peer ${peerId} has no MLS identity`);
  return edwards;
}

/** How `#adopt` treats a step's outputs. */
interface AdoptContext {
  /** Where to report what was skipped for good. */
  readonly skipped?: Skipped[];
  /** The input was made in an epoch before we joined (a stale one is "not for me"). */
  readonly beforeJoin?: boolean;
  /** The input was a proposal (a stale one is settled quietly: its author proposes again). */
  readonly proposal?: boolean;
  /** Collects our own proposals a commit dropped (to propose again). */
  readonly dropped?: PendingProposal[];
}

/** Actions naming a peer by its id. */
export type PeerAction = { readonly kind: 'add-peer' | 'remove-peer' | 'handover-peer'; readonly peer: string };

/** The MLS side of one Peer. Holds no state between calls: the store is the truth. */
export class MlsRuntime {
  /** Deps on the default suite (1). */
  readonly deps: MlsDeps;
  readonly #suites = new Map<number, MlsDeps>();
  readonly #store: Store;
  readonly #seed: Uint8Array | undefined;
  readonly #self: string;

  constructor(deps: Deps, store: Store, signingSeed: Uint8Array | undefined, self: string) {
    this.deps = { ...deps, mls: createMlsCiphersuite(PEER_MLS_SUITE, deps.crypto) };
    this.#suites.set(1, this.deps);
    this.#store = store;
    this.#seed = signingSeed;
    this.#self = self;
  }

  /** Deps on MLS ciphersuite `suite` (made on first use). */
  #depsOf(suite: PeerSuite): MlsDeps {
    let found = this.#suites.get(suite);
    if (found === undefined) {
      found = { ...this.deps, mls: createMlsCiphersuite(PEER_MLS_SUITES[suite], this.deps.crypto) };
      this.#suites.set(suite, found);
    }
    return found;
  }

  /** Deps on the suite of a group. @throws UsageError `USAGE_UNSUPPORTED` for a suite the peer does not run. */
  #depsFor(state: SecretGroupState): MlsDeps {
    const suite = state.group.mlsCiphersuite;
    if (!isPeerSuite(suite)) throw new UsageError('USAGE_UNSUPPORTED', `MLS ciphersuite ${suite}: the peer runs suites 1 and 3`);
    return this.#depsOf(suite);
  }

  /** Ids of this peer's MLS groups. */
  ids(): Promise<string[]> {
    return mlsGroupIds(this.#store);
  }

  async state(work: MlsWork | undefined, id: string): Promise<SecretGroupState | undefined> {
    const pending = work?.states[mlsGroupName(id)];
    const bytes = pending ?? (await this.#store.load(mlsGroupName(id)));
    return bytes === undefined || bytes === null ? undefined : decodeSecretGroupState(bytes);
  }

  /** A group as the Peer shows it, from the store (a removed peer's last known members included). */
  async describe(id: string, state: SecretGroupState): Promise<GroupInfo> {
    if (state.status !== 'removed') return this.info(id, state);
    const bytes = await this.#store.load(mlsLastName(id));
    const last = bytes === undefined ? [] : decodeCanonical(bytes, 'mlsLast');
    return this.info(id, state, Array.isArray(last) ? last.filter((m): m is string => typeof m === 'string') : []);
  }

  /** A group as the Peer shows it; `pending` counts proposals waiting for the owner; `last`: a removed peer's last known members. */
  info(id: string, state: SecretGroupState, last: readonly string[] = []): GroupInfo {
    const view = viewSecretGroup(state, this.#depsFor(state));
    const members = view.status === 'removed' ? [...last] : view.members.map(peerIdOfMember);
    return {
      group: id, scheme: 'mls', pq: false, members: members.sort(), removed: view.status === 'removed', pending: view.pending.length,
      owner: peerIdOfMember(view.owner),
      proposals: view.pending.map((p) => ({ action: p.action, subject: peerIdOfMember(p.subject), from: peerIdOfMember(p.from) })),
    };
  }

  async #keys(work: MlsWork, suite: PeerSuite = 1): Promise<MemberKeyStore> {
    const bytes = work.states[keysName(suite)] ?? (await this.#store.load(keysName(suite)));
    if (bytes !== undefined && bytes !== null) return decodeMemberKeyStore(bytes, this.deps.crypto);
    if (this.#seed === undefined) throw new UsageError('USAGE_UNSUPPORTED', 'this identity has no Ed25519 seed (imported): MLS groups need one');
    return createMemberKeyStore(this.deps.crypto, this.#seed);
  }

  async #registry(work: MlsWork, suite: PeerSuite = 1): Promise<KeyPackageRegistry> {
    const bytes = work.states[registryName(suite)] ?? (await this.#store.load(registryName(suite)));
    return bytes === undefined || bytes === null ? createKeyPackageRegistry() : decodeKeyPackageRegistry(bytes);
  }

  async #held(work: MlsWork): Promise<Uint8Array[]> {
    const bytes = work.states[MLS_HELD] ?? (await this.#store.load(MLS_HELD));
    if (bytes === undefined || bytes === null) return [];
    const list = decodeCanonical(bytes, 'mlsHeld');
    return Array.isArray(list) ? list.filter((x): x is Uint8Array => x instanceof Uint8Array) : [];
  }

  #publish(work: MlsWork, group: string | null, document: Uint8Array): void {
    const bytes = encodeMlsItem(group, document);
    const id = `msg:${toHex(this.deps.crypto.sha256(bytes))}`;
    work.outbox.push({ id, topic: 'msg', bytes });
    work.processed.add(id);
  }

  /**
   * Keeps the key-package pool of each suite full and published (seed 001): run at every sync once MLS is
   * in use, and after a create or a join (`fresh`: the pool that call just changed).
   */
  async replenish(work: MlsWork, fresh?: { suite: number; keys: MemberKeyStore }): Promise<void> {
    for (const suite of SUITE_IDS) {
      const mine = fresh?.suite === suite ? fresh.keys : undefined;
      const current = mine ?? (await this.#keys(work, suite));
      const out = await replenishKeyPackages(current, this.#depsOf(suite));
      for (const o of out.outputs) this.#publish(work, null, o.kind === 'key_package' ? o.document : o.record);
      if (out.state !== current || mine !== undefined || work.states[keysName(suite)] === undefined) work.states[keysName(suite)] = encodeMemberKeyStore(out.state);
    }
  }

  /** True once this peer took part in MLS (it then keeps its key-package pool up). */
  inUse(): Promise<boolean> {
    return mlsInUse(this.#store);
  }

  async create(work: MlsWork, options: MlsCreateOptions): Promise<GroupInfo> {
    const suite = options.mlsCiphersuite ?? 1;
    if (!isPeerSuite(suite)) throw new UsageError('USAGE_UNSUPPORTED', `MLS ciphersuite ${suite}: the peer runs suites 1 and 3`);
    const lts = options.ltsCiphersuite ?? 1;
    if (![1, 2, 3].includes(lts)) throw new UsageError('USAGE_ARGUMENT', `long-term-secret suite ${String(lts)}: expected 1, 2 or 3`);
    const keys = await this.#keys(work, suite);
    const created = await createSecretGroup({ identity: keys, ltsCiphersuite: lts as LongTermSecretCiphersuite }, this.#depsOf(suite));
    const id = toHex(created.outputs[0].id);
    work.states[mlsGroupName(id)] = encodeSecretGroupState(created.state);
    work.states[mlsDocName(id)] = created.outputs[0].document;
    this.#publish(work, id, created.outputs[0].document);
    await this.replenish(work, { suite, keys });
    return this.info(id, created.state);
  }

  /** A user action; `send` also goes to the own read log. @throws the driver's typed errors (`STATE_NOT_OWNER`, `STATE_REMOVED`, `STATE_NO_BUNDLE`, …). */
  async act(work: MlsWork, id: string, action: SecretGroupAction | PeerAction): Promise<GroupInfo> {
    const state = await this.state(work, id);
    if (state === undefined) throw new StateError('STATE_UNKNOWN_GROUP', `unknown group ${id}`);
    if (state.status === 'removed' && action.kind !== 'send') throw new StateError('STATE_REMOVED', 'you were removed from this group');
    const deps = this.#depsFor(state);
    let real: SecretGroupAction;
    if (action.kind === 'add-peer') {
      const suite = state.group.mlsCiphersuite as PeerSuite;
      const registry = await this.#registry(work, suite);
      const taken = takeKeyPackage(registry, memberOfPeerId(action.peer), deps.now());
      work.states[registryName(suite)] = encodeKeyPackageRegistry(taken.state);
      real = { kind: 'add', keyPackage: taken.document };
    } else if (action.kind === 'remove-peer') {
      real = { kind: 'remove', member: memberOfPeerId(action.peer) };
    } else if (action.kind === 'handover-peer') {
      real = { kind: 'handover', to: memberOfPeerId(action.peer) };
    } else {
      real = action as SecretGroupAction;
    }
    const step = await actSecretGroup(state, real, deps);
    this.#adopt(work, id, step, 'own');
    if (real.kind === 'send') this.#append(work, id, { sender: this.#self, data: real.plaintext, ad: null });
    return this.info(id, step.state);
  }

  #append(work: MlsWork, id: string, entry: AppEntry): void {
    const list = work.app.get(id) ?? [];
    list.push(entry);
    work.app.set(id, list);
  }

  /** Takes a driver step into the work; returns documents to retry later. */
  #adopt(work: MlsWork, id: string, step: SecretGroupStep, origin: string, context: AdoptContext = {}): boolean {
    work.states[mlsGroupName(id)] = encodeSecretGroupState(step.state);
    const { skipped, beforeJoin = false, proposal = false, dropped } = context;
    const removed = step.state.status === 'removed';
    let retry = false;
    for (const out of step.outputs) {
      if (out.kind === 'publish') this.#publish(work, id, out.bytes);
      else if (out.kind === 'delivered') {
        const sender = peerIdOfMember(out.sender);
        this.#append(work, id, { sender, data: out.plaintext, ad: null });
        work.events.push({ type: 'message', group: id, sender, data: out.plaintext, ad: null });
      } else if (out.kind === 'removed') work.events.push({ type: 'removed', group: id });
      else if (out.kind === 'dropped') dropped?.push(...out.proposals);
      else if (out.kind === 'membership') {
        const info = this.info(id, step.state);
        work.events.push({ type: 'members', group: id, members: info.members, removed: info.removed });
      } else if (out.kind === 'skipped') {
        if (removed && origin !== 'own' && (out.retry || out.code === 'STATE_REMOVED')) {
          // sent after our removal: we never get its secrets (CLI.md "Removed peers"): settled, not held, not skipped
          work.notForMe++;
          work.events.push({ type: 'not-for-me', group: id, origin, reason: `not for me: sent after my removal from group ${id.slice(0, 16)} (${out.code}: ${out.reason})` });
        } else if (out.retry) retry = true;
        else if (proposal && !beforeJoin && out.code === 'STATE_WINDOW_BEHIND') {
          // a proposal of an epoch the owner has committed past: settled; its author proposes it again when it sees that commit
        } else if (beforeJoin && out.code === 'STATE_WINDOW_BEHIND') {
          // made in an epoch before we joined: never ours to read, and settled (as a removed peer's "not for me")
          work.notForMe++;
          work.events.push({ type: 'not-for-me', group: id, origin, reason: `not for me: sent before I joined group ${id.slice(0, 16)} (${out.code}: ${out.reason})` });
        } else skipped?.push({ origin, reason: `${out.code}: ${out.reason}` });
      }
    }
    return retry;
  }

  /** True when `document` (a message, proposal or commit) was made in an MLS epoch before the one we joined the group at. */
  async #beforeJoin(work: MlsWork, group: string, document: Uint8Array): Promise<boolean> {
    const bytes = work.states[mlsJoinName(group)] ?? (await this.#store.load(mlsJoinName(group)));
    if (bytes === undefined || bytes === null) return false;
    const joined = decodeCanonical(bytes, 'mlsJoin');
    const epoch = documentEpoch(document);
    return typeof joined === 'number' && epoch !== undefined && epoch < joined;
  }

  /**
   * Applies arrived MLS items: key packages to the registry, group documents
   * kept, commits in chain order (`later` held, `fork`/`invalid` skipped),
   * proposals, messages; what may apply later is held and retried. The owner
   * commits the proposals it saw. Never throws for bad input.
   */
  async apply(work: MlsWork, items: readonly { id: string; origin: string; bytes: Uint8Array }[], skipped: Skipped[]): Promise<number> {
    let pending: { id: string; origin: string; group: string | null; document: Uint8Array }[] = (await this.#held(work)).map((bytes) => {
      const item = decodeMlsItem(bytes);
      return { id: toHex(this.deps.crypto.sha256(bytes)), origin: 'held', group: item?.group ?? null, document: item?.document ?? bytes };
    });
    // settled for good without being read (skipped, or not for us): listed by the Peer's `rejected()` like DCGKA items
    const reject = (id: string, reason: string): void => {
      work.states[rejectedRecordName(id)] = utf8(reason.slice(0, 500));
    };
    for (const item of items) {
      work.processed.add(`msg:${item.id}`);
      try {
        const decoded = decodeMlsItem(item.bytes);
        if (decoded !== undefined) pending.push({ id: item.id, origin: item.origin, ...decoded });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        skipped.push({ origin: item.origin, reason });
        reject(item.id, reason);
      }
    }
    const registries = new Map<PeerSuite, KeyPackageRegistry>();
    let applied = 0;
    const touched = new Set<string>();
    const reproposals = new Map<string, PendingProposal[]>();
    // In each pass: key packages and group documents, then messages and proposals of the epoch we are in,
    // then commits: a message of our current epoch is read before a commit moves us on (or removes us).
    const rank = (document: Uint8Array): number => {
      const kind = secretGroupDocumentKind(document);
      return kind === 'commit' ? 2 : kind === 'message' || kind === 'proposal' ? 1 : 0;
    };
    for (let progress = true; progress && pending.length > 0;) {
      progress = false;
      const later: typeof pending = [];
      pending = pending.map((entry) => ({ entry, rank: rank(entry.document) })).sort((a, b) => a.rank - b.rank).map((r) => r.entry);
      for (const entry of pending) {
        const kind = secretGroupDocumentKind(entry.document);
        const skipsBefore = skipped.length;
        const eventsBefore = work.events.length;
        let early = false;
        try {
          if (kind === 'key_package') {
            const found = keyPackageSuite(entry.document);
            // a suite we do not run is reported by registerKeyPackage (the default suite's check)
            const suite: PeerSuite = found !== undefined && isPeerSuite(found) ? found : 1;
            const registry = registries.get(suite) ?? (await this.#registry(work, suite));
            registries.set(suite, (await registerKeyPackage(registry, entry.document, this.#depsOf(suite))).state);
            applied++;
            continue;
          }
          if (kind === 'key_package_delete') {
            // a delete names a document id, not a suite: every registry retires it
            for (const suite of SUITE_IDS) {
              const registry = registries.get(suite) ?? (await this.#registry(work, suite));
              registries.set(suite, applyKeyPackageDelete(registry, entry.document, this.#depsOf(suite)).state);
            }
            applied++;
            continue;
          }
          if (kind === 'group' && entry.group !== null) {
            if (toHex(this.deps.crypto.sha256(entry.document)) !== entry.group) throw new UsageError('USAGE_ARGUMENT', 'group document under another id');
            if ((await this.#store.load(mlsDocName(entry.group))) === undefined) work.states[mlsDocName(entry.group)] = entry.document;
            applied++;
            progress = true;
            continue;
          }
          if ((kind !== 'commit' && kind !== 'proposal' && kind !== 'message') || entry.group === null) {
            skipped.push({ origin: entry.origin, reason: 'DECODE_FIELD: not a Secret Group document' });
            continue;
          }
          const group = entry.group;
          const state = await this.state(work, group);
          if (state === undefined) {
            const doc = work.states[mlsDocName(group)] ?? (await this.#store.load(mlsDocName(group)));
            const suite = doc === undefined || doc === null ? undefined : decodeSecretGroup(doc).mlsCiphersuite;
            if (kind === 'commit' && doc !== undefined && doc !== null && suite !== undefined && isPeerSuite(suite)) {
              const keys = await this.#keys(work, suite);
              const deps = this.#depsOf(suite);
              try {
                const joined = await joinSecretGroup({ identity: keys, group: doc, commit: entry.document }, deps);
                work.states[mlsGroupName(group)] = encodeSecretGroupState(joined.state);
                work.states[mlsJoinName(group)] = encodeCanonical(viewSecretGroup(joined.state, deps).epoch ?? 0);
                for (const o of joined.outputs) this.#publish(work, null, o.record);
                await this.replenish(work, { suite, keys: joined.identity });
                const info = this.info(group, joined.state);
                work.events.push({ type: 'members', group, members: info.members, removed: false });
                applied++;
                progress = true;
                continue;
              } catch {
                // not our Welcome (or one we cannot open yet): kept for this pass, dropped at its end if we never joined
              }
            }
            later.push(entry);
            continue;
          }
          // commits after our removal (we applied every commit up to it, in chain order): nothing for us
          if (state.status === 'removed' && kind === 'commit') continue;
          touched.add(group);
          const deps = this.#depsFor(state);
          if (kind === 'commit') {
            const position = commitPosition(state, entry.document, deps);
            if (position === 'applied') continue;
            // a commit made before the epoch we joined at is behind us: settled, neither held nor reported
            if ((position === 'later' || position === 'fork') && await this.#beforeJoin(work, group, entry.document)) continue;
            if (position === 'later') { later.push(entry); continue; }
            if (position === 'fork' || position === 'invalid') {
              skipped.push({
                origin: entry.origin,
                reason: position === 'fork' ? 'STATE_BROKEN_CHAIN: the commit does not extend the owner\'s chain' : 'DECODE_FIELD: not a commit of this group',
              });
              continue;
            }
          }
          const step = kind === 'message'
            ? await receiveSecretGroup(state, { kind: 'message', message: entry.document }, deps)
            : await receiveSecretGroup(state, { kind, document: entry.document }, deps);
          const beforeJoin = kind !== 'commit' && await this.#beforeJoin(work, group, entry.document);
          early = beforeJoin;
          if (kind === 'commit' && step.state.status === 'removed' && state.status === 'active') {
            // the commit that removed us: remember who was left, for `members` (CLI.md "Removed peers")
            const last = viewSecretGroup(state, deps).members.filter((m) => !bytesEqual(m, state.self)).map(peerIdOfMember);
            work.states[mlsLastName(group)] = encodeCanonical(last);
          }
          const dropped = reproposals.get(group) ?? [];
          if (this.#adopt(work, group, step, entry.origin, { skipped, beforeJoin, proposal: kind === 'proposal', dropped })) later.push(entry);
          if (dropped.length > 0) reproposals.set(group, dropped);
          else {
            applied++;
            if (kind === 'commit') progress = true;
          }
        } catch (error) {
          skipped.push({ origin: entry.origin, reason: error instanceof Error ? `${(error as { code?: string }).code ?? 'ERROR'}: ${error.message}` : String(error) });
        } finally {
          const notForMe = work.events.slice(eventsBefore).find((e) => e.type === 'not-for-me');
          if (skipped.length > skipsBefore) reject(entry.id, (skipped[skipped.length - 1] as Skipped).reason);
          // (what was made before we joined is nothing we could have read: not listed)
          else if (notForMe?.type === 'not-for-me' && !early) reject(entry.id, notForMe.reason);
        }
      }
      pending = later;
    }
    for (const [suite, registry] of registries) work.states[registryName(suite)] = encodeKeyPackageRegistry(registry);
    // commits of a group we never joined are of no use once no Welcome among them was ours
    const kept: typeof pending = [];
    for (const p of pending) {
      if (p.group !== null && secretGroupDocumentKind(p.document) === 'commit' && (await this.state(work, p.group)) === undefined) continue;
      kept.push(p);
    }
    pending = kept;
    const held = pending.slice(-MAX_HELD).map((p) => encodeMlsItem(p.group, p.document));
    const before = await this.#held(work);
    if (held.length !== before.length || held.some((h, i) => toHex(h) !== toHex(before[i] as Uint8Array))) {
      work.states[MLS_HELD] = held.length === 0 ? null : encodeCanonical(held);
    }
    // our proposals that a commit made without them dropped: proposed again in the new epoch (nothing is lost)
    for (const [group, dropped] of reproposals) {
      for (const p of dropped) {
        const state = await this.state(work, group);
        if (state === undefined || state.status !== 'active') break;
        try {
          const action: SecretGroupAction = p.action === 'add'
            ? { kind: 'add', keyPackage: verifyProposalDocument(p.document, state.groupId, this.#depsFor(state)).keyPackage ?? new Uint8Array(0) }
            : p.action === 'remove' ? { kind: 'remove', member: p.subject } : { kind: 'update' };
          this.#adopt(work, group, await actSecretGroup(state, action, this.#depsFor(state)), 'own proposal', { skipped });
        } catch (error) {
          skipped.push({ origin: 'own proposal', reason: error instanceof Error ? `${(error as { code?: string }).code ?? 'ERROR'}: ${error.message}` : String(error) });
        }
      }
    }
    // the owner commits the proposals it saw
    for (const group of touched) {
      const state = await this.state(work, group);
      if (state === undefined || state.status !== 'active' || state.proposals.length === 0 || !viewSecretGroup(state, this.#depsFor(state)).isOwner) continue;
      try {
        this.#adopt(work, group, await actSecretGroup(state, { kind: 'commit' }, this.#depsFor(state)), 'own commit', { skipped });
      } catch (error) {
        skipped.push({ origin: 'own commit', reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return applied;
  }
}
