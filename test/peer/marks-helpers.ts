/** Helpers of the processed-ids tests (log marks, folder marks): a two-peer conversation and what a store keeps. */
import { utf8 } from '../../src/crypto/index.js';
import type { Peer } from '../../src/peer/index.js';
import { decodeLogMark } from '../../src/peer/log-marks.js';
import type { LogMark, LogMarks } from '../../src/peer/log-marks.js';
import type { Store } from '../../src/store/index.js';

/**
 * `rounds` rounds in which alice sends `each` messages, bob sends `each`, and both sync; then alice syncs once
 * more (her own-log or own-folder walk finds bob's last items known). Messages read `a<round>.<i>` / `b<round>.<i>`.
 */
export async function talkInRounds(alice: Peer, bob: Peer, group: string, rounds = 10, each = 10): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < each; i++) await alice.send(group, utf8(`a${round}.${i}`));
    for (let i = 0; i < each; i++) await bob.send(group, utf8(`b${round}.${i}`));
    await alice.sync();
    await bob.sync();
  }
  await alice.sync();
}

/** Every log mark a store holds. */
export async function marksOf(store: Store): Promise<LogMarks> {
  const out = new Map<string, LogMark>();
  for (const name of await store.names('logmark:')) out.set(name.slice('logmark:'.length), decodeLogMark((await store.load(name)) as Uint8Array));
  return out;
}

/** How many processed ids a store holds. */
export const rows = async (store: Store): Promise<number> => (await store.processedIds?.())?.length ?? 0;
