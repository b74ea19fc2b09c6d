/**
 * KeyRegistry: other members' published key bundles, keyed by the hex of
 * their identity key. A one-time bundle is handed out exactly once (and its
 * id remembered so a re-delivered copy is refused); when none is left, the
 * long-term bundle is used. Plain data; every change returns a new state.
 */
import type { Deps } from '../crypto/index.js';
import { asRecord, bytesEqual, decodeVersionedRecord, encodeCanonical, readArray, readUint, toHex } from '../crypto/index.js';
import { DecodeError, StateError } from '../errors.js';
import type { KeyBundle, LongTermKeyBundle, OneTimeKeyBundle } from './key-bundle.js';
import { keyBundleFromCbor, keyBundleToCbor, verifyKeyBundle } from './key-bundle.js';
import { isLifetimeValid } from './lifetime.js';
import { MAX_TAKEN_ONE_TIME_IDS } from './limits.js';

/** Version of the encoded KeyRegistry state. */
export const KEY_REGISTRY_VERSION = 1;

/** The bundles known for one peer. */
export interface PeerBundles {
  readonly longTerm: LongTermKeyBundle | null;
  /** Unused one-time bundles by ascending one-time pre-key id. */
  readonly oneTime: readonly OneTimeKeyBundle[];
  /** Ids of one-time bundles already handed out (ascending, at most MAX_TAKEN_ONE_TIME_IDS). */
  readonly takenOneTimeIds: readonly number[];
}

/** Others' key bundles, keyed by `toHex(identityKey)`. */
export interface KeyRegistryState {
  readonly v: 1;
  readonly peers: Readonly<Record<string, PeerBundles>>;
}

const EMPTY_PEER: PeerBundles = { longTerm: null, oneTime: [], takenOneTimeIds: [] };

/** An empty registry. */
export function createKeyRegistry(): KeyRegistryState {
  return { v: 1, peers: {} };
}

/**
 * Verifies a bundle (signature, lifetime) and stores it. A long-term bundle
 * replaces the stored one unless that one stays valid longer. Registering a
 * one-time bundle already held is a no-op.
 * @throws VerifyError `VERIFY_SIGNATURE`, `VERIFY_EXPIRED`, `VERIFY_NOT_YET_VALID`.
 * @throws StateError `STATE_KEY_CONSUMED` for a one-time bundle already handed out;
 *   `STATE_DUPLICATE` for a different one-time bundle under a held id.
 * @example registry = registerBundle(registry, decodeKeyBundle(bytes), deps);
 */
export function registerBundle(state: KeyRegistryState, bundle: KeyBundle, deps: Deps): KeyRegistryState {
  verifyKeyBundle(bundle, deps);
  const hex = toHex(bundle.identityKey);
  const peer = state.peers[hex] ?? EMPTY_PEER;
  let next: PeerBundles;
  if (bundle.kind === 'long-term') {
    const held = peer.longTerm;
    if (held !== null && held.signedPreKey.lifetime.notAfter > bundle.signedPreKey.lifetime.notAfter) return state;
    // the same bundle again (every sync sees it): keep the state object, so callers can skip a write
    if (held !== null && held.signedPreKey.lifetime.notAfter === bundle.signedPreKey.lifetime.notAfter && bytesEqual(held.signedPreKey.publicKey, bundle.signedPreKey.publicKey)) return state;
    next = { ...peer, longTerm: bundle };
  } else {
    const id = bundle.oneTimePreKey.id;
    if (peer.takenOneTimeIds.includes(id)) throw new StateError('STATE_KEY_CONSUMED', `one-time bundle ${id} was already handed out`);
    const held = peer.oneTime.find((b) => b.oneTimePreKey.id === id);
    if (held !== undefined) {
      if (bytesEqual(held.oneTimePreKey.publicKey, bundle.oneTimePreKey.publicKey)) return state;
      throw new StateError('STATE_DUPLICATE', `a different one-time bundle ${id} is already held`);
    }
    const oneTime = [...peer.oneTime, bundle].sort((a, b) => a.oneTimePreKey.id - b.oneTimePreKey.id);
    next = { ...peer, oneTime };
  }
  return { v: 1, peers: { ...state.peers, [hex]: next } };
}

/**
 * Hands out a bundle for a peer: the valid one-time bundle with the lowest id
 * (removed from the registry, exactly once), else the valid long-term bundle.
 * One-time bundles found expired on the way are dropped.
 * @throws StateError `STATE_NO_BUNDLE` when no valid bundle is held.
 */
export function takeBundle(state: KeyRegistryState, identityKey: Uint8Array, deps: Deps): { state: KeyRegistryState; bundle: KeyBundle } {
  const hex = toHex(identityKey);
  const peer = state.peers[hex];
  if (peer === undefined) throw new StateError('STATE_NO_BUNDLE', 'no key bundle is known for this peer');
  const now = deps.now();
  const valid = peer.oneTime.filter((b) => isLifetimeValid(b.signedPreKey.lifetime, now));
  const chosen = valid[0];
  if (chosen !== undefined) {
    const taken = [...peer.takenOneTimeIds, chosen.oneTimePreKey.id].sort((a, b) => a - b).slice(-MAX_TAKEN_ONE_TIME_IDS);
    const next: PeerBundles = { ...peer, oneTime: valid.slice(1), takenOneTimeIds: taken };
    return { state: { v: 1, peers: { ...state.peers, [hex]: next } }, bundle: chosen };
  }
  if (peer.longTerm !== null && isLifetimeValid(peer.longTerm.signedPreKey.lifetime, now)) {
    const next = valid.length === peer.oneTime.length ? state : { v: 1 as const, peers: { ...state.peers, [hex]: { ...peer, oneTime: valid } } };
    return { state: next, bundle: peer.longTerm };
  }
  throw new StateError('STATE_NO_BUNDLE', 'no valid key bundle is known for this peer');
}

/**
 * Drops the one-time bundles held for a peer whose signed pre-key is older
 * than its long-term bundle's: the owner deletes a superseded signed pre-key
 * after a grace period, and a first message against it would then not open.
 * The next `takeBundle` hands out a newer one-time bundle, or the long-term one.
 * @returns the same state object when nothing is dropped.
 */
export function dropSupersededOneTimeBundles(state: KeyRegistryState, identityKey: Uint8Array): KeyRegistryState {
  const hex = toHex(identityKey);
  const peer = state.peers[hex];
  if (peer === undefined || peer.longTerm === null) return state;
  const current = peer.longTerm.signedPreKey.id;
  const kept = peer.oneTime.filter((b) => b.signedPreKey.id >= current);
  if (kept.length === peer.oneTime.length) return state;
  return { v: 1, peers: { ...state.peers, [hex]: { ...peer, oneTime: kept } } };
}

/** How many unused one-time bundles are held for a peer. */
export function oneTimeBundleCount(state: KeyRegistryState, identityKey: Uint8Array): number {
  return state.peers[toHex(identityKey)]?.oneTime.length ?? 0;
}

/** Encodes the registry as deterministic, versioned CBOR. */
export function encodeKeyRegistry(state: KeyRegistryState): Uint8Array {
  const peers: Record<string, unknown> = {};
  for (const [hex, peer] of Object.entries(state.peers)) {
    peers[hex] = {
      longTerm: peer.longTerm === null ? null : keyBundleToCbor(peer.longTerm),
      oneTime: peer.oneTime.map(keyBundleToCbor),
      takenOneTimeIds: [...peer.takenOneTimeIds],
    };
  }
  return encodeCanonical({ v: KEY_REGISTRY_VERSION, peers });
}

/**
 * Decodes a registry (structure only; bundles were verified when registered).
 * @throws DecodeError `DECODE_*` on malformed, non-canonical, wrong-version or trailing input,
 *   or a bundle stored under another peer's id.
 */
export function decodeKeyRegistry(bytes: Uint8Array): KeyRegistryState {
  const what = 'keyRegistry';
  const record = decodeVersionedRecord(bytes, what, KEY_REGISTRY_VERSION, ['v', 'peers']);
  const peersRecord = asRecord(record['peers'], `${what}.peers`);
  const peers: Record<string, PeerBundles> = {};
  for (const [hex, value] of Object.entries(peersRecord)) {
    const w = `${what}.peers.${hex.slice(0, 16)}`;
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new DecodeError('DECODE_FIELD', `${w}: key is not a 32-byte hex id`);
    const p = asRecord(value, w, ['longTerm', 'oneTime', 'takenOneTimeIds']);
    const longTerm = p['longTerm'] === null ? null : keyBundleFromCbor(p['longTerm'], `${w}.longTerm`);
    if (longTerm !== null && longTerm.kind !== 'long-term') throw new DecodeError('DECODE_FIELD', `${w}.longTerm: not a long-term bundle`);
    const oneTime = readArray(p, 'oneTime', w).map((b, i) => {
      const bundle = keyBundleFromCbor(b, `${w}.oneTime[${i}]`);
      if (bundle.kind !== 'one-time') throw new DecodeError('DECODE_FIELD', `${w}.oneTime[${i}]: not a one-time bundle`);
      return bundle;
    });
    const takenOneTimeIds = readArray(p, 'takenOneTimeIds', w, MAX_TAKEN_ONE_TIME_IDS).map((_, i, arr) => readUint({ id: arr[i] }, 'id', `${w}.takenOneTimeIds[${i}]`));
    for (const bundle of [...(longTerm === null ? [] : [longTerm]), ...oneTime]) {
      if (toHex(bundle.identityKey) !== hex) throw new DecodeError('DECODE_FIELD', `${w}: bundle of another identity`);
    }
    peers[hex] = { longTerm, oneTime, takenOneTimeIds };
  }
  return { v: 1, peers };
}
