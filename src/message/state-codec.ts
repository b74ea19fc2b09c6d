/**
 * Versioned, deterministic CBOR encoding of `MessageState` (STYLE.md §4).
 *
 *   { v: 1, chains: { memberHex: [[epoch, next, chain(32), [[counter, key(32), nonce(12)], ...]], ...] } }
 */
import { asRecord, decodeVersionedRecord, encodeCanonical } from '../crypto/index.js';
import { DecodeError } from '../errors.js';
import { MAX_BEHIND, MAX_PREVIOUS_EPOCHS } from './limits.js';
import type { EpochChain, MessageState, SkippedKey } from './types.js';

const VERSION = 1;
const HEX64 = /^[0-9a-f]{64}$/;

/** Encodes a message-scheme state. */
export function encodeMessageState(state: MessageState): Uint8Array {
  const chains: Record<string, unknown> = {};
  for (const member of Object.keys(state.chains).sort()) {
    chains[member] = (state.chains[member] ?? []).map((c) => [c.epoch, c.next, c.chain, c.skipped.map((s) => [s.counter, s.key, s.nonce])]);
  }
  return encodeCanonical({ v: VERSION, chains });
}

function fail(field: string): never {
  throw new DecodeError('DECODE_FIELD', `message-state.${field}: malformed`);
}

function uint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field);
  return value;
}

function bytes(value: unknown, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) fail(field);
  return value;
}

function decodeSkipped(value: unknown, field: string): SkippedKey {
  if (!Array.isArray(value) || value.length !== 3) fail(field);
  return { counter: uint(value[0], field), key: bytes(value[1], 32, field), nonce: bytes(value[2], 12, field) };
}

function decodeChain(value: unknown, field: string): EpochChain {
  if (!Array.isArray(value) || value.length !== 4 || !Array.isArray(value[3]) || value[3].length > MAX_BEHIND) fail(field);
  const skipped = (value[3] as unknown[]).map((s) => decodeSkipped(s, `${field}.skipped`));
  return { epoch: uint(value[0], field), next: uint(value[1], field), chain: bytes(value[2], 32, field), skipped };
}

/**
 * Decodes a message-scheme state.
 * @throws DecodeError `DECODE_VERSION_UNSUPPORTED` for an unknown version, `DECODE_*` for damage.
 */
export function decodeMessageState(encoded: Uint8Array): MessageState {
  const record = decodeVersionedRecord(encoded, 'message-state', VERSION, ['v', 'chains']);
  const chains: Record<string, readonly EpochChain[]> = {};
  for (const [member, list] of Object.entries(asRecord(record['chains'], 'message-state.chains'))) {
    if (!HEX64.test(member) || !Array.isArray(list) || list.length === 0 || list.length > MAX_PREVIOUS_EPOCHS + 1) fail('chains');
    const decoded = list.map((c: unknown) => decodeChain(c, `chains.${member.slice(0, 8)}`));
    for (let i = 1; i < decoded.length; i++) if ((decoded[i] as EpochChain).epoch <= (decoded[i - 1] as EpochChain).epoch) fail('chains.order');
    chains[member] = decoded;
  }
  return { v: 1, chains };
}
