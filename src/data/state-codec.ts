/**
 * Versioned, deterministic CBOR of the data scheme: the state, and the secret
 * bundle an adder hands to a new member in its welcome (so late joiners read
 * history).
 *
 *   state  = { v: 1, secrets: [[member(32), epoch, value(32), timestamp]...], sending: null | [epoch, next],
 *              seen: [[member(32), epoch, floor, [counter...]]...] }
 *          | { v: 2, ...the same, deleted: [[member(32), epoch]...] }   (v2 only once secrets were deleted,
 *              so states without deletions encode exactly as before)
 *   bundle = { v: 1, secrets: [[member(32), epoch, value(32), timestamp]...] }
 *
 * Ids are not stored: they are recomputed as SHA-256 of each value, and
 * `latest` is recomputed as the highest epoch per member.
 */
import type { Deps } from '../crypto/index.js';
import { asRecord, checkVersion, decodeCanonical, decodeVersionedRecord, encodeCanonical, fromHex, readArray, toHex } from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import { MAX_BUNDLE_SECRETS, MAX_REPLAY_TRACKED } from './limits.js';
import { secretKey, withSecrets, createDataState } from './scheme.js';
import type { DataState, GroupSecret, MemberId, ReplayWindow } from './types.js';

const VERSION = 1;
/** A state that records deleted secrets (`DataState.deleted`). */
const VERSION_DELETED = 2;

function fail(what: string): never {
  throw new DecodeError('DECODE_FIELD', `${what}: malformed`);
}

function uint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(what);
  return value;
}

function bytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) fail(what);
  return value;
}

function encodeSecrets(state: DataState): unknown[] {
  return Object.keys(state.secrets).sort().map((k) => {
    const s = state.secrets[k] as GroupSecret;
    return [fromHex(s.member), s.epoch, s.value, s.timestamp];
  });
}

function decodeSecrets(list: readonly unknown[], deps: Deps, what: string): DataState {
  const secrets: GroupSecret[] = [];
  const keys = new Set<string>();
  for (const entry of list) {
    if (!Array.isArray(entry) || entry.length !== 4) fail(what);
    const value = bytes(entry[2], 32, what);
    const secret: GroupSecret = { member: toHex(bytes(entry[0], 32, what)), epoch: uint(entry[1], what), value, timestamp: uint(entry[3], what), id: deps.crypto.sha256(value) };
    const key = secretKey(secret.member, secret.epoch);
    if (keys.has(key)) fail(`${what} (duplicate)`);
    keys.add(key);
    secrets.push(secret);
  }
  return withSecrets(createDataState(), secrets);
}

/** Encodes a data-scheme state. */
export function encodeDataState(state: DataState): Uint8Array {
  const seen = Object.keys(state.seen).sort().map((k) => {
    const w = state.seen[k] as ReplayWindow;
    const [member, epoch] = k.split(':') as [string, string];
    return [fromHex(member), Number(epoch), w.floor, [...w.above]];
  });
  const record = { v: VERSION, secrets: encodeSecrets(state), sending: state.sending ? [state.sending.epoch, state.sending.next] : null, seen };
  const deleted = Object.keys(state.deleted ?? {}).sort().map((m) => [fromHex(m), state.deleted?.[m] ?? 0]);
  return encodeCanonical(deleted.length === 0 ? record : { ...record, v: VERSION_DELETED, deleted });
}

/**
 * Decodes a data-scheme state (ids recomputed with `deps.crypto`).
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for an unknown version, `DECODE_*` for damage.
 */
export function decodeDataState(encoded: Uint8Array, deps: Deps): DataState {
  const raw = asRecord(decodeCanonical(encoded, 'data-state'), 'data-state');
  const withDeleted = raw['v'] === VERSION_DELETED;
  if (!withDeleted) checkVersion(raw, 'data-state', VERSION);
  const r = asRecord(raw, 'data-state', withDeleted ? ['v', 'secrets', 'sending', 'seen', 'deleted'] : ['v', 'secrets', 'sending', 'seen']);
  const base = decodeSecrets(readArray(r, 'secrets', 'data-state'), deps, 'data-state.secrets');
  const s = r['sending'];
  let sending: DataState['sending'] = null;
  if (s !== null) {
    if (!Array.isArray(s) || s.length !== 2) fail('data-state.sending');
    sending = { epoch: uint(s[0], 'data-state.sending'), next: uint(s[1], 'data-state.sending') };
  }
  const seen: Record<string, ReplayWindow> = {};
  for (const entry of readArray(r, 'seen', 'data-state')) {
    if (!Array.isArray(entry) || entry.length !== 4 || !Array.isArray(entry[3]) || entry[3].length > MAX_REPLAY_TRACKED) fail('data-state.seen');
    const above = (entry[3] as unknown[]).map((c) => uint(c, 'data-state.seen'));
    seen[secretKey(toHex(bytes(entry[0], 32, 'data-state.seen')), uint(entry[1], 'data-state.seen'))] = { floor: uint(entry[2], 'data-state.seen'), above };
  }
  if (!withDeleted) return { ...base, sending, seen };
  const deleted: Record<MemberId, number> = {};
  for (const entry of readArray(r, 'deleted', 'data-state')) {
    if (!Array.isArray(entry) || entry.length !== 2) fail('data-state.deleted');
    const member = toHex(bytes(entry[0], 32, 'data-state.deleted'));
    if (Object.hasOwn(deleted, member)) fail('data-state.deleted (duplicate)');
    deleted[member] = uint(entry[1], 'data-state.deleted');
  }
  if (Object.keys(deleted).length === 0) fail('data-state.deleted (empty: encoded as version 1)');
  return { ...base, sending, seen, deleted };
}

/**
 * Encodes every group secret I hold as a bundle for a new member's welcome.
 * @param options.exclude a member whose secrets stay out (the joiner: its own secrets come only from its own DCGKA update secrets).
 * @param options.only keys (`${member}:${epoch}`) of the secrets to export, when not all.
 * @param options.clock only secrets of epochs below `clock(member)` (what a welcome's history covers: see `BundleChecks.clock`).
 */
export function exportSecretBundle(state: DataState, options: { readonly exclude?: MemberId; readonly only?: readonly string[]; readonly clock?: (member: MemberId) => number } = {}): Uint8Array {
  const keep = (key: string, s: GroupSecret): boolean =>
    s.member !== options.exclude && (options.only === undefined || options.only.includes(key)) && (options.clock === undefined || s.epoch < options.clock(s.member));
  const all = options.exclude === undefined && options.only === undefined && options.clock === undefined;
  const kept = all ? state : { ...state, secrets: Object.fromEntries(Object.entries(state.secrets).filter(([k, s]) => keep(k, s))) };
  return encodeCanonical({ v: VERSION, secrets: encodeSecrets(kept) });
}

/** Checks on the entries of an imported bundle (the importer knows the group's history). */
export interface BundleChecks {
  /** Entries of this member are dropped: my sending secret comes only from my own DCGKA update secrets. */
  readonly me?: MemberId;
  /** Whether `member` was ever in the group's membership; an entry of anyone else is refused. */
  readonly everMember?: (member: MemberId) => boolean;
  /** How many control messages of `member` the welcome covers; an entry for an epoch at or beyond it is refused. */
  readonly clock?: (member: MemberId) => number;
  /** Only entries of this member are imported (others are dropped): a member vouches for its own secrets only. */
  readonly onlyMember?: MemberId;
}

/**
 * Merges a secret bundle from a welcome into my state (secrets I already
 * hold are kept as they are). Entries of `checks.me` are dropped, so my
 * sending secret (my `latest`) only ever comes from my own update secrets.
 * @throws DecodeError on a malformed bundle; VerifyError `VERIFY_GROUP` (an entry of a
 *   member never in the membership, or an epoch beyond the welcome's clock). State unchanged.
 */
export function importSecretBundle(state: DataState, bundle: Uint8Array, deps: Deps, checks: BundleChecks = {}): DataState {
  const r = decodeVersionedRecord(bundle, 'secret-bundle', VERSION, ['v', 'secrets']);
  const imported = decodeSecrets(readArray(r, 'secrets', 'secret-bundle', MAX_BUNDLE_SECRETS), deps, 'secret-bundle.secrets');
  const accepted: GroupSecret[] = [];
  for (const secret of Object.values(imported.secrets)) {
    if (secret.member === checks.me || (checks.onlyMember !== undefined && secret.member !== checks.onlyMember)) continue;
    if (checks.everMember && !checks.everMember(secret.member)) {
      throw new VerifyError('VERIFY_GROUP', `secret-bundle: a secret of ${secret.member.slice(0, 16)}, never a member of the group`);
    }
    if (checks.clock && secret.epoch >= checks.clock(secret.member)) {
      throw new VerifyError('VERIFY_GROUP', `secret-bundle: epoch ${secret.epoch} of ${secret.member.slice(0, 16)} is beyond the welcome's clock`);
    }
    accepted.push(secret);
  }
  return withSecrets(state, accepted);
}
