/**
 * Opening MLS application messages (RFC 9420 §6.3) for the Secret Group,
 * current epoch or a retained past one, returning the sender's identity so
 * callers can check who wrote it (e.g. that long-term secrets come from the
 * owner). Mirrors ts-mls's application path of `processPrivateMessage`,
 * which does not report the sender.
 */
import type { ClientState, PrivateMessage } from 'ts-mls';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { bytesEqual } from '../crypto/index.js';
import { DecodeError, StateError, VerifyError } from '../errors.js';
import type { MlsDeps } from './config.js';
import { callMls, leafIdentity } from './mls-adapter.js';

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

/**
 * Decrypts and authenticates an application message, returning the new
 * ts-mls state (the sender's ratchet advanced) only on success.
 * @throws VerifyError `VERIFY_GROUP` (other group), `VERIFY_AEAD` / `VERIFY_SIGNATURE`;
 * StateError `STATE_UNKNOWN_EPOCH` when the epoch is ahead or no longer retained;
 * DecodeError `DECODE_FIELD` when it is not application data.
 */
export async function openApplication(state: ClientState, message: PrivateMessage, deps: MlsDeps): Promise<OpenedApplication> {
  if (!bytesEqual(message.groupId, state.groupContext.groupId)) throw new VerifyError('VERIFY_GROUP', 'mls message: other group');
  if (message.contentType !== 'application') throw new DecodeError('DECODE_FIELD', 'mls message: not application data');
  const current = state.groupContext.epoch;
  if (message.epoch > current) throw new StateError('STATE_UNKNOWN_EPOCH', `mls message: epoch ${message.epoch} is ahead of ${current}`);
  const past = message.epoch < current ? state.historicalReceiverData.get(message.epoch) : undefined;
  if (message.epoch < current && past === undefined) {
    throw new StateError('STATE_UNKNOWN_EPOCH', `mls message: epoch ${message.epoch} is not retained`);
  }
  const source = past ?? {
    senderDataSecret: state.keySchedule.senderDataSecret, secretTree: state.secretTree, ratchetTree: state.ratchetTree, groupContext: state.groupContext,
  };
  const result = await callMls('open application message', () => unprotectPrivateMessage(source.senderDataSecret, message, source.secretTree,
    source.ratchetTree, source.groupContext, state.clientConfig.keyRetentionConfig, deps.mls));
  const content = result.content.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
    throw new DecodeError('DECODE_FIELD', 'mls message: not application data from a member');
  }
  const leaf = source.ratchetTree[content.sender.leafIndex * 2];
  const sender = leaf?.nodeType === 'leaf' ? leafIdentity(leaf.leaf) : undefined;
  if (sender === undefined) throw new VerifyError('VERIFY_SENDER', 'mls message: sender has no basic credential');
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
