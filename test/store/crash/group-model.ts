/**
 * The application state the crash test persists: four peers (A..D) of ONE
 * data-scheme group, simulated in one process, each with its own key manager,
 * key registry, group state (absent until it joins) and log (application
 * messages it read, bundles received before it joined). Everything lives as
 * named blobs in ONE store:
 *
 *   sim            { v, k }                       steps committed
 *   <P>/keys       encodeKeyManager
 *   <P>/registry   encodeKeyRegistry
 *   <P>/inbox      encodeGroupInbox               (pre-join inbox, until P joined)
 *   <P>/group      encodeGroupState               (once P joined)
 *   <P>/log        { v, reads: [[bundle, text, sender(32), epoch]] }
 *
 * The network is the store's outbox: every wire bundle a peer sends is an
 * outbox entry (topic = sender name); peer P has processed bundle `id` iff
 * the store recorded the processed id `P:id`.
 */
import type { Deps } from '../../../src/crypto/index.js';
import { decodeVersionedRecord, encodeCanonical, fromHex, readArray, readUint, toHex } from '../../../src/crypto/index.js';
import { decodeGroupInbox, decodeGroupState, encodeGroupInbox, encodeGroupState } from '../../../src/group/index.js';
import type { GroupInbox, GroupState } from '../../../src/group/index.js';
import { decodeKeyManager, decodeKeyRegistry, encodeKeyManager, encodeKeyRegistry, identityOf } from '../../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../../src/keys/index.js';

/** The simulated peers. */
export const PEER_NAMES = ['A', 'B', 'C', 'D'] as const;

/** An application message a peer decrypted: it must stay readable (until its secret is deleted on purpose). */
export interface ReadRecord {
  /** Outbox id of the wire bundle that carried it. */
  readonly bundle: string;
  readonly text: string;
  /** Authenticated sender (member id, hex). */
  readonly sender: string;
  readonly epoch: number;
}

/** One simulated peer. */
export interface Peer {
  readonly name: string;
  readonly id: string;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  /** The pre-join inbox, until the peer joined (then null). */
  readonly inbox: GroupInbox | null;
  /** The group state, once the peer joined (else null). */
  readonly group: GroupState | null;
  readonly reads: readonly ReadRecord[];
}

/** The whole persisted state: `k` steps committed (0 = empty store). */
export interface SimState {
  readonly k: number;
  readonly peers: readonly Peer[];
}

/** The blob names of a peer. */
export function peerBlobNames(name: string): { readonly keys: string; readonly registry: string; readonly inbox: string; readonly group: string; readonly log: string } {
  return { keys: `${name}/keys`, registry: `${name}/registry`, inbox: `${name}/inbox`, group: `${name}/group`, log: `${name}/log` };
}

/** Name of the step counter blob. */
export const SIM_BLOB = 'sim';

/** Processed id of step `k` (every step records one, so a refused duplicate shows as a missing step id). */
export function stepId(k: number): string {
  return `step:${k}`;
}

/** Processed id of bundle `bundle` at peer `name`. */
export function deliveryId(name: string, bundle: string): string {
  return `${name}:${bundle}`;
}

/** Outbox id of output `index` of step `k`. */
export function bundleId(k: number, index: number): string {
  return `${k}.${index}`;
}

/** The unique text sent at step `k`, and back: the bundle that carried a text (application sends have one output). */
export function textOf(k: number): string {
  return `m${k}`;
}

/** The outbox id of the bundle that carried `text`. */
export function bundleOfText(text: string): string {
  const k = Number(text.slice(1));
  if (!text.startsWith('m') || !Number.isSafeInteger(k)) throw new Error(`unexpected plaintext ${text}`);
  return bundleId(k, 0);
}

function encodeLog(peer: Peer): Uint8Array {
  return encodeCanonical({ v: 1, reads: peer.reads.map((r) => [r.bundle, r.text, fromHex(r.sender), r.epoch]) });
}

function decodeLog(bytes: Uint8Array): readonly ReadRecord[] {
  const r = decodeVersionedRecord(bytes, 'log', 1, ['v', 'reads']);
  const reads = readArray(r, 'reads', 'log').map((value): ReadRecord => {
    if (!Array.isArray(value) || value.length !== 4 || typeof value[0] !== 'string' || typeof value[1] !== 'string' || !(value[2] instanceof Uint8Array) || typeof value[3] !== 'number') {
      throw new Error('log: bad read record');
    }
    return { bundle: value[0], text: value[1], sender: toHex(value[2]), epoch: value[3] };
  });
  return reads;
}

/**
 * The blobs of one peer: `inbox` until it joined, `group` after (a peer that
 * changes writes `null` for the other one, which deletes it).
 */
export function encodePeer(peer: Peer): Record<string, Uint8Array | null> {
  const names = peerBlobNames(peer.name);
  const blobs: Record<string, Uint8Array | null> = {
    [names.keys]: encodeKeyManager(peer.keys),
    [names.registry]: encodeKeyRegistry(peer.registry),
    [names.log]: encodeLog(peer),
  };
  blobs[names.group] = peer.group ? encodeGroupState(peer.group) : null;
  blobs[names.inbox] = peer.inbox ? encodeGroupInbox(peer.inbox) : null;
  return blobs;
}

/** The step counter blob. */
export function encodeSim(k: number): Uint8Array {
  return encodeCanonical({ v: 1, k });
}

/** Applies written blobs (`null` deletes) to a set of blobs: what the store holds after a commit. */
export function withBlobs(blobs: Readonly<Record<string, Uint8Array>>, written: Readonly<Record<string, Uint8Array | null>>): Record<string, Uint8Array> {
  const next: Record<string, Uint8Array> = { ...blobs };
  for (const [name, blob] of Object.entries(written)) {
    if (blob === null) delete next[name];
    else next[name] = blob;
  }
  return next;
}

/** Every blob of a state. */
export function encodeState(state: SimState): Record<string, Uint8Array> {
  let blobs: Record<string, Uint8Array> = state.k === 0 ? {} : { [SIM_BLOB]: encodeSim(state.k) };
  for (const peer of state.peers) blobs = withBlobs(blobs, encodePeer(peer));
  return blobs;
}

function need(blobs: Readonly<Record<string, Uint8Array>>, name: string): Uint8Array {
  const blob = blobs[name];
  if (blob === undefined) throw new Error(`torn state: blob ${name} missing`);
  return blob;
}

/**
 * Rebuilds the state from ALL its blobs with the real decoders; throws when a
 * blob is missing, extra or does not decode (a torn or damaged state).
 */
export function decodeState(blobs: Readonly<Record<string, Uint8Array>>, deps: Deps): SimState {
  const names = Object.keys(blobs);
  if (names.length === 0) return { k: 0, peers: [] };
  const k = readUint(decodeVersionedRecord(need(blobs, SIM_BLOB), SIM_BLOB, 1, ['v', 'k']), 'k', SIM_BLOB);
  const expected = new Set<string>([SIM_BLOB]);
  const peers = PEER_NAMES.map((name): Peer => {
    const n = peerBlobNames(name);
    const keys = decodeKeyManager(need(blobs, n.keys));
    const group = blobs[n.group] === undefined ? null : decodeGroupState(need(blobs, n.group), deps);
    const inbox = group ? null : decodeGroupInbox(need(blobs, n.inbox));
    for (const blob of [n.keys, n.registry, n.log, group ? n.group : n.inbox]) expected.add(blob);
    return { name, id: toHex(identityOf(keys).publicKey), keys, registry: decodeKeyRegistry(need(blobs, n.registry)), inbox, group, reads: decodeLog(need(blobs, n.log)) };
  });
  const extra = names.filter((name) => !expected.has(name));
  if (extra.length > 0) throw new Error(`torn state: unexpected blobs ${extra.join(',')}`);
  return { k, peers };
}
