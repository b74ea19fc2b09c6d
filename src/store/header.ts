/**
 * The store header: one versioned CBOR record per store holding the store id,
 * the encryption mode, the scrypt salt and parameters, and a key check blob.
 * Creating it picks a fresh store id; unlocking it derives the blob key and
 * proves it right before any blob is read.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import type { CryptoProvider } from '../crypto/index.js';
import { AEAD_KEY_LENGTH, asRecord, decodeCanonical, encodeCanonical, readBytes, readText, readUint, utf8 } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import { openBlob, sealBlob, type BlobContext } from './envelope.js';
import type { ScryptParams, StoreOptions } from './types.js';

/** Storage format version (schema + header + envelopes) this code writes; newer ones are refused. */
export const STORE_FORMAT_VERSION = 1;

/** Default scrypt cost for passphrases: N = 2^17, r = 8, p = 1 (128 MiB, RFC 7914 / OWASP guidance). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** Bounds on scrypt parameters, also applied to values read from a header (a damaged header must not exhaust memory). */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 22, maxR: 32, maxP: 16, maxMemoryBytes: 2 ** 30 } as const;

const STORE_ID_LENGTH = 16;
const SALT_LENGTH = 16;
const KEY_INFO = utf8('groupcrypt/store/v1/blob-key');
type Mode = 'none' | 'key' | 'scrypt';

function checkScrypt(params: ScryptParams, what: string, makeError: (message: string) => Error): void {
  const { N, r, p } = params;
  const logN = Math.log2(N);
  const ok = Number.isSafeInteger(N) && Number.isInteger(logN) && logN >= SCRYPT_LIMITS.minLogN && logN <= SCRYPT_LIMITS.maxLogN
    && Number.isSafeInteger(r) && r >= 1 && r <= SCRYPT_LIMITS.maxR && Number.isSafeInteger(p) && p >= 1 && p <= SCRYPT_LIMITS.maxP
    && 128 * N * r <= SCRYPT_LIMITS.maxMemoryBytes;
  if (!ok) throw makeError(`${what}: scrypt parameters out of bounds (N a power of two in 2^10..2^22, r 1..32, p 1..16, 128·N·r ≤ 1 GiB)`);
}

function requestedMode(options: StoreOptions): Mode {
  if (options.encryptionKey !== undefined && options.passphrase !== undefined) {
    throw new UsageError('USAGE_ARGUMENT', 'store options: give encryptionKey or passphrase, not both');
  }
  if (options.encryptionKey !== undefined) {
    if (!(options.encryptionKey instanceof Uint8Array) || options.encryptionKey.length !== 32) {
      throw new UsageError('USAGE_KEY_LENGTH', 'store options.encryptionKey: expected 32 bytes');
    }
    return 'key';
  }
  if (options.passphrase !== undefined) {
    if (typeof options.passphrase !== 'string' || options.passphrase.length === 0) {
      throw new UsageError('USAGE_ARGUMENT', 'store options.passphrase: expected a non-empty string');
    }
    return 'scrypt';
  }
  return 'none';
}

async function masterKey(options: StoreOptions, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  if (options.encryptionKey !== undefined) return options.encryptionKey;
  return scryptAsync(utf8(options.passphrase ?? ''), salt, { ...params, dkLen: 32, maxmem: SCRYPT_LIMITS.maxMemoryBytes + 2 ** 20 });
}

function blobKey(crypto: CryptoProvider, master: Uint8Array, storeId: Uint8Array): Uint8Array {
  return crypto.hkdf(master, storeId, KEY_INFO, AEAD_KEY_LENGTH['xchacha20-poly1305']);
}

/** A freshly created header and the context to seal blobs with. */
export interface NewHeader {
  readonly bytes: Uint8Array;
  readonly context: BlobContext;
}

/**
 * Creates the header of a new store.
 * @throws UsageError `USAGE_ARGUMENT` / `USAGE_KEY_LENGTH` for bad options.
 */
export async function createHeader(options: StoreOptions, crypto: CryptoProvider): Promise<NewHeader> {
  const mode = requestedMode(options);
  const id = crypto.randomBytes(STORE_ID_LENGTH);
  if (mode === 'none') {
    return { bytes: encodeCanonical({ v: STORE_FORMAT_VERSION, id, enc: mode }), context: { crypto, storeId: id, key: undefined } };
  }
  const params = mode === 'scrypt' ? ('scrypt' in options && options.scrypt !== undefined ? options.scrypt : DEFAULT_SCRYPT) : DEFAULT_SCRYPT;
  checkScrypt(params, 'store options.scrypt', (message) => new UsageError('USAGE_ARGUMENT', message));
  const salt = crypto.randomBytes(SALT_LENGTH);
  const master = await masterKey(options, salt, params);
  const context: BlobContext = { crypto, storeId: id, key: blobKey(crypto, master, id) };
  if (mode === 'scrypt') master.fill(0);
  const check = sealBlob(context, 'check', [], new Uint8Array(0));
  const fields = mode === 'scrypt'
    ? { v: STORE_FORMAT_VERSION, id, enc: mode, salt, N: params.N, r: params.r, p: params.p, check }
    : { v: STORE_FORMAT_VERSION, id, enc: mode, check };
  return { bytes: encodeCanonical(fields), context };
}

/**
 * Reads a header and derives the blob context from the options.
 * @throws StoreError `STORE_VERSION_UNSUPPORTED` (newer format),
 *   `STORE_CORRUPT` (undecodable header), `STORE_KEY` (missing, superfluous
 *   or wrong key or passphrase).
 */
export async function unlockHeader(bytes: Uint8Array, options: StoreOptions, crypto: CryptoProvider): Promise<BlobContext> {
  const what = 'store header';
  let record;
  try {
    record = asRecord(decodeCanonical(bytes, what, 4096), what);
  } catch (cause) {
    throw new StoreError('STORE_CORRUPT', `${what}: does not decode`, { cause });
  }
  const version = record['v'];
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > STORE_FORMAT_VERSION) {
    throw new StoreError('STORE_VERSION_UNSUPPORTED', `${what}: format ${version} is newer than ${STORE_FORMAT_VERSION}`);
  }
  let mode: Mode;
  let id: Uint8Array;
  try {
    if (version !== STORE_FORMAT_VERSION) throw new StoreError('STORE_CORRUPT', `${what}: bad version`);
    mode = readText<Mode>(record, 'enc', what, ['none', 'key', 'scrypt']);
    asRecord(record, what, mode === 'none' ? ['v', 'id', 'enc'] : mode === 'key' ? ['v', 'id', 'enc', 'check'] : ['v', 'id', 'enc', 'salt', 'N', 'r', 'p', 'check']);
    id = readBytes(record, 'id', what, STORE_ID_LENGTH);
  } catch (cause) {
    if (cause instanceof StoreError) throw cause;
    throw new StoreError('STORE_CORRUPT', `${what}: malformed`, { cause });
  }
  const wanted = requestedMode(options);
  if (wanted !== mode && !(mode === 'none' && wanted === 'none')) {
    throw new StoreError('STORE_KEY', `${what}: the store uses encryption mode "${mode}", the options give "${wanted}"`);
  }
  if (mode === 'none') return { crypto, storeId: id, key: undefined };
  let params: ScryptParams = DEFAULT_SCRYPT;
  let salt: Uint8Array = new Uint8Array(0);
  let check: Uint8Array;
  try {
    check = readBytes(record, 'check', what, { max: 256 });
    if (mode === 'scrypt') {
      salt = readBytes(record, 'salt', what, SALT_LENGTH);
      params = { N: readUint(record, 'N', what), r: readUint(record, 'r', what), p: readUint(record, 'p', what) };
      checkScrypt(params, what, (message) => new StoreError('STORE_CORRUPT', message));
    }
  } catch (cause) {
    if (cause instanceof StoreError) throw cause;
    throw new StoreError('STORE_CORRUPT', `${what}: malformed`, { cause });
  }
  const master = await masterKey(options, salt, params);
  const context: BlobContext = { crypto, storeId: id, key: blobKey(crypto, master, id) };
  if (mode === 'scrypt') master.fill(0);
  try {
    openBlob(context, 'check', [], check);
  } catch (cause) {
    context.key?.fill(0);
    throw new StoreError('STORE_KEY', `${what}: wrong encryption key or passphrase`, { cause });
  }
  return context;
}
