/**
 * Typed errors with stable codes, shared by every layer.
 *
 * Codes are UPPER_SNAKE with a family prefix and are never renamed: the CLI
 * prints them in `--json`, and tests assert them. Messages name fields and
 * numbers, never key, secret or MAC bytes.
 */

/** Every stable error code, grouped by family. Append; never rename. */
export const ERROR_CODES = [
  // decoding of bytes into typed values
  'DECODE_MALFORMED',
  'DECODE_TRAILING_BYTES',
  'DECODE_NON_CANONICAL',
  'DECODE_TOO_LARGE',
  'DECODE_VERSION_UNSUPPORTED',
  'DECODE_FIELD',
  // authentication and validity checks
  'VERIFY_SIGNATURE',
  'VERIFY_AEAD',
  'VERIFY_IDENTITY',
  'VERIFY_EXPIRED',
  'VERIFY_NOT_YET_VALID',
  'VERIFY_ZERO_SHARED_SECRET',
  'VERIFY_KEY',
  'VERIFY_SENDER',
  'VERIFY_GROUP',
  'VERIFY_COMMITMENT',
  // protocol state
  'STATE_VERSION_UNSUPPORTED',
  'STATE_NOT_MEMBER',
  'STATE_REMOVED',
  'STATE_UNKNOWN_MEMBER',
  'STATE_UNKNOWN_OPERATION',
  'STATE_DUPLICATE',
  'STATE_REPLAY',
  'STATE_OUT_OF_ORDER',
  'STATE_MISSING_KEY',
  'STATE_MISSING_SECRET',
  'STATE_KEY_CONSUMED',
  'STATE_NO_BUNDLE',
  'STATE_WINDOW_AHEAD',
  'STATE_WINDOW_BEHIND',
  'STATE_KEY_REUSED',
  'STATE_NOT_OWNER',
  'STATE_BROKEN_CHAIN',
  'STATE_UNKNOWN_EPOCH',
  'STATE_UNKNOWN_GROUP',
  'STATE_ALREADY_MEMBER',
  'STATE_CAUSALITY',
  'STATE_LIMIT',
  // misuse by the caller
  'USAGE_ARGUMENT',
  'USAGE_KEY_LENGTH',
  'USAGE_NONCE_LENGTH',
  'USAGE_UNSUPPORTED',
  // persistence
  'STORE_IO',
  'STORE_CORRUPT',
  'STORE_VERSION_UNSUPPORTED',
  'STORE_LOCKED',
  'STORE_CLOSED',
  'STORE_KEY',
  // should never happen
  'INTERNAL',
] as const;

/** A stable error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class of every error groupcrypt throws on purpose. */
export class GroupCryptError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bytes that could not be decoded (length, type, version, canonical form). */
export class DecodeError extends GroupCryptError {}
/** A signature, MAC, AEAD tag, identity or lifetime check failed. */
export class VerifyError extends GroupCryptError {}
/** The input is well-formed but not acceptable in the current protocol state. */
export class StateError extends GroupCryptError {}
/** The caller used the API wrongly (bad argument, unsupported option). */
export class UsageError extends GroupCryptError {}
/** Persistence failed or found damaged or unknown data. */
export class StoreError extends GroupCryptError {}
/** A bug: an invariant did not hold. */
export class InternalError extends GroupCryptError {}

/** True when `error` is a groupcrypt error, optionally with the given code. */
export function isGroupCryptError(error: unknown, code?: ErrorCode): error is GroupCryptError {
  return error instanceof GroupCryptError && (code === undefined || error.code === code);
}

/**
 * What a receiver should do with a message that failed with a code:
 * - `permanent`: it can never succeed (forged, malformed, not for me): drop
 *   it and mark it processed, so it is never verified again;
 * - `transient`: it may succeed later (a dependency, a bundle or an
 *   invitation that has not arrived, a busy store): keep it and retry.
 */
export type ErrorKind = 'permanent' | 'transient';

/**
 * The kind of every code (see {@link ErrorKind}). Exhaustive: a new code
 * does not compile until it is classified here.
 */
export const ERROR_KINDS: { readonly [code in ErrorCode]: ErrorKind } = {
  DECODE_MALFORMED: 'permanent',
  DECODE_TRAILING_BYTES: 'permanent',
  DECODE_NON_CANONICAL: 'permanent',
  DECODE_TOO_LARGE: 'permanent',
  DECODE_VERSION_UNSUPPORTED: 'permanent',
  DECODE_FIELD: 'permanent',
  VERIFY_SIGNATURE: 'permanent',
  VERIFY_AEAD: 'permanent',
  VERIFY_IDENTITY: 'permanent',
  VERIFY_EXPIRED: 'permanent',
  // a clock behind the sender's: valid once our clock catches up
  VERIFY_NOT_YET_VALID: 'transient',
  VERIFY_ZERO_SHARED_SECRET: 'permanent',
  VERIFY_KEY: 'permanent',
  VERIFY_SENDER: 'permanent',
  VERIFY_GROUP: 'permanent',
  VERIFY_COMMITMENT: 'permanent',
  STATE_VERSION_UNSUPPORTED: 'permanent',
  // not a member yet: the invitation may still arrive
  STATE_NOT_MEMBER: 'transient',
  STATE_REMOVED: 'permanent',
  // the add of that member may still arrive
  STATE_UNKNOWN_MEMBER: 'transient',
  STATE_UNKNOWN_OPERATION: 'transient',
  STATE_DUPLICATE: 'permanent',
  STATE_REPLAY: 'permanent',
  // waits for an earlier message of the same sender or a dependency
  STATE_OUT_OF_ORDER: 'transient',
  STATE_MISSING_KEY: 'transient',
  STATE_MISSING_SECRET: 'transient',
  STATE_KEY_CONSUMED: 'permanent',
  STATE_NO_BUNDLE: 'transient',
  STATE_WINDOW_AHEAD: 'permanent',
  STATE_WINDOW_BEHIND: 'permanent',
  STATE_KEY_REUSED: 'permanent',
  STATE_NOT_OWNER: 'permanent',
  STATE_BROKEN_CHAIN: 'permanent',
  // the control message that opens the epoch may still arrive
  STATE_UNKNOWN_EPOCH: 'transient',
  STATE_UNKNOWN_GROUP: 'transient',
  STATE_ALREADY_MEMBER: 'permanent',
  STATE_CAUSALITY: 'transient',
  // a full buffer drains as dependencies arrive
  STATE_LIMIT: 'transient',
  USAGE_ARGUMENT: 'permanent',
  USAGE_KEY_LENGTH: 'permanent',
  USAGE_NONCE_LENGTH: 'permanent',
  USAGE_UNSUPPORTED: 'permanent',
  STORE_IO: 'transient',
  STORE_CORRUPT: 'permanent',
  STORE_VERSION_UNSUPPORTED: 'permanent',
  STORE_LOCKED: 'transient',
  STORE_CLOSED: 'transient',
  STORE_KEY: 'permanent',
  INTERNAL: 'permanent',
};

/**
 * Whether a failure may succeed on a later try (`transient`) or never
 * (`permanent`). Anything that is not a groupcrypt error is `transient`: it
 * says nothing about the message (a bug, an I/O fault).
 * @example if (errorKind(e) === 'permanent') markProcessed(id);
 */
export function errorKind(error: unknown): ErrorKind {
  return error instanceof GroupCryptError ? ERROR_KINDS[error.code] : 'transient';
}
