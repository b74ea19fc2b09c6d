/**
 * The peers running in this page and the scripted story of the example.
 * Each peer is a `Peer` (src/peer) over its own store and its own
 * `BroadcastChannelTransport` (a channel object never hears its own posts,
 * so every peer hears every other one, in this tab and in other tabs of the
 * same origin). The page only chooses the store and the transport: every
 * operation, ordering and commit is the runtime's. Runs in a page
 * (IndexedDbStore) and under Node (MemoryStore), which has `BroadcastChannel` too.
 * With the `mls` scheme every peer keeps a pool of MLS key packages, the
 * creator owns the group, and a member's add / remove / update is a
 * proposal that the owner's peer commits as soon as it hears it.
 */
import type { Deps } from '../../src/crypto/index.js';
import { toHex } from '../../src/crypto/index.js';
import type { GroupScheme } from '../../src/peer/index.js';
import { Peer } from '../../src/peer/index.js';
import type { Store } from '../../src/store/index.js';
import { BroadcastChannelTransport } from '../../src/transport/index.js';

/** What the page shows of one peer. */
export interface PeerView {
  readonly id: string;
  readonly scheme: GroupScheme | 'mls' | null;
  /** True when the group is post-quantum (X25519 + ML-KEM-768 key agreement). */
  readonly pq: boolean;
  /** Member names, sorted; empty before joining or after removal. */
  readonly members: string[];
  readonly removed: boolean;
  /** MLS: the owner's name (the one who commits); null for the DCGKA schemes. */
  readonly owner: string | null;
  /** MLS: proposals waiting for the owner, as "add Carol (by Bob)". */
  readonly pending: string[];
  readonly read: { from: string; text: string; own: boolean }[];
  /** Error codes of what this peer could not read. */
  readonly failures: string[];
  /** Names of the peers whose key bundles this peer holds. */
  readonly known: string[];
}

/** One peer of this tab. */
export interface LocalPeer {
  readonly name: string;
  peer: Peer;
  transport: BroadcastChannelTransport;
  /** Store commits made by this peer since the page opened. */
  commits: { n: number };
  view: PeerView;
}

/** The peers of this tab. */
export interface Mesh {
  readonly channelName: string;
  readonly deps: Deps;
  readonly scheme: GroupScheme | 'mls';
  /** Groups created here are post-quantum. */
  readonly pq: boolean;
  readonly tab: string;
  readonly openStore: (name: string) => Promise<Store>;
  readonly control: BroadcastChannel;
  peers: LocalPeer[];
  errors: string[];
  onChange: () => void;
}

/** A store that counts its commits (shown on the page). */
function counted(store: Store, commits: { n: number }): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === 'commit') return (...args: Parameters<Store['commit']>) => { commits.n++; return target.commit(...args); };
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const decoder = new TextDecoder();

/** Reads a peer's view of its (single) group from the runtime. */
async function viewOf(local: LocalPeer): Promise<PeerView> {
  const peer = local.peer;
  const names = new Map((await peer.peers()).map((p) => [p.id, p.name]));
  const nameOf = (id: string): string => names.get(id) ?? id.slice(0, 8);
  const failures = (await peer.rejected()).map((r) => r.reason.split(':')[0] as string).sort();
  const [group] = await peer.groups();
  const known = [...names.values()].sort();
  if (group === undefined) return { id: peer.id, scheme: null, pq: false, members: [], removed: false, owner: null, pending: [], read: [], failures, known };
  const read = (await peer.read(group.group)).map((e) => ({ from: nameOf(e.sender), text: decoder.decode(e.data), own: e.sender === peer.id }));
  const owner = group.owner === undefined ? null : nameOf(group.owner);
  const pending = (group.proposals ?? []).map((p) => `${p.action} ${nameOf(p.subject)} (by ${nameOf(p.from)})`);
  return {
    id: peer.id, scheme: group.scheme, pq: group.pq, members: group.removed ? [] : group.members.map(nameOf).sort(), removed: group.removed, owner, pending, read, failures, known,
  };
}

/** Recomputes every view (after the network settled). */
export async function refresh(mesh: Mesh): Promise<void> {
  for (const local of mesh.peers) local.view = await viewOf(local);
  mesh.onChange();
}

async function connect(mesh: Mesh, name: string): Promise<LocalPeer> {
  const commits = { n: 0 };
  const store = counted(await mesh.openStore(name), commits);
  const transport = new BroadcastChannelTransport({ name: mesh.channelName, crypto: mesh.deps.crypto });
  const peer = await Peer.openOrCreate({ store, transport, deps: mesh.deps }, { name });
  const local: LocalPeer = { name, peer, transport, commits, view: { id: peer.id, scheme: null, pq: false, members: [], removed: false, owner: null, pending: [], read: [], failures: [], known: [] },
  };
  peer.on(() => {
    void viewOf(local).then((view) => {
      local.view = view;
      mesh.onChange();
    }, (error: unknown) => mesh.errors.push(`${name}: ${String(error)}`));
  });
  return local;
}

/** Opens (or resumes from their stores) the named peers and starts them. */
export async function openMesh(options: {
  channelName: string; deps: Deps; scheme: GroupScheme | 'mls'; pq?: boolean; names: readonly string[]; openStore: (name: string) => Promise<Store>; onChange?: () => void; onReset?: () => void;
}): Promise<Mesh> {
  const tab = toHex(options.deps.crypto.randomBytes(8));
  const control = new BroadcastChannel(`${options.channelName}-control`);
  const mesh: Mesh = {
    channelName: options.channelName, deps: options.deps, scheme: options.scheme, pq: options.pq === true, tab, openStore: options.openStore, control,
    peers: [], errors: [], onChange: options.onChange ?? (() => undefined),
  };
  control.onmessage = (event: MessageEvent<{ reset?: string }>) => {
    if (event.data.reset !== undefined && event.data.reset !== tab) options.onReset?.();
  };
  for (const name of options.names) mesh.peers.push(await connect(mesh, name));
  for (const local of mesh.peers) await local.peer.start();
  // MLS: each peer publishes (and from then on keeps up) its pool of key packages, so others can add it
  if (mesh.scheme === 'mls') for (const local of mesh.peers) await local.peer.enableMls();
  await settle(mesh);
  return mesh;
}

/** Tells the other tabs to reset (this tab resets itself). */
export function broadcastReset(mesh: Mesh): void {
  mesh.control.postMessage({ reset: mesh.tab });
}

/** Closes every peer (its channel and its store). */
export async function closeMesh(mesh: Mesh): Promise<void> {
  mesh.control.close();
  await Promise.all(mesh.peers.map((local) => local.peer.close()));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every local peer is idle and the channels were quiet for `quietMs`; then refreshes the views. */
export async function settle(mesh: Mesh, quietMs = 60, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await Promise.all(mesh.peers.map((local) => local.peer.idle()));
    const last = Math.max(...mesh.peers.map((local) => local.transport.lastActivity));
    if (Date.now() - last >= quietMs) {
      await Promise.all(mesh.peers.map((local) => local.peer.idle()));
      break;
    }
    if (Date.now() > deadline) throw new Error('the network did not settle');
    await sleep(10);
  }
  await refresh(mesh);
}

/** The local peer called `name`. */
export function peerNamed(mesh: Mesh, name: string): LocalPeer {
  const local = mesh.peers.find((candidate) => candidate.name === name);
  if (local === undefined) throw new Error(`no peer ${name} in this tab`);
  return local;
}

/** A known peer's id by name. */
async function idOf(local: LocalPeer, name: string): Promise<string> {
  const found = (await local.peer.peers()).find((p) => p.name === name);
  if (found === undefined) throw new Error(`${local.name} has no key bundle of ${name}`);
  return found.id;
}

async function groupOf(local: LocalPeer): Promise<string> {
  const [group] = await local.peer.groups();
  if (group === undefined) throw new Error(`${local.name} is not in a group`);
  return group.group;
}

/** The user's actions, each one runtime call (one commit). */
export const actions = {
  create: async (local: LocalPeer, scheme: GroupScheme | 'mls', with_: readonly string[], pq = false) => {
    if ((await local.peer.groups()).length > 0) throw new Error(`${local.name} is already in a group (Reset to start over)`);
    const members = await Promise.all(with_.map((name) => idOf(local, name)));
    if (scheme !== 'mls') return local.peer.create(scheme, { members, ...(pq ? { pq: true } : {}) });
    // MLS: the creator owns the group and adds each member from its key package (one commit each)
    let info = await local.peer.create('mls');
    for (const member of members) info = await local.peer.add(info.group, member);
    return info;
  },
  add: async (local: LocalPeer, name: string) => local.peer.add(await groupOf(local), await idOf(local, name)),
  remove: async (local: LocalPeer, name: string) => local.peer.remove(await groupOf(local), await idOf(local, name)),
  update: async (local: LocalPeer) => local.peer.update(await groupOf(local)),
  /** MLS: the owner hands ownership to another member. */
  handover: async (local: LocalPeer, name: string) => local.peer.handover(await groupOf(local), await idOf(local, name)),
  send: async (local: LocalPeer, message: string) => local.peer.send(await groupOf(local), new TextEncoder().encode(message)),
};

/**
 * Closes each peer, reopens its store and its runtime, and compares what the
 * runtime shows (members, messages, failures, known peers) before and after;
 * per peer, true when identical.
 */
export async function reloadAll(mesh: Mesh): Promise<Record<string, boolean>> {
  await settle(mesh);
  const results: Record<string, boolean> = {};
  for (let i = 0; i < mesh.peers.length; i++) {
    const local = mesh.peers[i] as LocalPeer;
    const before = JSON.stringify(await viewOf(local));
    await local.peer.close();
    const fresh = await connect(mesh, local.name);
    fresh.commits.n = local.commits.n;
    mesh.peers[i] = fresh;
    await fresh.peer.start();
    results[local.name] = JSON.stringify(await viewOf(fresh)) === before;
  }
  await settle(mesh);
  return results;
}

/** The names in the story. */
export const STORY_PEERS = ['Alice', 'Bob', 'Carol', 'Dave'] as const;

/**
 * The scripted story: Alice creates a group with Bob, Bob adds Carol, Carol
 * adds Dave, everyone writes, Alice removes Dave, Bob and Carol write again
 * (Dave cannot read it), and every peer reloads its state from its store.
 */
export async function runStory(mesh: Mesh, say: (line: string) => void): Promise<Record<string, boolean>> {
  const [alice, bob, carol, dave] = STORY_PEERS.map((name) => peerNamed(mesh, name)) as [LocalPeer, LocalPeer, LocalPeer, LocalPeer];
  const step = async (line: string, act: () => Promise<unknown>): Promise<void> => {
    say(line);
    await act();
    await settle(mesh);
  };
  await settle(mesh);
  const missing = mesh.peers.filter((local) => local.view.known.length < STORY_PEERS.length);
  if (missing.length > 0) throw new Error(`key bundles missing at ${missing.map((local) => local.name).join(', ')}`);
  const mls = mesh.scheme === 'mls';
  await step(`1. Alice creates ${mls ? 'an MLS Secret Group (she owns it)' : `a ${mesh.pq ? 'post-quantum ' : ''}group`} with Bob`,
    () => actions.create(alice, mesh.scheme, ['Bob'], mesh.pq));
  await step(`2. Bob adds Carol${mls ? ' (a proposal: Alice, the owner, commits it)' : ''}`, () => actions.add(bob, 'Carol'));
  await step(`3. Carol adds Dave${mls ? ' (a proposal: Alice commits it)' : ''}`, () => actions.add(carol, 'Dave'));
  await step('4. Everyone says hello', () => Promise.all([alice, bob, carol, dave].map((local) => actions.send(local, `hello from ${local.name}`))));
  await step('5. Alice removes Dave', () => actions.remove(alice, 'Dave'));
  await step('6. Bob and Carol write after Dave left', () => Promise.all([
    actions.send(bob, 'Dave cannot read this'),
    actions.send(carol, 'nor this, Dave is out'),
  ]));
  say(`   members: ${[alice, bob, carol].map((local) => `${local.name} sees ${local.view.members.join(', ')}`).join('; ')}`);
  say('7. Every peer reloads its state from its store');
  const reloaded = await reloadAll(mesh);
  say(`   ${Object.entries(reloaded).map(([name, ok]) => `${name}: ${ok ? 'identical' : 'DIFFERENT'}`).join(', ')}`);
  return reloaded;
}
