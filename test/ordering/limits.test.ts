/**
 * The orderer's bounds are part of its contract: a state one peer encodes must decode at another, and a sender
 * must know what a receiver buffers. Changing one is a format change, so the values are pinned here.
 */
import { describe, expect, it } from 'vitest';
import * as ordering from '../../src/ordering/index.js';

describe('ordering limits', () => {
  it('have their documented values', () => {
    expect({
      DEFAULT_MAX_PENDING: ordering.DEFAULT_MAX_PENDING,
      MAX_MAX_PENDING: ordering.MAX_MAX_PENDING,
      MAX_PENDING_BYTES: ordering.MAX_PENDING_BYTES,
      MAX_DEPS: ordering.MAX_DEPS,
      MAX_SENDER_LENGTH: ordering.MAX_SENDER_LENGTH,
      MAX_DIGEST_LENGTH: ordering.MAX_DIGEST_LENGTH,
      MAX_RECENT_DIGESTS: ordering.MAX_RECENT_DIGESTS,
      MAX_MISSING_PER_SENDER: ordering.MAX_MISSING_PER_SENDER,
      MAX_ORDERER_BYTES: ordering.MAX_ORDERER_BYTES,
    }).toEqual({
      DEFAULT_MAX_PENDING: 1_024,
      MAX_MAX_PENDING: 65_536,
      MAX_PENDING_BYTES: 32 * 1024 * 1024,
      MAX_DEPS: 1_024,
      MAX_SENDER_LENGTH: 256,
      MAX_DIGEST_LENGTH: 64,
      MAX_RECENT_DIGESTS: 64,
      MAX_MISSING_PER_SENDER: 256,
      MAX_ORDERER_BYTES: 64 * 1024 * 1024,
    });
  });
});
