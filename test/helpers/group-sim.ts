/**
 * A simulated network of Group API members for tests: every output is
 * published as a wire bundle to every other peer's inbox; each peer's inbox
 * is delivered in an order chosen by a seeded rng, with optional duplicates.
 * Every state is round-tripped through its codec after every call.
 */
import { expect } from 'vitest';
import { bytesEqual, defaultDeps, toHex, utf8 } from '../../src/crypto/index.js';
import type { Deps } from '../../src/crypto/index.js';
import { isGroupCryptError } from '../../src/errors.js';
import {
  addMember, createGroup, createGroupInbox, decodeGroupInbox, decodeGroupState, encodeGroupInbox, encodeGroupState, encodeWireBundle, groupMembers,
  openWireBundle, receive, receivePreJoin, removeMember, send, updateGroup,
} from '../../src/group/index.js';
import type { GroupInbox, GroupOutput, GroupResult, GroupScheme, GroupState, ReadPosition } from '../../src/group/index.js';
import { decodeEnvelope } from '../../src/group/envelope.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';
import { seededRandom } from './random.js';

/** One simulated member. */
export interface GroupPeer {
  readonly name: string;
  readonly id: string;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  state: GroupState | undefined;
  inbox: Uint8Array[];
  /** What the group layer holds for this peer before it joins. */
  pre: GroupInbox;
  /** Plaintexts decrypted (text). */
  readonly decrypted: Set<string>;
  /** Read positions of every message decrypted or sent, by text. */
  readonly positions: Map<string, ReadPosition>;
  /** Error codes thrown by receive, and rejected outputs. */
  readonly errors: string[];
  /** Every secret a result handed back to wipe (`GroupResult.consumed`), in order. */
  readonly consumed: Uint8Array[];
  /** Every member this peer has ever seen. */
  readonly everSeen: Set<string>;
  /** Secret keys (`member:epoch`) of the adder when it added this peer (data scheme history). */
  readonly bundleKeys: Set<string>;
  removed: boolean;
}

/** An application message sent in the simulation. */
export interface SentApplication {
  readonly text: string;
  readonly sender: string;
  readonly epochKey: string;
  /** Members (names) in the sender's view at send time. */
  readonly members: readonly string[];
  /** Peers the sender had seen and already knew as removed at send time. */
  readonly removedKnown: readonly string[];
  /** Where it stands in the read order. */
  readonly position: ReadPosition;
  /** Positions of every message the sender had read or sent before (they must come first in the read order). */
  readonly before: readonly ReadPosition[];
}

/** Seeded PRNG (kept under its old name for the group tests). */
export const seeded = seededRandom;

/** Defaults of every new simulation: `pq` makes post-quantum groups (set by the *-pq test files before importing a suite). */
export const groupSimDefaults = { pq: false, pqGroupsCreated: 0 };

/** The simulated network. */
export class GroupSim {
  readonly peers = new Map<string, GroupPeer>();
  readonly sent: SentApplication[] = [];
  private counter = 0;
  /** GroupContext.compactAt of every peer (undefined: the default). */
  compactAt: number | undefined;

  constructor(names: readonly string[], readonly scheme: GroupScheme, readonly deps: Deps = defaultDeps(), public duplicateRate = 0) {
    for (const name of names) this.addPeer(name);
  }

  private addPeer(name: string): void {
    const keys = createKeyManager(this.deps, { pq: groupSimDefaults.pq });
    const id = toHex(identityOf(keys).publicKey);
    const peer: GroupPeer = {
      name, id, keys, registry: createKeyRegistry(), state: undefined, inbox: [], pre: createGroupInbox({ scheme: this.scheme }), decrypted: new Set(), positions: new Map(), errors: [], consumed: [],
      everSeen: new Set(), bundleKeys: new Set(), removed: false,
    };
    for (const other of this.peers.values()) {
      other.registry = registerBundle(other.registry, longTermBundle(keys), this.deps);
      peer.registry = registerBundle(peer.registry, longTermBundle(other.keys), this.deps);
    }
    this.peers.set(name, peer);
  }

  peer(name: string): GroupPeer {
    const p = this.peers.get(name);
    if (!p) throw new Error(`no peer ${name}`);
    return p;
  }

  nameOf(id: string): string {
    for (const p of this.peers.values()) if (p.id === id) return p.name;
    return id.slice(0, 8);
  }

  ctx(peer: GroupPeer) {
    return { deps: this.deps, keys: peer.keys, registry: peer.registry, ...(this.compactAt === undefined ? {} : { compactAt: this.compactAt }) };
  }

  members(name: string): string[] {
    const s = this.peer(name).state;
    return s ? groupMembers(s).map((id) => this.nameOf(id)).sort() : [];
  }

  isActive(name: string): boolean {
    const s = this.peer(name).state;
    return s !== undefined && !s.dcgka.removed;
  }

  private apply(peer: GroupPeer, result: GroupResult, random?: () => number): void {
    const encoded = encodeGroupState(result.state);
    const decoded = decodeGroupState(encoded, this.deps);
    expect(bytesEqual(encodeGroupState(decoded), encoded), 'state codec round-trip').toBe(true);
    peer.state = decoded;
    peer.keys = result.keys;
    peer.registry = result.registry;
    peer.consumed.push(...result.consumed);
    for (const out of result.outputs) {
      if (out.kind === 'send') this.publish(peer, encodeWireBundle(out.message), random);
      else if (out.kind === 'application') {
        const text = new TextDecoder().decode(out.plaintext);
        peer.decrypted.add(text);
        peer.positions.set(text, { id: out.id, sender: out.sender, lamport: out.lamport, epoch: out.epoch, counter: out.counter });
      }
      else if (out.kind === 'removed') peer.removed = true;
      else if (out.kind === 'joined') peer.removed = false;
      else if (out.kind === 'rejected') peer.errors.push(out.error.code);
    }
    for (const m of this.members(peer.name)) peer.everSeen.add(m);
  }

  private publish(from: GroupPeer, bundle: Uint8Array, random?: () => number): void {
    for (const peer of this.peers.values()) {
      if (peer === from) continue;
      peer.inbox.push(bundle);
      if (random && random() < this.duplicateRate) peer.inbox.push(bundle);
    }
  }

  create(name: string, members: readonly string[]): void {
    const peer = this.peer(name);
    this.apply(peer, createGroup(this.ctx(peer), { scheme: this.scheme, members: members.map((m) => this.peer(m).id), pq: groupSimDefaults.pq }));
    if (groupSimDefaults.pq) groupSimDefaults.pqGroupsCreated++;
  }

  add(name: string, added: string): void {
    const peer = this.peer(name);
    const state = this.need(peer);
    if (state.data) for (const key of Object.keys(state.data.secrets)) this.peer(added).bundleKeys.add(key);
    this.apply(peer, addMember(state, this.ctx(peer), this.peer(added).id));
  }

  remove(name: string, removed: string): void {
    const peer = this.peer(name);
    this.apply(peer, removeMember(this.need(peer), this.ctx(peer), this.peer(removed).id));
  }

  update(name: string): void {
    const peer = this.peer(name);
    this.apply(peer, updateGroup(this.need(peer), this.ctx(peer)));
  }

  /** Sends a unique text from `name`; returns it. */
  send(name: string, ad?: Uint8Array): string {
    const peer = this.peer(name);
    const state = this.need(peer);
    const text = `${name}#${this.counter++}`;
    const result = send(state, this.ctx(peer), { plaintext: utf8(text), ...(ad ? { ad } : {}) });
    const members = this.members(name);
    const out = result.outputs[0];
    if (out?.kind !== 'send') throw new Error('send gave no message');
    const epoch = state.message ? state.message.chains[peer.id]?.at(-1)?.epoch : state.data?.latest[peer.id];
    if (!out.position) throw new Error('send gave no read position');
    const before = [...peer.positions.values()];
    peer.positions.set(text, out.position);
    this.sent.push({ text, sender: name, epochKey: `${peer.id}:${String(epoch)}`, members, removedKnown: [...peer.everSeen].filter((m) => !members.includes(m)), position: out.position, before });
    this.apply(peer, result);
    return text;
  }

  private need(peer: GroupPeer): GroupState {
    if (!peer.state) throw new Error(`${peer.name} has no group state`);
    return peer.state;
  }

  /** Delivers inbox entry `index` of `name`. */
  deliver(name: string, index: number, random?: () => number): void {
    const peer = this.peer(name);
    const [bundle] = peer.inbox.splice(index, 1);
    if (!bundle) return;
    const incoming = openWireBundle(bundle, peer.id);
    if (!peer.state) {
      const before = encodeGroupInbox(peer.pre);
      try {
        const { inbox, joined } = receivePreJoin(peer.pre, this.ctx(peer), incoming);
        const encoded = encodeGroupInbox(inbox);
        expect(bytesEqual(encodeGroupInbox(decodeGroupInbox(encoded)), encoded), 'inbox codec round-trip').toBe(true);
        peer.pre = decodeGroupInbox(encoded);
        if (joined) this.apply(peer, joined, random);
      } catch (error) {
        if (!isGroupCryptError(error)) throw error;
        peer.errors.push(error.code);
        expect(bytesEqual(encodeGroupInbox(peer.pre), before), 'inbox unchanged on error').toBe(true);
      }
      return;
    }
    const before = encodeGroupState(peer.state);
    try {
      this.apply(peer, receive(peer.state, this.ctx(peer), incoming), random);
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      peer.errors.push(error.code);
      expect(bytesEqual(encodeGroupState(peer.state), before), 'state unchanged on error').toBe(true);
    }
  }

  /** Delivers up to `limit` random inbox entries at random peers. */
  step(random: () => number, limit: number): void {
    const names = [...this.peers.keys()];
    for (let i = 0; i < limit; i++) {
      const busy = names.filter((n) => this.peer(n).inbox.length > 0);
      if (busy.length === 0) return;
      const name = busy[Math.floor(random() * busy.length)] as string;
      this.deliver(name, Math.floor(random() * this.peer(name).inbox.length), random);
    }
  }

  /** Delivers everything (random order) until every inbox is empty. */
  settle(random: () => number): void {
    for (let round = 0; round < 100_000; round++) {
      if ([...this.peers.values()].every((p) => p.inbox.length === 0)) return;
      this.step(random, 1);
    }
    throw new Error('network did not settle');
  }
}

/** Envelope versions of the data-scheme application-side messages sent among `outputs` (3: a share, 4: a secret request). */
export function sentVersions(outputs: readonly GroupOutput[]): number[] {
  return outputs.flatMap((o) => (o.kind === 'send' && !o.message.control ? [decodeEnvelope(o.message.broadcast, 'data').version] : []));
}
