/**
 * Blob envelopes: every stored blob (state or outbox message) is wrapped in a
 * versioned CBOR envelope bound to its name and the store id, so a truncated,
 * flipped or swapped row is detected before anything uses it.
 *
 *   clear:  { v: 1, b: body, h: SHA-256(AD ‖ body) }
 *   sealed: { v: 1, n: 24-byte nonce, c: XChaCha20-Poly1305(key, n, body, AD) }
 *   AD    = CBOR ["groupcrypt/store/v1", storeId, kind, ...name parts]
 */
import type { CryptoProvider } from '../crypto/index.js';
import { AEAD_NONCE_LENGTH, asRecord, concatBytes, constantTimeEqual, decodeCanonical, encodeCanonical, readBytes } from '../crypto/index.js';
import { isGroupCryptError, StoreError } from '../errors.js';

/** Version of the blob envelope this code writes and reads. */
export const ENVELOPE_VERSION = 1;

/** Largest blob the store accepts (64 MiB). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;

const DOMAIN = 'groupcrypt/store/v1';
const ALGORITHM = 'xchacha20-poly1305';

/** What sealing needs: the provider, the store id, and the blob key (absent: clear + checksum). */
export interface BlobContext {
  readonly crypto: CryptoProvider;
  readonly storeId: Uint8Array;
  readonly key: Uint8Array | undefined;
}

/** Kinds of blob, bound into the associated data. */
export type BlobKind = 'state' | 'outbox' | 'check';

function associatedData(context: BlobContext, kind: BlobKind, parts: readonly string[]): Uint8Array {
  return encodeCanonical([DOMAIN, context.storeId, kind, ...parts]);
}

/** Wraps `body` for storage under (`kind`, `parts`). */
export function sealBlob(context: BlobContext, kind: BlobKind, parts: readonly string[], body: Uint8Array): Uint8Array {
  const ad = associatedData(context, kind, parts);
  if (context.key === undefined) {
    const h = context.crypto.sha256(concatBytes(ad, body));
    return encodeCanonical({ v: ENVELOPE_VERSION, b: body, h });
  }
  const n = context.crypto.randomBytes(AEAD_NONCE_LENGTH[ALGORITHM]);
  const c = context.crypto.aeadSeal(ALGORITHM, context.key, n, body, ad);
  return encodeCanonical({ v: ENVELOPE_VERSION, n, c });
}

/**
 * Unwraps a stored blob, checking its version, checksum or tag, and binding.
 * @throws StoreError `STORE_CORRUPT` (truncated, altered, swapped, wrong
 *   kind of envelope) or `STORE_VERSION_UNSUPPORTED` (a newer envelope).
 */
export function openBlob(context: BlobContext, kind: BlobKind, parts: readonly string[], blob: Uint8Array): Uint8Array {
  const what = `${kind} blob "${parts.join('/').slice(0, 80)}"`;
  let record;
  try {
    record = asRecord(decodeCanonical(blob, what, MAX_BLOB_BYTES), what);
  } catch (cause) {
    throw new StoreError('STORE_CORRUPT', `${what}: envelope does not decode`, { cause });
  }
  const version = record['v'];
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > ENVELOPE_VERSION) {
    throw new StoreError('STORE_VERSION_UNSUPPORTED', `${what}: envelope version ${version} is newer than ${ENVELOPE_VERSION}`);
  }
  if (version !== ENVELOPE_VERSION) throw new StoreError('STORE_CORRUPT', `${what}: bad envelope version`);
  const ad = associatedData(context, kind, parts);
  try {
    if (context.key === undefined) {
      asRecord(record, what, ['v', 'b', 'h']);
      const body = readBytes(record, 'b', what);
      const h = readBytes(record, 'h', what, 32);
      if (!constantTimeEqual(context.crypto.sha256(concatBytes(ad, body)), h)) throw new StoreError('STORE_CORRUPT', `${what}: checksum mismatch`);
      return body;
    }
    asRecord(record, what, ['v', 'n', 'c']);
    const n = readBytes(record, 'n', what, AEAD_NONCE_LENGTH[ALGORITHM]);
    const c = readBytes(record, 'c', what, { min: 16 });
    return context.crypto.aeadOpen(ALGORITHM, context.key, n, c, ad);
  } catch (cause) {
    if (cause instanceof StoreError) throw cause;
    const reason = isGroupCryptError(cause, 'VERIFY_AEAD') ? 'authentication failed' : 'malformed envelope';
    throw new StoreError('STORE_CORRUPT', `${what}: ${reason}`, { cause });
  }
}
