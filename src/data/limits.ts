/**
 * Named bounds and labels of the data scheme (STYLE.md §11).
 */

/** HKDF info that turns a DCGKA update secret into a group secret. */
export const LABEL_GROUP_SECRET = 'groupcrypt/data/group-secret';

/** Counters tracked above the replay floor per (sender, epoch); beyond it the floor moves up. */
export const MAX_REPLAY_TRACKED = 1024;

/** Most group secrets in one imported bundle. */
export const MAX_BUNDLE_SECRETS = 100_000;

/** Largest counter a sender uses with one group secret. */
export const MAX_DATA_COUNTER = 2 ** 32 - 1;

/** XChaCha20-Poly1305 nonce length (random per message). */
export const DATA_NONCE_LENGTH = 24;
