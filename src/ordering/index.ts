/**
 * ordering — a causal orderer: per-sender FIFO plus explicit dependencies
 * (e.g. an ack after the operation it acks). Buffers what is not ready, drops
 * duplicates, detects equivocation, reports what is missing. Transport
 * independent and usable by applications directly; pure functions over plain
 * data, payloads opaque bytes.
 */
export type { DeliveredDigest, MessageRef, OrderedMessage, OrdererState } from './types.js';
export { compareRefs, createOrderer, delivered, drainReady, enqueue, markDelivered, missing, nextExpected, nextReady } from './orderer.js';
export { decodeOrderer, encodeOrderer } from './codec.js';
export {
  DEFAULT_MAX_PENDING, MAX_DEPS, MAX_DIGEST_LENGTH, MAX_MAX_PENDING, MAX_MISSING_PER_SENDER, MAX_ORDERER_BYTES,
  MAX_PENDING_BYTES, MAX_RECENT_DIGESTS, MAX_SENDER_LENGTH,
} from './limits.js';
