/**
 * One-time pre-key offers (issue 18, "pre-key hygiene"): a one-time pre-key
 * bundle addressed to ONE peer, signed by its owner's identity. Only the
 * addressee may use it, and it uses each at most once (its key registry
 * hands a one-time bundle out once), so no coordination is needed to keep a
 * one-time pre-key single-use, even when many peers add the owner
 * concurrently. The owner deletes the secret at the first X3DH that uses it
 * (so that first round has forward secrecy from the start) and tops the pool
 * up at its next maintenance; an adder with no offer left falls back to the
 * signed pre-key.
 *
 * Wire format: deterministic CBOR `{ v: 1, to, bundle, signature }`, the
 * XEdDSA signature over canonical CBOR `{ label, to, bundle }`; published
 * beside profiles (transport kind `bundle`).
 */
import type { Deps } from '../crypto/index.js';
import { decodeVersionedRecord, encodeCanonical, fromHex, readArray, readBytes, toHex } from '../crypto/index.js';
import { DecodeError, VerifyError } from '../errors.js';
import type { KeyManagerState, OneTimeKeyBundle } from '../keys/index.js';
import { decodeKeyBundle, encodeKeyBundle, identityOf, signWithIdentity, verifyKeyBundle, verifyWithIdentity } from '../keys/index.js';

/** Wire version of offers. */
export const OFFER_VERSION = 1;
/** Domain label of the offer signature. */
export const OFFER_LABEL = 'groupcrypt one-time pre-key offer v1';
const MAX_OFFER_BYTES = 8192;

/** A verified offer. */
export interface Offer {
  /** The owner (hex identity key). */
  readonly from: string;
  /** The only peer that may use it (hex identity key). */
  readonly to: string;
  readonly bundle: OneTimeKeyBundle;
}

function signedPart(to: Uint8Array, bundle: Uint8Array): Uint8Array {
  return encodeCanonical({ label: OFFER_LABEL, to, bundle });
}

/** Encodes and signs an offer of `bundle` (one of mine) to peer `to` (hex id). */
export function encodeOffer(keys: KeyManagerState, to: string, bundle: OneTimeKeyBundle, deps: Deps): Uint8Array {
  const encoded = encodeKeyBundle(bundle);
  const toBytes = fromHex(to);
  const signature = signWithIdentity(deps, identityOf(keys), signedPart(toBytes, encoded));
  return encodeCanonical({ v: OFFER_VERSION, to: toBytes, bundle: encoded, signature });
}

/**
 * Decodes and verifies an offer: the bundle (signed pre-key signature and
 * lifetime, post-quantum pre-keys), then the offer signature by the same identity.
 * @throws DecodeError for malformed bytes (or a profile: not an offer); VerifyError `VERIFY_SIGNATURE`,
 *   `VERIFY_EXPIRED`, `VERIFY_NOT_YET_VALID`.
 */
export function decodeOffer(bytes: Uint8Array, deps: Deps): Offer {
  const what = 'one-time pre-key offer';
  const record = decodeVersionedRecord(bytes, what, OFFER_VERSION, ['v', 'to', 'bundle', 'signature'], MAX_OFFER_BYTES);
  const to = readBytes(record, 'to', what, 32);
  const bundleBytes = readBytes(record, 'bundle', what, { max: MAX_OFFER_BYTES });
  const signature = readBytes(record, 'signature', what, 64);
  const bundle = decodeKeyBundle(bundleBytes);
  if (bundle.kind !== 'one-time') throw new DecodeError('DECODE_FIELD', `${what}.bundle: expected a one-time bundle`);
  verifyKeyBundle(bundle, deps);
  if (!verifyWithIdentity(deps, bundle.identityKey, signedPart(to, bundleBytes), signature)) {
    throw new VerifyError('VERIFY_SIGNATURE', `${what}: bad signature`);
  }
  return { from: toHex(bundle.identityKey), to: toHex(to), bundle };
}

/** One of my one-time pre-keys offered to a peer, with the signed pre-key its bundle names. */
export interface OfferedKey {
  readonly id: number;
  readonly signedPreKeyId: number;
}

/** What I offered, per addressee (hex id): my store's record. */
export type OfferBook = Readonly<Record<string, readonly OfferedKey[]>>;

/** Encodes my offer book (deterministic CBOR `{ v: 1, peers: [[id, [[otk, spk]…]]…] }`). */
export function encodeOfferBook(book: OfferBook): Uint8Array {
  const peers = Object.keys(book).sort().map((peer) => [fromHex(peer), (book[peer] ?? []).map((k) => [k.id, k.signedPreKeyId])]);
  return encodeCanonical({ v: 1, peers });
}

/** Decodes my offer book. @throws DecodeError for a malformed record. */
export function decodeOfferBook(bytes: Uint8Array): OfferBook {
  const what = 'offer book';
  const record = decodeVersionedRecord(bytes, what, 1, ['v', 'peers'], 1 << 22);
  const book: Record<string, OfferedKey[]> = {};
  for (const entry of readArray(record, 'peers', what)) {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 32 || !Array.isArray(entry[1])) {
      throw new DecodeError('DECODE_FIELD', `${what}.peers: expected [id(32), keys] entries`);
    }
    book[toHex(entry[0])] = (entry[1] as unknown[]).map((k) => {
      if (!Array.isArray(k) || k.length !== 2 || !Number.isSafeInteger(k[0]) || !Number.isSafeInteger(k[1]) || (k[0] as number) < 0 || (k[1] as number) < 0) {
        throw new DecodeError('DECODE_FIELD', `${what}.peers: expected [one-time id, signed pre-key id] pairs`);
      }
      return { id: k[0] as number, signedPreKeyId: k[1] as number };
    });
  }
  return book;
}
