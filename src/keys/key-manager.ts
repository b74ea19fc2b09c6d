/**
 * KeyManager: a member's own secrets — identity key, signed pre-keys (the
 * current one plus earlier ones until they expire) and unused one-time
 * pre-keys. Plain data; every change returns a new state.
 *
 * A one-time pre-key secret is removed the moment it is consumed, so it can
 * open one X3DH message at most (X3DH §3.3, forward secrecy).
 */
import type { Deps } from '../crypto/index.js';
import { asRecord, copyBytes, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readUint } from '../crypto/index.js';
import { DecodeError, StateError, UsageError } from '../errors.js';
import type { IdentityKeyPair } from './identity.js';
import { KEY_LENGTH, SIGNATURE_LENGTH, assertKey, generateIdentity, signWithIdentity } from './identity.js';
import type { LongTermKeyBundle, OneTimeKeyBundle, SignedPreKey } from './key-bundle.js';
import { readLifetime, signedPreKeyMessage } from './key-bundle.js';
import { DEFAULT_PREKEY_LIFETIME_SECONDS, MAX_ONE_TIME_PREKEYS_PER_CALL, PREKEY_BACKDATE_SECONDS } from './limits.js';

/** Version of the encoded KeyManager state. */
export const KEY_MANAGER_VERSION = 1;

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
}

/** Options of `createKeyManager`. */
export interface KeyManagerOptions {
  /** Lifetime of signed pre-keys in seconds (default 30 days). */
  readonly preKeyLifetimeSeconds?: number;
  /** Use this identity instead of generating one. */
  readonly identity?: IdentityKeyPair;
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
  return {
    v: 1,
    identity,
    preKeyLifetimeSeconds: lifetime,
    signedPreKeys: [spk],
    oneTimePreKeys: [],
    nextSignedPreKeyId: 1,
    nextOneTimePreKeyId: 0,
  };
}

/** The member's identity key pair. */
export function identityOf(state: KeyManagerState): IdentityKeyPair {
  return state.identity;
}

/** The current long-term bundle (identity key + current signed pre-key) to publish. */
export function longTermBundle(state: KeyManagerState): LongTermKeyBundle {
  return { kind: 'long-term', identityKey: state.identity.publicKey, signedPreKey: publicSignedPreKey(currentSignedPreKey(state)) };
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
  const fresh: OneTimePreKeySecret[] = [];
  const bundles: OneTimeKeyBundle[] = [];
  for (let i = 0; i < count; i++) {
    const pair = deps.crypto.x25519Generate();
    const id = state.nextOneTimePreKeyId + i;
    fresh.push({ id, secretKey: copyBytes(pair.secretKey), publicKey: copyBytes(pair.publicKey) });
    bundles.push({ kind: 'one-time', identityKey: state.identity.publicKey, signedPreKey: spk, oneTimePreKey: { id, publicKey: copyBytes(pair.publicKey) } });
  }
  const next = { ...state, oneTimePreKeys: [...state.oneTimePreKeys, ...fresh], nextOneTimePreKeyId: state.nextOneTimePreKeyId + count };
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
  return { ...state, signedPreKeys: [...kept, spk], nextSignedPreKeyId: state.nextSignedPreKeyId + 1 };
}

/** Drops expired signed pre-keys except the current one. */
export function pruneExpiredPreKeys(state: KeyManagerState, deps: Deps): KeyManagerState {
  const now = deps.now();
  const current = currentSignedPreKey(state);
  const kept = state.signedPreKeys.filter((k) => k === current || k.lifetime.notAfter >= now);
  return kept.length === state.signedPreKeys.length ? state : { ...state, signedPreKeys: kept };
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
export function consumeOneTimePreKey(state: KeyManagerState, id: number): { state: KeyManagerState; secretKey: Uint8Array } {
  const secretKey = findOneTimePreKeySecret(state, id);
  return { state: { ...state, oneTimePreKeys: state.oneTimePreKeys.filter((k) => k.id !== id) }, secretKey };
}

/** Encodes the KeyManager state as deterministic, versioned CBOR (contains secrets). */
export function encodeKeyManager(state: KeyManagerState): Uint8Array {
  return encodeCanonical({
    v: KEY_MANAGER_VERSION,
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
  const record = decodeVersionedRecord(bytes, what, KEY_MANAGER_VERSION, keys);
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
  };
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
