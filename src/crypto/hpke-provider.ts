/**
 * The HPKE half of a `CryptoProvider`, written once over its primitives
 * (RFC 9180 base mode, single-shot): both providers extend this class, so
 * their HPKE is the same code and differs only in the primitives beneath.
 */
import { hpkeOpenBase, hpkeReceiveExportBase, hpkeSealBase, hpkeSendExportBase } from './hpke.js';
import type { HpkePrimitives } from './hpke.js';
import type { AeadAlgorithm, HpkeSealed, HpkeSuite, MlKemEncapsulation, MlKemKeyPair } from './provider.js';

/** Base class of the providers: HPKE on top of the primitives a subclass implements. */
export abstract class HpkeOnPrimitives implements HpkePrimitives {
  abstract randomBytes(length: number): Uint8Array;
  abstract hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  abstract hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  abstract x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  abstract x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  abstract aeadSeal(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  abstract aeadOpen(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  abstract mlkem768KeyPairFromSeed(seed: Uint8Array): MlKemKeyPair;
  abstract mlkem768Encapsulate(publicKey: Uint8Array, random?: Uint8Array): MlKemEncapsulation;
  abstract mlkem768Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  /** HPKE single-shot seal, base mode (RFC 9180 §6.1). */
  hpkeSeal(suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeSealed {
    return hpkeSealBase(this, suite, recipientPublicKey, info, aad, plaintext);
  }

  /** HPKE single-shot open, base mode (RFC 9180 §6.1). */
  hpkeOpen(suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return hpkeOpenBase(this, suite, recipientSecretKey, enc, info, aad, ciphertext);
  }

  /** HPKE export, sender side, base mode (RFC 9180 §6.2). */
  hpkeSendExport(suite: HpkeSuite, recipientPublicKey: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): { readonly enc: Uint8Array; readonly secret: Uint8Array } {
    return hpkeSendExportBase(this, suite, recipientPublicKey, info, exporterContext, length);
  }

  /** HPKE export, recipient side, base mode (RFC 9180 §6.2). */
  hpkeReceiveExport(suite: HpkeSuite, recipientSecretKey: Uint8Array, enc: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    return hpkeReceiveExportBase(this, suite, recipientSecretKey, enc, info, exporterContext, length);
  }
}
