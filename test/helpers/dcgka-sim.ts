/**
 * A simulated network of DCGKA members for tests: every control message is
 * broadcast to every simulated peer (direct parts only to their recipient),
 * and each peer's inbox is delivered in any causal order the test chooses
 * (random with a seeded rng, partitions, duplicates).
 */
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import {
  add, createGroup, decodeDcgkaState, encodeDcgkaState, joinGroup, processControl, remove, update,
} from '../../src/dcgka/index.js';
import type { DcgkaResult, DcgkaState, OutgoingControl } from '../../src/dcgka/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';
import { members as membersOf } from '../../src/membership/index.js';
import { isPostQuantumMessage } from '../../src/twoparty/index.js';
import { expect } from 'vitest';
import { seededRandom } from './random.js';

/** A message on the simulated wire. */
export interface WireMessage {
  readonly id: string;
  readonly sender: string;
  readonly seq: number;
  readonly type: string;
  readonly acked?: { sender: string; seq: number };
  readonly broadcast: Uint8Array;
  readonly direct: ReadonlyMap<string, Uint8Array>;
}

/** One simulated peer. */
export interface Peer {
  readonly name: string;
  readonly id: string;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  state: DcgkaState | undefined;
  inbox: WireMessage[];
  /** Every update secret this peer derived, by `${member}@${cause}` (hex). */
  secrets: Map<string, string>;
  removed: boolean;
}

export { seededRandom };

/**
 * Defaults of every new simulation. `pq`: post-quantum groups (PQ pre-keys
 * for every peer, `createGroup({ pq: true })`); the *-pq test files set it
 * before importing the classic suites, so the same scenarios run both ways.
 */
export const simDefaults = { pq: false };

/** Counts of what simulations did (lets the *-pq files check they really ran PQ groups). */
export const simStats = { pqGroupsCreated: 0, pqDirectParts: 0 };

/**
 * Mutation runs (scripts/mutation/run.mjs) set GROUPCRYPT_MAX_WIRE: a mutant that makes members answer each other
 * for ever fails at once instead of running into Stryker's timeout (no test needs more than ~100 messages).
 */
const MAX_WIRE = Number(process.env['GROUPCRYPT_MAX_WIRE'] ?? Number.POSITIVE_INFINITY);

/** The simulated network. */
export class DcgkaSim {
  readonly deps: Deps;
  readonly peers = new Map<string, Peer>();
  readonly wire: WireMessage[] = [];
  /** Every publish and delivery, in the order they happened. */
  readonly events: ({ readonly kind: 'publish'; readonly message: WireMessage } | { readonly kind: 'deliver'; readonly peer: string; readonly message: WireMessage })[] = [];
  /** Set to round-trip every state through its codec after each call. */
  roundTrip = true;
  /** Network partition: groups of peer names; messages cross groups only when undefined. */
  partition: readonly (readonly string[])[] | undefined;
  /** Peers currently offline (receive nothing until back). */
  readonly offline = new Set<string>();
  /** Called with every committed call's result, before the peer adopts it (e.g. to wipe `consumed` and check). */
  afterCall: ((peer: Peer, result: DcgkaResult) => void) | undefined;

  /** Post-quantum group (see `simDefaults`). */
  readonly pq: boolean;

  constructor(names: readonly string[], deps: Deps = defaultDeps(), options: { readonly pq?: boolean } = {}) {
    this.deps = deps;
    this.pq = options.pq ?? simDefaults.pq;
    for (const name of names) this.addPeer(name);
  }

  /** Creates a peer and publishes its long-term bundle to every registry. */
  addPeer(name: string): Peer {
    const keys = createKeyManager(this.deps, { pq: this.pq });
    const id = toHex(identityOf(keys).publicKey);
    const peer: Peer = { name, id, keys, registry: createKeyRegistry(), state: undefined, inbox: [], secrets: new Map(), removed: false };
    for (const other of this.peers.values()) {
      other.registry = registerBundle(other.registry, longTermBundle(keys), this.deps);
      peer.registry = registerBundle(peer.registry, longTermBundle(other.keys), this.deps);
    }
    this.peers.set(name, peer);
    return peer;
  }

  peer(name: string): Peer {
    const p = this.peers.get(name);
    if (!p) throw new Error(`no peer ${name}`);
    return p;
  }

  id(name: string): string {
    return this.peer(name).id;
  }

  nameOf(id: string): string {
    for (const p of this.peers.values()) if (p.id === id) return p.name;
    return id.slice(0, 8);
  }

  private apply(peer: Peer, result: DcgkaResult): void {
    this.afterCall?.(peer, result);
    peer.state = this.roundTrip ? decodeDcgkaState(encodeDcgkaState(result.state)) : result.state;
    peer.keys = result.keys;
    peer.registry = result.registry;
    for (const out of result.outputs) {
      if (out.kind === 'control') this.publish(out.control);
      else if (out.kind === 'update-secret') peer.secrets.set(`${out.member}@${out.cause}`, toHex(out.secret));
      else if (out.kind === 'removed') peer.removed = true;
    }
    if (peer.state && !peer.state.removed) peer.removed = false;
  }

  private publish(control: OutgoingControl): void {
    const body = control.message.body;
    if (process.env['GROUPCRYPT_TRACE']) console.log(`  ${this.nameOf(control.message.sender)}#${control.message.seq} sends ${body.type}${'ackedSender' in body ? ` of ${this.nameOf(body.ackedSender)}#${body.ackedSeq}` : ''}${'added' in body ? ' ' + this.nameOf(body.added) : ''}${'removed' in body ? ' ' + this.nameOf(body.removed) : ''} direct->[${control.direct.map((d) => this.nameOf(d.recipient)).join(',')}]`);
    const message: WireMessage = {
      id: control.id,
      sender: control.message.sender,
      seq: control.message.seq,
      type: body.type,
      ...(body.type === 'ack' || body.type === 'add-ack' ? { acked: { sender: body.ackedSender, seq: body.ackedSeq } } : {}),
      broadcast: control.broadcast,
      direct: new Map(control.direct.map((d) => [d.recipient, d.bytes])),
    };
    for (const part of control.direct) if (isPostQuantumMessage(part.bytes)) simStats.pqDirectParts++;
    if (this.wire.length >= MAX_WIRE) throw new Error(`message storm: more than ${MAX_WIRE} control messages`);
    this.wire.push(message);
    this.events.push({ kind: 'publish', message });
    for (const peer of this.peers.values()) if (peer.id !== message.sender) peer.inbox.push(message);
  }

  ctx(peer: Peer) {
    return { deps: this.deps, keys: peer.keys, registry: peer.registry };
  }

  create(name: string, memberNames: readonly string[]): void {
    const peer = this.peer(name);
    this.apply(peer, createGroup(this.ctx(peer), { members: memberNames.map((n) => this.id(n)), pq: this.pq }));
    if (this.pq) simStats.pqGroupsCreated++;
  }

  update(name: string): void {
    const peer = this.peer(name);
    this.apply(peer, update(this.need(peer), this.ctx(peer)));
  }

  add(name: string, added: string): void {
    const peer = this.peer(name);
    this.apply(peer, add(this.need(peer), this.ctx(peer), this.id(added)));
  }

  remove(name: string, removed: string): void {
    const peer = this.peer(name);
    this.apply(peer, remove(this.need(peer), this.ctx(peer), this.id(removed)));
  }

  private need(peer: Peer): DcgkaState {
    if (!peer.state) throw new Error(`${peer.name} has no group state`);
    return peer.state;
  }

  /** Whether `message` can be processed by `peer` now (causal order), is obsolete, or must wait. */
  readiness(peer: Peer, message: WireMessage): 'ready' | 'obsolete' | 'wait' {
    const state = peer.state;
    if (!state) return message.type === 'create' && !message.direct.has(peer.id) ? 'obsolete' : 'wait';
    const expected = state.clock.get(message.sender) ?? 0;
    if (message.seq < expected) return 'obsolete';
    if (message.seq > expected) return 'wait';
    if (message.acked && message.acked.seq >= (state.clock.get(message.acked.sender) ?? 0)) return 'wait';
    return 'ready';
  }

  /** Whether `message` can cross the current partition to `receiver`. */
  reachable(receiver: string, message: WireMessage): boolean {
    if (!this.partition) return true;
    const sender = this.nameOf(message.sender);
    return this.partition.some((side) => side.includes(receiver) && side.includes(sender));
  }

  /** Processes one message at `peer` (which must be ready). */
  deliver(peer: Peer, message: WireMessage): void {
    if (process.env['GROUPCRYPT_TRACE']) console.log(`${peer.name} <- ${this.nameOf(message.sender)}#${message.seq} ${message.type}${message.acked ? ` of ${this.nameOf(message.acked.sender)}#${message.acked.seq}` : ''}${message.type === 'add' || message.type === 'remove' ? '' : ''}${message.direct.has(peer.id) ? ' +direct' : ''}`);
    const incoming = { broadcast: message.broadcast, ...(message.direct.has(peer.id) ? { direct: message.direct.get(peer.id) as Uint8Array } : {}) };
    this.events.push({ kind: 'deliver', peer: peer.name, message });
    const ctx = this.ctx(peer);
    const result = peer.state ? processControl(peer.state, ctx, incoming) : joinGroup(ctx, incoming);
    this.apply(peer, result);
    if (process.env['GROUPCRYPT_TRACE']) {
      const st = result.state;
      console.log(`    ${peer.name}: ${st.removed ? 'REMOVED ' : ''}chains [${[...st.ratchets.keys()].map((id) => this.nameOf(id)).join(',')}] emits [${result.outputs.filter((o) => o.kind === 'update-secret').map((o) => (o.kind === 'update-secret' ? this.describeKey(`${o.member}@${o.cause}`) : '')).join(',')}]`);
    }
  }

  /**
   * Delivers messages at `peer` until nothing more is ready, in an order
   * chosen by `random` (or FIFO when omitted); `limit` caps deliveries.
   */
  pump(name: string, random?: () => number, limit = Infinity): number {
    const peer = this.peer(name);
    let delivered = 0;
    if (!peer.state && !this.offline.has(name)) {
      const joined = this.joinEarliest(peer);
      if (!joined) return 0;
      delivered++;
    }
    while (delivered < limit) {
      if (this.offline.has(name)) break;
      peer.inbox = peer.inbox.filter((m) => this.readiness(peer, m) !== 'obsolete');
      const ready = peer.inbox.filter((m) => this.reachable(name, m) && this.readiness(peer, m) === 'ready');
      if (ready.length === 0) break;
      const pick = ready[random ? Math.floor(random() * ready.length) : 0] as WireMessage;
      peer.inbox = peer.inbox.filter((m) => m !== pick);
      this.deliver(peer, pick);
      delivered++;
    }
    return delivered;
  }

  /**
   * A peer with no state joins through the causally earliest invitation it
   * holds (a create listing it, or an add of it): one whose welcome clock
   * covers no other invitation in its inbox. Joining later would skip 2SM
   * messages the earlier one started (2SM needs every message, in order).
   * Trial joins are free: the functions are pure.
   */
  private joinEarliest(peer: Peer): boolean {
    const invitations = peer.inbox.filter((m) => this.reachable(peer.name, m) && (m.type === 'create' || m.type === 'add') && m.direct.has(peer.id));
    invitations.sort((a, b) => (a.sender === b.sender ? a.seq - b.seq : a.sender < b.sender ? -1 : 1));
    for (const candidate of invitations) {
      const incoming = { broadcast: candidate.broadcast, direct: candidate.direct.get(peer.id) as Uint8Array };
      let trial: DcgkaResult;
      try {
        trial = joinGroup(this.ctx(peer), incoming);
      } catch {
        continue;
      }
      const clock = trial.state.clock;
      const coversAnother = invitations.some((other) => other !== candidate && other.seq < (clock.get(other.sender) ?? 0));
      if (coversAnother) continue;
      if (process.env['GROUPCRYPT_TRACE']) console.log(`${peer.name} joins via ${this.nameOf(candidate.sender)}#${candidate.seq}`);
      peer.inbox = peer.inbox.filter((m) => m !== candidate);
      this.events.push({ kind: 'deliver', peer: peer.name, message: candidate });
      this.apply(peer, trial);
      return true;
    }
    return false;
  }

  /** Pumps every peer until the whole network is quiet. */
  settle(random?: () => number, names?: readonly string[]): void {
    const list = names ?? [...this.peers.keys()];
    for (let round = 0; round < 10_000; round++) {
      let moved = 0;
      for (const name of list) moved += this.pump(name, random);
      if (moved === 0) return;
    }
    throw new Error('network did not settle');
  }

  /** A readable form of a secrets key `${member}@${sender}:${seq}`. */
  describeKey(key: string): string {
    const [member, cause] = key.split('@') as [string, string];
    const [sender, seq] = cause.split(':') as [string, string];
    return `${this.nameOf(member)}@${this.nameOf(sender)}#${seq}`;
  }

  /** Members as `name` sees them (names, sorted). */
  membersSeenBy(name: string): string[] {
    const state = this.peer(name).state;
    if (!state) return [];
    return membersOf(state.membership).map((id) => this.nameOf(id)).sort();
  }

  /** Current chain state of `member` as held by `holder` (hex) or undefined. */
  chain(holder: string, member: string): string | undefined {
    const r = this.peer(holder).state?.ratchets.get(this.id(member));
    return r ? toHex(r) : undefined;
  }
}

/** Every current member holds the same chain for every current member. */
export function expectChainsAgree(sim: DcgkaSim, names: readonly string[]): void {
  for (const member of names) {
    const own = sim.chain(member, member);
    expect(own, `${member} has its own chain`).toBeDefined();
    for (const holder of names) expect(sim.chain(holder, member), `${holder}'s copy of ${member}'s chain`).toBe(own);
  }
}
