/**
 * Named bounds and labels of the message scheme (STYLE.md §11).
 */

/** Most messages a receiver skips ahead in one epoch of one sender (out-of-order window, ahead). */
export const MAX_SKIP_AHEAD = 1000;

/** How far behind a sender's newest counter a late message may still be read (keys kept for skipped messages). */
export const MAX_BEHIND = 100;

/**
 * Previous epochs kept per member (besides the current one) so late messages
 * of an old epoch still decrypt. A member's epoch changes with every control
 * message it sends (its updates and its acks of everyone else's operations),
 * so a message delayed across a busy stretch needs a generous window; each
 * kept epoch is one 32-byte chain key per member.
 */
export const MAX_PREVIOUS_EPOCHS = 32;

/** Largest counter a sender uses in one epoch (then it must run `update`). */
export const MAX_COUNTER = 2 ** 32 - 1;

/** HKDF info that turns a DCGKA update secret into an epoch's first chain key. */
export const LABEL_EPOCH = 'groupcrypt/message/epoch';
/** HKDF-Expand label of a message key (DCGKA paper's KDF chain). */
export const LABEL_KEY = 'groupcrypt/message/key';
/** HKDF-Expand label of a message nonce. */
export const LABEL_NONCE = 'groupcrypt/message/nonce';
/** HKDF-Expand label of the next chain key. */
export const LABEL_CHAIN = 'groupcrypt/message/chain';
