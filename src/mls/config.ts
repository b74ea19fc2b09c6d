/**
 * Named bounds and configuration of the Secret Group (seed 001), and the
 * dependencies its async operations take.
 */
import type { Deps } from '../crypto/index.js';
import { UsageError } from '../errors.js';
import type { CiphersuiteImpl } from 'ts-mls';

/**
 * How long the group keeps key material for out-of-order and late messages.
 * Stored in the group state so every decode rebuilds the same ts-mls config.
 */
export interface SecretGroupConfig {
  /** Past MLS epochs whose receiver data is kept (messages of members that missed a commit). */
  readonly retainEpochs: number;
  /** Skipped sender-ratchet generations kept per sender (out-of-order tolerance). */
  readonly retainGenerations: number;
  /** Largest forward jump of one sender's ratchet that is accepted. */
  readonly maxForwardSteps: number;
  /** How long (seconds, by `deps.now`) a superseded epoch still reads late messages. */
  readonly pastEpochSeconds: number;
}

/**
 * Defaults: generous, as the seed asks ("out-of-order tolerance should be
 * fairly high in p2panda settings"), and still bounded.
 */
export const DEFAULT_SECRET_GROUP_CONFIG: SecretGroupConfig = {
  retainEpochs: 8,
  retainGenerations: 1000,
  maxForwardSteps: 1000,
  pastEpochSeconds: 7 * 24 * 3600,
};

/** Upper bounds accepted for each config field (state decoding rejects more). */
export const MAX_RETAIN_EPOCHS = 256;
/** Upper bound of `retainGenerations`. */
export const MAX_RETAIN_GENERATIONS = 100_000;
/** Upper bound of `maxForwardSteps`. */
export const MAX_FORWARD_STEPS = 1_000_000;
/** Upper bound of `pastEpochSeconds` (one year). */
export const MAX_PAST_EPOCH_SECONDS = 366 * 24 * 3600;
/** Most pending proposals a state holds (further ones are refused with `STATE_LIMIT`). */
export const MAX_PENDING_PROPOSALS = 1024;

/** Lifetime written into the key packages we create (28 days; ts-mls caps totals at one month). */
export const KEY_PACKAGE_LIFETIME_SECONDS = 28 * 24 * 3600;
/** Slack before `now` in a key package lifetime, for clock skew. */
export const KEY_PACKAGE_CLOCK_SKEW_SECONDS = 3600;

/** Largest document (commit, welcome, key package) accepted by a decoder. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;
/** Largest encoded group state accepted by a decoder. */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;
/** Most long-term secrets one group may carry. */
export const MAX_LONG_TERM_SECRETS = 65_536;

/**
 * Dependencies of every Secret Group operation: groupcrypt's `Deps` plus the
 * ts-mls ciphersuite implementation (stock, or `createNodeMlsCiphersuite`).
 * Its `name` must equal the group's MLS ciphersuite.
 */
export interface MlsDeps extends Deps {
  /** The ts-mls ciphersuite implementation. */
  readonly mls: CiphersuiteImpl;
}

/**
 * Checks a config's bounds; returns it unchanged.
 * @throws UsageError `USAGE_ARGUMENT` when a field is out of range.
 */
export function checkConfig(config: SecretGroupConfig): SecretGroupConfig {
  const ok = (value: number, max: number, min = 0): boolean => Number.isSafeInteger(value) && value >= min && value <= max;
  if (!ok(config.retainEpochs, MAX_RETAIN_EPOCHS, 1) || !ok(config.retainGenerations, MAX_RETAIN_GENERATIONS)
    || !ok(config.maxForwardSteps, MAX_FORWARD_STEPS, 1) || !ok(config.pastEpochSeconds, MAX_PAST_EPOCH_SECONDS)) {
    throw new UsageError('USAGE_ARGUMENT', 'SecretGroupConfig: a bound is out of range');
  }
  return config;
}
