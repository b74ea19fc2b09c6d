/**
 * Named bounds of the membership layer. Each is tested at N and N+1.
 */

/** Longest member or operation id accepted, in characters. */
export const MAX_ID_LENGTH = 256;

/** Most membership operations (create, add, remove) one state may hold uncompacted (each op keeps its past as a bit set: memory grows with the square; compact.ts drops the stable ones). */
export const MAX_MEMBERSHIP_OPS = 16_384;

/** Most members a create operation may list. */
export const MAX_INITIAL_MEMBERS = 4_096;

/** Largest encoded membership state accepted by `decodeMembership`, in bytes. */
export const MAX_MEMBERSHIP_BYTES = 16 * 1024 * 1024;

/** Most ids a compacted base may list (its members, and the ids its ops named). */
export const MAX_BASE_IDS = 65_536;
