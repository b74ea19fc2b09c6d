/**
 * Named bounds and labels of the group layer (STYLE.md §11).
 */

/** Largest application envelope accepted, in bytes. */
export const MAX_APPLICATION_BYTES = 64 * 1024 * 1024;

/** Most received control messages buffered while waiting for their causal predecessors. */
export const MAX_PENDING_CONTROL = 10_000;

/** Most received application messages buffered while waiting for their epoch. */
export const MAX_PENDING_APPLICATION = 1_000;

/** Length of the short sender tag (a prefix of the sender's id) in application envelopes. */
export const SENDER_TAG_LENGTH = 4;

/** Domain-separation prefix of application-message signatures. */
export const APPLICATION_SIGNATURE_CONTEXT = 'groupcrypt/group/application/v1';

/** Version of the application envelope written (2: with a Lamport time; version 1 is still read). */
export const ENVELOPE_VERSION = 2;

/** Most messages a pre-join inbox holds (before an invitation lets me join). */
export const MAX_HELD_MESSAGES = 1_000;

/** Most bytes (broadcasts, direct parts and ADs) a pre-join inbox holds. */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;
