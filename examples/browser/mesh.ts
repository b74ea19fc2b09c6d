/**
 * The peers running in this page, wired to one `BroadcastChannel` each (a
 * channel object never receives its own posts, so every peer hears every
 * other one, in this tab and in other tabs of the same origin), and the
 * scripted story of the example. Runs in a page (IndexedDbStore) and under
 * Node (MemoryStore), which has `BroadcastChannel` too.
 */
import type { Deps } from '../../src/crypto/index.js';
import { toHex } from '../../src/crypto/index.js';
import type { Store } from '../../src/store/index.js';
import { actions, deliver, hello, memberNames, openPeer, reloadPeer } from './peer.js';
import type { ChannelMessage, Peer } from './peer.js';

/** The peers of this tab and the bookkeeping needed to know when the network is quiet. */
export interface Mesh {
  readonly channelName: string;
  readonly deps: Deps;
  readonly tab: string;
  readonly openStore: (name: string) => Promise<Store>;
  peers: Peer[];
  channels: BroadcastChannel[];
  /** Deliveries from this tab's peers to this tab's peers not yet processed. */
  inflight: number;
  lastActivity: number;
  errors: string[];
  onChange: () => void;
  /** Called once when another tab broadcast a reset. */
  onReset: () => void;
}

interface Envelope {
  readonly tab: string;
  readonly message: ChannelMessage;
}

/** Opens (or resumes from their stores) the named peers and connects them. */
export async function openMesh(options: {
  channelName: string; deps: Deps; names: readonly string[]; openStore: (name: string) => Promise<Store>; onChange?: () => void; onReset?: () => void;
}): Promise<Mesh> {
  const mesh: Mesh = {
    channelName: options.channelName, deps: options.deps, openStore: options.openStore,
    tab: toHex(options.deps.crypto.randomBytes(8)),
    peers: [], channels: [], inflight: 0, lastActivity: Date.now(), errors: [], onChange: options.onChange ?? (() => undefined), onReset: options.onReset ?? (() => undefined),
  };
  for (const name of options.names) await connect(mesh, name);
  for (const peer of mesh.peers) hello(peer);
  return mesh;
}

async function connect(mesh: Mesh, name: string): Promise<void> {
  const channel = new BroadcastChannel(mesh.channelName);
  const post = (message: ChannelMessage): void => {
    mesh.inflight += mesh.peers.length - 1;
    mesh.lastActivity = Date.now();
    channel.postMessage({ tab: mesh.tab, message } satisfies Envelope);
  };
  const peer = await openPeer(name, mesh.deps, await mesh.openStore(name), post);
  peer.changed = () => mesh.onChange();
  channel.onmessage = (event: MessageEvent<Envelope>) => {
    mesh.lastActivity = Date.now();
    const { tab, message } = event.data;
    if (message.t === 'reset') {
      if (tab !== mesh.tab && mesh.peers[0] === peer) mesh.onReset();
      return;
    }
    deliver(peer, message)
      .catch((error: unknown) => { mesh.errors.push(`${name}: ${String(error)}`); })
      .finally(() => {
        if (tab === mesh.tab) mesh.inflight -= 1;
        mesh.lastActivity = Date.now();
        mesh.onChange();
      });
  };
  mesh.peers.push(peer);
  mesh.channels.push(channel);
}

/** Tells the other tabs to reset (this tab resets itself). */
export function broadcastReset(mesh: Mesh): void {
  const channel = new BroadcastChannel(mesh.channelName);
  channel.postMessage({ tab: mesh.tab, message: { t: 'reset' } } satisfies Envelope);
  channel.close();
}

/** Closes every channel and store. */
export async function closeMesh(mesh: Mesh): Promise<void> {
  for (const channel of mesh.channels) channel.close();
  await Promise.all(mesh.peers.map(async (peer) => { await peer.queue; await peer.store.close(); }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every local delivery was processed and nothing arrived for `quietMs` (other tabs). */
export async function settle(mesh: Mesh, quietMs = 50, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await Promise.all(mesh.peers.map((peer) => peer.queue));
    if (mesh.inflight === 0 && Date.now() - mesh.lastActivity >= quietMs) return;
    if (Date.now() > deadline) throw new Error(`the network did not settle (${mesh.inflight} deliveries pending)`);
    await sleep(10);
  }
}

/** The local peer called `name`. */
export function peerNamed(mesh: Mesh, name: string): Peer {
  const peer = mesh.peers.find((candidate) => candidate.name === name);
  if (peer === undefined) throw new Error(`no peer ${name} in this tab`);
  return peer;
}

/** Closes each store, reopens it and decodes; per peer, true when everything matches memory. */
export async function reloadAll(mesh: Mesh): Promise<Record<string, boolean>> {
  const results: Record<string, boolean> = {};
  for (const peer of mesh.peers) results[peer.name] = await reloadPeer(peer, () => mesh.openStore(peer.name));
  mesh.onChange();
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
  const [alice, bob, carol, dave] = STORY_PEERS.map((name) => peerNamed(mesh, name)) as [Peer, Peer, Peer, Peer];
  const step = async (line: string, act: () => Promise<unknown>): Promise<void> => {
    say(line);
    await act();
    await settle(mesh);
  };
  await settle(mesh);
  const missing = mesh.peers.filter((peer) => Object.keys(peer.journal.names).length < STORY_PEERS.length);
  if (missing.length > 0) throw new Error(`key bundles missing at ${missing.map((peer) => peer.name).join(', ')}`);
  await step('1. Alice creates a group with Bob', () => actions.create(alice, ['Bob']));
  await step('2. Bob adds Carol', () => actions.add(bob, 'Carol'));
  await step('3. Carol adds Dave', () => actions.add(carol, 'Dave'));
  await step('4. Everyone says hello', () => Promise.all([alice, bob, carol, dave].map((peer) => actions.send(peer, `hello from ${peer.name}`))));
  await step('5. Alice removes Dave', () => actions.remove(alice, 'Dave'));
  await step('6. Bob and Carol write after Dave left', () => Promise.all([
    actions.send(bob, 'Dave cannot read this'),
    actions.send(carol, 'nor this, Dave is out'),
  ]));
  say(`   members: ${[alice, bob, carol].map((peer) => `${peer.name} sees ${memberNames(peer).join(', ')}`).join('; ')}`);
  say('7. Every peer reloads its state from its store');
  const reloaded = await reloadAll(mesh);
  say(`   ${Object.entries(reloaded).map(([name, ok]) => `${name}: ${ok ? 'identical' : 'DIFFERENT'}`).join(', ')}`);
  return reloaded;
}
