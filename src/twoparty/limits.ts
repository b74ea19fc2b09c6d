/**
 * Named bounds and labels of the twoparty layer (STYLE.md §11).
 */

/** Largest encoded 2SM message accepted (a data-scheme welcome may carry a whole secret bundle). */
export const MAX_TWO_PARTY_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Largest encoded session state accepted. */
export const MAX_SESSION_BYTES = 16 * 1024 * 1024;

/** X3DH `info` string (X3DH §2.2: identifies the application). */
export const X3DH_INFO = 'groupcrypt X3DH';

/** Prefix of the HPKE `info` of every 2SM message; sender and recipient identity keys follow. */
export const TWO_PARTY_HPKE_INFO = 'groupcrypt 2SM v1';

/** HPKE exporter context for the 32-byte message secret of a 2SM message. */
export const TWO_PARTY_EXPORT_CONTEXT = 'groupcrypt 2SM message secret';

/** HKDF-Expand label of the single-use AEAD key derived from a message secret. */
export const TWO_PARTY_AEAD_LABEL = 'groupcrypt 2SM aead key';

/** HKDF-Expand label of the recipient's next secret key derived from a message secret. */
export const TWO_PARTY_NEXT_KEY_LABEL = 'groupcrypt 2SM next secret key';

/** KDF `info` of the post-quantum first message (X3DH plus one ML-KEM encapsulation, as Signal's PQXDH). */
export const PQXDH_INFO = 'groupcrypt PQXDH X25519 ML-KEM-768';
