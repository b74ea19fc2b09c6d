/**
 * The `Engine` over the group layer (src/group).
 */
import { UsageError } from '../errors.js';
import type { Engine } from './engine.js';

/** The engine backed by the group layer. */
export function groupEngine(): Engine {
  throw new UsageError('USAGE_UNSUPPORTED', 'the group layer is not available yet');
}
