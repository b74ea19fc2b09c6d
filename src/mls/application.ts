/**
 * Opening MLS application messages (RFC 9420 §6.3) for the Secret Group,
 * current epoch or a retained past one, returning the sender's identity so
 * callers can check who wrote it (e.g. that long-term secrets come from the
 * owner). Mirrors ts-mls's application path of `processPrivateMessage`,
 * which does not report the sender.
 */
import type { ClientState, EpochReceiverData, PrivateMessage } from 'ts-mls';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { decryptSenderData } from 'ts-mls/privateMessage.js';
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js';
import { bytesEqual, concatBytes, toHex } from '../crypto/index.js';
import { DecodeError, GroupCryptError, StateError, VerifyError } from '../errors.js';
import type { MlsDeps } from './config.js';
import { callMls, findMemberLeaf, leafIdentity } from './mls-adapter.js';

/** An opened application message. */
export interface OpenedApplication {
  readonly state: ClientState;
  readonly plaintext: Uint8Array;
  /** Ed25519 identity of the sender. */
  readonly sender: Uint8Array;
  /** MLS epoch the message was sent in. */
  readonly epoch: bigint;
  readonly authenticatedData: Uint8Array;
}

/** Extra checks of `openApplication`. */
export interface OpenOptions {
  /** The message must be this generation of its sender's chain (the secret list is the owner's first message). */
  readonly generation?: number;
}

/** A ratchet jump beyond this many steps is first checked on a throwaway copy that keeps no skipped keys (linear cost). */
const CHEAP_CHECK_STEPS = 16;
/** How many failed messages are remembered (per process) so a replay fails at once. */
const FAILED_MEMORY = 4096;
const failed = new Map<string, GroupCryptError>();

function rememberFailure(key: string, error: unknown): void {
  if (!(error instanceof VerifyError)) return;
  if (failed.size >= FAILED_MEMORY) {
    const oldest = failed.keys().next().value;
    if (oldest !== undefined) failed.delete(oldest);
  }
  failed.set(key, error);
}

/**
 * Decrypts and authenticates an application message, returning the new
 * ts-mls state (the sender's ratchet advanced) only on success.
 *
 * Cost is bounded before any ratchet moves: the sender data is opened first
 * (one AEAD), a past epoch only reads members that are still members, a jump
 * beyond `maxForwardSteps` is refused, a long jump is verified on a copy that
 * keeps no skipped keys, and a message that failed verification is
 * remembered so its replay costs one hash.
 * @throws VerifyError `VERIFY_GROUP` (other group), `VERIFY_AEAD` / `VERIFY_SIGNATURE`, `VERIFY_SENDER`
 * (a removed member on a past epoch, or not the expected generation); StateError `STATE_UNKNOWN_EPOCH`
 * when the epoch is ahead or no longer retained, `STATE_WINDOW_AHEAD` (jump too long);
 * DecodeError `DECODE_FIELD` when it is not application data.
 */
export async function openApplication(state: ClientState, message: PrivateMessage, deps: MlsDeps, options: OpenOptions = {}): Promise<OpenedApplication> {
  if (!bytesEqual(message.groupId, state.groupContext.groupId)) throw new VerifyError('VERIFY_GROUP', 'mls message: other group');
  if (message.contentType !== 'application') throw new DecodeError('DECODE_FIELD', 'mls message: not application data');
  const current = state.groupContext.epoch;
  if (message.epoch > current) throw new StateError('STATE_UNKNOWN_EPOCH', `mls message: epoch ${message.epoch} is ahead of ${current}`);
  const past = message.epoch < current ? state.historicalReceiverData.get(message.epoch) : undefined;
  if (message.epoch < current && past === undefined) {
    throw new StateError('STATE_UNKNOWN_EPOCH', `mls message: epoch ${message.epoch} is not retained`);
  }
  // Keyed by what decides the outcome: our epoch and leaf (membership) and the message.
  const key = `${current}:${state.privatePath.leafIndex}:${toHex(deps.crypto.sha256(concatBytes(message.groupId, message.encryptedSenderData,
    message.ciphertext, message.authenticatedData)))}:${message.epoch}`;
  const known = failed.get(key);
  if (known !== undefined) throw known;
  try {
    return await openChecked(state, message, past, deps, options);
  } catch (error) {
    rememberFailure(key, error);
    throw error;
  }
}

async function openChecked(state: ClientState, message: PrivateMessage, past: EpochReceiverData | undefined, deps: MlsDeps,
  options: OpenOptions): Promise<OpenedApplication> {
  const source = past ?? {
    senderDataSecret: state.keySchedule.senderDataSecret, secretTree: state.secretTree, ratchetTree: state.ratchetTree, groupContext: state.groupContext,
  };
  const senderData = await callMls('open sender data', () => decryptSenderData(message, source.senderDataSecret, deps.mls));
  if (senderData === undefined) throw new VerifyError('VERIFY_AEAD', 'mls message: sender data does not decode');
  const leaf = source.ratchetTree[senderData.leafIndex * 2];
  const sender = leaf?.nodeType === 'leaf' ? leafIdentity(leaf.leaf) : undefined;
  if (sender === undefined) throw new VerifyError('VERIFY_SENDER', 'mls message: sender is not a member with a basic credential');
  if (options.generation !== undefined && senderData.generation !== options.generation) {
    throw new VerifyError('VERIFY_SENDER', `mls message: generation ${senderData.generation}, expected ${options.generation}`);
  }
  // A past epoch's tree still lists members removed since: only today's members may speak there.
  if (past !== undefined && findMemberLeaf(state, sender) === undefined) {
    throw new VerifyError('VERIFY_SENDER', 'mls message: sender was removed since this epoch');
  }
  const retention = state.clientConfig.keyRetentionConfig;
  const chain = source.secretTree[leafToNodeIndex(toLeafIndex(senderData.leafIndex))]?.application;
  const jump = senderData.generation - (chain?.generation ?? 0);
  if (jump > retention.maximumForwardRatchetSteps) {
    throw new StateError('STATE_WINDOW_AHEAD', `mls message: generation ${senderData.generation} is ${jump} steps ahead (limit ${retention.maximumForwardRatchetSteps})`);
  }
  if (jump > CHEAP_CHECK_STEPS) {
    // ts-mls copies the skipped-key map on every step; check the message first on a copy that keeps none.
    await callMls('check application message', () => unprotectPrivateMessage(source.senderDataSecret, message, source.secretTree,
      source.ratchetTree, source.groupContext, { ...retention, retainKeysForGenerations: 0 }, deps.mls));
  }
  const result = await callMls('open application message', () => unprotectPrivateMessage(source.senderDataSecret, message, source.secretTree,
    source.ratchetTree, source.groupContext, retention, deps.mls));
  const content = result.content.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member' || content.sender.leafIndex !== senderData.leafIndex) {
    throw new DecodeError('DECODE_FIELD', 'mls message: not application data from a member');
  }
  let next: ClientState;
  if (past !== undefined) {
    const history = new Map(state.historicalReceiverData);
    history.set(message.epoch, { ...past, secretTree: result.tree });
    next = { ...state, historicalReceiverData: history };
  } else {
    next = { ...state, secretTree: result.tree };
  }
  return { state: next, plaintext: content.applicationData, sender, epoch: message.epoch, authenticatedData: content.authenticatedData };
}
