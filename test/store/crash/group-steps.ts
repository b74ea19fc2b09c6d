/**
 * One random step of the simulated group (pure apart from fresh key
 * material): set-up, delivery of one wire bundle to one peer (pre-join inbox
 * or receive), send, update, add, remove, or deletion of old group secrets. The
 * result is what ONE `store.commit` writes: the changed blobs, the processed
 * ids, the new outbox bundles and the consumed secrets.
 */
import type { Deps } from '../../../src/crypto/index.js';
import { utf8 } from '../../../src/crypto/index.js';
import { isGroupCryptError } from '../../../src/errors.js';
import {
  addMember, createGroup, createGroupInbox, deleteGroupSecrets, encodeWireBundle, groupMembers, groupSecrets, openWireBundle, receive, receivePreJoin, removeMember, send,
  updateGroup,
} from '../../../src/group/index.js';
import type { GroupContext, GroupResult } from '../../../src/group/index.js';
import { createKeyManager, createKeyRegistry, generateOneTimePreKeys, identityOf, longTermBundle, registerBundle } from '../../../src/keys/index.js';
import { toHex } from '../../../src/crypto/index.js';
import type { OutboxMessage, Store } from '../../../src/store/index.js';
import { PEER_NAMES, SIM_BLOB, bundleId, bundleOfText, deliveryId, encodePeer, encodeSim, stepId, textOf } from './group-model.js';
import type { Peer, ReadRecord, SimState } from './group-model.js';

/** The network as the store records it: the outbox, and which peer processed which bundle. */
export interface Network {
  readonly bundles: Map<string, OutboxMessage>;
  readonly processed: Map<string, Set<string>>;
}

/** What one step commits. */
export interface StepResult {
  readonly state: SimState;
  readonly label: string;
  readonly states: Record<string, Uint8Array | null>;
  readonly processed: readonly string[];
  readonly outbox: readonly OutboxMessage[];
  readonly consumed: readonly Uint8Array[];
}

/** Reads the network from a store: every outbox bundle and, per peer, the processed ones. */
export async function loadNetwork(store: Store): Promise<Network> {
  const bundles = new Map<string, OutboxMessage>();
  for (const entry of await store.outbox()) bundles.set(entry.id, { id: entry.id, topic: entry.topic, bytes: entry.bytes });
  const processed = new Map<string, Set<string>>();
  for (const name of PEER_NAMES) {
    const done = new Set<string>();
    for (const entry of bundles.values()) if (entry.topic !== name && (await store.isProcessed(deliveryId(name, entry.id)))) done.add(entry.id);
    processed.set(name, done);
  }
  return { bundles, processed };
}

/** Records a committed step in the network view. */
export function recordStep(net: Network, step: StepResult): void {
  for (const message of step.outbox) net.bundles.set(message.id, message);
  for (const id of step.processed) {
    const [name = '', bundle = ''] = id.split(':');
    if (name !== 'step') net.processed.get(name)?.add(bundle);
  }
}

const ctxOf = (peer: Peer, deps: Deps): GroupContext => ({ deps, keys: peer.keys, registry: peer.registry });
const pick = <T>(items: readonly T[], random: () => number): T | undefined => items[Math.floor(random() * items.length)];
const isActive = (peer: Peer): boolean => peer.group !== null && !peer.group.dcgka.removed;

/** Collects a step's outputs while peers change. */
class StepBuilder {
  readonly outbox: OutboxMessage[] = [];
  readonly changed = new Set<string>();
  readonly consumed: Uint8Array[] = [];
  peers: Peer[];

  constructor(readonly k: number, state: SimState) {
    this.peers = [...state.peers];
  }

  /** Installs a Group call's result at `peer`: sends go to the outbox, decrypted texts to the peer's reads. */
  apply(peer: Peer, result: GroupResult): Peer {
    const reads: ReadRecord[] = [...peer.reads];
    this.consumed.push(...result.consumed);
    for (const out of result.outputs) {
      if (out.kind === 'send') this.outbox.push({ id: bundleId(this.k, this.outbox.length), topic: peer.name, bytes: encodeWireBundle(out.message) });
      if (out.kind === 'application') {
        const text = new TextDecoder().decode(out.plaintext);
        reads.push({ bundle: bundleOfText(text), text, sender: out.sender, epoch: out.epoch });
      }
    }
    return this.set({ ...peer, inbox: null, group: result.state, keys: result.keys, registry: result.registry, reads });
  }

  set(peer: Peer): Peer {
    this.peers = this.peers.map((p) => (p.name === peer.name ? peer : p));
    this.changed.add(peer.name);
    return peer;
  }

  finish(label: string, processed: readonly string[]): StepResult {
    const states: Record<string, Uint8Array | null> = { [SIM_BLOB]: encodeSim(this.k) };
    for (const peer of this.peers) if (this.changed.has(peer.name)) Object.assign(states, encodePeer(peer));
    return { state: { k: this.k, peers: this.peers }, label, states, processed: [stepId(this.k), ...processed], outbox: this.outbox, consumed: this.consumed };
  }
}

/**
 * Step 1: four key managers; each registry holds the others' long-term
 * bundles and two one-time bundles of each other peer (distinct per holder:
 * a one-time pre-key may be handed out once only). A creates the group with B and C.
 */
function setUp(deps: Deps): StepResult {
  const perHolder = 2;
  const made = PEER_NAMES.map((name) => {
    const generated = generateOneTimePreKeys(createKeyManager(deps), deps, perHolder * (PEER_NAMES.length - 1));
    return { name, keys: generated.state, longTerm: longTermBundle(generated.state), oneTime: generated.bundles };
  });
  const builder = new StepBuilder(1, { k: 0, peers: [] });
  builder.peers = made.map((m, holder): Peer => {
    let registry = createKeyRegistry();
    for (const other of made) {
      if (other === m) continue;
      const slot = holder < made.indexOf(other) ? holder : holder - 1;
      for (const bundle of [other.longTerm, ...other.oneTime.slice(slot * perHolder, (slot + 1) * perHolder)]) registry = registerBundle(registry, bundle, deps);
    }
    return { name: m.name, id: toHex(identityOf(m.keys).publicKey), keys: m.keys, registry, inbox: createGroupInbox({ scheme: 'data' }), group: null, reads: [] };
  });
  for (const peer of builder.peers) builder.set(peer);
  const [a, b, c] = builder.peers as [Peer, Peer, Peer];
  builder.apply(a, createGroup(ctxOf(a, deps), { scheme: 'data', members: [b.id, c.id] }));
  return builder.finish('setup', []);
}

/** Feeds one bundle to a peer: its pre-join inbox (which joins on an invitation) or `receive`. Typed errors leave the peer unchanged. */
function deliverTo(builder: StepBuilder, peer: Peer, id: string, net: Network, deps: Deps): string {
  const bytes = net.bundles.get(id)?.bytes;
  if (bytes === undefined) throw new Error(`bundle ${id} missing from the network`);
  const incoming = openWireBundle(bytes, peer.id);
  try {
    if (peer.group === null) {
      if (peer.inbox === null) throw new Error(`${peer.name} has neither group state nor inbox`);
      const held = receivePreJoin(peer.inbox, ctxOf(peer, deps), incoming);
      if (held.joined) builder.apply(peer, held.joined);
      else builder.set({ ...peer, inbox: held.inbox });
      return held.joined ? `join ${peer.name} ${id}` : `hold ${id}→${peer.name}`;
    }
    builder.apply(peer, receive(peer.group, ctxOf(peer, deps), incoming));
    return `deliver ${id}→${peer.name}`;
  } catch (error) {
    if (!isGroupCryptError(error)) throw error;
    return `deliver ${id}→${peer.name} (${error.code})`;
  }
}

/** Bundles each peer has not processed yet. */
export function inboxes(state: SimState, net: Network): { peer: Peer; ids: string[] }[] {
  return state.peers
    .map((peer) => ({ peer, ids: [...net.bundles.values()].filter((m) => m.topic !== peer.name && !net.processed.get(peer.name)?.has(m.id)).map((m) => m.id) }))
    .filter((entry) => entry.ids.length > 0);
}

type Operation = (builder: StepBuilder, actor: Peer, deps: Deps, random: () => number) => string | undefined;

const OPERATIONS: readonly (readonly [number, string, Operation])[] = [
  [0.6, 'send', (b, actor, deps) => {
    if (!isActive(actor) || !actor.group) return undefined;
    b.apply(actor, send(actor.group, ctxOf(actor, deps), { plaintext: utf8(textOf(b.k)) }));
    return `send ${actor.name}`;
  }],
  [0.12, 'update', (b, actor, deps) => {
    if (!isActive(actor) || !actor.group) return undefined;
    b.apply(actor, updateGroup(actor.group, ctxOf(actor, deps)));
    return `update ${actor.name}`;
  }],
  [0.13, 'add', (b, actor, deps, random) => {
    if (!isActive(actor) || !actor.group) return undefined;
    const members = groupMembers(actor.group);
    const target = pick(b.peers.filter((p) => !members.includes(p.id)), random);
    if (!target) return undefined;
    b.apply(actor, addMember(actor.group, ctxOf(actor, deps), target.id));
    return `add ${actor.name}+${target.name}`;
  }],
  [0.09, 'remove', (b, actor, deps, random) => {
    if (!isActive(actor) || !actor.group) return undefined;
    const others = groupMembers(actor.group).filter((id) => id !== actor.id);
    const target = others.length >= 2 ? pick(others, random) : undefined;
    if (target === undefined) return undefined;
    b.apply(actor, removeMember(actor.group, ctxOf(actor, deps), target));
    return `remove ${actor.name}-${target.slice(0, 4)}`;
  }],
  [0.06, 'delete', (b, actor) => {
    if (!actor.group) return undefined;
    const deleted = deleteGroupSecrets(actor.group, { allButLatest: true });
    const kept = new Set(groupSecrets(deleted.state).map((s) => `${s.member}:${s.epoch}`));
    b.consumed.push(...deleted.consumed);
    b.set({ ...actor, group: deleted.state, reads: actor.reads.filter((r) => kept.has(`${r.sender}:${r.epoch}`)) });
    return `delete ${actor.name} (${deleted.consumed.length} secrets)`;
  }],
];

/** A random group operation by a random active peer (deletion: any peer with a group); `send` when the chosen one does not apply. */
function operate(builder: StepBuilder, deps: Deps, random: () => number): string | undefined {
  let roll = random();
  const chosen = OPERATIONS.find(([weight]) => (roll -= weight) <= 0) ?? OPERATIONS[0];
  const fallback = OPERATIONS[0];
  if (!chosen || !fallback) return undefined;
  const actor = pick(builder.peers.filter(chosen[1] === 'delete' ? (p: Peer) => p.group !== null : isActive), random);
  if (!actor) return undefined;
  for (const [, name, operation] of [chosen, fallback]) {
    try {
      const done = operation(builder, actor, deps, random);
      if (done !== undefined) return done;
    } catch (error) {
      if (!isGroupCryptError(error)) throw error;
      return `${name} ${actor.name} (${error.code})`;
    }
  }
  return undefined;
}

/**
 * The next step after `state`: set-up first, then a delivery (more likely
 * the longer the backlog; older bundles first, but out of order) or a group operation.
 */
export function nextStep(state: SimState, net: Network, deps: Deps, random: () => number): StepResult {
  if (state.k === 0) return setUp(deps);
  const builder = new StepBuilder(state.k + 1, state);
  const waiting = inboxes(state, net);
  const backlog = waiting.reduce((n, entry) => n + entry.ids.length, 0);
  if (random() < 0.45 + 0.4 * Math.min(1, backlog / 24)) {
    const entry = pick(waiting, random);
    const id = entry?.ids[Math.floor(random() ** 2 * entry.ids.length)];
    if (entry && id !== undefined) {
      const label = deliverTo(builder, entry.peer, id, net, deps);
      return builder.finish(label, [deliveryId(entry.peer.name, id)]);
    }
  }
  return builder.finish(operate(builder, deps, random) ?? 'idle', []);
}

/**
 * A re-delivery of a bundle `peer` already processed, as a full transition
 * (the state after `receive`, the next step id and the delivery id): the
 * store must refuse all of it.
 */
export function redelivery(state: SimState, net: Network, deps: Deps, random: () => number): { readonly id: string; readonly step: StepResult } | undefined {
  const candidates = state.peers.filter((p) => p.group !== null && (net.processed.get(p.name)?.size ?? 0) > 0);
  const peer = pick(candidates, random);
  const id = peer ? pick([...(net.processed.get(peer.name) ?? [])], random) : undefined;
  if (!peer || id === undefined) return undefined;
  const builder = new StepBuilder(state.k + 1, state);
  const label = deliverTo(builder, peer, id, net, deps);
  builder.set(builder.peers.find((p) => p.name === peer.name) ?? peer);
  return { id: deliveryId(peer.name, id), step: builder.finish(`re-${label}`, [deliveryId(peer.name, id)]) };
}
