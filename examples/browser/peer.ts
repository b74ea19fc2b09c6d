/**
 * One peer of the browser example: its keys, its registry of the others' key
 * bundles, its group state (data or message scheme), a log of what it read,
 * and its own store. Peers talk over a `BroadcastChannel` (one blob per
 * message, `encodeWireBundle`) and every transition (create, add, remove,
 * update, send, receive) is written by ONE `store.commit`: the new group
 * state, keys, registry and log, the processed incoming id and the outgoing
 * messages (outbox). The message is posted only after the commit succeeded.
 *
 * The peer is generic over the store and the channel, so the same code runs
 * in a page (IndexedDbStore, BroadcastChannel) and under Node (MemoryStore).
 */
import type { Deps } from '../../src/crypto/index.js';
import { bytesEqual, fromHex, toHex, utf8 } from '../../src/crypto/index.js';
import {
  addMember, createGroup, decodeGroupState, encodeGroupState, encodeWireBundle, groupMembers, joinGroup, openWireBundle, receive,
  removeMember, send, updateGroup,
} from '../../src/group/index.js';
import type { GroupContext, GroupResult, GroupScheme, GroupState } from '../../src/group/index.js';
import {
  createKeyManager, createKeyRegistry, decodeKeyBundle, decodeKeyManager, decodeKeyRegistry, encodeKeyBundle, encodeKeyManager,
  encodeKeyRegistry, identityOf, longTermBundle, registerBundle,
} from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';
import type { Store } from '../../src/store/index.js';

/** What travels on the channel: a key bundle announcement or a wire bundle. */
export type ChannelMessage =
  | { readonly t: 'hello'; readonly name: string; readonly bundle: Uint8Array; readonly reply: boolean }
  | { readonly t: 'wire'; readonly from: string; readonly bytes: Uint8Array }
  /** Another tab pressed Reset: every tab forgets its peers and starts over. */
  | { readonly t: 'reset' };

/** One line of a peer's log: a message it read (or wrote), or one it could not read. */
export interface LogEntry {
  readonly from: string;
  readonly text: string;
  readonly own: boolean;
}

/** The part of a peer that is persisted next to the group state (as JSON). */
interface Journal {
  names: Record<string, string>;
  read: LogEntry[];
  failures: string[];
  /** Wire bundles received before this peer was a member (hex), replayed after joining. */
  early: string[];
}

/** A live peer. Mutable on purpose: it is the application around the pure Group API. */
export interface Peer {
  readonly name: string;
  readonly deps: Deps;
  id: string;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  state: GroupState | undefined;
  journal: Journal;
  store: Store;
  commits: number;
  /** Serializes this peer's transitions (each one awaits its commit). */
  queue: Promise<void>;
  post: (message: ChannelMessage) => void;
  /** Called after every applied transition (for the UI). */
  changed: () => void;
}

const text = new TextDecoder();

function emptyJournal(): Journal {
  return { names: {}, read: [], failures: [], early: [] };
}

/** The peer's group context. */
export function contextOf(peer: Peer): GroupContext {
  return { deps: peer.deps, keys: peer.keys, registry: peer.registry };
}

/** Display name of a member id (the short hex when unknown). */
export function nameOf(peer: Peer, id: string): string {
  return peer.journal.names[id] ?? id.slice(0, 8);
}

/** Current members by name, sorted; empty before joining or after removal. */
export function memberNames(peer: Peer): string[] {
  if (peer.state === undefined || peer.state.dcgka.removed) return [];
  return groupMembers(peer.state).map((id) => nameOf(peer, id)).sort();
}

function hexId(peer: Peer, bytes: Uint8Array): string {
  return toHex(peer.deps.crypto.sha256(bytes));
}

/** Loads a peer from its store, or creates fresh keys (committed at once). */
export async function openPeer(name: string, deps: Deps, store: Store, post: (message: ChannelMessage) => void): Promise<Peer> {
  const [keyBytes, registryBytes, groupBytes, journalBytes] = await Promise.all(['keys', 'registry', 'group', 'journal'].map((n) => store.load(n)));
  const keys = keyBytes ? decodeKeyManager(keyBytes) : createKeyManager(deps);
  const peer: Peer = {
    name, deps, keys, store, post,
    id: toHex(identityOf(keys).publicKey),
    registry: registryBytes ? decodeKeyRegistry(registryBytes) : createKeyRegistry(),
    state: groupBytes ? decodeGroupState(groupBytes, deps) : undefined,
    journal: journalBytes ? (JSON.parse(text.decode(journalBytes)) as Journal) : emptyJournal(),
    commits: 0, queue: Promise.resolve(), changed: () => undefined,
  };
  peer.journal.names[peer.id] = name;
  if (!keyBytes) await persist(peer, snapshot(peer));
  return peer;
}

/** The persisted part of a peer. */
interface Snapshot {
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  readonly state: GroupState | undefined;
  readonly journal: Journal;
}

function snapshot(peer: Peer): Snapshot {
  return { keys: peer.keys, registry: peer.registry, state: peer.state, journal: peer.journal };
}

/**
 * Everything one transition writes, in ONE commit; the peer adopts `next`
 * only when the commit was applied (a refused duplicate changes nothing).
 */
async function persist(peer: Peer, next: Snapshot, extra: { processed?: string; outbox?: Uint8Array[] } = {}): Promise<boolean> {
  const states: Record<string, Uint8Array> = {
    keys: encodeKeyManager(next.keys),
    registry: encodeKeyRegistry(next.registry),
    journal: utf8(JSON.stringify(next.journal)),
  };
  if (next.state) states['group'] = encodeGroupState(next.state);
  const outbox = (extra.outbox ?? []).map((bytes) => ({ id: hexId(peer, bytes), topic: 'channel', bytes }));
  const result = await peer.store.commit({ states, processed: extra.processed ? [extra.processed] : [], outbox });
  if (!result.applied) return false;
  Object.assign(peer, next);
  peer.commits += 1;
  return true;
}

/** Runs `task` after every earlier task of this peer. */
export function enqueue<T>(peer: Peer, task: () => Promise<T>): Promise<T> {
  const run = peer.queue.then(task);
  peer.queue = run.then(() => undefined, () => undefined);
  return run;
}

/**
 * Applies a Group API result: the next journal, then ONE commit of state,
 * keys, registry, journal, processed id and outbox, then the posts.
 */
async function adopt(peer: Peer, result: GroupResult, extra: { processed?: string; wrote?: string; early?: string[] } = {}): Promise<void> {
  const journal: Journal = structuredClone(peer.journal);
  if (extra.early) journal.early = extra.early;
  if (extra.wrote !== undefined) journal.read.push({ from: peer.name, text: extra.wrote, own: true });
  const outbox: Uint8Array[] = [];
  for (const out of result.outputs) {
    if (out.kind === 'send') outbox.push(encodeWireBundle(out.message));
    else if (out.kind === 'application') journal.read.push({ from: journal.names[out.sender] ?? out.sender.slice(0, 8), text: text.decode(out.plaintext), own: false });
    else if (out.kind === 'rejected') journal.failures.push(out.error.code);
  }
  const next = { state: result.state, keys: result.keys, registry: result.registry, journal };
  if (!(await persist(peer, next, { ...(extra.processed ? { processed: extra.processed } : {}), outbox }))) return;
  for (const bytes of outbox) peer.post({ t: 'wire', from: peer.id, bytes });
  if (outbox.length > 0) await peer.store.markSent(outbox.map((bytes) => hexId(peer, bytes)));
  peer.changed();
}

/** Announces this peer's long-term key bundle. */
export function hello(peer: Peer, reply = false): void {
  peer.post({ t: 'hello', name: peer.name, bundle: encodeKeyBundle(longTermBundle(peer.keys)), reply });
}

/** Handles one channel message (in the peer's queue). */
export function deliver(peer: Peer, message: ChannelMessage): Promise<void> {
  return enqueue(peer, async () => {
    if (message.t === 'wire') return receiveBundle(peer, message.bytes);
    if (message.t !== 'hello') return;
    const bundle = decodeKeyBundle(message.bundle);
    const id = toHex(bundle.identityKey);
    const known = peer.journal.names[id] === message.name;
    const journal = structuredClone(peer.journal);
    journal.names[id] = message.name;
    await persist(peer, { ...snapshot(peer), registry: registerBundle(peer.registry, bundle, peer.deps), journal });
    if (!known && !message.reply) hello(peer, true);
    peer.changed();
  });
}

async function receiveBundle(peer: Peer, bytes: Uint8Array): Promise<void> {
  const processed = hexId(peer, bytes);
  if (await peer.store.isProcessed(processed)) return;
  const incoming = openWireBundle(bytes, peer.id);
  if (peer.state === undefined) {
    let joined: GroupResult;
    try {
      joined = joinGroup(contextOf(peer), { scheme: schemeOf(peer), message: incoming });
    } catch {
      // not (yet) for me: keep it for after my welcome
      await persist(peer, { ...snapshot(peer), journal: { ...peer.journal, early: [...peer.journal.early, toHex(bytes)] } });
      return;
    }
    const early = peer.journal.early;
    await adopt(peer, joined, { processed, early: [] });
    for (const hex of early) await receiveBundle(peer, fromHex(hex));
    return;
  }
  let result: GroupResult;
  try {
    result = receive(peer.state, contextOf(peer), incoming);
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    await persist(peer, { ...snapshot(peer), journal: { ...peer.journal, failures: [...peer.journal.failures, code] } }, { processed });
    peer.changed();
    return;
  }
  await adopt(peer, result, { processed });
}

let scheme: GroupScheme = 'data';

/** The scheme new groups use (and joiners expect). */
export function setScheme(next: GroupScheme): void {
  scheme = next;
}

function schemeOf(peer: Peer): GroupScheme {
  return peer.state?.scheme ?? scheme;
}

function idOf(peer: Peer, name: string): string {
  const id = Object.keys(peer.journal.names).find((candidate) => peer.journal.names[candidate] === name);
  if (id === undefined) throw new Error(`${peer.name} has no key bundle of ${name}`);
  return id;
}

function member(peer: Peer): GroupState {
  if (peer.state === undefined) throw new Error(`${peer.name} is not in a group`);
  return peer.state;
}

/** The user's actions, each one transition. */
export const actions = {
  create: (peer: Peer, with_: readonly string[]) => enqueue(peer, () => {
    if (peer.state !== undefined) throw new Error(`${peer.name} is already in a group (Reset to start over)`);
    return adopt(peer, createGroup(contextOf(peer), { scheme, members: with_.map((n) => idOf(peer, n)) }));
  }),
  add: (peer: Peer, name: string) => enqueue(peer, () => adopt(peer, addMember(member(peer), contextOf(peer), idOf(peer, name)))),
  remove: (peer: Peer, name: string) => enqueue(peer, () => adopt(peer, removeMember(member(peer), contextOf(peer), idOf(peer, name)))),
  update: (peer: Peer) => enqueue(peer, () => adopt(peer, updateGroup(member(peer), contextOf(peer)))),
  send: (peer: Peer, message: string) => enqueue(peer, () => adopt(peer, send(member(peer), contextOf(peer), { plaintext: utf8(message) }), { wrote: message })),
};

/**
 * Closes the store, reopens it and decodes everything again; true when the
 * reloaded group state, keys and registry encode exactly as the ones in memory.
 */
export async function reloadPeer(peer: Peer, reopen: () => Promise<Store>): Promise<boolean> {
  return enqueue(peer, async () => {
    const memory = [peer.state ? encodeGroupState(peer.state) : new Uint8Array(0), encodeKeyManager(peer.keys), encodeKeyRegistry(peer.registry)];
    await peer.store.close();
    const fresh = await openPeer(peer.name, peer.deps, await reopen(), peer.post);
    const loaded = [fresh.state ? encodeGroupState(fresh.state) : new Uint8Array(0), encodeKeyManager(fresh.keys), encodeKeyRegistry(fresh.registry)];
    Object.assign(peer, { store: fresh.store, ...snapshot(fresh) });
    return memory.every((bytes, i) => bytesEqual(bytes, loaded[i] as Uint8Array));
  });
}
