/** Named bounds of the DCGKA layer. */

/** Largest control message (broadcast part, its manifest of direct parts included) accepted, in bytes. */
export const MAX_CONTROL_BYTES = 256 * 1024;
/** Most entries in a control message's manifest of direct parts. */
export const MAX_MANIFEST_ENTRIES = 4096;
/** Largest direct part accepted (a welcome carries the membership history), in bytes. */
export const MAX_DIRECT_BYTES = 8 * 1024 * 1024;
/** Most members named in one create. */
export const MAX_CREATE_MEMBERS = 4096;
/** Domain separation prefix of control-message signatures. */
export const CONTROL_SIGNATURE_CONTEXT = 'groupcrypt/dcgka/control/v1';
/** Domain separation prefix of version-4 control-message signatures (full ids, then the wire bytes). */
export const CONTROL_V4_SIGNATURE_CONTEXT = 'groupcrypt/dcgka/control/v4';
/** Largest note (opaque bytes of the layer above) in a remove. */
export const MAX_REMOVE_NOTE_BYTES = 256;
