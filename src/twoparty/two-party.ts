/**
 * 2SM send and receive (DCGKA paper, 2SM; DCGKA.md §3).
 *
 * ```
 * send(m):    (sk', pk') fresh for me, stored as mySks[nextIndex]
 *             S  = X3DH SK (first message) | HPKE-export(otherPk, info = label ‖ IK_me ‖ IK_peer)
 *             k  = HKDF-Expand(S, "aead key"); skPeer = HKDF-Expand(S, "next secret key")
 *             c  = ChaCha20-Poly1305(k, 0, pk' ‖ m, aad = [X3DH AD ‖] header [‖ caller's associated data])
 *             otherPk := pub(skPeer) ("me"), nextIndex++; S, k, skPeer wiped
 * receive(c): key named by the header (pre-keys, receivedSk or mySks[i]); open;
 *             receivedSk := skPeer, otherPk := pk' with the sender's index,
 *             mySks[j ≤ i] deleted, a used one-time pre-key consumed.
 * ```
 * Deviation from the paper's literal tuple: the peer's new secret key is not
 * sent inside the ciphertext but derived from the HPKE exporter secret (or X3DH
 * SK), which only the sender and the holder of the sealed-to key know — the
 * same secrecy, 32 bytes less per message. Each HPKE encapsulation is fresh,
 * so every AEAD key is single-use (hence the zero nonce).
 *
 * We keep this construction (issue 18): it is no weaker than sending a random
 * next key inside each message, because either way whoever opens message i
 * (for the first message: whoever holds the recipient's pre-key) learns the
 * key that opens message i + 1. What ends such a chain is the recipient
 * answering once: the sender then seals to a key pair the recipient made at
 * random (`mySecretKeys`), which no stolen long-term key yields. The DCGKA
 * layer therefore answers every X3DH-opened session at once (a 2SM `refresh`
 * part on the ack it sends anyway, dcgka/draft.ts `emitRefreshes`).
 *
 * Post-quantum sessions (`session.pq`): the first message is PQXDH (X3DH +
 * one ML-KEM-768 encapsulation to the peer's signed PQ pre-key), later ones
 * are sealed with HPKE on the X-Wing KEM, and every 2SM key pair is X-Wing
 * (the derived next key is an X-Wing secret key: same 32 bytes, its public
 * key from X-Wing's key generation). A classic message in a PQ session, or
 * the reverse, is refused (`VERIFY_KEY`) before any key is touched.
 */
import type { Deps } from '../crypto/index.js';
import { HPKE_DEFAULT_SUITE, HPKE_XWING_SUITE, bytesEqual, concatBytes, copyBytes, utf8, xwingGenerate, xwingKeyPairFromSecret, zeroize } from '../crypto/index.js';
import type { HpkeSuite } from '../crypto/index.js';
import type { IdentityKeyPair, KeyBundle, KeyManagerState } from '../keys/index.js';
import { consumeOneTimePreKey, consumePqOneTimePreKey, findOneTimePreKeySecret, findPqPreKeySecret, findSignedPreKeySecret, identityOf } from '../keys/index.js';
import { StateError, UsageError, VerifyError } from '../errors.js';
import { TWO_PARTY_AEAD_LABEL, TWO_PARTY_EXPORT_CONTEXT, TWO_PARTY_HPKE_INFO, TWO_PARTY_NEXT_KEY_LABEL } from './limits.js';
import type { HpkeMessage, TwoPartyMessage, X3dhMessage } from './message.js';
import { decodeTwoPartyMessage, encodeMessageHeader, encodeTwoPartyMessage } from './message.js';
import type { TwoPartySession } from './session.js';
import { createSession, sessionPublicKeyLength } from './session.js';
import { x3dhInitiate, x3dhRespond } from './x3dh.js';

const AEAD = 'chacha20-poly1305';
const ZERO_NONCE = new Uint8Array(12);

const EXPORT_CONTEXT = utf8(TWO_PARTY_EXPORT_CONTEXT);
const AEAD_LABEL = utf8(TWO_PARTY_AEAD_LABEL);
const NEXT_KEY_LABEL = utf8(TWO_PARTY_NEXT_KEY_LABEL);
const HPKE_INFO_PREFIX = utf8(TWO_PARTY_HPKE_INFO);

/** Context of `twoPartySend`. */
export interface TwoPartySendContext {
  readonly deps: Deps;
  readonly identity: IdentityKeyPair;
  /** The peer's bundle (from the KeyRegistry); needed while `sessionNeedsBundle(session)`. */
  readonly peerBundle?: KeyBundle;
  /**
   * Bound into the AEAD after the header (the receiver must give the same
   * bytes): lets a caller bind a message to its context without sending it.
   */
  readonly associatedData?: Uint8Array;
}

/** Context of `twoPartyReceive`. */
export interface TwoPartyReceiveContext {
  readonly deps: Deps;
  readonly identity: IdentityKeyPair;
  /**
   * Accept a first (X3DH) message on a session that already received: the
   * peer lost its session (or restored an older copy) and opened a new one
   * against my current pre-key; the old session is replaced and its secrets
   * returned in `consumed`. Only for callers that refuse replays of whole
   * messages themselves (the DCGKA binds every direct part to one control
   * message, processed once); otherwise a replayed first message would
   * restart the session, so the default is false (`STATE_REPLAY`).
   */
  readonly allowRestart?: boolean;
  /** The associated data the sender bound (`TwoPartySendContext.associatedData`). */
  readonly associatedData?: Uint8Array;
}

/**
 * Encrypts `plaintext` for the session's peer. The first message runs X3DH
 * against `ctx.peerBundle` (verified: signature, lifetime, identity);
 * later ones are sealed by HPKE to the peer's single-use key.
 * @throws StateError `STATE_NO_BUNDLE` when a bundle is needed and none given.
 * @throws VerifyError `VERIFY_IDENTITY` (bundle of another identity), `VERIFY_SIGNATURE`,
 *   `VERIFY_EXPIRED`, `VERIFY_NOT_YET_VALID`, `VERIFY_ZERO_SHARED_SECRET`.
 * @example const { session: s1, message } = twoPartySend(session, seed, { deps, identity, peerBundle });
 */
export function twoPartySend(session: TwoPartySession, plaintext: Uint8Array, ctx: TwoPartySendContext): { session: TwoPartySession; message: Uint8Array } {
  if (!(plaintext instanceof Uint8Array)) throw new UsageError('USAGE_ARGUMENT', 'plaintext: expected bytes');
  const { deps, identity } = ctx;
  const index = session.nextIndex;
  let secret: Uint8Array;
  let header: TwoPartyMessage;
  let aad: Uint8Array;
  if (session.otherPublicKey === null) {
    const bundle = ctx.peerBundle;
    if (bundle === undefined) throw new StateError('STATE_NO_BUNDLE', 'the first message to a peer needs its key bundle');
    if (!bytesEqual(bundle.identityKey, session.peerIdentityKey)) throw new VerifyError('VERIFY_IDENTITY', 'key bundle belongs to another identity');
    const x = x3dhInitiate(deps, identity, bundle, undefined, { pq: session.pq === true });
    secret = x.sharedSecret;
    header = {
      kind: 'x3dh', index, identityKey: copyBytes(identity.publicKey), ephemeralKey: x.ephemeralPublicKey,
      signedPreKeyId: x.signedPreKeyId, oneTimePreKeyId: x.oneTimePreKeyId, ...(x.pq !== undefined ? { pq: x.pq } : {}), ciphertext: new Uint8Array(0),
    };
    aad = concatBytes(x.associatedData, encodeMessageHeader(header));
  } else {
    const info = hpkeInfo(identity.publicKey, session.peerIdentityKey);
    const exported = deps.crypto.hpkeSendExport(suiteOf(session), session.otherPublicKey.publicKey, info, EXPORT_CONTEXT, 32);
    secret = exported.secret;
    header = { kind: 'hpke', keyIndex: session.otherPublicKey.keyIndex, index, enc: exported.enc, ...(session.pq === true ? { pq: true as const } : {}), ciphertext: new Uint8Array(0) };
    aad = encodeMessageHeader(header);
  }
  const mine = session.pq === true ? xwingGenerate(deps.crypto) : deps.crypto.x25519Generate();
  const { aeadKey, nextKey } = deriveMessageKeys(deps, secret);
  try {
    const body = concatBytes(mine.publicKey, plaintext);
    const ciphertext = deps.crypto.aeadSeal(AEAD, aeadKey, ZERO_NONCE, body, withCallerData(aad, ctx.associatedData));
    zeroize(body);
    const message = encodeTwoPartyMessage({ ...header, ciphertext });
    const next: TwoPartySession = {
      ...session,
      mySecretKeys: [...session.mySecretKeys, { index, secretKey: copyBytes(mine.secretKey) }],
      nextIndex: index + 1,
      otherPublicKey: { publicKey: publicKeyOf(deps, session, nextKey), keyIndex: 0 },
    };
    return { session: next, message };
  } finally {
    zeroize(secret, aeadKey, nextKey, mine.secretKey);
  }
}

/**
 * Decrypts a message from the session's peer. Checks, in order: the wire
 * format, the X3DH identity key against the session's peer, the sender's
 * index (exactly the next one), the key named by the header, the AEAD tag —
 * and only then consumes anything (my one-time pre-key, my used 2SM keys).
 * Consumes nothing of the sender's. On any error the inputs stay as they were.
 * @returns the new session and key manager, the plaintext, and `consumed`:
 *   secrets dropped from the states (wipe them after committing).
 * @throws DecodeError `DECODE_*`; VerifyError `VERIFY_IDENTITY`, `VERIFY_AEAD`,
 *   `VERIFY_ZERO_SHARED_SECRET`; StateError `STATE_REPLAY`, `STATE_OUT_OF_ORDER`,
 *   `STATE_MISSING_KEY`, `STATE_KEY_CONSUMED`; UsageError `USAGE_ARGUMENT` when
 *   `keyManager` is not `ctx.identity`'s.
 */
export function twoPartyReceive(
  session: TwoPartySession,
  keyManager: KeyManagerState,
  message: Uint8Array,
  ctx: TwoPartyReceiveContext,
): { session: TwoPartySession; keyManager: KeyManagerState; plaintext: Uint8Array; consumed: Uint8Array[] } {
  const decoded = decodeTwoPartyMessage(message);
  const { deps, identity } = ctx;
  if (ctx.allowRestart === true && decoded.kind === 'x3dh' && decoded.index === 1 && session.receivedIndex >= 1) {
    // The peer restarted the session: receive as on a new one; the old one's secrets go.
    const restarted = twoPartyReceive(createSession(session.peerIdentityKey), keyManager, message, { deps, identity, ...(ctx.associatedData ? { associatedData: ctx.associatedData } : {}) });
    const old = [...session.mySecretKeys.map((k) => k.secretKey), ...(session.receivedSecretKey ? [session.receivedSecretKey] : [])];
    return { ...restarted, consumed: [...restarted.consumed, ...old] };
  }
  if (!bytesEqual(identityOf(keyManager).publicKey, identity.publicKey)) throw new UsageError('USAGE_ARGUMENT', 'keyManager does not hold ctx.identity');
  if ((decoded.pq !== undefined) !== (session.pq === true)) {
    throw new VerifyError('VERIFY_KEY', `a ${decoded.pq !== undefined ? 'post-quantum' : 'classic'} 2SM message in a ${session.pq === true ? 'post-quantum' : 'classic'} session`);
  }
  if (decoded.kind === 'x3dh' && !bytesEqual(decoded.identityKey, session.peerIdentityKey)) {
    throw new VerifyError('VERIFY_IDENTITY', 'X3DH identity key is not the session peer\'s');
  }
  if (decoded.index <= session.receivedIndex) throw new StateError('STATE_REPLAY', `message ${decoded.index} was already received (last ${session.receivedIndex})`);
  if (decoded.index > session.receivedIndex + 1) {
    throw new StateError('STATE_OUT_OF_ORDER', `message ${decoded.index} arrived before ${session.receivedIndex + 1}`);
  }
  const opened = decoded.kind === 'x3dh' ? openX3dh(decoded, keyManager, ctx) : openHpke(decoded, session, deps, identity, ctx.associatedData);
  const { body, nextKey } = opened;
  const publicKeyLength = sessionPublicKeyLength(session);
  if (body.length < publicKeyLength) {
    zeroize(body, nextKey);
    throw new VerifyError('VERIFY_KEY', `2SM body of ${body.length} bytes is shorter than the sender's next public key`);
  }
  const consumed: Uint8Array[] = [];
  let km = keyManager;
  let mySecretKeys = session.mySecretKeys;
  if (decoded.kind === 'x3dh' && decoded.oneTimePreKeyId !== null) {
    const taken = consumeOneTimePreKey(keyManager, decoded.oneTimePreKeyId);
    km = taken.state;
    consumed.push(taken.secretKey);
    if (taken.pqSecretKey !== undefined) consumed.push(taken.pqSecretKey);
  }
  if (decoded.kind === 'x3dh' && decoded.pq?.kind === 'one-time' && km.pqOneTimePreKeys?.some((k) => k.id === decoded.pq?.id) === true) {
    const taken = consumePqOneTimePreKey(km, decoded.pq.id);
    km = taken.state;
    consumed.push(taken.secretKey);
  }
  if (decoded.kind === 'hpke' && decoded.keyIndex >= 1) {
    mySecretKeys = session.mySecretKeys.filter((k) => k.index > decoded.keyIndex);
    for (const k of session.mySecretKeys) if (k.index <= decoded.keyIndex) consumed.push(k.secretKey);
  }
  if (session.receivedSecretKey !== null) consumed.push(session.receivedSecretKey);
  const next: TwoPartySession = {
    ...session,
    mySecretKeys,
    receivedSecretKey: nextKey,
    otherPublicKey: { publicKey: body.slice(0, publicKeyLength), keyIndex: decoded.index },
    receivedIndex: decoded.index,
  };
  const plaintext = body.slice(publicKeyLength);
  zeroize(body);
  return { session: next, keyManager: km, plaintext, consumed };
}

function openX3dh(message: X3dhMessage, keyManager: KeyManagerState, ctx: TwoPartyReceiveContext): { body: Uint8Array; nextKey: Uint8Array } {
  const signedPreKeySecret = findSignedPreKeySecret(keyManager, message.signedPreKeyId);
  const oneTimePreKeySecret = message.oneTimePreKeyId === null ? null : findOneTimePreKeySecret(keyManager, message.oneTimePreKeyId);
  const pq = message.pq === undefined ? {} : { pq: { secretKey: findPqPreKeySecret(keyManager, message.pq.kind, message.pq.id), ciphertext: message.pq.ciphertext } };
  const x = x3dhRespond(ctx.deps, {
    identity: ctx.identity, signedPreKeySecret, oneTimePreKeySecret,
    initiatorIdentityKey: message.identityKey, ephemeralPublicKey: message.ephemeralKey, ...pq,
  });
  return openWith(ctx.deps, x.sharedSecret, message, withCallerData(concatBytes(x.associatedData, encodeMessageHeader(message)), ctx.associatedData));
}

function openHpke(message: HpkeMessage, session: TwoPartySession, deps: Deps, identity: IdentityKeyPair, associatedData: Uint8Array | undefined): { body: Uint8Array; nextKey: Uint8Array } {
  let secretKey: Uint8Array;
  if (message.keyIndex === 0) {
    if (session.receivedSecretKey === null) throw new StateError('STATE_MISSING_KEY', 'no key from the peer to open this message');
    secretKey = session.receivedSecretKey;
  } else {
    const mine = session.mySecretKeys.find((k) => k.index === message.keyIndex);
    if (mine === undefined) {
      const code = message.keyIndex < session.nextIndex ? 'STATE_KEY_CONSUMED' : 'STATE_MISSING_KEY';
      throw new StateError(code, `my 2SM key ${message.keyIndex} is not held`);
    }
    secretKey = mine.secretKey;
  }
  const info = hpkeInfo(session.peerIdentityKey, identity.publicKey);
  const secret = deps.crypto.hpkeReceiveExport(suiteOf(session), secretKey, message.enc, info, EXPORT_CONTEXT, 32);
  return openWith(deps, secret, message, withCallerData(encodeMessageHeader(message), associatedData));
}

/** The AEAD's associated data: the header part, then the caller's bytes if any (the header is CBOR, so the split is unambiguous). */
function withCallerData(aad: Uint8Array, associatedData: Uint8Array | undefined): Uint8Array {
  return associatedData === undefined || associatedData.length === 0 ? aad : concatBytes(aad, associatedData);
}

/** Opens the ciphertext with keys from `secret` (wiped); returns the body and the new received key. */
function openWith(deps: Deps, secret: Uint8Array, message: TwoPartyMessage, aad: Uint8Array): { body: Uint8Array; nextKey: Uint8Array } {
  const { aeadKey, nextKey } = deriveMessageKeys(deps, secret);
  try {
    const body = deps.crypto.aeadOpen(AEAD, aeadKey, ZERO_NONCE, message.ciphertext, aad);
    return { body, nextKey };
  } catch (error) {
    zeroize(nextKey);
    throw error;
  } finally {
    zeroize(secret, aeadKey);
  }
}

function deriveMessageKeys(deps: Deps, secret: Uint8Array): { aeadKey: Uint8Array; nextKey: Uint8Array } {
  return {
    aeadKey: deps.crypto.hkdfExpand(secret, AEAD_LABEL, 32),
    nextKey: deps.crypto.hkdfExpand(secret, NEXT_KEY_LABEL, 32),
  };
}

/** HPKE info: label ‖ sender identity key ‖ recipient identity key (binds both and the direction). */
function hpkeInfo(senderIdentityKey: Uint8Array, recipientIdentityKey: Uint8Array): Uint8Array {
  return concatBytes(HPKE_INFO_PREFIX, senderIdentityKey, recipientIdentityKey);
}

/** The HPKE suite of a session's 2SM messages: X-Wing in post-quantum sessions. */
function suiteOf(session: TwoPartySession): HpkeSuite {
  return session.pq === true ? HPKE_XWING_SUITE : HPKE_DEFAULT_SUITE;
}

/** The public key of a derived 2SM secret key (X25519, or X-Wing in post-quantum sessions). */
function publicKeyOf(deps: Deps, session: TwoPartySession, secretKey: Uint8Array): Uint8Array {
  return session.pq === true ? xwingKeyPairFromSecret(deps.crypto, secretKey).publicKey : deps.crypto.x25519PublicKey(secretKey);
}
