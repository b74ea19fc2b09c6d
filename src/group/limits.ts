/**
 * Named bounds and labels of the group layer (STYLE.md §11).
 */

/** Largest application envelope accepted, in bytes. */
export const MAX_APPLICATION_BYTES = 64 * 1024 * 1024;

/** Most received control messages buffered while waiting for their causal predecessors. */
export const MAX_PENDING_CONTROL = 10_000;

/** Most received application messages buffered while waiting for their epoch. */
export const MAX_PENDING_APPLICATION = 1_000;

/**
 * Buffers live inside the encoded group state, which the CBOR decoder caps
 * at 16 MiB: their limits add up to 8 MiB, so no input can make a state
 * undecodable. A message over a per-message limit is refused (not buffered)
 * with a retryable `STATE_LIMIT`: hand it in again once what it waits for was processed.
 */
/** Most bytes of authenticated application messages buffered (waiting for their epoch). */
export const MAX_PENDING_APPLICATION_BYTES = 2 * 1024 * 1024;

/** Largest application message buffered (a larger one is refused while it cannot be read yet). */
export const MAX_BUFFERED_APPLICATION_BYTES = 1024 * 1024;

/** Most bytes of control messages (broadcasts and my direct parts) buffered for their causal predecessors. */
export const MAX_PENDING_CONTROL_BYTES = 4 * 1024 * 1024;

/** Largest direct part buffered with a control message. */
export const MAX_BUFFERED_DIRECT_BYTES = 2 * 1024 * 1024;

/**
 * Messages of senders that are not (yet) known in the group — unauthenticated
 * as far as the group can tell — get a bounded allowance: at most this many,
 * application messages evicted before control messages and the oldest first,
 * each dropped after `STRANGER_TTL_SECONDS`. It is sized for a member added
 * concurrently to a busy group: its acks arrive before the add that makes it
 * known, and a lost control message of it stalls its later ones for good.
 */
export const MAX_STRANGERS = 2048;

/** Most bytes held for unknown senders. */
export const MAX_STRANGER_BYTES = 2 * 1024 * 1024;

/** Largest message held for an unknown sender (broadcast, direct part and AD together). */
export const MAX_STRANGER_MESSAGE_BYTES = 64 * 1024;

/** How long a message of an unknown sender is held, in seconds (7 days). */
export const STRANGER_TTL_SECONDS = 7 * 24 * 3600;

/** Length of the short sender tag (a prefix of the sender's id) in application envelopes. */
export const SENDER_TAG_LENGTH = 4;

/** Domain-separation prefix of application-message signatures. */
export const APPLICATION_SIGNATURE_CONTEXT = 'groupcrypt/group/application/v1';

/** Version of the application envelope written (2: with a Lamport time; version 1 is still read). */
export const ENVELOPE_VERSION = 2;

/**
 * Most messages a pre-join inbox holds (before an invitation lets me join).
 * Nothing in it is authenticated as a member's: when full, application
 * messages are evicted first, then the oldest control message. The count is
 * sized for the backlog a joiner of a busy group meets before its invitation
 * arrives (every control message of that backlog is needed: a lost one stalls
 * its sender's later ones until resent); MAX_HELD_BYTES bounds the memory.
 */
export const MAX_HELD_MESSAGES = 4096;

/** Most bytes (broadcasts, direct parts and ADs) a pre-join inbox holds (its encoding stays far below the 16 MiB CBOR cap). */
export const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** Largest message (broadcast, direct part and AD together) a pre-join inbox holds; a welcome fits. */
export const MAX_HELD_MESSAGE_BYTES = 2 * 1024 * 1024;

/** How long a pre-join inbox holds a message, in seconds (30 days). */
export const HELD_TTL_SECONDS = 30 * 24 * 3600;
