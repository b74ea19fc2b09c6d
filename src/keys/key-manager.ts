/**
 * KeyManager: a member's own secrets — identity key, signed pre-keys (the
 * current one plus earlier ones until they expire) and unused one-time
 * pre-keys. Plain data; every change returns a new state.
 *
 * A one-time pre-key secret is removed the moment it is consumed, so it can
 * open one X3DH message at most (X3DH §3.3, forward secrecy).
 *
 * Post-quantum (optional, `createKeyManager({ pq: true })` or
 * `enablePqPreKeys`): a signed long-term ML-KEM-768 pre-key that rotates
 * with the signed pre-key (same id and lifetime), and a signed one-time
 * ML-KEM-768 pre-key beside each one-time pre-key (same id, consumed with
 * it). Encoded as state version 2; a classic state stays version 1.
 */
import type { Deps } from '../crypto/index.js';
import type { CborRecord } from '../crypto/index.js';
import { asRecord, copyBytes, decodeCanonical, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readText, readUint } from '../crypto/index.js';
import { DecodeError, StateError, UsageError } from '../errors.js';
import type { IdentityKeyPair } from './identity.js';
import { KEY_LENGTH, SIGNATURE_LENGTH, assertKey, generateIdentity, signWithIdentity } from './identity.js';
import type { LongTermKeyBundle, OneTimeKeyBundle, PqPreKey, SignedPreKey } from './key-bundle.js';
import { pqPreKeyMessage, readLifetime, signedPreKeyMessage } from './key-bundle.js';
import type { Lifetime } from './lifetime.js';
import { DEFAULT_PREKEY_LIFETIME_SECONDS, MAX_ONE_TIME_PREKEYS_PER_CALL, PREKEY_BACKDATE_SECONDS } from './limits.js';

/** Version of the encoded KeyManager state. */
export const KEY_MANAGER_VERSION = 1;
/** Version of an encoded KeyManager state holding ML-KEM pre-keys. */
export const PQ_KEY_MANAGER_VERSION = 2;

/** Bytes of an ML-KEM-768 secret seed and public key. */
const PQ_SECRET_LENGTH = 64;
const PQ_PUBLIC_LENGTH = 1184;

/** An ML-KEM-768 pre-key with its secret (the 64-byte seed). */
export interface PqPreKeySecret extends PqPreKey {
  readonly secretKey: Uint8Array;
}

/** A signed pre-key with its secret. */
export interface SignedPreKeySecret extends SignedPreKey {
  readonly secretKey: Uint8Array;
}

/** An unused one-time pre-key with its secret. */
export interface OneTimePreKeySecret {
  readonly id: number;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A member's own key material (plain, serializable data). */
export interface KeyManagerState {
  readonly v: 1;
  readonly identity: IdentityKeyPair;
  /** Lifetime given to new signed pre-keys, in seconds. */
  readonly preKeyLifetimeSeconds: number;
  /** Signed pre-keys by ascending id; the last one is current and always kept. */
  readonly signedPreKeys: readonly SignedPreKeySecret[];
  /** Unused one-time pre-keys by ascending id. */
  readonly oneTimePreKeys: readonly OneTimePreKeySecret[];
  readonly nextSignedPreKeyId: number;
  /** Every one-time id below this one was issued; absent ones were consumed. */
  readonly nextOneTimePreKeyId: number;
  /** Long-term ML-KEM pre-keys by ascending id (ids and lifetimes of their signed pre-keys); the last is current. Absent: no PQ. */
  readonly pqPreKeys?: readonly PqPreKeySecret[];
  /** Unused one-time ML-KEM pre-keys by ascending id (ids of their one-time pre-keys). */
  readonly pqOneTimePreKeys?: readonly PqPreKeySecret[];
}

/** Options of `createKeyManager`. */
export interface KeyManagerOptions {
  /** Lifetime of signed pre-keys in seconds (default 30 days). */
  readonly preKeyLifetimeSeconds?: number;
  /** Use this identity instead of generating one. */
  readonly identity?: IdentityKeyPair;
  /** Also hold ML-KEM-768 pre-keys (post-quantum groups need them). */
  readonly pq?: boolean;
}

/**
 * Creates a KeyManager with a fresh identity (unless given) and a first signed pre-key.
 * @throws UsageError `USAGE_ARGUMENT` for a non-positive lifetime.
 * @example const km = createKeyManager(defaultDeps());
 */
export function createKeyManager(deps: Deps, options: KeyManagerOptions = {}): KeyManagerState {
  const lifetime = options.preKeyLifetimeSeconds ?? DEFAULT_PREKEY_LIFETIME_SECONDS;
  assertLifetimeSeconds(lifetime);
  let identity: IdentityKeyPair;
  if (options.identity !== undefined) {
    assertKey(options.identity.secretKey, 'identity.secretKey');
    assertKey(options.identity.publicKey, 'identity.publicKey');
    identity = {
      secretKey: copyBytes(options.identity.secretKey),
      publicKey: copyBytes(options.identity.publicKey),
      ...(options.identity.signingSeed ? { signingSeed: copyBytes(options.identity.signingSeed) } : {}),
    };
  } else {
    identity = generateIdentity(deps);
  }
  const spk = makeSignedPreKey(deps, identity, 0, lifetime);
  const state: KeyManagerState = {
    v: 1,
    identity,
    preKeyLifetimeSeconds: lifetime,
    signedPreKeys: [spk],
    oneTimePreKeys: [],
    nextSignedPreKeyId: 1,
    nextOneTimePreKeyId: 0,
  };
  return options.pq === true ? enablePqPreKeys(state, deps) : state;
}

/** True when the state holds ML-KEM pre-keys. */
export function hasPqPreKeys(state: KeyManagerState): boolean {
  return state.pqPreKeys !== undefined && state.pqPreKeys.length > 0;
}

/**
 * Adds a long-term ML-KEM pre-key for the current signed pre-key (same id
 * and lifetime); a no-op when the state already has PQ pre-keys. One-time
 * ML-KEM keys come with one-time pre-keys generated from now on.
 */
export function enablePqPreKeys(state: KeyManagerState, deps: Deps): KeyManagerState {
  if (hasPqPreKeys(state)) return state;
  const spk = currentSignedPreKey(state);
  return { ...state, pqPreKeys: [makePqPreKey(deps, state.identity, spk.id, 'long-term', spk.lifetime)], pqOneTimePreKeys: [] };
}

/**
 * The secret (64-byte seed) of a held ML-KEM pre-key, without consuming a one-time one.
 * @throws StateError `STATE_KEY_CONSUMED` for a used one-time key; `STATE_MISSING_KEY` otherwise when not held.
 */
export function findPqPreKeySecret(state: KeyManagerState, kind: PqPreKey['kind'], id: number): Uint8Array {
  const held = (kind === 'long-term' ? state.pqPreKeys : state.pqOneTimePreKeys)?.find((k) => k.id === id);
  if (held !== undefined) return held.secretKey;
  if (kind === 'one-time' && Number.isSafeInteger(id) && id >= 0 && id < state.nextOneTimePreKeyId) {
    throw new StateError('STATE_KEY_CONSUMED', `one-time ML-KEM pre-key ${id} was already used or never issued with PQ`);
  }
  throw new StateError('STATE_MISSING_KEY', `${kind} ML-KEM pre-key ${id} is not held`);
}

/** The member's identity key pair. */
export function identityOf(state: KeyManagerState): IdentityKeyPair {
  return state.identity;
}

/** The current long-term bundle (identity key + current signed pre-key) to publish. */
export function longTermBundle(state: KeyManagerState): LongTermKeyBundle {
  const pq = currentPqPreKey(state);
  return {
    kind: 'long-term',
    identityKey: state.identity.publicKey,
    signedPreKey: publicSignedPreKey(currentSignedPreKey(state)),
    ...(pq !== undefined ? { pqPreKey: publicPqPreKey(pq) } : {}),
  };
}

/**
 * Generates `count` one-time pre-keys and their bundles (with the current signed pre-key).
 * @throws UsageError `USAGE_ARGUMENT` when count is not an integer in 1..1000.
 */
export function generateOneTimePreKeys(state: KeyManagerState, deps: Deps, count: number): { state: KeyManagerState; bundles: OneTimeKeyBundle[] } {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_ONE_TIME_PREKEYS_PER_CALL) {
    throw new UsageError('USAGE_ARGUMENT', `count: expected an integer in 1..${MAX_ONE_TIME_PREKEYS_PER_CALL}, got ${count}`);
  }
  const spk = publicSignedPreKey(currentSignedPreKey(state));
  const pqCurrent = currentPqPreKey(state);
  const pqLongTerm = pqCurrent !== undefined ? { pqPreKey: publicPqPreKey(pqCurrent) } : {};
  const fresh: OneTimePreKeySecret[] = [];
  const freshPq: PqPreKeySecret[] = [];
  const bundles: OneTimeKeyBundle[] = [];
  const now = deps.now();
  const pqLifetime = { notBefore: Math.max(0, now - PREKEY_BACKDATE_SECONDS), notAfter: now + state.preKeyLifetimeSeconds };
  for (let i = 0; i < count; i++) {
    const pair = deps.crypto.x25519Generate();
    const id = state.nextOneTimePreKeyId + i;
    fresh.push({ id, secretKey: copyBytes(pair.secretKey), publicKey: copyBytes(pair.publicKey) });
    const pqOneTime = pqCurrent !== undefined ? makePqPreKey(deps, state.identity, id, 'one-time', pqLifetime) : undefined;
    if (pqOneTime !== undefined) freshPq.push(pqOneTime);
    bundles.push({
      kind: 'one-time',
      identityKey: state.identity.publicKey,
      signedPreKey: spk,
      oneTimePreKey: { id, publicKey: copyBytes(pair.publicKey) },
      ...pqLongTerm,
      ...(pqOneTime !== undefined ? { pqOneTimePreKey: publicPqPreKey(pqOneTime) } : {}),
    });
  }
  const next: KeyManagerState = {
    ...state,
    oneTimePreKeys: [...state.oneTimePreKeys, ...fresh],
    nextOneTimePreKeyId: state.nextOneTimePreKeyId + count,
    ...(pqCurrent !== undefined ? { pqOneTimePreKeys: [...(state.pqOneTimePreKeys ?? []), ...freshPq] } : {}),
  };
  return { state: next, bundles };
}

/**
 * Makes a new current signed pre-key. Earlier ones stay (so in-flight X3DH
 * messages still open) until they expire; expired ones are dropped here.
 * @throws UsageError `USAGE_ARGUMENT` for a non-positive lifetime.
 */
export function rotateSignedPreKey(state: KeyManagerState, deps: Deps, options: { lifetimeSeconds?: number } = {}): KeyManagerState {
  const lifetime = options.lifetimeSeconds ?? state.preKeyLifetimeSeconds;
  assertLifetimeSeconds(lifetime);
  const spk = makeSignedPreKey(deps, state.identity, state.nextSignedPreKeyId, lifetime);
  const now = deps.now();
  const kept = state.signedPreKeys.filter((k) => k.lifetime.notAfter >= now);
  const rotated = { ...state, signedPreKeys: [...kept, spk], nextSignedPreKeyId: state.nextSignedPreKeyId + 1 };
  if (!hasPqPreKeys(state)) return rotated;
  const pq = makePqPreKey(deps, state.identity, spk.id, 'long-term', spk.lifetime);
  const keptPq = (state.pqPreKeys ?? []).filter((k) => k.lifetime.notAfter >= now);
  const keptPqOneTime = (state.pqOneTimePreKeys ?? []).filter((k) => k.lifetime.notAfter >= now);
  return { ...rotated, pqPreKeys: [...keptPq, pq], pqOneTimePreKeys: keptPqOneTime };
}

/** Drops expired signed pre-keys except the current one. */
export function pruneExpiredPreKeys(state: KeyManagerState, deps: Deps): KeyManagerState {
  const now = deps.now();
  const current = currentSignedPreKey(state);
  const kept = state.signedPreKeys.filter((k) => k === current || k.lifetime.notAfter >= now);
  const pruned = kept.length === state.signedPreKeys.length ? state : { ...state, signedPreKeys: kept };
  if (!hasPqPreKeys(state)) return pruned;
  const currentPq = currentPqPreKey(state);
  const keptPq = (state.pqPreKeys ?? []).filter((k) => k === currentPq || k.lifetime.notAfter >= now);
  const keptPqOneTime = (state.pqOneTimePreKeys ?? []).filter((k) => k.lifetime.notAfter >= now);
  if (keptPq.length === state.pqPreKeys?.length && keptPqOneTime.length === state.pqOneTimePreKeys?.length) return pruned;
  return { ...pruned, pqPreKeys: keptPq, pqOneTimePreKeys: keptPqOneTime };
}

/**
 * The secret of a held signed pre-key.
 * @throws StateError `STATE_MISSING_KEY` when no signed pre-key has this id (never issued or expired and dropped).
 */
export function findSignedPreKeySecret(state: KeyManagerState, id: number): Uint8Array {
  const spk = state.signedPreKeys.find((k) => k.id === id);
  if (spk === undefined) throw new StateError('STATE_MISSING_KEY', `signed pre-key ${id} is not held`);
  return spk.secretKey;
}

/**
 * The secret of an unused one-time pre-key, without consuming it (to
 * authenticate a message before `consumeOneTimePreKey`).
 * @throws StateError `STATE_KEY_CONSUMED` when it was issued and already used; `STATE_MISSING_KEY` when never issued.
 */
export function findOneTimePreKeySecret(state: KeyManagerState, id: number): Uint8Array {
  const otk = state.oneTimePreKeys.find((k) => k.id === id);
  if (otk !== undefined) return otk.secretKey;
  if (Number.isSafeInteger(id) && id >= 0 && id < state.nextOneTimePreKeyId) {
    throw new StateError('STATE_KEY_CONSUMED', `one-time pre-key ${id} was already used`);
  }
  throw new StateError('STATE_MISSING_KEY', `one-time pre-key ${id} was never issued`);
}

/**
 * Removes a one-time pre-key from the state and returns its secret (the
 * caller wipes it after committing the new state). Exactly once per id.
 * @throws StateError `STATE_KEY_CONSUMED`, `STATE_MISSING_KEY` (see `findOneTimePreKeySecret`).
 */
export function consumeOneTimePreKey(state: KeyManagerState, id: number): { state: KeyManagerState; secretKey: Uint8Array; pqSecretKey?: Uint8Array } {
  const secretKey = findOneTimePreKeySecret(state, id);
  const next = { ...state, oneTimePreKeys: state.oneTimePreKeys.filter((k) => k.id !== id) };
  const pq = state.pqOneTimePreKeys?.find((k) => k.id === id);
  if (pq === undefined) return { state: next, secretKey };
  return { state: { ...next, pqOneTimePreKeys: (state.pqOneTimePreKeys ?? []).filter((k) => k.id !== id) }, secretKey, pqSecretKey: pq.secretKey };
}

/**
 * Removes a one-time ML-KEM pre-key and returns its secret (when a first
 * round used it without the X25519 one-time key of the same id).
 * @throws StateError `STATE_KEY_CONSUMED`, `STATE_MISSING_KEY` (see `findPqPreKeySecret`).
 */
export function consumePqOneTimePreKey(state: KeyManagerState, id: number): { state: KeyManagerState; secretKey: Uint8Array } {
  const secretKey = findPqPreKeySecret(state, 'one-time', id);
  return { state: { ...state, pqOneTimePreKeys: (state.pqOneTimePreKeys ?? []).filter((k) => k.id !== id) }, secretKey };
}

/** Encodes the KeyManager state as deterministic, versioned CBOR (contains secrets). */
export function encodeKeyManager(state: KeyManagerState): Uint8Array {
  const pq = hasPqPreKeys(state)
    ? { pqPreKeys: (state.pqPreKeys ?? []).map(pqSecretToCbor), pqOneTimePreKeys: (state.pqOneTimePreKeys ?? []).map(pqSecretToCbor) }
    : {};
  return encodeCanonical({
    ...pq,
    v: hasPqPreKeys(state) ? PQ_KEY_MANAGER_VERSION : KEY_MANAGER_VERSION,
    identity: {
      secretKey: state.identity.secretKey,
      publicKey: state.identity.publicKey,
      ...(state.identity.signingSeed ? { signingSeed: state.identity.signingSeed } : {}),
    },
    preKeyLifetimeSeconds: state.preKeyLifetimeSeconds,
    signedPreKeys: state.signedPreKeys.map((k) => ({
      id: k.id,
      secretKey: k.secretKey,
      publicKey: k.publicKey,
      lifetime: { notBefore: k.lifetime.notBefore, notAfter: k.lifetime.notAfter },
      signature: k.signature,
    })),
    oneTimePreKeys: state.oneTimePreKeys.map((k) => ({ id: k.id, secretKey: k.secretKey, publicKey: k.publicKey })),
    nextSignedPreKeyId: state.nextSignedPreKeyId,
    nextOneTimePreKeyId: state.nextOneTimePreKeyId,
  });
}

/**
 * Decodes a KeyManager state.
 * @throws DecodeError `DECODE_*` on malformed, non-canonical, wrong-version or trailing input.
 */
export function decodeKeyManager(bytes: Uint8Array): KeyManagerState {
  const what = 'keyManager';
  const keys = ['v', 'identity', 'preKeyLifetimeSeconds', 'signedPreKeys', 'oneTimePreKeys', 'nextSignedPreKeyId', 'nextOneTimePreKeyId'];
  const outer = asRecord(decodeCanonical(bytes, what), what);
  const pq = outer['v'] === PQ_KEY_MANAGER_VERSION;
  const record = pq ? asRecord(outer, what, [...keys, 'pqPreKeys', 'pqOneTimePreKeys']) : decodeVersionedRecord(bytes, what, KEY_MANAGER_VERSION, keys);
  const rawId = asRecord(record['identity'], `${what}.identity`);
  const id = asRecord(rawId, `${what}.identity`, 'signingSeed' in rawId ? ['secretKey', 'publicKey', 'signingSeed'] : ['secretKey', 'publicKey']);
  const signedPreKeys = readArray(record, 'signedPreKeys', what).map((value, i) => {
    const w = `${what}.signedPreKeys[${i}]`;
    const k = asRecord(value, w, ['id', 'secretKey', 'publicKey', 'lifetime', 'signature']);
    return {
      id: readUint(k, 'id', w),
      secretKey: copyBytes(readBytes(k, 'secretKey', w, KEY_LENGTH)),
      publicKey: copyBytes(readBytes(k, 'publicKey', w, KEY_LENGTH)),
      lifetime: readLifetime(k['lifetime'], `${w}.lifetime`),
      signature: copyBytes(readBytes(k, 'signature', w, SIGNATURE_LENGTH)),
    };
  });
  if (signedPreKeys.length === 0) throw new DecodeError('DECODE_FIELD', `${what}.signedPreKeys: empty`);
  const oneTimePreKeys = readArray(record, 'oneTimePreKeys', what).map((value, i) => {
    const w = `${what}.oneTimePreKeys[${i}]`;
    const k = asRecord(value, w, ['id', 'secretKey', 'publicKey']);
    return { id: readUint(k, 'id', w), secretKey: copyBytes(readBytes(k, 'secretKey', w, KEY_LENGTH)), publicKey: copyBytes(readBytes(k, 'publicKey', w, KEY_LENGTH)) };
  });
  return {
    v: 1,
    identity: {
      secretKey: copyBytes(readBytes(id, 'secretKey', `${what}.identity`, KEY_LENGTH)),
      publicKey: copyBytes(readBytes(id, 'publicKey', `${what}.identity`, KEY_LENGTH)),
      ...('signingSeed' in id ? { signingSeed: copyBytes(readBytes(id, 'signingSeed', `${what}.identity`, KEY_LENGTH)) } : {}),
    },
    preKeyLifetimeSeconds: readUint(record, 'preKeyLifetimeSeconds', what),
    signedPreKeys,
    oneTimePreKeys,
    nextSignedPreKeyId: readUint(record, 'nextSignedPreKeyId', what),
    nextOneTimePreKeyId: readUint(record, 'nextOneTimePreKeyId', what),
    ...(pq ? readPqState(record, what) : {}),
  };
}

function pqSecretToCbor(k: PqPreKeySecret): Record<string, unknown> {
  return { id: k.id, kind: k.kind, secretKey: k.secretKey, publicKey: k.publicKey, lifetime: { notBefore: k.lifetime.notBefore, notAfter: k.lifetime.notAfter }, signature: k.signature };
}

function readPqState(record: CborRecord, what: string): { pqPreKeys: PqPreKeySecret[]; pqOneTimePreKeys: PqPreKeySecret[] } {
  const read = (field: string, kind: PqPreKey['kind']): PqPreKeySecret[] =>
    readArray(record, field, what).map((value, i) => {
      const w = `${what}.${field}[${i}]`;
      const k = asRecord(value, w, ['id', 'kind', 'secretKey', 'publicKey', 'lifetime', 'signature']);
      return {
        id: readUint(k, 'id', w),
        kind: readText(k, 'kind', w, [kind] as const),
        secretKey: copyBytes(readBytes(k, 'secretKey', w, PQ_SECRET_LENGTH)),
        publicKey: copyBytes(readBytes(k, 'publicKey', w, PQ_PUBLIC_LENGTH)),
        lifetime: readLifetime(k['lifetime'], `${w}.lifetime`),
        signature: copyBytes(readBytes(k, 'signature', w, SIGNATURE_LENGTH)),
      };
    });
  const pqPreKeys = read('pqPreKeys', 'long-term');
  if (pqPreKeys.length === 0) throw new DecodeError('DECODE_FIELD', `${what}.pqPreKeys: empty in a version-2 state`);
  return { pqPreKeys, pqOneTimePreKeys: read('pqOneTimePreKeys', 'one-time') };
}

function currentPqPreKey(state: KeyManagerState): PqPreKeySecret | undefined {
  const keys = state.pqPreKeys;
  return keys === undefined ? undefined : keys[keys.length - 1];
}

function publicPqPreKey(k: PqPreKeySecret): PqPreKey {
  return { id: k.id, kind: k.kind, publicKey: k.publicKey, lifetime: k.lifetime, signature: k.signature };
}

function makePqPreKey(deps: Deps, identity: IdentityKeyPair, id: number, kind: PqPreKey['kind'], lifetime: Lifetime): PqPreKeySecret {
  const pair = deps.crypto.mlkem768Generate();
  const publicKey = copyBytes(pair.publicKey);
  const signature = signWithIdentity(deps, identity, pqPreKeyMessage(id, kind, publicKey, lifetime));
  return { id, kind, secretKey: copyBytes(pair.secretKey), publicKey, lifetime, signature };
}

function currentSignedPreKey(state: KeyManagerState): SignedPreKeySecret {
  const spk = state.signedPreKeys[state.signedPreKeys.length - 1];
  if (spk === undefined) throw new StateError('STATE_MISSING_KEY', 'key manager holds no signed pre-key');
  return spk;
}

function publicSignedPreKey(spk: SignedPreKeySecret): SignedPreKey {
  return { id: spk.id, publicKey: spk.publicKey, lifetime: spk.lifetime, signature: spk.signature };
}

function makeSignedPreKey(deps: Deps, identity: IdentityKeyPair, id: number, lifetimeSeconds: number): SignedPreKeySecret {
  const pair = deps.crypto.x25519Generate();
  const now = deps.now();
  const lifetime = { notBefore: Math.max(0, now - PREKEY_BACKDATE_SECONDS), notAfter: now + lifetimeSeconds };
  const publicKey = copyBytes(pair.publicKey);
  const signature = signWithIdentity(deps, identity, signedPreKeyMessage(id, publicKey, lifetime));
  return { id, secretKey: copyBytes(pair.secretKey), publicKey, lifetime, signature };
}

function assertLifetimeSeconds(seconds: number): void {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new UsageError('USAGE_ARGUMENT', `preKeyLifetimeSeconds: expected a positive integer, got ${seconds}`);
  }
}
