/**
 * Long-term secrets (seed 001, "Long Term Secret Data Types"): AEAD keys
 * derived from the MLS exporter by the owner, shared with every member
 * through commits, used across many MLS epochs so late joiners read history.
 *
 * Wire form of the secret list (the seed's `TLSVecU32<LongTermSecret>`):
 *
 *     LongTermSecret {
 *       opaque group_id<0..255>;      // 32-byte SecretGroup document id
 *       uint8  ciphersuite;           // LongTermSecretCiphersuite
 *       uint64 long_term_epoch;
 *       opaque value<0..255>;         // AEAD key
 *     }
 *     LongTermSecret secrets<0..2^32-1>;  // sorted by long_term_epoch
 */
import type { AeadAlgorithm } from '../crypto/index.js';
import { bytesEqual, concatBytes, utf8, type CryptoProvider } from '../crypto/index.js';
import { DecodeError, UsageError } from '../errors.js';
import { MAX_LONG_TERM_SECRETS } from './config.js';
import { finishReader, readOpaque, readUint, tlsBytes, tlsReader, tlsWriter, writeOpaque, writeUint } from './tls.js';

/** LongTermSecretCiphersuite values of seed 001. */
export const LONG_TERM_SECRET_CIPHERSUITES = {
  PANDA10_AES128GCM: 0x01,
  PANDA10_AES256GCM: 0x02,
  PANDA10_CHACHA20POLY1305: 0x03,
} as const;

/** A LongTermSecretCiphersuite value (0x01, 0x02 or 0x03). */
export type LongTermSecretCiphersuite = (typeof LONG_TERM_SECRET_CIPHERSUITES)[keyof typeof LONG_TERM_SECRET_CIPHERSUITES];

/** Exporter label prefix of a long-term secret (seed 001; epoch appended in decimal). */
export const LONG_TERM_SECRET_LABEL = 'long_term_secret';
/** Exporter label prefix of a long-term nonce (seed 001; sender key in hex and counter appended). */
export const LONG_TERM_NONCE_LABEL = 'long_term_nonce';

/** One long-term secret: an AEAD key for one long-term epoch. */
export interface LongTermSecret {
  readonly groupId: Uint8Array;
  readonly ciphersuite: LongTermSecretCiphersuite;
  readonly longTermEpoch: number;
  readonly value: Uint8Array;
}

/** The AEAD behind a long-term ciphersuite. */
export function ltsAead(ciphersuite: LongTermSecretCiphersuite): AeadAlgorithm {
  switch (ciphersuite) {
    case 0x01: return 'aes-128-gcm';
    case 0x02: return 'aes-256-gcm';
    case 0x03: return 'chacha20-poly1305';
  }
}

/** AEAD key length of a long-term ciphersuite. */
export function ltsKeyLength(ciphersuite: LongTermSecretCiphersuite): number {
  return ciphersuite === 0x01 ? 16 : 32;
}

/** AEAD nonce length (12 bytes for all three). */
export const LTS_NONCE_LENGTH = 12;

/**
 * Narrows a number to a LongTermSecretCiphersuite.
 * @throws UsageError `USAGE_UNSUPPORTED` for any other value.
 */
export function asLtsCiphersuite(value: number): LongTermSecretCiphersuite {
  if (value === 0x01 || value === 0x02 || value === 0x03) return value;
  throw new UsageError('USAGE_UNSUPPORTED', `long-term secret ciphersuite ${value} is not supported`);
}

/** Sorts by epoch and keeps the first secret of each epoch (seed 001, "remove duplicates"). */
export function mergeLongTermSecrets(known: readonly LongTermSecret[], incoming: readonly LongTermSecret[]): LongTermSecret[] {
  const byEpoch = new Map<number, LongTermSecret>();
  for (const secret of [...known, ...incoming]) {
    if (!byEpoch.has(secret.longTermEpoch)) byEpoch.set(secret.longTermEpoch, secret);
  }
  return [...byEpoch.values()].sort((a, b) => a.longTermEpoch - b.longTermEpoch);
}

/** TLS-encodes a list of long-term secrets, sorted by epoch. */
export function encodeLongTermSecrets(secrets: readonly LongTermSecret[]): Uint8Array {
  const inner = tlsWriter();
  for (const secret of [...secrets].sort((a, b) => a.longTermEpoch - b.longTermEpoch)) {
    writeOpaque(inner, secret.groupId, 1);
    writeUint(inner, secret.ciphersuite, 1);
    writeUint(inner, secret.longTermEpoch, 8);
    writeOpaque(inner, secret.value, 1);
  }
  const outer = tlsWriter();
  writeOpaque(outer, tlsBytes(inner), 4);
  return tlsBytes(outer);
}

/**
 * Decodes a TLS-encoded secret list and checks every entry belongs to `groupId`,
 * has a supported suite, a key of the right length, and that epochs strictly increase.
 * @throws DecodeError `DECODE_MALFORMED`, `DECODE_TRAILING_BYTES`, `DECODE_FIELD`.
 */
export function decodeLongTermSecrets(bytes: Uint8Array, groupId: Uint8Array): LongTermSecret[] {
  const outer = tlsReader(bytes, 'long-term secrets');
  const body = readOpaque(outer, 4);
  finishReader(outer);
  const reader = tlsReader(body, 'long-term secrets');
  const out: LongTermSecret[] = [];
  while (reader.offset < body.length) {
    if (out.length >= MAX_LONG_TERM_SECRETS) throw new DecodeError('DECODE_TOO_LARGE', 'long-term secrets: too many entries');
    const id = readOpaque(reader, 1);
    const suite = readUint(reader, 1);
    const longTermEpoch = readUint(reader, 8);
    const value = readOpaque(reader, 1);
    if (!bytesEqual(id, groupId)) throw new DecodeError('DECODE_FIELD', 'long-term secrets: entry of another group');
    if (suite !== 0x01 && suite !== 0x02 && suite !== 0x03) throw new DecodeError('DECODE_FIELD', `long-term secrets: suite ${suite}`);
    if (value.length !== ltsKeyLength(suite)) throw new DecodeError('DECODE_FIELD', `long-term secrets: key of ${value.length} bytes`);
    const last = out[out.length - 1];
    if (last !== undefined && longTermEpoch <= last.longTermEpoch) {
      throw new DecodeError('DECODE_FIELD', 'long-term secrets: epochs not strictly increasing');
    }
    out.push({ groupId: id, ciphersuite: suite, longTermEpoch, value });
  }
  return out;
}

/** Exporter label of the long-term secret of `epoch`: "long_term_secret" + decimal epoch. */
export function longTermSecretLabel(epoch: number): string {
  return `${LONG_TERM_SECRET_LABEL}${epoch}`;
}

/** Exporter label of a long-term nonce: "long_term_nonce" + hex sender key + decimal counter. */
export function longTermNonceLabel(senderHex: string, counter: number): string {
  return `${LONG_TERM_NONCE_LABEL}${senderHex}${counter}`;
}

const SECRETS_AD_LABEL = utf8('groupcrypt mls long-term secrets v1');

/**
 * Authenticated data of the sealed secret list: a label and the SHA-256 of
 * the MLS commit it travels with, so the list cannot be moved to another commit.
 */
export function secretListAad(crypto: CryptoProvider, mlsCommit: Uint8Array): Uint8Array {
  return concatBytes(SECRETS_AD_LABEL, crypto.sha256(mlsCommit));
}
