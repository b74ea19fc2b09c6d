/**
 * Message Encryption (DCGKA paper §6, "message ratchet"): every DCGKA update
 * secret of member M restarts M's KDF chain for a new epoch; each message of
 * M takes the next key and nonce of its chain (ChaCha20-Poly1305) and the
 * key is dropped once used. Receivers accept messages out of order within a
 * window (`MAX_SKIP_AHEAD` ahead, `MAX_BEHIND` behind) and keep the last
 * `MAX_PREVIOUS_EPOCHS` epochs of each member for late messages.
 *
 * Authenticate before advancing: the key of a received message is derived on
 * a working copy; the new chain is returned only after the AEAD tag checked.
 */
import type { Deps } from '../crypto/index.js';
import { StateError, UsageError } from '../errors.js';
import { epochChainKey, stepChain } from './chain.js';
import { MAX_BEHIND, MAX_COUNTER, MAX_PREVIOUS_EPOCHS, MAX_SKIP_AHEAD } from './limits.js';
import type { EpochChain, MemberId, MessageResult, MessageState, SkippedKey } from './types.js';

/** Window of the receiving side; defaults are the named limits. */
export interface MessageWindow {
  readonly maxSkipAhead: number;
  readonly maxBehind: number;
}

/** Default out-of-order window (1,000 ahead, 100 behind). */
export const DEFAULT_WINDOW: MessageWindow = { maxSkipAhead: MAX_SKIP_AHEAD, maxBehind: MAX_BEHIND };

/**
 * An empty message-scheme state.
 * @example const state = createMessageState();
 */
export function createMessageState(): MessageState {
  return { v: 1, chains: {} };
}

/**
 * Starts epoch `epoch` of `member` from its DCGKA update secret. Epochs of one
 * member arrive in increasing order (they follow its own control messages);
 * the oldest epochs beyond `MAX_PREVIOUS_EPOCHS` are dropped.
 * @throws StateError `STATE_DUPLICATE` when the epoch is not newer than the member's current one.
 */
export function applyUpdateSecret(state: MessageState, input: { readonly member: MemberId; readonly epoch: number; readonly secret: Uint8Array }, deps: Deps): MessageResult {
  const list = state.chains[input.member] ?? [];
  const current = list[list.length - 1];
  if (current && current.epoch >= input.epoch) {
    throw new StateError('STATE_DUPLICATE', `message: epoch ${input.epoch} of ${input.member.slice(0, 16)} is not newer than ${current.epoch}`);
  }
  const fresh: EpochChain = { epoch: input.epoch, next: 0, chain: epochChainKey(deps, input.secret), skipped: [] };
  const all = [...list, fresh];
  const dropped = all.slice(0, Math.max(0, all.length - 1 - MAX_PREVIOUS_EPOCHS));
  const kept = all.slice(dropped.length);
  return { state: { v: 1, chains: { ...state.chains, [input.member]: kept } }, consumed: dropped.flatMap(secretsOf) };
}

function secretsOf(chain: EpochChain): Uint8Array[] {
  return [chain.chain, ...chain.skipped.flatMap((s) => [s.key, s.nonce])];
}

function replaceChain(state: MessageState, member: MemberId, updated: EpochChain): MessageState {
  const list = (state.chains[member] ?? []).map((c) => (c.epoch === updated.epoch ? updated : c));
  return { v: 1, chains: { ...state.chains, [member]: list } };
}

/** Sealed output of `encryptMessage`. */
export interface SealedMessage extends MessageResult {
  readonly epoch: number;
  readonly counter: number;
  /** ChaCha20-Poly1305 ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array;
}

/**
 * Encrypts with the next key of `sender`'s current epoch (the sender is me).
 * @param input.aad associated data bound into the AEAD (the caller binds group, sender, epoch and counter here).
 * @throws StateError `STATE_MISSING_KEY` when I have no epoch yet; `STATE_LIMIT` when the epoch's counter is exhausted.
 */
export function encryptMessage(state: MessageState, input: { readonly sender: MemberId; readonly plaintext: Uint8Array; readonly aad: (epoch: number, counter: number) => Uint8Array }, deps: Deps): SealedMessage {
  const list = state.chains[input.sender] ?? [];
  const current = list[list.length - 1];
  if (!current) throw new StateError('STATE_MISSING_KEY', 'message: no sending chain yet (no update secret of mine)');
  if (current.next >= MAX_COUNTER) throw new StateError('STATE_LIMIT', 'message: counter exhausted in this epoch; run update');
  const step = stepChain(deps, current.chain);
  const counter = current.next;
  const ciphertext = deps.crypto.aeadSeal('chacha20-poly1305', step.key, step.nonce, input.plaintext, input.aad(current.epoch, counter));
  const updated: EpochChain = { epoch: current.epoch, next: counter + 1, chain: step.next, skipped: current.skipped };
  return { state: replaceChain(state, input.sender, updated), consumed: [current.chain, step.key, step.nonce], epoch: current.epoch, counter, ciphertext };
}

/** What `decryptMessage` needs: who sent it, where in the sender's chain, the sealed bytes and the AAD. */
export interface ReceivedMessage {
  readonly sender: MemberId;
  readonly epoch: number;
  readonly counter: number;
  readonly ciphertext: Uint8Array;
  readonly aad: Uint8Array;
}

interface KeyLookup {
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly updated: EpochChain;
  readonly consumed: Uint8Array[];
}

function findChain(state: MessageState, sender: MemberId, epoch: number): EpochChain {
  const list = state.chains[sender] ?? [];
  const chain = list.find((c) => c.epoch === epoch);
  if (chain) return chain;
  const oldest = list[0];
  if (oldest && epoch < oldest.epoch) {
    throw new StateError('STATE_WINDOW_BEHIND', `message: epoch ${epoch} of ${sender.slice(0, 16)} is older than the kept epochs`);
  }
  throw new StateError('STATE_UNKNOWN_EPOCH', `message: no chain for epoch ${epoch} of ${sender.slice(0, 16)}`);
}

function lookupKey(deps: Deps, chain: EpochChain, counter: number, window: MessageWindow): KeyLookup {
  if (counter < chain.next) {
    const hit = chain.skipped.find((s) => s.counter === counter);
    if (hit) {
      return { key: hit.key, nonce: hit.nonce, updated: { ...chain, skipped: chain.skipped.filter((s) => s !== hit) }, consumed: [hit.key, hit.nonce] };
    }
    if (chain.next - counter > window.maxBehind) throw new StateError('STATE_WINDOW_BEHIND', `message: counter ${counter} is more than ${window.maxBehind} behind ${chain.next}`);
    throw new StateError('STATE_KEY_REUSED', `message: the key of counter ${counter} was already used`);
  }
  if (counter - chain.next > window.maxSkipAhead) {
    throw new StateError('STATE_WINDOW_AHEAD', `message: counter ${counter} is more than ${window.maxSkipAhead} ahead of ${chain.next}`);
  }
  const skipped: SkippedKey[] = [...chain.skipped];
  const consumed: Uint8Array[] = [];
  let ck = chain.chain;
  for (let n = chain.next; n < counter; n++) {
    const step = stepChain(deps, ck);
    skipped.push({ counter: n, key: step.key, nonce: step.nonce });
    consumed.push(ck);
    ck = step.next;
  }
  const step = stepChain(deps, ck);
  consumed.push(ck, step.key, step.nonce);
  const floor = counter + 1 - window.maxBehind;
  const kept = skipped.filter((s) => s.counter >= floor);
  for (const s of skipped) if (s.counter < floor) consumed.push(s.key, s.nonce);
  return { key: step.key, nonce: step.nonce, updated: { epoch: chain.epoch, next: counter + 1, chain: step.next, skipped: kept }, consumed };
}

/**
 * Decrypts a message of `sender`: finds its epoch, derives (or takes the
 * skipped) key on a working copy, authenticates, and only then returns the
 * advanced state.
 * @throws VerifyError `VERIFY_AEAD` (tampered, forged, wrong AAD; state unchanged);
 *   StateError `STATE_UNKNOWN_EPOCH`, `STATE_WINDOW_AHEAD`, `STATE_WINDOW_BEHIND`, `STATE_KEY_REUSED`.
 */
export function decryptMessage(state: MessageState, input: ReceivedMessage, deps: Deps, window: MessageWindow = DEFAULT_WINDOW): MessageResult & { readonly plaintext: Uint8Array } {
  if (!Number.isSafeInteger(input.counter) || input.counter < 0) throw new UsageError('USAGE_ARGUMENT', 'message: counter must be a non-negative integer');
  const chain = findChain(state, input.sender, input.epoch);
  const found = lookupKey(deps, chain, input.counter, window);
  const plaintext = deps.crypto.aeadOpen('chacha20-poly1305', found.key, found.nonce, input.ciphertext, input.aad);
  return { state: replaceChain(state, input.sender, found.updated), consumed: found.consumed, plaintext };
}

/** Members whose chains this state holds (sorted), e.g. to resolve a short sender tag. */
export function knownSenders(state: MessageState): MemberId[] {
  return Object.keys(state.chains).sort();
}
