/**
 * Data Encryption: group secrets derived from DCGKA update secrets
 * (value = HKDF(I, label), id = SHA-256(value), timestamp = `deps.now()`),
 * XChaCha20-Poly1305 with a random 24-byte nonce, optional associated data.
 *
 * Which secret a sender uses: its OWN latest group secret, i.e. the one from
 * its latest update secret. That secret is always fresh with respect to every
 * removal the sender has processed (DCGKA gives the sender a new update
 * secret, unknown to the removed member, when it acks the removal). Choosing
 * "the newest timestamp across all members" instead would trust other
 * members' clocks: a skewed or removed member's secret with a future
 * timestamp could be picked and a removed member could read what follows.
 *
 * Secrets stay until the application deletes them (`deleteSecrets`); after
 * that, ciphertexts under them are unreadable (`STATE_MISSING_SECRET`).
 */
import type { Deps } from '../crypto/index.js';
import { constantTimeEqual, utf8 } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import { DATA_NONCE_LENGTH, LABEL_GROUP_SECRET, MAX_DATA_COUNTER } from './limits.js';
import { EMPTY_WINDOW, markSeen, wasSeen } from './replay.js';
import type { DataResult, DataState, GroupSecret, MemberId } from './types.js';

const LABEL = utf8(LABEL_GROUP_SECRET);
const NO_SALT = new Uint8Array(32);

/** Key of a secret in `DataState.secrets`. */
export function secretKey(member: MemberId, epoch: number): string {
  return `${member}:${epoch}`;
}

/**
 * An empty data-scheme state.
 * @example const state = createDataState();
 */
export function createDataState(): DataState {
  return { v: 1, secrets: {}, latest: {}, sending: null, seen: {} };
}

/** Adds a group secret (already derived) and moves its member's `latest` forward. */
export function withSecret(state: DataState, secret: GroupSecret): DataState {
  return withSecrets(state, [secret]);
}

/** Adds the secrets I do not hold yet in one copy of the state (adding them one by one is quadratic in the history). */
export function withSecrets(state: DataState, list: readonly GroupSecret[]): DataState {
  let secrets: Record<string, GroupSecret> | undefined;
  let latest: Record<MemberId, number> | undefined;
  for (const secret of list) {
    const key = secretKey(secret.member, secret.epoch);
    if ((secrets ?? state.secrets)[key]) continue;
    secrets ??= { ...state.secrets };
    secrets[key] = secret;
    const known = (latest ?? state.latest)[secret.member];
    if (known === undefined || secret.epoch > known) {
      latest ??= { ...state.latest };
      latest[secret.member] = secret.epoch;
    }
  }
  return secrets === undefined ? state : { ...state, secrets, latest: latest ?? state.latest };
}

/**
 * Derives the group secret of `member`'s update secret for `epoch`.
 * @param options.replace a secret already held for that epoch (imported from a bundle) is replaced
 *   by the derived one, and its value returned in `consumed`: what I derive myself is authoritative.
 * @throws StateError `STATE_DUPLICATE` when that epoch already has a secret (unless `options.replace`).
 */
export function applyUpdateSecret(state: DataState, input: { readonly member: MemberId; readonly epoch: number; readonly secret: Uint8Array }, deps: Deps, options: { readonly replace?: boolean } = {}): DataResult {
  const key = secretKey(input.member, input.epoch);
  const held = state.secrets[key];
  if (held && options.replace !== true) {
    throw new StateError('STATE_DUPLICATE', `data: epoch ${input.epoch} of ${input.member.slice(0, 16)} already has a group secret`);
  }
  const value = deps.crypto.hkdf(input.secret, NO_SALT, LABEL, 32);
  const secret: GroupSecret = { id: deps.crypto.sha256(value), value, timestamp: deps.now(), member: input.member, epoch: input.epoch };
  if (!held) return { state: withSecret(state, secret), consumed: [] };
  return { state: { ...state, secrets: { ...state.secrets, [key]: secret } }, consumed: [held.value] };
}

/** The group secret `sender` encrypts with now (its own latest), if any. */
export function currentSecret(state: DataState, sender: MemberId): GroupSecret | undefined {
  const epoch = state.latest[sender];
  return epoch === undefined ? undefined : state.secrets[secretKey(sender, epoch)];
}

/** Output of `encryptData`. */
export interface SealedData extends DataResult {
  readonly epoch: number;
  readonly counter: number;
  readonly nonce: Uint8Array;
  /** XChaCha20-Poly1305 ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array;
  /** Id of the group secret used. */
  readonly secretId: Uint8Array;
}

/**
 * Encrypts with my own latest group secret and a random nonce.
 * @param input.aad builds the AEAD associated data from `(epoch, counter)`.
 * @throws StateError `STATE_MISSING_SECRET` when I have no group secret of my own (yet, or deleted).
 */
export function encryptData(state: DataState, input: { readonly sender: MemberId; readonly plaintext: Uint8Array; readonly aad: (epoch: number, counter: number) => Uint8Array }, deps: Deps): SealedData {
  const secret = currentSecret(state, input.sender);
  if (!secret) throw new StateError('STATE_MISSING_SECRET', 'data: no group secret of mine to encrypt with');
  const counter = state.sending && state.sending.epoch === secret.epoch ? state.sending.next : 0;
  if (counter >= MAX_DATA_COUNTER) throw new StateError('STATE_LIMIT', 'data: counter exhausted for this group secret; run update');
  const nonce = deps.crypto.randomBytes(DATA_NONCE_LENGTH);
  const ciphertext = deps.crypto.aeadSeal('xchacha20-poly1305', secret.value, nonce, input.plaintext, input.aad(secret.epoch, counter));
  return { state: { ...state, sending: { epoch: secret.epoch, next: counter + 1 } }, consumed: [], epoch: secret.epoch, counter, nonce, ciphertext, secretId: secret.id };
}

/** What `decryptData` needs. */
export interface ReceivedData {
  readonly sender: MemberId;
  readonly epoch: number;
  readonly counter: number;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly aad: Uint8Array;
}

/** Looks a group secret up by its id (SHA-256 of the value). */
export function findSecretById(state: DataState, id: Uint8Array): GroupSecret | undefined {
  for (const secret of Object.values(state.secrets)) {
    if (constantTimeEqual(secret.id, id)) return secret;
  }
  return undefined;
}

/**
 * Decrypts a message of `sender` sealed under its group secret of `epoch`;
 * a counter seen before is a replay.
 * @throws StateError `STATE_MISSING_SECRET` (never had it, or deleted), `STATE_REPLAY`;
 *   VerifyError `VERIFY_AEAD` (tampered, wrong AAD; state unchanged).
 */
export function decryptData(state: DataState, input: ReceivedData, deps: Deps): DataResult & { readonly plaintext: Uint8Array; readonly secretId: Uint8Array } {
  if (input.nonce.length !== DATA_NONCE_LENGTH) throw new UsageError('USAGE_NONCE_LENGTH', `data: nonce must be ${DATA_NONCE_LENGTH} bytes`);
  const key = secretKey(input.sender, input.epoch);
  const secret = state.secrets[key];
  if (!secret) throw new StateError('STATE_MISSING_SECRET', `data: no group secret for epoch ${input.epoch} of ${input.sender.slice(0, 16)}`);
  const window = state.seen[key] ?? EMPTY_WINDOW;
  if (wasSeen(window, input.counter)) throw new StateError('STATE_REPLAY', `data: counter ${input.counter} of epoch ${input.epoch} was already received`);
  const plaintext = deps.crypto.aeadOpen('xchacha20-poly1305', secret.value, input.nonce, input.ciphertext, input.aad);
  return { state: { ...state, seen: { ...state.seen, [key]: markSeen(window, input.counter) } }, consumed: [], plaintext, secretId: secret.id };
}

/**
 * Deletes group secrets for forward secrecy. Each member's latest secret is
 * always kept (it is the one that member encrypts new data with).
 * @param input.olderThan delete secrets derived before this UNIX time; omit with `allButLatest`.
 * @param input.allButLatest delete every secret that is not some member's latest.
 * @throws UsageError `USAGE_ARGUMENT` when neither option is given.
 */
export function deleteSecrets(state: DataState, input: { readonly olderThan?: number; readonly allButLatest?: boolean }): DataResult {
  if (input.olderThan === undefined && input.allButLatest !== true) throw new UsageError('USAGE_ARGUMENT', 'deleteSecrets: give olderThan or allButLatest');
  const secrets: Record<string, GroupSecret> = {};
  const seen = { ...state.seen };
  const deleted: Record<MemberId, number> = { ...state.deleted };
  const consumed: Uint8Array[] = [];
  for (const [key, secret] of Object.entries(state.secrets)) {
    const isLatest = state.latest[secret.member] === secret.epoch;
    const drop = !isLatest && (input.allButLatest === true || (input.olderThan !== undefined && secret.timestamp < input.olderThan));
    if (drop) {
      consumed.push(secret.value);
      delete seen[key];
      deleted[secret.member] = Math.max(deleted[secret.member] ?? 0, secret.epoch);
    } else {
      secrets[key] = secret;
    }
  }
  if (consumed.length === 0) return { state, consumed };
  return { state: { ...state, secrets, seen, deleted }, consumed };
}

/**
 * Whether a message of `member` under `epoch` is unreadable for good: its secret is not held and I
 * deleted secrets of that member at or after that epoch (else the secret may still come, in a share).
 */
export function secretDeleted(state: DataState, member: MemberId, epoch: number): boolean {
  const floor = state.deleted?.[member];
  return floor !== undefined && epoch <= floor && !Object.hasOwn(state.secrets, secretKey(member, epoch));
}

/** Public facts about the secrets held (no values), newest first. */
export function listSecrets(state: DataState): { readonly id: Uint8Array; readonly timestamp: number; readonly member: MemberId; readonly epoch: number }[] {
  return Object.values(state.secrets)
    .map(({ id, timestamp, member, epoch }) => ({ id, timestamp, member, epoch }))
    .sort((a, b) => b.timestamp - a.timestamp || (a.member < b.member ? -1 : a.member > b.member ? 1 : b.epoch - a.epoch));
}
