/**
 * The one place groupcrypt talks to ts-mls's data model: ClientState
 * to and from bytes, MLS message codecs, member lookup by credential, the
 * client config built from `SecretGroupConfig`, and the mapping of ts-mls
 * errors onto groupcrypt's typed errors.
 */
import {
  decodeGroupState, decodeMlsMessage, defaultKeyPackageEqualityConfig, defaultPaddingConfig, encodeMlsMessage,
  type AuthenticationService, type ClientConfig, type ClientState, type Credential, type KeyPackage, type LeafNode, type MLSMessage,
  type PrivateMessage, type PublicMessage, type Welcome,
} from 'ts-mls';
import { bytesEqual } from '../crypto/index.js';
import { DecodeError, GroupCryptError, InternalError, StateError, VerifyError } from '../errors.js';
import { encodeGroupStateFast } from './state-codec.js';
import { KEY_PACKAGE_CLOCK_SKEW_SECONDS, KEY_PACKAGE_LIFETIME_SECONDS, type SecretGroupConfig } from './config.js';

/** Length of an Ed25519 public key, the identity of every member. */
export const IDENTITY_LENGTH = 32;

/**
 * Accepts a basic credential only when its identity is the leaf's Ed25519
 * signature key: a member *is* its public key (seed 001, "Announce members").
 */
export const identityAuthService: AuthenticationService = {
  validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    return Promise.resolve(credential.credentialType === 'basic' && credential.identity.length === IDENTITY_LENGTH
      && bytesEqual(credential.identity, signaturePublicKey));
  },
};

/** The ts-mls client config for a group config (no function reads the clock). */
export function mlsClientConfig(config: SecretGroupConfig): ClientConfig {
  return {
    keyRetentionConfig: {
      retainKeysForEpochs: config.retainEpochs,
      retainKeysForGenerations: config.retainGenerations,
      maximumForwardRatchetSteps: config.maxForwardSteps,
    },
    lifetimeConfig: {
      maximumTotalLifetime: BigInt(KEY_PACKAGE_LIFETIME_SECONDS + 2 * KEY_PACKAGE_CLOCK_SKEW_SECONDS),
      validateLifetimeOnReceive: false,
    },
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
    authService: identityAuthService,
  };
}

/** Encodes a ts-mls client state (its own TLS encoding, config excluded; state-codec.ts writes the same bytes faster). */
export function encodeClientState(state: ClientState): Uint8Array {
  return encodeGroupStateFast(state);
}

/**
 * Decodes a ts-mls client state and re-attaches the config.
 * @throws DecodeError `DECODE_MALFORMED` / `DECODE_TRAILING_BYTES`.
 */
export function decodeClientState(bytes: Uint8Array, config: SecretGroupConfig): ClientState {
  const decoded = safeDecode(() => decodeGroupState(bytes, 0), 'mls group state');
  if (decoded[1] !== bytes.length) throw new DecodeError('DECODE_TRAILING_BYTES', 'mls group state: trailing bytes');
  return { ...decoded[0], clientConfig: mlsClientConfig(config) };
}

/** Encodes an MLS message (RFC 9420 §6 `MLSMessage`). */
export function encodeMessage(message: MLSMessage): Uint8Array {
  return encodeMlsMessage(message);
}

function safeDecode<T>(run: () => [T, number] | undefined, what: string): [T, number] {
  let result: [T, number] | undefined;
  try {
    result = run();
  } catch (cause) {
    throw new DecodeError('DECODE_MALFORMED', `${what}: invalid encoding`, { cause });
  }
  if (result === undefined) throw new DecodeError('DECODE_MALFORMED', `${what}: invalid encoding`);
  return result;
}

function decodeWhole(bytes: Uint8Array, what: string): MLSMessage {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('DECODE_FIELD', `${what}: expected bytes`);
  const [message, end] = safeDecode(() => decodeMlsMessage(bytes, 0), what);
  if (end !== bytes.length) throw new DecodeError('DECODE_TRAILING_BYTES', `${what}: trailing bytes`);
  // ts-mls accepts non-minimal length prefixes; one message must have one encoding (ids and signatures cover bytes).
  if (!bytesEqual(encodeMlsMessage(message), bytes)) throw new DecodeError('DECODE_NON_CANONICAL', `${what}: not the minimal encoding`);
  return message;
}

/**
 * Decodes an `MLSMessage` carrying a key package.
 * @throws DecodeError `DECODE_MALFORMED` / `DECODE_FIELD` (other wire format).
 */
export function decodeKeyPackageMessage(bytes: Uint8Array): KeyPackage {
  const message = decodeWhole(bytes, 'mls key package');
  if (message.wireformat !== 'mls_key_package') throw new DecodeError('DECODE_FIELD', 'mls key package: wrong wire format');
  return message.keyPackage;
}

/** Decodes an `MLSMessage` carrying a Welcome. */
export function decodeWelcomeMessage(bytes: Uint8Array): Welcome {
  const message = decodeWhole(bytes, 'mls welcome');
  if (message.wireformat !== 'mls_welcome') throw new DecodeError('DECODE_FIELD', 'mls welcome: wrong wire format');
  return message.welcome;
}

/** Decodes an `MLSMessage` carrying a PublicMessage (our commits are plaintext, seed 001). */
export function decodePublicMessage(bytes: Uint8Array): PublicMessage {
  const message = decodeWhole(bytes, 'mls commit');
  if (message.wireformat !== 'mls_public_message') throw new DecodeError('DECODE_FIELD', 'mls commit: wrong wire format');
  return message.publicMessage;
}

/** Decodes an `MLSMessage` carrying a PrivateMessage (application data). */
export function decodePrivateMessage(bytes: Uint8Array): PrivateMessage {
  const message = decodeWhole(bytes, 'mls application message');
  if (message.wireformat !== 'mls_private_message') throw new DecodeError('DECODE_FIELD', 'mls application message: wrong wire format');
  return message.privateMessage;
}

/** The identity (Ed25519 public key) of a leaf, or undefined for a non-basic credential. */
export function leafIdentity(leaf: LeafNode): Uint8Array | undefined {
  return leaf.credential.credentialType === 'basic' ? leaf.credential.identity : undefined;
}

/** Leaf index of the member with `identity`, or undefined. */
export function findMemberLeaf(state: ClientState, identity: Uint8Array): number | undefined {
  const tree = state.ratchetTree;
  for (let node = 0; node < tree.length; node += 2) {
    const entry = tree[node];
    if (entry?.nodeType !== 'leaf') continue;
    const id = leafIdentity(entry.leaf);
    if (id !== undefined && bytesEqual(id, identity)) return node / 2;
  }
  return undefined;
}

/** Identity of the member at `leafIndex`, or undefined for a blank leaf. */
export function memberAtLeaf(state: ClientState, leafIndex: number): Uint8Array | undefined {
  const entry = state.ratchetTree[leafIndex * 2];
  return entry?.nodeType === 'leaf' ? leafIdentity(entry.leaf) : undefined;
}

/** Identities of all current members, in leaf order. */
export function memberIdentities(state: ClientState): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let node = 0; node < state.ratchetTree.length; node += 2) {
    const entry = state.ratchetTree[node];
    const id = entry?.nodeType === 'leaf' ? leafIdentity(entry.leaf) : undefined;
    if (id !== undefined) out.push(id);
  }
  return out;
}

/**
 * Runs a ts-mls call and maps its errors: crypto verification failures
 * become `VerifyError` (`verifyCode`), validation failures `StateError`
 * (`stateCode`), codec failures `DecodeError`; groupcrypt errors pass through.
 */
export async function callMls<T>(what: string, run: () => Promise<T>, verifyCode: 'VERIFY_AEAD' | 'VERIFY_SIGNATURE' = 'VERIFY_AEAD',
  stateCode: 'STATE_UNKNOWN_EPOCH' | 'STATE_NOT_MEMBER' | 'STATE_OUT_OF_ORDER' = 'STATE_OUT_OF_ORDER'): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof GroupCryptError) throw cause;
    const name = cause instanceof Error ? (cause.constructor.name === 'DOMException' ? cause.name : cause.constructor.name) : '';
    const message = cause instanceof Error ? cause.message : String(cause);
    if (name === 'CryptoVerificationError' || name === 'CryptoError' || name === 'OperationError') {
      throw new VerifyError(verifyCode, `${what}: ${message}`, { cause });
    }
    if (name === 'ValidationError') {
      if (/epoch/i.test(message)) throw new StateError('STATE_UNKNOWN_EPOCH', `${what}: ${message}`, { cause });
      throw new StateError(stateCode, `${what}: ${message}`, { cause });
    }
    if (name === 'CodecError' || name === 'RangeError') throw new DecodeError('DECODE_MALFORMED', `${what}: ${message}`, { cause });
    if (name === 'UsageError') throw new StateError('STATE_NOT_MEMBER', `${what}: ${message}`, { cause });
    throw new InternalError('INTERNAL', `${what}: ${message}`, { cause });
  }
}
