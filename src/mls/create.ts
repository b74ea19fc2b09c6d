/**
 * Group creation and long-term secret generation / rotation (seed 001,
 * "Create group", "Long Term Secret Generation / Rotation"). Owner only.
 *
 *     SecretGroup doc ──sha256──▶ group id = MLS group id
 *     owner key package ──▶ MLS group, epoch 0
 *     exporter("long_term_secret" ‖ "0") ──▶ LongTermSecret epoch 0
 */
import { createGroup, getCiphersuiteFromName, mlsExporter, type CiphersuiteName, type ClientState } from 'ts-mls';
import { ciphersuites } from 'ts-mls';
import { StateError, UsageError } from '../errors.js';
import { checkConfig, DEFAULT_SECRET_GROUP_CONFIG, type MlsDeps, type SecretGroupConfig } from './config.js';
import { encodeSecretGroup, type SecretGroupDocument } from './documents.js';
import { isOwner, latestSecret, loadMls, saveMls, type SecretGroupState } from './group-state.js';
import { generateMlsKeyPackage, SUPPORTED_MLS_SUITES, type MemberKeyStore } from './key-package.js';
import { longTermSecretLabel, ltsKeyLength, type LongTermSecret, type LongTermSecretCiphersuite } from './long-term-secret.js';
import { callMls, mlsClientConfig } from './mls-adapter.js';

/** Input of `createSecretGroup`. */
export interface CreateSecretGroupInput {
  /** The owner's identity. */
  readonly identity: MemberKeyStore;
  readonly ltsCiphersuite: LongTermSecretCiphersuite;
  readonly config?: SecretGroupConfig;
}

/** Result of `createSecretGroup`. */
export interface CreateSecretGroupResult {
  readonly state: SecretGroupState;
  readonly outputs: readonly [{ readonly kind: 'broadcast'; readonly document: Uint8Array; readonly id: Uint8Array }];
}

/**
 * Derives the long-term secret of `longTermEpoch` from the current MLS
 * epoch's exporter (label "long_term_secret" + decimal epoch, empty context).
 */
export async function deriveLongTermSecret(mls: ClientState, groupId: Uint8Array, ciphersuite: LongTermSecretCiphersuite,
  longTermEpoch: number, deps: MlsDeps): Promise<LongTermSecret> {
  const value = await callMls('export long-term secret', () => mlsExporter(mls.keySchedule.exporterSecret, longTermSecretLabel(longTermEpoch),
    new Uint8Array(0), ltsKeyLength(ciphersuite), deps.mls));
  return { groupId, ciphersuite, longTermEpoch, value };
}

/**
 * Creates a Secret Group owned by `input.identity`: the SecretGroup document
 * (to publish), the MLS group with the owner's key package (used directly,
 * never published) and long-term secret epoch 0.
 * @throws UsageError `USAGE_UNSUPPORTED` when `deps.mls` is not an X25519/Ed25519 suite.
 * @example
 *   const { state, outputs } = await createSecretGroup({ identity, ltsCiphersuite: 0x01 }, deps);
 */
export async function createSecretGroup(input: CreateSecretGroupInput, deps: MlsDeps): Promise<CreateSecretGroupResult> {
  const config = checkConfig(input.config ?? DEFAULT_SECRET_GROUP_CONFIG);
  const suiteName = deps.mls.name;
  if (!SUPPORTED_MLS_SUITES.includes(suiteName)) throw new UsageError('USAGE_UNSUPPORTED', `MLS suite ${suiteName} is not supported`);
  const group: SecretGroupDocument = {
    ltsCiphersuite: input.ltsCiphersuite,
    mlsCiphersuite: ciphersuites[suiteName],
    owner: input.identity.publicKey,
    nonce: deps.crypto.randomBytes(16),
  };
  const document = encodeSecretGroup(group);
  const groupId = deps.crypto.sha256(document);
  const own = await generateMlsKeyPackage(input.identity, deps);
  const privatePackage = { initPrivateKey: own.initPrivateKey, hpkePrivateKey: own.hpkePrivateKey, signaturePrivateKey: input.identity.secretKey };
  const mls = await callMls('create group', () => createGroup(groupId, own.keyPackage, privatePackage, [], deps.mls, mlsClientConfig(config)));
  const first = await deriveLongTermSecret(mls, groupId, input.ltsCiphersuite, 0, deps);
  const state: SecretGroupState = {
    v: 2, groupId, group, self: input.identity.publicKey, config, owner: input.identity.publicKey, handovers: [], former: [], proposals: [],
    status: 'active', ...saveMls({ past: [], config }, mls, deps.now()), lastCommit: null, recentCommits: [], secrets: [first], nonceCounter: 0,
  };
  return { state, outputs: [{ kind: 'broadcast', document, id: groupId }] };
}

/**
 * Generates the next long-term secret from the current MLS epoch (owner
 * only). It reaches members with the next commit; rotate *after* a removal
 * commit (see `commitSecretGroup`'s `rotate`), never before, or the removed
 * member could derive it.
 * @throws StateError `STATE_NOT_OWNER`, `STATE_REMOVED`.
 */
export async function rotateLongTermSecret(state: SecretGroupState, deps: MlsDeps): Promise<{ state: SecretGroupState; outputs: readonly [] }> {
  if (!isOwner(state)) throw new StateError('STATE_NOT_OWNER', 'only the owner rotates long-term secrets');
  const mls = loadMls(state, deps);
  const next = (latestSecret(state)?.longTermEpoch ?? -1) + 1;
  const secret = await deriveLongTermSecret(mls, state.groupId, state.group.ltsCiphersuite, next, deps);
  return { state: { ...state, secrets: [...state.secrets, secret] }, outputs: [] };
}

/** The ts-mls suite description of a supported suite name (for `getCiphersuiteImpl`). */
export function mlsCiphersuite(name: CiphersuiteName): ReturnType<typeof getCiphersuiteFromName> {
  return getCiphersuiteFromName(name);
}
