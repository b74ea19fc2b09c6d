/** `groupcrypt demo` (placeholder). */
import type { Deps } from '../crypto/index.js';
import { UsageError } from '../errors.js';
import type { Output } from './output.js';

/** Runs the scripted demo. */
export async function runDemo(_out: Output, _options: { keep: string | undefined; deps: Deps }): Promise<void> {
  throw new UsageError('USAGE_UNSUPPORTED', 'demo not available yet');
}
