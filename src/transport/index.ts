/**
 * transport — the one small interface through which peers exchange signed
 * bundles and group messages (see types.ts). Implementations live beside it;
 * the hypercore one is imported from its own subpath so that nobody loads
 * the Holepunch packages without using them.
 */
export type { IsKnown, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';
