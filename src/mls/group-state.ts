/**
 * The state one member holds for one Secret Group: the group document, the
 * ts-mls client state as its own encoding (bytes), the commit chain head, all
 * known long-term secrets and the long-term nonce counter. Plain readonly
 * data, versioned deterministic CBOR.
 */
import type { CiphersuiteName, ClientState } from 'ts-mls';
import { asRecord, bytesEqual, decodeVersionedRecord, encodeCanonical, readArray, readBytes, readText, readUint } from '../crypto/index.js';
import { DecodeError, StateError, UsageError } from '../errors.js';
import { checkConfig, MAX_FORWARD_STEPS, MAX_PAST_EPOCH_SECONDS, MAX_PENDING_PROPOSALS, MAX_LONG_TERM_SECRETS, MAX_RETAIN_EPOCHS, MAX_RETAIN_GENERATIONS, MAX_STATE_BYTES, type MlsDeps, type SecretGroupConfig } from './config.js';
import { DOCUMENT_ID_LENGTH, MAX_LISTED, readOptionalBytes, type FormerMember, type Handover, type SecretGroupDocument } from './documents.js';
import { asLtsCiphersuite, ltsKeyLength, type LongTermSecret } from './long-term-secret.js';
import { loadClientState, storeClientState, type PastEpoch } from './mls-store.js';

/** Version of the encoded state (v1 states are rejected: their commit chain used unsigned v1 documents). */
export const SECRET_GROUP_STATE_VERSION = 2;

/**
 * A member's proposal (add / remove / update) that the owner commits when it
 * next sees it. Members keep their own as the pending view; the owner queues
 * everyone's.
 */
export interface PendingProposal {
  /** Id of the SecretGroupProposal document. */
  readonly id: Uint8Array;
  /** Identity of the proposing member. */
  readonly from: Uint8Array;
  readonly action: 'add' | 'remove' | 'update';
  /** Identity added (the key package's author) or removed; the proposer for `update`. */
  readonly subject: Uint8Array;
  /** The signed SecretGroupProposal document. */
  readonly document: Uint8Array;
}

function encodePendingProposal(p: PendingProposal): Record<string, unknown> {
  return { id: p.id, from: p.from, action: p.action, subject: p.subject, document: p.document };
}

function decodePendingProposal(value: unknown, what: string): PendingProposal {
  const p = asRecord(value, `${what}.proposals`, ['id', 'from', 'action', 'subject', 'document']);
  return {
    id: readBytes(p, 'id', what, DOCUMENT_ID_LENGTH),
    from: readBytes(p, 'from', what, 32),
    action: readText(p, 'action', what, ['add', 'remove', 'update'] as const),
    subject: readBytes(p, 'subject', what, 32),
    document: readBytes(p, 'document', what, { min: 1 }),
  };
}

/** How many applied commit ids a state remembers, to tell a fork from a commit we are missing the predecessor of. */
export const RECENT_COMMITS = 64;

/** `recent` with `id` appended, at most `RECENT_COMMITS` long. */
export function rememberCommit(recent: readonly Uint8Array[], id: Uint8Array): Uint8Array[] {
  return [...recent, id].slice(-RECENT_COMMITS);
}

/** One member's view of one Secret Group. */
export interface SecretGroupState {
  readonly v: 2;
  /** SHA-256 of the SecretGroup document = MLS group id. */
  readonly groupId: Uint8Array;
  readonly group: SecretGroupDocument;
  /** Our Ed25519 public key. */
  readonly self: Uint8Array;
  readonly config: SecretGroupConfig;
  /** The current owner: the creator, or where the hand-overs lead. */
  readonly owner: Uint8Array;
  /** Hand-overs so far, oldest first. */
  readonly handovers: readonly Handover[];
  /** Removed members with the newest long-term epoch each held while a member. */
  readonly former: readonly FormerMember[];
  /** Proposals of members that the owner has not committed yet (the members' pending view; the owner's queue). */
  readonly proposals: readonly PendingProposal[];
  /** `'removed'` once a commit removed us: we keep long-term secrets, lose MLS. */
  readonly status: 'active' | 'removed';
  /** ts-mls `GroupState` encoding of the current epoch (no history); empty once removed. */
  readonly mls: Uint8Array;
  /** Retained past epochs (ascending, at most `config.retainEpochs`), for late application messages. */
  readonly past: readonly PastEpoch[];
  /** Id of the last commit applied (null before the first). */
  readonly lastCommit: Uint8Array | null;
  /** Ids of the last `RECENT_COMMITS` commits applied, oldest first: a commit naming one of them (but the last) forks our chain. */
  readonly recentCommits: readonly Uint8Array[];
  /** Known long-term secrets, sorted by epoch, one per epoch. */
  readonly secrets: readonly LongTermSecret[];
  /** Long-term AEAD nonce counter (seed 001: "internal AEAD nonce counter"). */
  readonly nonceCounter: number;
}

/** True when we own the group (only the owner commits and rotates). */
export function isOwner(state: SecretGroupState): boolean {
  return bytesEqual(state.self, state.owner);
}

/** The MLS ciphersuite name of the group. */
export function mlsSuiteName(state: SecretGroupState): CiphersuiteName {
  return mlsSuiteNameOf(state.group.mlsCiphersuite);
}

/** The MLS ciphersuite name of a supported suite id (1 or 3). */
export function mlsSuiteNameOf(id: number): CiphersuiteName {
  return id === 1 ? 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' : 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519';
}

/**
 * Loads the ts-mls state for an operation, checking we are still a member
 * and that `deps.mls` implements the group's suite.
 * @throws StateError `STATE_REMOVED`; UsageError `USAGE_UNSUPPORTED` on a suite mismatch.
 */
export function loadMls(state: SecretGroupState, deps: MlsDeps, pastEpoch?: bigint): ClientState {
  if (state.status !== 'active') throw new StateError('STATE_REMOVED', 'secret group: we were removed');
  if (deps.mls.name !== mlsSuiteName(state)) {
    throw new UsageError('USAGE_UNSUPPORTED', `secret group: deps.mls is ${deps.mls.name}, group uses ${mlsSuiteName(state)}`);
  }
  return loadClientState(state.mls, state.past, state.config, pastEpoch);
}

/** The `mls` and `past` fields for a ts-mls state after an operation. */
export function saveMls(state: Pick<SecretGroupState, 'past' | 'config'>, mls: ClientState, now: number): Pick<SecretGroupState, 'mls' | 'past'> {
  return storeClientState(mls, state.past, state.config, now);
}

/** The newest long-term secret. */
export function latestSecret(state: SecretGroupState): LongTermSecret | undefined {
  return state.secrets[state.secrets.length - 1];
}

/** Encodes the state (versioned deterministic CBOR). */
export function encodeSecretGroupState(state: SecretGroupState): Uint8Array {
  return encodeCanonical({
    v: SECRET_GROUP_STATE_VERSION,
    group_id: state.groupId,
    group: {
      lts_ciphersuite: state.group.ltsCiphersuite, mls_ciphersuite: state.group.mlsCiphersuite, owner: state.group.owner, nonce: state.group.nonce,
    },
    self: state.self,
    config: {
      retain_epochs: state.config.retainEpochs, retain_generations: state.config.retainGenerations, max_forward_steps: state.config.maxForwardSteps,
      past_epoch_seconds: state.config.pastEpochSeconds,
    },
    owner: state.owner,
    handovers: state.handovers.map((h) => ({ to: h.to, signature: h.signature })),
    former: state.former.map((f) => ({ member: f.member, until: f.until })),
    proposals: state.proposals.map(encodePendingProposal),
    status: state.status,
    mls: state.mls,
    past: state.past.map((p) => ({ epoch: p.epoch, until: p.until, data: p.data })),
    last_commit: state.lastCommit,
    recent_commits: [...state.recentCommits],
    secrets: state.secrets.map((s) => ({ suite: s.ciphersuite, epoch: s.longTermEpoch, value: s.value })),
    nonce_counter: state.nonceCounter,
  });
}

/**
 * Decodes the state.
 * @throws DecodeError on any malformed field, unsorted secrets or a bad version.
 */
export function decodeSecretGroupState(bytes: Uint8Array): SecretGroupState {
  const what = 'SecretGroupState';
  const keys = ['v', 'group_id', 'group', 'self', 'config', 'owner', 'handovers', 'former', 'proposals', 'status', 'mls', 'past', 'last_commit', 'recent_commits', 'secrets',
    'nonce_counter'];
  const record = decodeVersionedRecord(bytes, what, SECRET_GROUP_STATE_VERSION, keys, MAX_STATE_BYTES);
  const g = asRecord(record['group'], `${what}.group`, ['lts_ciphersuite', 'mls_ciphersuite', 'owner', 'nonce']);
  const mlsSuite = readUint(g, 'mls_ciphersuite', what, 0xffff);
  if (mlsSuite !== 1 && mlsSuite !== 3) throw new DecodeError('DECODE_FIELD', `${what}: mls suite ${mlsSuite}`);
  const group: SecretGroupDocument = {
    ltsCiphersuite: decodeSuite(readUint(g, 'lts_ciphersuite', what, 255)),
    mlsCiphersuite: mlsSuite,
    owner: readBytes(g, 'owner', what, 32),
    nonce: readBytes(g, 'nonce', what, 16),
  };
  const c = asRecord(record['config'], `${what}.config`, ['retain_epochs', 'retain_generations', 'max_forward_steps', 'past_epoch_seconds']);
  const config: SecretGroupConfig = {
    retainEpochs: readUint(c, 'retain_epochs', what, MAX_RETAIN_EPOCHS),
    retainGenerations: readUint(c, 'retain_generations', what, MAX_RETAIN_GENERATIONS),
    maxForwardSteps: readUint(c, 'max_forward_steps', what, MAX_FORWARD_STEPS),
    pastEpochSeconds: readUint(c, 'past_epoch_seconds', what, MAX_PAST_EPOCH_SECONDS),
  };
  try { checkConfig(config); } catch (cause) { throw new DecodeError('DECODE_FIELD', `${what}.config: out of range`, { cause }); }
  const groupId = readBytes(record, 'group_id', what, DOCUMENT_ID_LENGTH);
  const secrets = readArray(record, 'secrets', what, MAX_LONG_TERM_SECRETS).map((value) => {
    const s = asRecord(value, `${what}.secrets`, ['suite', 'epoch', 'value']);
    const ciphersuite = decodeSuite(readUint(s, 'suite', what, 255));
    return { groupId, ciphersuite, longTermEpoch: readUint(s, 'epoch', what), value: readBytes(s, 'value', what, ltsKeyLength(ciphersuite)) };
  });
  if (!secrets.every((s, i) => i === 0 || (secrets[i - 1]?.longTermEpoch ?? -1) < s.longTermEpoch)) {
    throw new DecodeError('DECODE_NON_CANONICAL', `${what}.secrets: not sorted by epoch`);
  }
  const status = readText(record, 'status', what, ['active', 'removed'] as const);
  const handovers = readArray(record, 'handovers', what, MAX_LISTED).map((value) => {
    const h = asRecord(value, `${what}.handovers`, ['to', 'signature']);
    return { to: readBytes(h, 'to', what, 32), signature: readBytes(h, 'signature', what, 64) };
  });
  const former = readArray(record, 'former', what, MAX_LISTED).map((value) => {
    const f = asRecord(value, `${what}.former`, ['member', 'until']);
    return { member: readBytes(f, 'member', what, 32), until: readUint(f, 'until', what) };
  });
  return {
    v: SECRET_GROUP_STATE_VERSION,
    groupId,
    group,
    self: readBytes(record, 'self', what, 32),
    config,
    owner: readBytes(record, 'owner', what, 32),
    handovers,
    former,
    proposals: readArray(record, 'proposals', what, MAX_PENDING_PROPOSALS).map((value) => decodePendingProposal(value, what)),
    status,
    mls: readBytes(record, 'mls', what),
    past: decodePastEpochs(readArray(record, 'past', what, MAX_RETAIN_EPOCHS), what),
    lastCommit: readOptionalBytes(record, 'last_commit', what, DOCUMENT_ID_LENGTH),
    recentCommits: readArray(record, 'recent_commits', what, RECENT_COMMITS).map((value) => {
      if (!(value instanceof Uint8Array) || value.length !== DOCUMENT_ID_LENGTH) throw new DecodeError('DECODE_FIELD', `${what}.recent_commits: expected ids`);
      return value;
    }),
    secrets,
    nonceCounter: readUint(record, 'nonce_counter', what),
  };
}

function decodeSuite(value: number): LongTermSecret['ciphersuite'] {
  try {
    return asLtsCiphersuite(value);
  } catch (cause) {
    throw new DecodeError('DECODE_FIELD', `long-term ciphersuite ${value} is not supported`, { cause });
  }
}

function decodePastEpochs(values: readonly unknown[], what: string): PastEpoch[] {
  const past = values.map((value) => {
    const p = asRecord(value, `${what}.past`, ['epoch', 'until', 'data']);
    return { epoch: readUint(p, 'epoch', what), until: readUint(p, 'until', what), data: readBytes(p, 'data', what, { min: 1 }) };
  });
  if (!past.every((p, i) => i === 0 || (past[i - 1]?.epoch ?? -1) < p.epoch)) {
    throw new DecodeError('DECODE_NON_CANONICAL', `${what}.past: not sorted by epoch`);
  }
  return past;
}
