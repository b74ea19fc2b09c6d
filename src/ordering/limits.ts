/**
 * Named bounds of the causal orderer. Each is tested at N and N+1.
 */

/** Pending (buffered, not yet delivered) messages allowed by default. */
export const DEFAULT_MAX_PENDING = 1_024;

/** Largest `maxPending` a caller may configure. */
export const MAX_MAX_PENDING = 65_536;

/** Total payload bytes the pending buffer may hold. */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** Explicit dependencies one message may declare. */
export const MAX_DEPS = 1_024;

/** Longest sender id, in characters. */
export const MAX_SENDER_LENGTH = 256;

/** Longest content digest, in bytes. */
export const MAX_DIGEST_LENGTH = 64;

/** Digests of delivered messages kept per sender to recognise equivocation among late duplicates. */
export const MAX_RECENT_DIGESTS = 64;

/** Missing refs `missing()` reports per sender (the earliest ones). */
export const MAX_MISSING_PER_SENDER = 256;

/** Largest encoded orderer state accepted by `decodeOrderer`, in bytes. */
export const MAX_ORDERER_BYTES = 64 * 1024 * 1024;
