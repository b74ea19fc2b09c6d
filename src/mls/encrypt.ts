/**
 * Application data encryption (seed 001, "Encryption" / "Decryption"):
 *
 * - long-term secrets: AEAD with the newest LongTermSecret, nonce from the
 *   MLS exporter ("long_term_nonce" + hex sender key + counter), decrypted by
 *   epoch — late joiners read history;
 * - sender ratchet: an MLS application message of the current epoch —
 *   forward secrecy, readable only by members of that epoch (past epochs are
 *   kept, bounded, for members that missed a commit).
 *
 * Both are `SecretGroupMessage`s: deterministic CBOR with `type`
 * `long_term_secret_ciphertext` or `mls_ciphertext`. Long-term ciphertexts
 * also carry the sender and its Ed25519 signature (ARCHITECTURE "Sender
 * authenticity"); MLS application messages are signed by MLS itself.
 */
import { createApplicationMessage, encodeMlsMessage, mlsExporter } from 'ts-mls';
import {
  asRecord, bytesEqual, concatBytes, decodeCanonical, constantTimeEqual, decodeVersionedRecord, encodeCanonical, readBytes, readText, readUint, toHex, utf8,
} from '../crypto/index.js';
import { StateError, VerifyError } from '../errors.js';
import { MAX_DOCUMENT_BYTES, type MlsDeps } from './config.js';
import { openApplication } from './application.js';
import { DOCUMENT_ID_LENGTH } from './documents.js';
import { latestSecret, loadMls, saveMls, type SecretGroupState } from './group-state.js';
import { longTermNonceLabel, ltsAead, LTS_NONCE_LENGTH } from './long-term-secret.js';
import { callMls, decodePrivateMessage, findMemberLeaf, IDENTITY_LENGTH } from './mls-adapter.js';

/** Random bytes mixed into every long-term nonce. */
export const LTS_NONCE_RANDOM_BYTES = 8;

/** A decoded LongTermSecretCiphertext. */
export interface LongTermSecretCiphertext {
  readonly groupId: Uint8Array;
  readonly longTermEpoch: number;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly sender: Uint8Array;
  readonly signature: Uint8Array;
}

/** A decrypted message. */
export interface DecryptedMessage {
  readonly kind: 'plaintext';
  readonly plaintext: Uint8Array;
  /** Ed25519 identity of the author (authenticated). */
  readonly sender: Uint8Array;
  /** `long_term` with the long-term epoch, or `sender_ratchet` with the MLS epoch. */
  readonly scheme: 'long_term' | 'sender_ratchet';
  readonly epoch: number;
}

const LTS_SIGN_LABEL = utf8('groupcrypt mls long-term ciphertext v1');
const LTS_KEYS = ['v', 'type', 'group_id', 'long_term_epoch', 'nonce', 'ciphertext', 'sender', 'signature'];
const MLS_KEYS = ['v', 'type', 'group_id', 'mls'];

function ltsSigned(m: Omit<LongTermSecretCiphertext, 'signature'>): Uint8Array {
  return concatBytes(LTS_SIGN_LABEL, encodeCanonical({
    v: 1, type: 'long_term_secret_ciphertext', group_id: m.groupId, long_term_epoch: m.longTermEpoch, nonce: m.nonce, ciphertext: m.ciphertext, sender: m.sender,
  }));
}

function ltsAad(groupId: Uint8Array, epoch: number, sender: Uint8Array, aad: Uint8Array): Uint8Array {
  return encodeCanonical({ group_id: groupId, long_term_epoch: epoch, sender, aad });
}

/** Decodes a LongTermSecretCiphertext message (no crypto). */
export function decodeLongTermSecretCiphertext(bytes: Uint8Array): LongTermSecretCiphertext {
  const what = 'LongTermSecretCiphertext';
  const record = decodeVersionedRecord(bytes, what, 1, LTS_KEYS, MAX_DOCUMENT_BYTES);
  readText(record, 'type', what, ['long_term_secret_ciphertext']);
  return {
    groupId: readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH),
    longTermEpoch: readUint(record, 'long_term_epoch', what),
    nonce: readBytes(record, 'nonce', what, LTS_NONCE_LENGTH),
    ciphertext: readBytes(record, 'ciphertext', what, { min: 16 }),
    sender: readBytes(record, 'sender', what, IDENTITY_LENGTH),
    signature: readBytes(record, 'signature', what, 64),
  };
}

/**
 * Whether `sender` may have written under long-term epoch `epoch`: a current
 * member may; a removed member only under a secret it held as a member that
 * has been superseded since (under the current one it would be writing now).
 */
function mayWriteLongTerm(state: SecretGroupState, sender: Uint8Array, epoch: number, deps: MlsDeps): boolean {
  const former = state.former.find((f) => bytesEqual(f.member, sender));
  if (state.status !== 'active') return bytesEqual(sender, state.self) || (former !== undefined && epoch <= former.until);
  if (findMemberLeaf(loadMls(state, deps), sender) !== undefined) return true;
  const latest = latestSecret(state)?.longTermEpoch ?? 0;
  return former !== undefined && epoch <= former.until && epoch < latest;
}

/**
 * Encrypts with the newest long-term secret (seed 001 "Long Term Secrets").
 * @throws StateError `STATE_REMOVED` (no MLS exporter any more), `STATE_MISSING_SECRET`.
 */
export async function encryptLongTerm(state: SecretGroupState, plaintext: Uint8Array, deps: MlsDeps, aad: Uint8Array = new Uint8Array(0)): Promise<{
  state: SecretGroupState; outputs: [{ kind: 'broadcast'; message: Uint8Array }];
}> {
  const mls = loadMls(state, deps);
  const secret = latestSecret(state);
  if (secret === undefined) throw new StateError('STATE_MISSING_SECRET', 'no long-term secret');
  const counter = state.nonceCounter + 1;
  const derived = await callMls('export nonce', () => mlsExporter(mls.keySchedule.exporterSecret, longTermNonceLabel(toHex(state.self), counter),
    new Uint8Array(0), LTS_NONCE_LENGTH, deps.mls));
  // The counter alone repeats when a state is reused (retry, restore, concurrent calls): mix in 8 fresh random bytes.
  const random = deps.crypto.randomBytes(LTS_NONCE_RANDOM_BYTES);
  const nonce = derived.map((byte, i) => (i < LTS_NONCE_RANDOM_BYTES ? byte ^ (random[i] ?? 0) : byte));
  const ciphertext = deps.crypto.aeadSeal(ltsAead(secret.ciphersuite), secret.value, nonce, plaintext, ltsAad(state.groupId, secret.longTermEpoch, state.self, aad));
  const unsigned = { groupId: state.groupId, longTermEpoch: secret.longTermEpoch, nonce, ciphertext, sender: state.self };
  const signature = deps.crypto.ed25519Sign(mls.signaturePrivateKey, ltsSigned(unsigned));
  const message = encodeCanonical({
    v: 1, type: 'long_term_secret_ciphertext', group_id: state.groupId, long_term_epoch: secret.longTermEpoch, nonce, ciphertext, sender: state.self, signature,
  });
  return { state: { ...state, nonceCounter: counter }, outputs: [{ kind: 'broadcast', message }] };
}

/**
 * Decrypts a long-term ciphertext by its epoch; works after removal for
 * secrets we still hold. Does not change state.
 * @throws VerifyError `VERIFY_GROUP`, `VERIFY_SIGNATURE`, `VERIFY_AEAD`; StateError `STATE_UNKNOWN_EPOCH`; DecodeError.
 */
export function decryptLongTerm(state: SecretGroupState, message: Uint8Array, deps: MlsDeps, aad: Uint8Array = new Uint8Array(0)): DecryptedMessage {
  const m = decodeLongTermSecretCiphertext(message);
  if (!constantTimeEqual(m.groupId, state.groupId)) throw new VerifyError('VERIFY_GROUP', 'long-term ciphertext: other group');
  if (!deps.crypto.ed25519Verify(m.sender, ltsSigned(m), m.signature)) throw new VerifyError('VERIFY_SIGNATURE', 'long-term ciphertext: bad signature');
  const secret = state.secrets.find((s) => s.longTermEpoch === m.longTermEpoch);
  if (secret === undefined) throw new StateError('STATE_UNKNOWN_EPOCH', `long-term ciphertext: no secret for epoch ${m.longTermEpoch}`);
  if (!mayWriteLongTerm(state, m.sender, m.longTermEpoch, deps)) {
    throw new VerifyError('VERIFY_SENDER', `long-term ciphertext: sender was not a member under epoch ${m.longTermEpoch}`);
  }
  const plaintext = deps.crypto.aeadOpen(ltsAead(secret.ciphersuite), secret.value, m.nonce, m.ciphertext, ltsAad(m.groupId, m.longTermEpoch, m.sender, aad));
  return { kind: 'plaintext', plaintext, sender: m.sender, scheme: 'long_term', epoch: m.longTermEpoch };
}

/**
 * Encrypts with the sender ratchet: an MLS application message of the
 * current epoch. The caller's `aad` is bound as its SHA-256 in MLS
 * authenticated data (the aad itself is not sent).
 * @throws StateError `STATE_REMOVED`.
 */
export async function encryptSenderRatchet(state: SecretGroupState, plaintext: Uint8Array, deps: MlsDeps, aad: Uint8Array = new Uint8Array(0)): Promise<{
  state: SecretGroupState; outputs: [{ kind: 'broadcast'; message: Uint8Array }];
}> {
  const mls = loadMls(state, deps);
  const sealed = await callMls('seal application message', () => createApplicationMessage(mls, plaintext, deps.mls, deps.crypto.sha256(aad)));
  const inner = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: sealed.privateMessage });
  const message = encodeCanonical({ v: 1, type: 'mls_ciphertext', group_id: state.groupId, mls: inner });
  return { state: { ...state, ...saveMls(state, sealed.newState, deps.now()) }, outputs: [{ kind: 'broadcast', message }] };
}

/**
 * Decrypts a sender-ratchet message of the current or a retained past epoch.
 * @throws VerifyError `VERIFY_GROUP`, `VERIFY_AEAD`, `VERIFY_SIGNATURE`; StateError `STATE_UNKNOWN_EPOCH`
 * (ahead of us: process the pending commits first; or no longer retained), `STATE_REMOVED`; DecodeError.
 */
export async function decryptSenderRatchet(state: SecretGroupState, message: Uint8Array, deps: MlsDeps, aad: Uint8Array = new Uint8Array(0)): Promise<{
  state: SecretGroupState; outputs: [DecryptedMessage];
}> {
  const what = 'MlsCiphertext';
  const record = decodeVersionedRecord(message, what, 1, MLS_KEYS, MAX_DOCUMENT_BYTES);
  readText(record, 'type', what, ['mls_ciphertext']);
  if (!constantTimeEqual(readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH), state.groupId)) {
    throw new VerifyError('VERIFY_GROUP', `${what}: other group`);
  }
  const privateMessage = decodePrivateMessage(readBytes(record, 'mls', what));
  if (!constantTimeEqual(privateMessage.authenticatedData, deps.crypto.sha256(aad))) throw new VerifyError('VERIFY_AEAD', `${what}: associated data differs`);
  const past = state.past.find((p) => BigInt(p.epoch) === privateMessage.epoch);
  if (past !== undefined && deps.now() > past.until + state.config.pastEpochSeconds) {
    throw new StateError('STATE_UNKNOWN_EPOCH', `${what}: epoch ${privateMessage.epoch} expired ${deps.now() - past.until - state.config.pastEpochSeconds} s ago`);
  }
  const mls = loadMls(state, deps, privateMessage.epoch);
  const opened = await openApplication(mls, privateMessage, deps);
  return {
    state: { ...state, ...saveMls(state, opened.state, deps.now()) },
    outputs: [{ kind: 'plaintext', plaintext: opened.plaintext, sender: opened.sender, scheme: 'sender_ratchet', epoch: Number(opened.epoch) }],
  };
}

/**
 * Decrypts either kind of SecretGroupMessage (dispatch on `type`).
 * @throws as `decryptLongTerm` / `decryptSenderRatchet`.
 */
export async function decryptSecretGroupMessage(state: SecretGroupState, message: Uint8Array, deps: MlsDeps, aad?: Uint8Array): Promise<{
  state: SecretGroupState; outputs: [DecryptedMessage];
}> {
  const record = asRecord(decodeCanonical(message, 'SecretGroupMessage', MAX_DOCUMENT_BYTES), 'SecretGroupMessage');
  const type = readText(record, 'type', 'SecretGroupMessage', ['long_term_secret_ciphertext', 'mls_ciphertext']);
  if (type === 'long_term_secret_ciphertext') return { state, outputs: [decryptLongTerm(state, message, deps, aad)] };
  return decryptSenderRatchet(state, message, deps, aad);
}
