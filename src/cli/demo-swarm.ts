import { InternalError } from '../errors.js';
import type { Output } from './output.js';

export async function runSwarmDemo(_out: Output, _options: { readonly keep: string | undefined }): Promise<void> {
  throw new InternalError('INTERNAL', 'not yet');
}
