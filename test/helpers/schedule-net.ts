/**
 * A fast simulated network of Group API members for schedule tests at scale
 * (up to 32 members, tens of group operations), usable inside vitest and from
 * the soak script (no vitest import: failures are thrown `ScheduleFailure`s).
 *
 * Every output is published as a wire bundle to every other peer's inbox;
 * deliveries pick a random reachable inbox entry (random order, duplicates,
 * partitions). A peer that was never invited keeps its inbox undelivered
 * until an add of it is published (then the pre-join inbox sorts it out).
 *
 * Speed: the schedule tests run thousands of these, so signature checks are
 * memoised across peers (the same broadcast is checked by every receiver;
 * the cache is keyed by the exact key, message and signature bytes, so the
 * answer is the provider's own), and states round-trip through their codec
 * on a sampled fraction of calls plus once per peer at the end.
 */
import { bytesEqual, defaultDeps, toHex, utf8 } from '../../src/crypto/index.js';
import type { CryptoProvider, Deps } from '../../src/crypto/index.js';
import { isGroupCryptError } from '../../src/errors.js';
import { readControl } from '../../src/dcgka/index.js';
import {
  addMember, createGroup, createGroupInbox, decodeGroupState, encodeGroupState, encodeWireBundle, groupMembers, groupSecrets, openWireBundle, receive,
  receivePreJoin, removeMember, send, updateGroup,
} from '../../src/group/index.js';
import type { GroupInbox, GroupResult, GroupScheme, GroupState } from '../../src/group/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';
import { seededRandom } from './random.js';

/** A failed schedule check; `check` names which. */
export class ScheduleFailure extends Error {
  constructor(readonly check: string, message: string) {
    super(`[${check}] ${message}`);
  }
}

/** Throws a `ScheduleFailure` unless `condition`. */
export function ensure(condition: boolean, check: string, message: () => string): asserts condition {
  if (!condition) throw new ScheduleFailure(check, message());
}

/** A bundle waiting in a peer's inbox. */
export interface InboxEntry {
  readonly bundle: Uint8Array;
  readonly from: string;
  readonly control: boolean;
  /** A create listing this peer or an add of it. */
  readonly invites: boolean;
}

/** One application message read by a peer, in the order the peer was handed it. */
export interface ReadEntry {
  readonly text: string;
  /** Sender name. */
  readonly sender: string;
  /** Sender id (hex), as read-order comparators take it. */
  readonly senderId: string;
  readonly epoch: number;
  readonly counter: number;
  /** Read-order fields, when the group layer outputs them (message id, Lamport time). */
  readonly id?: string;
  readonly lamport?: number;
}

/** Read-order fields of an output, when the group layer gives them (absent before the read-order API). */
function orderFields(out: object): { id?: string; lamport?: number } {
  const r = out as { id?: unknown; lamport?: unknown };
  return { ...(typeof r.id === 'string' ? { id: r.id } : {}), ...(typeof r.lamport === 'number' ? { lamport: r.lamport } : {}) };
}

/** One simulated member. */
export interface NetPeer {
  readonly name: string;
  readonly id: string;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  state: GroupState | undefined;
  pre: GroupInbox;
  inbox: InboxEntry[];
  /** Takes deliveries: invited (its inbox holds a create listing it or an add of it) and not holding after a removal. */
  invited: boolean;
  /** Application messages read, in output order. */
  readonly reads: ReadEntry[];
  readonly readTexts: Set<string>;
  /** Error codes thrown by receive or reported as `rejected`. */
  readonly errors: string[];
  /** Texts whose delivery threw `STATE_WINDOW_BEHIND` (too late for the sender's chain: issue 12 complete history). */
  readonly behind: Set<string>;
  /** Texts of application messages it refused as barred by strong removal (STATE_REMOVED): its verdict at arrival. */
  readonly barred: Set<string>;
  /** Every peer name this peer has seen as a member. */
  readonly everSeen: Set<string>;
  /** Saw its own removal at some point (then entitlement is not checked). */
  removedEver: boolean;
  /** Joined again after seeing its removal (data scheme: re-added members read the history again). */
  rejoined: boolean;
}

/** An application message sent in the simulation. */
export interface SentMessage {
  readonly text: string;
  readonly sender: string;
  /** Members (names) in the sender's view at send time. */
  readonly members: readonly string[];
  /** Peers the sender had seen as members and knew as removed at send time. */
  readonly removedKnown: readonly string[];
  /** Texts the sender had read or sent before this one (its causal past among application messages). */
  readonly after: readonly string[];
  /** Its position (sender id, epoch, counter), filled in from the `send` output when the group layer gives one. */
  position?: { readonly sender: string; readonly epoch: number; readonly counter: number };
}

/**
 * Test deps for reproducible schedules: randomness from a seeded PRNG (key
 * pairs, so member ids and every id-sorted order, come out the same on every
 * run; never for real keys), a clock that ticks one second per reading, and
 * memoised signature checks (a broadcast is verified by every receiver with
 * the same bytes).
 */
function scheduleDeps(base: Deps, random: () => number): Deps {
  const cache = new Map<string, { message: Uint8Array; ok: boolean }>();
  const memo = (kind: string, verify: (pk: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean) =>
    (pk: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean => {
      const key = `${kind}${toHex(pk)}${toHex(sig)}`;
      const hit = cache.get(key);
      if (hit && bytesEqual(hit.message, message)) return hit.ok;
      const ok = verify(pk, message, sig);
      if (cache.size > 200_000) cache.clear();
      cache.set(key, { message: Uint8Array.from(message), ok });
      return ok;
    };
  const crypto: CryptoProvider = Object.create(base.crypto) as CryptoProvider;
  Object.assign(crypto, {
    ed25519Verify: memo('e', base.crypto.ed25519Verify.bind(base.crypto)),
    xeddsaVerify: memo('x', base.crypto.xeddsaVerify.bind(base.crypto)),
    randomBytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
      return out;
    },
  });
  let clock = 1_700_000_000;
  return { ...base, crypto, now: () => clock++ };
}

/** The simulated network. */
export class ScheduleNet {
  readonly peers = new Map<string, NetPeer>();
  readonly byId = new Map<string, string>();
  readonly sent: SentMessage[] = [];
  readonly deps: Deps;
  /** Network partition: sides of peer names; undefined = everyone reaches everyone. */
  partition: readonly ReadonlySet<string>[] | undefined;
  /** Group operations performed (create excluded). */
  ops = 0;
  deliveries = 0;
  /** Entitled reads excused by the checks (counted there). */
  excused = 0;
  /** History reads excused by the complete-history check: the reader's adders were all removed (counted there). */
  excusedHistory = 0;
  /** Per peer, who added it (names, in add order; membership histories compact their adds away). */
  readonly adders = new Map<string, readonly string[]>();
  /** Published control messages by type (with NET_TRACE set). */
  readonly trace = new Map<string, number>();
  published = 0;
  private counter = 0;
  /** The text of each published application bundle (the same array reaches every inbox). */
  private readonly textOf = new WeakMap<Uint8Array, string>();
  /** The text being sent (its own `send` output records it in the sender's reads). */
  private sending: string | undefined;
  /** Its own stream, so sampling round-trips does not change the schedule. */
  private readonly sampling: () => number;

  constructor(
    names: readonly string[],
    readonly scheme: GroupScheme,
    readonly random: () => number,
    readonly options: { readonly duplicateRate?: number; readonly roundTripRate?: number; readonly removedListen?: boolean; readonly deps?: Deps; readonly compactAt?: number } = {},
  ) {
    this.sampling = seededRandom(Math.floor(random() * 2 ** 31));
    this.deps = scheduleDeps(options.deps ?? defaultDeps(), seededRandom(Math.floor(random() * 2 ** 31)));
    const bundles = new Map<string, ReturnType<typeof longTermBundle>>();
    const created: { name: string; id: string; keys: KeyManagerState }[] = [];
    for (const name of names) {
      const keys = createKeyManager(this.deps);
      const id = toHex(identityOf(keys).publicKey);
      created.push({ name, id, keys });
      bundles.set(name, longTermBundle(keys));
    }
    for (const { name, id, keys } of created) {
      let registry = createKeyRegistry();
      for (const other of created) if (other.name !== name) registry = registerBundle(registry, bundles.get(other.name) as ReturnType<typeof longTermBundle>, this.deps);
      this.peers.set(name, {
        name, id, keys, registry, state: undefined, pre: createGroupInbox({ scheme }), inbox: [], invited: false,
        reads: [], readTexts: new Set(), errors: [], behind: new Set(), barred: new Set(), everSeen: new Set(), removedEver: false, rejoined: false,
      });
      this.byId.set(id, name);
    }
  }

  peer(name: string): NetPeer {
    const p = this.peers.get(name);
    if (!p) throw new Error(`no peer ${name}`);
    return p;
  }

  nameOf(id: string): string {
    return this.byId.get(id) ?? id.slice(0, 8);
  }

  ctx(peer: NetPeer) {
    return { deps: this.deps, keys: peer.keys, registry: peer.registry, ...(this.options.compactAt === undefined ? {} : { compactAt: this.options.compactAt }) };
  }

  /** Members as `name` sees them (names, sorted). */
  members(name: string): string[] {
    const s = this.peer(name).state;
    return s ? groupMembers(s).map((id) => this.nameOf(id)).sort() : [];
  }

  /** Holds a group state that has not seen its own removal. */
  isActive(name: string): boolean {
    const s = this.peer(name).state;
    return s !== undefined && !s.dcgka.removed;
  }

  private roundTrip(state: GroupState): GroupState {
    const encoded = encodeGroupState(state);
    const decoded = decodeGroupState(encoded, this.deps);
    ensure(bytesEqual(encodeGroupState(decoded), encoded), 'codec', () => 'group state does not re-encode identically');
    return decoded;
  }

  private apply(peer: NetPeer, result: GroupResult): void {
    const rate = this.options.roundTripRate ?? 0.05;
    peer.state = rate > 0 && this.sampling() < rate ? this.roundTrip(result.state) : result.state;
    peer.keys = result.keys;
    peer.registry = result.registry;
    for (const out of result.outputs) {
      if (out.kind === 'send') {
        const bundle = encodeWireBundle(out.message);
        if (!out.message.control && this.sending !== undefined) this.textOf.set(bundle, this.sending);
        this.publish(peer, bundle, out.message.control ? out.message.broadcast : undefined);
        // My own message, where the group layer places it in my read order (read-order API).
        const position = (out as { position?: { epoch?: unknown; counter?: unknown } }).position;
        if (position && typeof position.epoch === 'number' && typeof position.counter === 'number' && this.sending !== undefined) {
          const sent = this.sent.at(-1);
          if (sent) sent.position = { sender: peer.id, epoch: position.epoch, counter: position.counter };
          peer.reads.push({ text: this.sending, sender: peer.name, senderId: peer.id, epoch: position.epoch, counter: position.counter, ...orderFields(position) });
        }
      }
      else if (out.kind === 'application') {
        const text = new TextDecoder().decode(out.plaintext);
        peer.reads.push({ text, sender: this.nameOf(out.sender), senderId: out.sender, epoch: out.epoch, counter: out.counter, ...orderFields(out) });
        peer.readTexts.add(text);
        if (process.env['SCHED_TRACE']) console.log(`  ${peer.name} reads ${text} (epoch ${out.epoch})`);
      } else if (out.kind === 'removed') {
        peer.removedEver = true;
        // A removed peer holds its inbox unless removed peers listen (re-invited by a later add of it).
        // (Still online while an add of it already waits in its state: the invitation is in hand.)
        if (!(this.options.removedListen ?? true)) peer.invited = this.holdsOwnAdd(peer);
        if (process.env['SCHED_TRACE']) console.log(`  ${peer.name} sees its removal by ${this.nameOf(out.by.split(':')[0] ?? '')}`);
      }
      else if (out.kind === 'joined') {
        if (peer.removedEver) peer.rejoined = true;
        // Back in the group (also when the removal and the re-add came in one call): online again.
        peer.invited = true;
        if (process.env['SCHED_TRACE']) console.log(`  ${peer.name} joins via ${this.nameOf(out.via.split(':')[0] ?? '')}`);
      }
      else if (out.kind === 'rejected') {
        peer.errors.push(out.error.code);
        if (process.env['SCHED_TRACE']) console.log(`  ${peer.name} rejects a buffered message: ${out.error.code} ${out.error.message}`);
      }
    }
    for (const m of this.members(peer.name)) peer.everSeen.add(m);
  }

  /**
   * Whether a buffered control message in `peer`'s state adds `peer` (its re-add arrived before its removal): one
   * waiting for its causal past, or one held as a stranger's (its adder's own add was not processed yet).
   */
  private holdsOwnAdd(peer: NetPeer): boolean {
    const addsMe = (broadcast: Uint8Array): boolean => {
      try {
        const body = readControl(this.ctx(peer), broadcast, peer.state?.dcgka).body;
        return body.type === 'add' && body.added === peer.id;
      } catch (error) {
        if (isGroupCryptError(error)) return false; // a stranger's ack that names ids I do not know yet: no add
        throw error;
      }
    };
    const held = (peer.state?.strangers ?? []).filter((m) => m.sender !== null).map((m) => m.bytes);
    return [...(peer.state?.pendingControl ?? []).map((p) => p.broadcast), ...held].some(addsMe);
  }

  private publish(from: NetPeer, bundle: Uint8Array, control: Uint8Array | undefined): void {
    this.published++;
    const body = control ? readControl(this.ctx(from), control, from.state?.dcgka).body : undefined;
    const invited = body?.type === 'create' ? body.members : body?.type === 'add' ? [body.added] : [];
    if (body && process.env['NET_TRACE']) {
      const key = `${body.type}${'mode' in body ? `/${body.mode}` : ''}${from.state?.dcgka.removed ? '(removed)' : ''}`;
      this.trace.set(key, (this.trace.get(key) ?? 0) + 1);
    }
    if (body && process.env['CTRL_TRACE']) {
      const m = readControl(this.ctx(from), control as Uint8Array, from.state?.dcgka);
      const b = m.body as { type: string; mode?: string; ackedSender?: string; ackedSeq?: number; added?: string; removed?: string };
      console.log(`    [${from.name}#${m.seq} ${b.type}${b.mode ? '/' + b.mode : ''}${b.ackedSender ? ` of ${this.nameOf(b.ackedSender)}#${String(b.ackedSeq)}` : ''}${b.added ? ' +' + this.nameOf(b.added) : ''}${b.removed ? ' -' + this.nameOf(b.removed) : ''}]`);
    }
    const dup = this.options.duplicateRate ?? 0;
    for (const peer of this.peers.values()) {
      if (peer === from) continue;
      const entry = { bundle, from: from.name, control: control !== undefined, invites: invited.includes(peer.id) };
      peer.inbox.push(entry);
      if (dup > 0 && this.random() < dup) peer.inbox.push(entry);
    }
  }

  create(name: string, members: readonly string[]): void {
    const peer = this.peer(name);
    peer.invited = true;
    this.apply(peer, createGroup(this.ctx(peer), { scheme: this.scheme, members: members.map((m) => this.peer(m).id) }));
  }

  add(name: string, added: string): void {
    const peer = this.peer(name);
    this.apply(peer, addMember(this.need(peer), this.ctx(peer), this.peer(added).id));
    this.ops++;
    this.adders.set(added, [...(this.adders.get(added) ?? []), name]);
  }

  remove(name: string, removed: string): void {
    const peer = this.peer(name);
    this.apply(peer, removeMember(this.need(peer), this.ctx(peer), this.peer(removed).id));
    this.ops++;
  }

  update(name: string): void {
    const peer = this.peer(name);
    this.apply(peer, updateGroup(this.need(peer), this.ctx(peer)));
    this.ops++;
  }

  /** Sends a unique text from `name`; returns it. */
  send(name: string): string {
    const peer = this.peer(name);
    const state = this.need(peer);
    const text = `${name}#${this.counter++}`;
    const members = this.members(name);
    const after = [...peer.readTexts, ...this.sent.filter((m) => m.sender === name).map((m) => m.text)];
    this.sent.push({ text, sender: name, members, removedKnown: [...peer.everSeen].filter((m) => !members.includes(m)), after });
    this.sending = text;
    this.apply(peer, send(state, this.ctx(peer), { plaintext: utf8(text) }));
    this.sending = undefined;
    peer.readTexts.add(text);
    return text;
  }

  private need(peer: NetPeer): GroupState {
    if (!peer.state) throw new Error(`${peer.name} has no group state`);
    return peer.state;
  }

  private reachable(to: string, from: string): boolean {
    return this.partition === undefined || this.partition.some((side) => side.has(to) && side.has(from));
  }

  private deliverable(peer: NetPeer): number[] {
    if (!peer.invited) {
      const invitation = peer.inbox.some((e) => e.invites && this.reachable(peer.name, e.from));
      if (!invitation) return [];
      peer.invited = true;
    }
    const out: number[] = [];
    for (let i = 0; i < peer.inbox.length; i++) if (this.reachable(peer.name, (peer.inbox[i] as { from: string }).from)) out.push(i);
    return out;
  }

  /** Delivers inbox entry `index` of `peer`. */
  deliver(peer: NetPeer, index: number): void {
    const [entry] = peer.inbox.splice(index, 1);
    if (!entry) return;
    this.deliveries++;
    const incoming = openWireBundle(entry.bundle, peer.id);
    try {
      if (!peer.state) {
        const { inbox, joined } = receivePreJoin(peer.pre, this.ctx(peer), incoming);
        peer.pre = inbox;
        if (joined) this.apply(peer, joined);
        return;
      }
      this.apply(peer, receive(peer.state, this.ctx(peer), incoming));
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      peer.errors.push(error.code);
      const text = this.textOf.get(entry.bundle);
      if (process.env['SCHED_TRACE']) console.log(`  ${peer.name} refuses ${text ?? 'a control message'} from ${entry.from}: ${error.code} ${error.message}`);
      if (error.code === 'STATE_WINDOW_BEHIND' && text !== undefined) peer.behind.add(text);
      if (error.code === 'STATE_REMOVED' && text !== undefined) peer.barred.add(text);
    }
  }

  /** Delivers up to `limit` random reachable inbox entries at `name` (or at random peers when omitted). */
  step(limit: number, name?: string): number {
    let done = 0;
    const names = name ? [name] : [...this.peers.keys()];
    for (; done < limit; done++) {
      const busy = names.filter((n) => this.deliverable(this.peer(n)).length > 0);
      if (busy.length === 0) break;
      const peer = this.peer(busy[Math.floor(this.random() * busy.length)] as string);
      const ready = this.deliverable(peer);
      this.deliver(peer, ready[Math.floor(this.random() * ready.length)] as number);
    }
    return done;
  }

  /** Delivers everything reachable, peer by peer in random order, until no inbox moves. */
  settle(): void {
    for (let round = 0; round < 10_000; round++) {
      let moved = 0;
      const order = [...this.peers.values()].sort(() => this.random() - 0.5);
      for (const peer of order) {
        for (let ready = this.deliverable(peer); ready.length > 0; ready = this.deliverable(peer)) {
          this.deliver(peer, ready[Math.floor(this.random() * ready.length)] as number);
          moved++;
        }
      }
      if (moved === 0) return;
    }
    throw new ScheduleFailure('liveness', 'network did not settle');
  }

  /**
   * Peers that held their inbox after their removal come back online: they
   * take deliveries again (the next settle hands them the backlog).
   */
  reconnectRemoved(): void {
    for (const peer of this.peers.values()) if (peer.state !== undefined) peer.invited = true;
  }

  /** Round-trips every peer's state through the codec (end of a schedule). */
  roundTripAll(): void {
    for (const peer of this.peers.values()) if (peer.state) peer.state = this.roundTrip(peer.state);
  }

  /** Chain state (hex) of `member` held by `holder` (message scheme), or undefined. */
  chain(holder: string, member: string): string | undefined {
    const r = this.peer(holder).state?.dcgka.ratchets.get(this.peer(member).id);
    return r ? toHex(r) : undefined;
  }

  /** Data scheme: group secret ids (hex) by `${member}:${epoch}` held by `holder`. */
  dataSecrets(holder: string): Map<string, string> {
    const s = this.peer(holder).state;
    const out = new Map<string, string>();
    if (!s?.data) return out;
    for (const g of groupSecrets(s)) out.set(`${this.nameOf(g.member)}:${g.epoch}`, toHex(g.id));
    return out;
  }
}

export { seededRandom };
