/**
 * Named bounds of the keys layer (STYLE.md §11).
 */

/** Default lifetime of a signed pre-key: 30 days, in seconds. */
export const DEFAULT_PREKEY_LIFETIME_SECONDS = 30 * 24 * 60 * 60;

/**
 * A new signed pre-key is valid from `now - PREKEY_BACKDATE_SECONDS`, so a
 * peer whose clock runs a little behind ours does not see it as not yet valid.
 */
export const PREKEY_BACKDATE_SECONDS = 5 * 60;

/** Largest number of one-time pre-keys one `generateOneTimePreKeys` call makes. */
export const MAX_ONE_TIME_PREKEYS_PER_CALL = 1000;

/** Largest encoded key bundle accepted by `decodeKeyBundle`. */
export const MAX_KEY_BUNDLE_BYTES = 1024;

/** Largest encoded version-2 (post-quantum) key bundle: two ML-KEM keys of 1184 B plus the classic fields. */
export const MAX_PQ_KEY_BUNDLE_BYTES = 4096;

/**
 * How many ids of one-time bundles already handed out the registry remembers
 * per peer (oldest forgotten first), so a re-delivered one-time bundle is not
 * handed out a second time.
 */
export const MAX_TAKEN_ONE_TIME_IDS = 1024;
