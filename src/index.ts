/**
 * groupcrypt — decentralised end-to-end group encryption.
 *
 * The root entry holds what every application meets first: the typed errors
 * with their stable codes and whether a failure is worth retrying. Each layer
 * is its own subpath (`groupcrypt/peer`, `groupcrypt/group`, `groupcrypt/mls`,
 * `groupcrypt/store`, `groupcrypt/crypto`, …), so an import names exactly what
 * it uses and nothing else is loaded.
 */
export type { ErrorCode, ErrorKind } from './errors.js';
export {
  DecodeError, ERROR_CODES, ERROR_KINDS, errorKind, GroupCryptError, InternalError, isGroupCryptError, StateError, StoreError, UsageError, VerifyError,
} from './errors.js';
