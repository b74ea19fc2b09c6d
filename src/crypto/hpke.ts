/**
 * HPKE (RFC 9180) over a handful of provider primitives, shared by both
 * providers: DHKEM(X25519, HKDF-SHA256) or X-Wing (0x647a, base and psk
 * modes only: it has no AuthEncap), HKDF-SHA256, AEAD 0x0001/0x0002/0x0003,
 * all four modes (base, psk, auth, auth_psk), the secret export, and
 * DeriveKeyPair for deterministic tests.
 *
 * A context is plain data; sealing and opening return the next context
 * (sequence number + 1) and leave the given one untouched, so a failed open
 * changes nothing.
 */
import { UsageError } from '../errors.js';
import { bytesEqual, concatBytes, toHex, uintToBytes, utf8, zeroize } from './bytes.js';
import { assertBytes, assertHpkeSuite, assertLength, KEY_LENGTH } from './checks.js';
import { HPKE_KEM_XWING, type AeadAlgorithm, type CryptoProvider, type HpkeAeadId, type HpkeSuite, type X25519KeyPair } from './provider.js';
import { XWING_ENCAPSULATION_SEED_LENGTH, xwingDecapsulate, xwingEncapsulate, type XWingPrimitives } from './xwing.js';

/** The primitives HPKE needs; both providers pass themselves. */
export type HpkePrimitives = Pick<CryptoProvider, 'randomBytes' | 'hkdfExtract' | 'hkdfExpand' | 'x25519' | 'x25519PublicKey' | 'aeadSeal' | 'aeadOpen'> & XWingPrimitives
  /** When given, makes the random ephemeral key pair in one step (the Node provider's is cheaper than random bytes + public key). */
  & Partial<Pick<CryptoProvider, 'x25519Generate'>>
  /**
   * When given, Encap's whole DH half in one step: a fresh ephemeral key,
   * its public key (enc) and its DH with the recipient key (the Node
   * provider imports the ephemeral once and caches nothing of it).
   */
  & { readonly x25519Ephemeral?: (recipientPublicKey: Uint8Array) => { readonly publicKey: Uint8Array; readonly shared: Uint8Array } };

/** HPKE modes (RFC 9180 §5, Table 1). */
export const HPKE_MODE = { base: 0x00, psk: 0x01, auth: 0x02, authPsk: 0x03 } as const;
/** One of the HPKE mode ids. */
export type HpkeMode = (typeof HPKE_MODE)[keyof typeof HPKE_MODE];

const VERSION_LABEL = utf8('HPKE-v1');
const KEM_ID = 0x0020;
const N_SECRET = 32;
const N_NONCE = 12;
const N_HASH = 32;
const AEADS: Readonly<Record<HpkeAeadId, { readonly algorithm: AeadAlgorithm; readonly nk: number }>> = {
  0x0001: { algorithm: 'aes-128-gcm', nk: 16 },
  0x0002: { algorithm: 'aes-256-gcm', nk: 32 },
  0x0003: { algorithm: 'chacha20-poly1305', nk: 32 },
};
const KEM_SUITE_ID = concatBytes(utf8('KEM'), uintToBytes(KEM_ID, 2));

/** The state of an encryption context (RFC 9180 §5.2): keys plus the sequence number. */
export interface HpkeContext {
  readonly suite: HpkeSuite;
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly exporterSecret: Uint8Array;
  readonly seq: number;
}

/** Optional inputs selecting the mode: `psk`+`pskId` for psk modes, sender keys for auth modes. */
export interface HpkeSetupOptions {
  /** Pre-shared key (psk and auth_psk modes); requires `pskId`. */
  readonly psk?: Uint8Array;
  /** Identifier of the pre-shared key. */
  readonly pskId?: Uint8Array;
  /** Sender's static secret key (auth modes, sender side). */
  readonly senderSecretKey?: Uint8Array;
  /** Sender's static public key (auth modes, recipient side). */
  readonly senderPublicKey?: Uint8Array;
  /** Ephemeral secret key (sender side; for X-Wing the 64-byte encapsulation seed); random when omitted. Tests only. */
  readonly ephemeralSecretKey?: Uint8Array;
  /** The context will only export secrets (no seal/open): its AEAD key and nonce are not derived. */
  readonly exportOnly?: boolean;
  /** The context will only seal or open (single-shot): its exporter secret is not derived, and exporting is refused. */
  readonly sealOnly?: boolean;
}

const suiteIds = new Map<number, Uint8Array>();

/** `"HPKE" || kem || kdf || aead`, built once per suite (callers never modify it). */
function hpkeSuiteId(suite: HpkeSuite): Uint8Array {
  const key = suite.kem * 0x1_0000_0000 + suite.kdf * 0x1_0000 + suite.aead;
  let id = suiteIds.get(key);
  if (id === undefined) {
    id = concatBytes(utf8('HPKE'), uintToBytes(suite.kem, 2), uintToBytes(suite.kdf, 2), uintToBytes(suite.aead, 2));
    suiteIds.set(key, id);
  }
  return id;
}

const labelBytes = new Map<string, Uint8Array>();

/** UTF-8 of a label, encoded once per label (the labels are the few constants of RFC 9180; callers never modify it). */
function labelOf(label: string): Uint8Array {
  let bytes = labelBytes.get(label);
  if (bytes === undefined) {
    bytes = utf8(label);
    labelBytes.set(label, bytes);
  }
  return bytes;
}

/** LabeledExtract (RFC 9180 §4). */
export function labeledExtract(p: HpkePrimitives, suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  const labeled = concatBytes(VERSION_LABEL, suiteId, labelOf(label), ikm);
  try {
    return p.hkdfExtract(salt, labeled);
  } finally {
    zeroize(labeled);
  }
}

/** LabeledExpand (RFC 9180 §4). */
export function labeledExpand(p: HpkePrimitives, suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
  const labeled = concatBytes(uintToBytes(length, 2), VERSION_LABEL, suiteId, labelOf(label), info);
  return p.hkdfExpand(prk, labeled, length);
}

/** DeriveKeyPair for DHKEM(X25519) (RFC 9180 §7.1.3): a key pair from input keying material. */
export function hpkeDeriveKeyPair(p: HpkePrimitives, ikm: Uint8Array): X25519KeyPair {
  assertBytes(ikm, 'hpke ikm');
  const prk = labeledExtract(p, KEM_SUITE_ID, new Uint8Array(0), 'dkp_prk', ikm);
  try {
    const secretKey = labeledExpand(p, KEM_SUITE_ID, prk, 'sk', new Uint8Array(0), 32);
    return { secretKey, publicKey: p.x25519PublicKey(secretKey) };
  } finally {
    zeroize(prk);
  }
}

function extractAndExpand(p: HpkePrimitives, dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const prk = labeledExtract(p, KEM_SUITE_ID, new Uint8Array(0), 'eae_prk', dh);
  try {
    return labeledExpand(p, KEM_SUITE_ID, prk, 'shared_secret', kemContext, N_SECRET);
  } finally {
    zeroize(prk);
  }
}

/** Encap / AuthEncap (RFC 9180 §4.1): shared secret and enc for a recipient key. */
function encap(p: HpkePrimitives, pkR: Uint8Array, skE: Uint8Array, skS?: Uint8Array, pkE?: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array } {
  const enc = pkE ?? p.x25519PublicKey(skE);
  const dhs: Uint8Array[] = [p.x25519(skE, pkR)];
  const context = [enc, pkR];
  try {
    if (skS !== undefined) {
      dhs.push(p.x25519(skS, pkR));
      context.push(p.x25519PublicKey(skS));
    }
    const dh = concatBytes(...dhs);
    try {
      return { sharedSecret: extractAndExpand(p, dh, concatBytes(...context)), enc };
    } finally {
      zeroize(dh);
    }
  } finally {
    zeroize(...dhs);
  }
}

/** Decap / AuthDecap (RFC 9180 §4.1). */
function decap(p: HpkePrimitives, enc: Uint8Array, skR: Uint8Array, pkS?: Uint8Array): Uint8Array {
  assertBytes(enc, 'hpke enc', KEY_LENGTH);
  const pkR = p.x25519PublicKey(skR);
  const dhs: Uint8Array[] = [p.x25519(skR, enc)];
  const context = [enc, pkR];
  try {
    if (pkS !== undefined) {
      dhs.push(p.x25519(skR, pkS));
      context.push(pkS);
    }
    const dh = concatBytes(...dhs);
    try {
      return extractAndExpand(p, dh, concatBytes(...context));
    } finally {
      zeroize(dh);
    }
  } finally {
    zeroize(...dhs);
  }
}

function pskInputs(options: HpkeSetupOptions): { psk: Uint8Array; pskId: Uint8Array } {
  const psk = options.psk ?? new Uint8Array(0);
  const pskId = options.pskId ?? new Uint8Array(0);
  assertBytes(psk, 'hpke psk');
  assertBytes(pskId, 'hpke pskId');
  if ((psk.length === 0) !== (pskId.length === 0)) {
    throw new UsageError('USAGE_ARGUMENT', 'hpke: psk and pskId must both be given or both be empty (RFC 9180 §5.1)');
  }
  return { psk, pskId };
}

/** Bound on the public hashes cached per primitives object (`publicHash`). */
const PUBLIC_HASH_CACHE_SIZE = 4096;
const publicHashes = new WeakMap<HpkePrimitives, Map<string, Uint8Array>>();
/** The last input and result of `publicHash` per primitives object and label (suite ids are the cached arrays of `hpkeSuiteId`). */
const lastPublicHash = new WeakMap<HpkePrimitives, Map<string, { readonly suiteId: Uint8Array; readonly data: Uint8Array; readonly hash: Uint8Array }>>();

/**
 * LabeledExtract of public data (the psk id and info hashes of the key
 * schedule): cached per primitives object, as 2SM seals to the same peer
 * with the same info every time (two HMACs per message saved). Public values:
 * no wiping needed; callers never get the cached array itself to keep.
 */
function publicHash(p: HpkePrimitives, suiteId: Uint8Array, label: string, data: Uint8Array): Uint8Array {
  const last = lastPublicHash.get(p)?.get(label);
  // An MLS commit seals to every copath node with the same info: compare with the last input before hex-encoding it.
  if (last !== undefined && last.suiteId === suiteId && bytesEqual(last.data, data)) return last.hash;
  const hash = publicHashCached(p, suiteId, label, data);
  let lastByLabel = lastPublicHash.get(p);
  if (lastByLabel === undefined) {
    lastByLabel = new Map();
    lastPublicHash.set(p, lastByLabel);
  }
  lastByLabel.set(label, { suiteId, data: data.slice(), hash });
  return hash;
}

function publicHashCached(p: HpkePrimitives, suiteId: Uint8Array, label: string, data: Uint8Array): Uint8Array {
  let cache = publicHashes.get(p);
  if (cache === undefined) {
    cache = new Map();
    publicHashes.set(p, cache);
  }
  // The table-driven hex of bytes.ts: the per-byte `toString(16)` it replaces cost more than the HMAC it saves (2SM seals to n − 1 peers per update).
  const key = `${label}|${toHex(suiteId)}|${toHex(data)}`;
  let hash = cache.get(key);
  if (hash === undefined) {
    hash = labeledExtract(p, suiteId, new Uint8Array(0), label, data);
    if (cache.size >= PUBLIC_HASH_CACHE_SIZE) cache.clear();
    cache.set(key, hash);
  }
  return hash;
}

/** What a context will be used for: the secrets it does not need are not derived (left empty, and their use is refused). */
type ContextUse = 'any' | 'export' | 'aead';

function contextUse(options: HpkeSetupOptions): ContextUse {
  if (options.exportOnly === true && options.sealOnly === true) throw new UsageError('USAGE_ARGUMENT', 'hpke: exportOnly and sealOnly exclude each other');
  return options.exportOnly === true ? 'export' : options.sealOnly === true ? 'aead' : 'any';
}

/**
 * KeySchedule (RFC 9180 §5.1). A context used only to export (2SM) skips the
 * AEAD key and nonce; a single-shot seal or open skips the exporter secret.
 */
function keySchedule(p: HpkePrimitives, suite: HpkeSuite, mode: HpkeMode, sharedSecret: Uint8Array, info: Uint8Array, psk: Uint8Array, pskId: Uint8Array, use: ContextUse): HpkeContext {
  const exportOnly = use === 'export';
  const suiteId = hpkeSuiteId(suite);
  const pskIdHash = publicHash(p, suiteId, 'psk_id_hash', pskId);
  const infoHash = publicHash(p, suiteId, 'info_hash', info);
  const ksc = concatBytes(Uint8Array.of(mode), pskIdHash, infoHash);
  const secret = labeledExtract(p, suiteId, sharedSecret, 'secret', psk);
  try {
    return {
      suite,
      key: exportOnly ? new Uint8Array(0) : labeledExpand(p, suiteId, secret, 'key', ksc, AEADS[suite.aead].nk),
      baseNonce: exportOnly ? new Uint8Array(0) : labeledExpand(p, suiteId, secret, 'base_nonce', ksc, N_NONCE),
      exporterSecret: use === 'aead' ? new Uint8Array(0) : labeledExpand(p, suiteId, secret, 'exp', ksc, N_HASH),
      seq: 0,
    };
  } finally {
    zeroize(secret);
  }
}

/** X-Wing is a plain KEM: the auth modes need a DH-based AuthEncap. */
function assertNoAuth(senderKey: Uint8Array | undefined): void {
  if (senderKey !== undefined) throw new UsageError('USAGE_UNSUPPORTED', 'hpke: X-Wing has no auth mode');
}

/** Bytes of the `ephemeralSecretKey` option for a KEM. */
export function hpkeEphemeralLength(suite: HpkeSuite): number {
  return suite.kem === HPKE_KEM_XWING ? XWING_ENCAPSULATION_SEED_LENGTH : KEY_LENGTH;
}

function modeOf(psk: Uint8Array, auth: boolean): HpkeMode {
  if (auth) return psk.length > 0 ? HPKE_MODE.authPsk : HPKE_MODE.auth;
  return psk.length > 0 ? HPKE_MODE.psk : HPKE_MODE.base;
}

/**
 * SetupBaseS / SetupPSKS / SetupAuthS / SetupAuthPSKS (RFC 9180 §5.1): the
 * mode follows from the options given.
 * @throws UsageError on an unsupported suite, bad key lengths or half a PSK.
 * @throws VerifyError `VERIFY_ZERO_SHARED_SECRET` on a low-order recipient key.
 */
export function hpkeSetupSender(p: HpkePrimitives, suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, options: HpkeSetupOptions = {}): { readonly enc: Uint8Array; readonly context: HpkeContext } {
  assertHpkeSuite(suite);
  assertBytes(info, 'hpke info');
  const { psk, pskId } = pskInputs(options);
  if (suite.kem === HPKE_KEM_XWING) {
    assertNoAuth(options.senderSecretKey);
    const { ciphertext: enc, sharedSecret } = xwingEncapsulate(p, recipientPublicKey, options.ephemeralSecretKey);
    try {
      return { enc, context: keySchedule(p, suite, modeOf(psk, false), sharedSecret, info, psk, pskId, contextUse(options)) };
    } finally {
      zeroize(sharedSecret);
    }
  }
  if (options.ephemeralSecretKey === undefined && options.senderSecretKey === undefined && p.x25519Ephemeral !== undefined) {
    const { publicKey: enc, shared } = p.x25519Ephemeral(recipientPublicKey);
    try {
      const sharedSecret = extractAndExpand(p, shared, concatBytes(enc, recipientPublicKey));
      try {
        return { enc, context: keySchedule(p, suite, modeOf(psk, false), sharedSecret, info, psk, pskId, contextUse(options)) };
      } finally {
        zeroize(sharedSecret);
      }
    } finally {
      zeroize(shared);
    }
  }
  const generated = options.ephemeralSecretKey === undefined && p.x25519Generate !== undefined ? p.x25519Generate() : undefined;
  const skE = options.ephemeralSecretKey ?? generated?.secretKey ?? p.randomBytes(32);
  try {
    const { sharedSecret, enc } = encap(p, recipientPublicKey, skE, options.senderSecretKey, generated?.publicKey);
    try {
      const mode = modeOf(psk, options.senderSecretKey !== undefined);
      return { enc, context: keySchedule(p, suite, mode, sharedSecret, info, psk, pskId, contextUse(options)) };
    } finally {
      zeroize(sharedSecret);
    }
  } finally {
    if (options.ephemeralSecretKey === undefined) zeroize(skE);
  }
}

/**
 * SetupBaseR / SetupPSKR / SetupAuthR / SetupAuthPSKR (RFC 9180 §5.1).
 * @throws UsageError on an unsupported suite, bad key lengths or half a PSK.
 * @throws VerifyError `VERIFY_ZERO_SHARED_SECRET` on a low-order `enc`.
 */
export function hpkeSetupRecipient(p: HpkePrimitives, suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, options: HpkeSetupOptions = {}): HpkeContext {
  assertHpkeSuite(suite);
  assertBytes(info, 'hpke info');
  const { psk, pskId } = pskInputs(options);
  if (suite.kem === HPKE_KEM_XWING) assertNoAuth(options.senderPublicKey);
  const sharedSecret = suite.kem === HPKE_KEM_XWING ? xwingDecapsulate(p, recipientSecretKey, enc) : decap(p, enc, recipientSecretKey, options.senderPublicKey);
  try {
    const mode = modeOf(psk, options.senderPublicKey !== undefined);
    return keySchedule(p, suite, mode, sharedSecret, info, psk, pskId, contextUse(options));
  } finally {
    zeroize(sharedSecret);
  }
}

function nonceFor(context: HpkeContext): Uint8Array {
  if (context.seq >= Number.MAX_SAFE_INTEGER) throw new UsageError('USAGE_ARGUMENT', 'hpke: message limit reached');
  const seqBytes = uintToBytes(context.seq, N_NONCE);
  for (let i = 0; i < N_NONCE; i++) seqBytes[i] = (seqBytes[i] as number) ^ (context.baseNonce[i] as number);
  return seqBytes;
}

/** ContextS.Seal (RFC 9180 §5.2): the ciphertext and the context with the next sequence number. */
export function hpkeContextSeal(p: HpkePrimitives, context: HpkeContext, aad: Uint8Array, plaintext: Uint8Array): { readonly context: HpkeContext; readonly ciphertext: Uint8Array } {
  const ciphertext = p.aeadSeal(AEADS[context.suite.aead].algorithm, context.key, nonceFor(context), plaintext, aad);
  return { context: { ...context, seq: context.seq + 1 }, ciphertext };
}

/**
 * ContextR.Open (RFC 9180 §5.2).
 * @throws VerifyError `VERIFY_AEAD` when the ciphertext does not authenticate (context unchanged).
 */
export function hpkeContextOpen(p: HpkePrimitives, context: HpkeContext, aad: Uint8Array, ciphertext: Uint8Array): { readonly context: HpkeContext; readonly plaintext: Uint8Array } {
  const plaintext = p.aeadOpen(AEADS[context.suite.aead].algorithm, context.key, nonceFor(context), ciphertext, aad);
  return { context: { ...context, seq: context.seq + 1 }, plaintext };
}

/**
 * Context.Export (RFC 9180 §5.3).
 * @throws UsageError `USAGE_ARGUMENT` when `length` > 255 × 32.
 */
export function hpkeContextExport(p: HpkePrimitives, context: HpkeContext, exporterContext: Uint8Array, length: number): Uint8Array {
  assertBytes(exporterContext, 'hpke exporterContext');
  assertLength(length, 'hpke export length', 255 * N_HASH);
  if (context.exporterSecret.length === 0) throw new UsageError('USAGE_ARGUMENT', 'hpke: this context was set up to seal or open only');
  return labeledExpand(p, hpkeSuiteId(context.suite), context.exporterSecret, 'sec', exporterContext, length);
}

/** Wipes a context's secrets (best effort). */
export function hpkeContextZeroize(context: HpkeContext): void {
  zeroize(context.key, context.baseNonce, context.exporterSecret);
}

/** Single-shot base-mode seal (RFC 9180 §6.1). */
export function hpkeSealBase(p: HpkePrimitives, suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { readonly enc: Uint8Array; readonly ciphertext: Uint8Array } {
  const { enc, context } = hpkeSetupSender(p, suite, recipientPublicKey, info, { sealOnly: true });
  try {
    return { enc, ciphertext: hpkeContextSeal(p, context, aad, plaintext).ciphertext };
  } finally {
    hpkeContextZeroize(context);
  }
}

/**
 * Single-shot base-mode open (RFC 9180 §6.1).
 * @throws VerifyError `VERIFY_AEAD` or `VERIFY_ZERO_SHARED_SECRET`.
 */
export function hpkeOpenBase(p: HpkePrimitives, suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const context = hpkeSetupRecipient(p, suite, recipientSecretKey, enc, info, { sealOnly: true });
  try {
    return hpkeContextOpen(p, context, aad, ciphertext).plaintext;
  } finally {
    hpkeContextZeroize(context);
  }
}

/** Single-shot base-mode export, sender side (RFC 9180 §6.2). */
export function hpkeSendExportBase(p: HpkePrimitives, suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): { readonly enc: Uint8Array; readonly secret: Uint8Array } {
  const { enc, context } = hpkeSetupSender(p, suite, recipientPublicKey, info, { exportOnly: true });
  try {
    return { enc, secret: hpkeContextExport(p, context, exporterContext, length) };
  } finally {
    hpkeContextZeroize(context);
  }
}

/** Single-shot base-mode export, recipient side (RFC 9180 §6.2). */
export function hpkeReceiveExportBase(p: HpkePrimitives, suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
  const context = hpkeSetupRecipient(p, suite, recipientSecretKey, enc, info, { exportOnly: true });
  try {
    return hpkeContextExport(p, context, exporterContext, length);
  } finally {
    hpkeContextZeroize(context);
  }
}
