/**
 * ts-mls client state <-> bytes, split for speed:
 *
 *     SecretGroupState.mls   GroupState of the current epoch (TLS, ts-mls's encoding,
 *                            written by state-codec.ts), with no historical receiver data;
 *     SecretGroupState.past  one blob per retained past epoch (EpochReceiverData),
 *                            encoded once when the epoch is retired.
 *
 * A commit therefore encodes one state and one past epoch, not `retainEpochs`
 * of them (and state-codec.ts reuses the encodings of unchanged tree nodes and
 * of the trees the past epoch shares with the stored state); a past epoch is
 * decoded only when a message of that epoch arrives.
 *
 * Decoding is memoised: `decode(bytes)` is a pure function of immutable
 * bytes, so the decoded value of bytes this module produced (or decoded
 * before) is kept in a WeakMap keyed by the byte array *object*. State read
 * back from storage arrives in fresh arrays and is decoded normally. ts-mls
 * never mutates a state it is given (it copies), which is what makes
 * sharing the decoded value safe.
 */
import type { ClientState, EpochReceiverData } from 'ts-mls';
import { decodeEpochReceiverData } from 'ts-mls/epochReceiverData.js';
import { DecodeError } from '../errors.js';
import type { SecretGroupConfig } from './config.js';
import { decodeClientState, encodeClientState, mlsClientConfig } from './mls-adapter.js';
import { encodeEpochReceiverDataFast } from './state-codec.js';

/** One retained past MLS epoch: what is needed to read its application messages. */
export interface PastEpoch {
  readonly epoch: number;
  /** When the epoch was superseded (`deps.now()`, seconds): past epochs expire `config.pastEpochSeconds` later. */
  readonly until: number;
  readonly data: Uint8Array;
}

const decodedStates = new WeakMap<Uint8Array, ClientState>();
const encodePast = encodeEpochReceiverDataFast;

function decodePast(bytes: Uint8Array): EpochReceiverData {
  let result: [EpochReceiverData, number] | undefined;
  try {
    result = decodeEpochReceiverData(bytes, 0);
  } catch (cause) {
    throw new DecodeError('DECODE_MALFORMED', 'mls past epoch: invalid encoding', { cause });
  }
  if (result === undefined) throw new DecodeError('DECODE_MALFORMED', 'mls past epoch: invalid encoding');
  if (result[1] !== bytes.length) throw new DecodeError('DECODE_TRAILING_BYTES', 'mls past epoch: trailing bytes');
  return result[0];
}

/**
 * The ts-mls state for an operation; with `epoch`, that past epoch's
 * receiver data is loaded too (when retained).
 * @throws DecodeError when the bytes do not decode.
 */
export function loadClientState(mls: Uint8Array, past: readonly PastEpoch[], config: SecretGroupConfig, epoch?: bigint): ClientState {
  let state = decodedStates.get(mls);
  if (state === undefined) {
    state = decodeClientState(mls, config);
    decodedStates.set(mls, state);
  }
  const history = new Map<bigint, EpochReceiverData>();
  const wanted = epoch === undefined ? undefined : past.find((p) => BigInt(p.epoch) === epoch);
  if (wanted !== undefined) history.set(BigInt(wanted.epoch), decodePast(wanted.data));
  return { ...state, historicalReceiverData: history, clientConfig: mlsClientConfig(config) };
}

/**
 * Bytes for a ts-mls state after an operation: every epoch in its
 * historical map is (re-)encoded into `past`, which keeps the newest
 * `config.retainEpochs` epochs.
 */
export function storeClientState(state: ClientState, past: readonly PastEpoch[], config: SecretGroupConfig, now: number): { mls: Uint8Array; past: PastEpoch[] } {
  const updated = new Map<number, PastEpoch>(past.map((p) => [p.epoch, p]));
  for (const [epoch, data] of state.historicalReceiverData) {
    updated.set(Number(epoch), { epoch: Number(epoch), until: updated.get(Number(epoch))?.until ?? now, data: encodePast(data) });
  }
  const kept = [...updated.values()].sort((a, b) => a.epoch - b.epoch).slice(-config.retainEpochs);
  const current: ClientState = { ...state, historicalReceiverData: new Map() };
  const mls = encodeClientState(current);
  decodedStates.set(mls, current);
  return { mls, past: kept };
}
