/**
 * X3DH (Signal's X3DH spec, revision 1) on X25519 keys, used for the first
 * 2SM message to a peer.
 *
 * ```
 * DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   [DH4 = DH(EK_A, OPK_B)]
 * SK  = HKDF-SHA256(salt = 32 × 0x00, ikm = 32 × 0xFF ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], info = "groupcrypt X3DH", 32)
 * AD  = IK_A ‖ IK_B
 * ```
 * DH outputs and the key material are wiped before returning.
 *
 * Post-quantum variant (Signal's PQXDH shape): the initiator also
 * encapsulates to the bundle's signed ML-KEM-768 pre-key (the one-time one
 * when the bundle has it) and the KEM secret SS joins the DH outputs:
 * `SK = HKDF(salt = 0, ikm = 32 × 0xFF ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, info = "groupcrypt PQXDH X25519 ML-KEM-768")`.
 * An attacker must break both X25519 and ML-KEM to learn SK.
 */
import type { Deps, X25519KeyPair } from '../crypto/index.js';
import { concatBytes, copyBytes, utf8, zeroize } from '../crypto/index.js';
import type { IdentityKeyPair, KeyBundle, PqPreKey } from '../keys/index.js';
import { KEY_LENGTH, pqPreKeyOf, verifyKeyBundle } from '../keys/index.js';
import { StateError, UsageError } from '../errors.js';
import { PQXDH_INFO, X3DH_INFO } from './limits.js';

/** What the initiator (Alice) gets: the shared secret and what to put in the first message. */
export interface X3dhInitiation {
  /** SK, 32 bytes; the caller wipes it when done. */
  readonly sharedSecret: Uint8Array;
  /** AD = IK_A ‖ IK_B. */
  readonly associatedData: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  readonly signedPreKeyId: number;
  /** Id of the one-time pre-key used, or null for a long-term bundle. */
  readonly oneTimePreKeyId: number | null;
  /** Post-quantum only: the ML-KEM pre-key encapsulated to and the ciphertext. */
  readonly pq?: { readonly kind: PqPreKey['kind']; readonly id: number; readonly ciphertext: Uint8Array };
}

/** What the responder (Bob) gets. */
export interface X3dhResponse {
  /** SK, 32 bytes; the caller wipes it when done. */
  readonly sharedSecret: Uint8Array;
  /** AD = IK_A ‖ IK_B. */
  readonly associatedData: Uint8Array;
}

/** Inputs of `x3dhRespond`: Bob's secrets named by Alice's message, and Alice's public keys. */
export interface X3dhRespondInput {
  readonly identity: IdentityKeyPair;
  readonly signedPreKeySecret: Uint8Array;
  readonly oneTimePreKeySecret: Uint8Array | null;
  readonly initiatorIdentityKey: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  /** Post-quantum only: my ML-KEM pre-key secret (64-byte seed) named by the message, and its ciphertext. */
  readonly pq?: { readonly secretKey: Uint8Array; readonly ciphertext: Uint8Array };
}

/**
 * Alice's side (X3DH §3.3): verifies Bob's bundle (signature over key and
 * lifetime, lifetime at `deps.now()`), then derives SK with a fresh ephemeral key.
 * @param ephemeral fixed ephemeral key pair (tests only); fresh when omitted.
 * @throws VerifyError `VERIFY_SIGNATURE`, `VERIFY_EXPIRED`, `VERIFY_NOT_YET_VALID` (bundle),
 *   `VERIFY_ZERO_SHARED_SECRET` (a low-order key).
 * @example const { sharedSecret } = x3dhInitiate(deps, alice, bobBundle);
 */
export function x3dhInitiate(deps: Deps, identity: IdentityKeyPair, bundle: KeyBundle, ephemeral?: X25519KeyPair, options: { readonly pq?: boolean } = {}): X3dhInitiation {
  verifyKeyBundle(bundle, deps);
  const pqKey = options.pq === true ? pqPreKeyOf(bundle) : undefined;
  if (options.pq === true && pqKey === undefined) {
    throw new StateError('STATE_NO_BUNDLE', 'the peer\'s key bundle has no ML-KEM pre-key: a post-quantum session needs one');
  }
  const ek = ephemeral ?? deps.crypto.x25519Generate();
  const spk = bundle.signedPreKey.publicKey;
  const dhs: Uint8Array[] = [];
  try {
    dhs.push(deps.crypto.x25519(identity.secretKey, spk));
    dhs.push(deps.crypto.x25519(ek.secretKey, bundle.identityKey));
    dhs.push(deps.crypto.x25519(ek.secretKey, spk));
    if (bundle.kind === 'one-time') dhs.push(deps.crypto.x25519(ek.secretKey, bundle.oneTimePreKey.publicKey));
    const kem = pqKey === undefined ? undefined : deps.crypto.mlkem768Encapsulate(pqKey.publicKey);
    if (kem !== undefined) dhs.push(kem.sharedSecret);
    return {
      sharedSecret: kdf(deps, dhs, kem !== undefined),
      ...(kem !== undefined && pqKey !== undefined ? { pq: { kind: pqKey.kind, id: pqKey.id, ciphertext: kem.ciphertext } } : {}),
      associatedData: concatBytes(identity.publicKey, bundle.identityKey),
      ephemeralPublicKey: copyBytes(ek.publicKey),
      signedPreKeyId: bundle.signedPreKey.id,
      oneTimePreKeyId: bundle.kind === 'one-time' ? bundle.oneTimePreKey.id : null,
    };
  } finally {
    zeroize(...dhs);
    if (ephemeral === undefined) zeroize(ek.secretKey);
  }
}

/**
 * Bob's side (X3DH §3.3): the same SK from his identity, signed pre-key and
 * (optional) one-time pre-key secrets. Consumes nothing: the caller deletes
 * the one-time pre-key only after the first message authenticated.
 * @throws UsageError `USAGE_KEY_LENGTH`; VerifyError `VERIFY_ZERO_SHARED_SECRET`.
 */
export function x3dhRespond(deps: Deps, input: X3dhRespondInput): X3dhResponse {
  for (const [field, key] of [['initiatorIdentityKey', input.initiatorIdentityKey], ['ephemeralPublicKey', input.ephemeralPublicKey]] as const) {
    if (key.length !== KEY_LENGTH) throw new UsageError('USAGE_KEY_LENGTH', `x3dh.${field}: expected ${KEY_LENGTH} bytes`);
  }
  const dhs: Uint8Array[] = [];
  try {
    dhs.push(deps.crypto.x25519(input.signedPreKeySecret, input.initiatorIdentityKey));
    dhs.push(deps.crypto.x25519(input.identity.secretKey, input.ephemeralPublicKey));
    dhs.push(deps.crypto.x25519(input.signedPreKeySecret, input.ephemeralPublicKey));
    if (input.oneTimePreKeySecret !== null) dhs.push(deps.crypto.x25519(input.oneTimePreKeySecret, input.ephemeralPublicKey));
    if (input.pq !== undefined) dhs.push(deps.crypto.mlkem768Decapsulate(input.pq.secretKey, input.pq.ciphertext));
    return { sharedSecret: kdf(deps, dhs, input.pq !== undefined), associatedData: concatBytes(input.initiatorIdentityKey, input.identity.publicKey) };
  } finally {
    zeroize(...dhs);
  }
}

/** X3DH §2.2 KDF: HKDF-SHA256(F ‖ KM) with a zero salt and the fixed info string (PQXDH's when a KEM secret is last in KM). */
function kdf(deps: Deps, dhs: readonly Uint8Array[], pq: boolean): Uint8Array {
  const ikm = concatBytes(new Uint8Array(32).fill(0xff), ...dhs);
  try {
    return deps.crypto.hkdf(ikm, new Uint8Array(32), utf8(pq ? PQXDH_INFO : X3DH_INFO), 32);
  } finally {
    zeroize(ikm);
  }
}
