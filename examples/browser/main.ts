/**
 * The browser example's page: four peers (Alice, Bob, Carol, Dave) run in
 * this tab, talk over a `BroadcastChannel` and persist every transition to
 * IndexedDB (`IndexedDbStore`, one database per peer). `?peers=Alice,Bob`
 * runs only some peers here (open the rest in another tab);
 * `?scheme=message` uses the message scheme instead of the data scheme,
 * `?scheme=mls` an MLS Secret Group (Alice owns it; members' adds are
 * proposals her peer commits);
 * `?pq=1` (the "post-quantum" checkbox) creates post-quantum groups
 * (X25519 + ML-KEM-768 key agreement), with their own databases and channel.
 * Bundled by examples/browser/build.ts; tests read `window.groupcryptExample`.
 */
import { PortableCryptoProvider } from '../../src/crypto/index.js';
import type { GroupScheme } from '../../src/peer/index.js';
import { IndexedDbStore } from '../../src/store/index.js';
import { actions, broadcastReset, closeMesh, openMesh, peerNamed, reloadAll, runStory, settle, STORY_PEERS } from './mesh.js';
import type { LocalPeer, Mesh } from './mesh.js';

/** What a test (or the console) sees of one peer. */
interface PeerSnapshot {
  readonly name: string;
  readonly id: string;
  readonly members: string[];
  readonly removed: boolean;
  /** MLS: the owner's name; null for the DCGKA schemes. */
  readonly owner: string | null;
  /** MLS: proposals waiting for the owner. */
  readonly pending: string[];
  /** In a post-quantum group. */
  readonly pq: boolean;
  readonly read: { from: string; text: string; own: boolean }[];
  readonly failures: string[];
  readonly commits: number;
}

const params = new URLSearchParams(location.search);
const asked = params.get('scheme');
const scheme: GroupScheme | 'mls' = asked === 'message' || asked === 'mls' ? asked : 'data';
/** Post-quantum applies to the DCGKA schemes (an MLS group runs MLS ciphersuite 1). */
const pq = params.get('pq') === '1' && scheme !== 'mls';
/** Databases and channel of this variant (a post-quantum page never mixes with a classic one). */
const variant = pq ? `${scheme}-pq` : scheme;
const local = (params.get('peers')?.split(',') ?? [...STORY_PEERS]).filter((name) => (STORY_PEERS as readonly string[]).includes(name));
const deps = { crypto: new PortableCryptoProvider(), now: () => Math.floor(Date.now() / 1000) };
const dbName = (name: string): string => `groupcrypt-example-${variant}-${name}`;

let mesh: Mesh;
let lastReload: Record<string, boolean> = {};

const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document): T => {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`missing ${selector}`);
  return found;
};

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function status(state: 'starting' | 'idle' | 'running' | 'done' | 'error', text: string): void {
  const line = $('#status');
  line.dataset['state'] = state;
  line.textContent = text;
}

function say(line: string): void {
  $('#story').append(element('li', {}, line));
}

/** Runs a user action, reporting errors on the page instead of losing them. */
async function guarded(what: string, act: () => Promise<unknown>): Promise<void> {
  try {
    await act();
    await settle(mesh);
  } catch (error) {
    say(`${what} failed: ${(error as { code?: string }).code ?? String(error)}`);
  }
}

function snapshotOf(peer: LocalPeer): PeerSnapshot {
  const view = peer.view;
  return {
    name: peer.name, id: view.id, members: [...view.members], removed: view.removed, owner: view.owner, pending: [...view.pending], pq: view.pq,
    read: view.read.map((entry) => ({ ...entry })), failures: [...view.failures], commits: peer.commits.n,
  };
}

/** A peer's buttons; each click acts on the peer of that name as it is now (reloads replace the runtime objects). */
function controls(peer: LocalPeer): HTMLElement {
  const now = (): LocalPeer => peerNamed(mesh, peer.name);
  const others = STORY_PEERS.filter((name) => name !== peer.name);
  const pick = element('select', { class: 'who' }, ...others.map((name) => element('option', { value: name }, name)));
  const text = element('input', { class: 'text', placeholder: 'message', value: `hi from ${peer.name}` });
  const button = (label: string, act: () => Promise<unknown>): HTMLButtonElement => {
    const node = element('button', { 'data-action': label.toLowerCase() }, label);
    node.addEventListener('click', () => void guarded(`${peer.name} ${label}`, act));
    return node;
  };
  return element('div', { class: 'controls' },
    button('Create', () => actions.create(now(), scheme, [], pq)), pick,
    button('Add', () => actions.add(now(), pick.value)), button('Remove', () => actions.remove(now(), pick.value)),
    button('Update', () => actions.update(now())),
    ...(scheme === 'mls' ? [button('Handover', () => actions.handover(now(), pick.value))] : []),
    text, button('Send', () => actions.send(now(), text.value)));
}

function renderPeer(peer: LocalPeer): void {
  const card = document.querySelector<HTMLElement>(`section.peer[data-peer="${peer.name}"]`);
  if (card === null) return;
  const view = snapshotOf(peer);
  card.dataset['removed'] = String(view.removed);
  card.dataset['member'] = String(view.members.length > 0);
  card.dataset['pq'] = String(view.pq);
  card.dataset['owner'] = view.owner ?? '';
  const state = view.removed ? 'removed from the group' : view.members.length > 0 ? `member (${peer.view.scheme ?? scheme} scheme${view.pq ? ', post-quantum' : ''})` : 'not in a group';
  const reload = lastReload[peer.name];
  $('.view', card).replaceChildren(
    element('p', { class: 'state' }, state),
    element('h3', {}, 'Members'),
    element('ul', { class: 'members' }, ...view.members.map((name) => element('li', {}, name))),
    ...(view.owner === null ? [] : [element('p', { class: 'owner' }, `owner: ${view.owner}`)]),
    ...(view.pending.length === 0 ? [] : [element('ul', { class: 'pending' }, ...view.pending.map((line) => element('li', {}, `pending ${line}`)))]),
    element('h3', {}, 'Messages'),
    element('ol', { class: 'messages' }, ...view.read.map((entry) => element('li', { 'data-from': entry.from, 'data-own': String(entry.own) },
      element('b', {}, entry.own ? 'me' : entry.from), ` ${entry.text}`))),
    element('p', { class: 'failures', 'data-count': String(view.failures.length) },
      view.failures.length === 0 ? '' : `could not read ${view.failures.length}: ${[...new Set(view.failures)].join(', ')}`),
    element('p', { class: 'meta' }, `${view.commits} IndexedDB commits`,
      reload === undefined ? '' : element('span', { class: 'reloaded', 'data-ok': String(reload) }, reload ? ' · reloaded: identical' : ' · reloaded: DIFFERENT')),
  );
}

let pending = false;
function render(): void {
  if (pending || (mesh as Mesh | undefined) === undefined) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    for (const peer of mesh.peers) renderPeer(peer);
  });
}

function layout(): void {
  $('#peers').replaceChildren(...mesh.peers.map((peer) => element('section', { class: 'peer', 'data-peer': peer.name },
    element('h2', {}, peer.name, element('small', {}, ` ${peer.view.id.slice(0, 12)}…`)),
    element('div', { class: 'view' }), controls(peer))));
  render();
}

async function start(): Promise<void> {
  mesh = await openMesh({ channelName: `groupcrypt-example-${variant}`, deps, scheme, pq, names: local, openStore: (name) => IndexedDbStore.open(dbName(name), { crypto: deps.crypto }), onChange: render,
    onReset: () => void reset(false).then(() => status('idle', 'another tab reset: fresh keys, empty databases')),
  });
  layout();
}

/**
 * Forgets everything: closes and deletes every local peer's database, then
 * starts over with fresh keys; `everywhere` asks the other tabs to do the same.
 */
async function reset(everywhere = true): Promise<void> {
  if (everywhere) broadcastReset(mesh);
  await closeMesh(mesh);
  await Promise.all(local.map((name) => new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(dbName(name));
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  })));
  lastReload = {};
  $('#story').replaceChildren();
  await start();
}

async function story(): Promise<Record<string, boolean>> {
  status('running', 'running the story…');
  try {
    if (mesh.peers.some((peer) => peer.view.scheme !== null)) await reset();
    const started = performance.now();
    lastReload = await runStory(mesh, say);
    render();
    status('done', `story done in ${Math.round(performance.now() - started)} ms`);
    return lastReload;
  } catch (error) {
    status('error', `story failed: ${String(error)}`);
    throw error;
  }
}

async function reloadButton(): Promise<Record<string, boolean>> {
  await settle(mesh);
  lastReload = await reloadAll(mesh);
  render();
  return lastReload;
}

const api = {
  ready: undefined as unknown as Promise<void>,
  runStory: story,
  reset: () => reset(true),
  reload: reloadButton,
  settle: () => settle(mesh),
  snapshot: (): PeerSnapshot[] => mesh.peers.map(snapshotOf),
  errors: (): string[] => [...mesh.errors],
  peer: (name: string): PeerSnapshot => snapshotOf(peerNamed(mesh, name)),
};
(globalThis as { groupcryptExample?: typeof api }).groupcryptExample = api;

$('#run').addEventListener('click', () => void story().catch(() => undefined));
$('#reset').addEventListener('click', () => void reset(true).then(() => status('idle', 'reset: fresh keys, empty databases')));
$('#reload').addEventListener('click', () => void reloadButton());
$('#scheme').textContent = scheme;
const pqBox = $<HTMLInputElement>('#pq');
pqBox.checked = pq;
pqBox.addEventListener('change', () => {
  // a post-quantum page runs its own peers (databases, channel): switch by reloading with ?pq=1
  if (pqBox.checked) params.set('pq', '1');
  else params.delete('pq');
  location.search = params.toString();
});
$('#provider').textContent = deps.crypto.name;
status('starting', 'opening IndexedDB…');
api.ready = start().then(() => {
  const resumed = mesh.peers.filter((peer) => peer.view.scheme !== null).map((peer) => peer.name);
  status('idle', resumed.length > 0 ? `resumed ${resumed.join(', ')} from IndexedDB` : `ready: ${local.join(', ')} in this tab`);
}, (error: unknown) => {
  status('error', `could not start: ${(error as { code?: string }).code ?? String(error)}`);
});
