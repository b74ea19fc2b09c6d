/**
 * HPKE secret hygiene and limits, through a recording provider: every secret the primitives hand to HPKE (DH
 * outputs, PRKs, the shared secret, the random ephemeral key, the labeled HKDF inputs) is zero once the call
 * returns, except what the caller receives (the context's keys, which hpkeContextZeroize wipes, and exports).
 * Plus the sequence-number limit, the suite checks on both sides, and errors that name their field.
 */
import { describe, expect, it } from 'vitest';
import { HPKE_DEFAULT_SUITE, utf8, type CryptoProvider, type HpkeSuite } from '../../src/crypto/index.js';
import { isAllZero } from '../../src/crypto/checks.js';
import {
  hpkeContextExport, hpkeContextOpen, hpkeContextSeal, hpkeContextZeroize, hpkeDeriveKeyPair, hpkeOpenBase, hpkeReceiveExportBase,
  hpkeSealBase, hpkeSendExportBase, hpkeSetupRecipient, hpkeSetupSender, type HpkeContext, type HpkePrimitives,
} from '../../src/crypto/hpke.js';
import { PROVIDERS, thrownCode } from './providers.js';

type Kind = 'random' | 'dh' | 'extract-in' | 'extract-out' | 'expand-out';
interface Recorded { readonly kind: Kind; readonly label: string; readonly bytes: Uint8Array }

const LABELS = ['shared_secret', 'psk_id_hash', 'base_nonce', 'info_hash', 'dkp_prk', 'eae_prk', 'secret', 'key', 'exp', 'sec', 'sk'];
const VERSION = 'HPKE-v1';

/** The RFC 9180 label inside a labeled HKDF input (`HPKE-v1` ‖ suite id ‖ label ‖ …), read when the call is made. */
function labelOf(labeled: Uint8Array, offset: number): string {
  const text = new TextDecoder('latin1').decode(labeled.subarray(offset));
  if (!text.startsWith(VERSION)) return '?';
  const rest = text.slice(VERSION.length);
  const afterSuite = rest.startsWith('KEM') ? rest.slice(5) : rest.slice(10);
  return LABELS.find((label) => afterSuite.startsWith(label)) ?? '?';
}

/** Wraps a provider's primitives and keeps every secret-bearing array they return (and the labeled HKDF inputs). */
class RecordingPrimitives implements HpkePrimitives {
  readonly records: Recorded[] = [];
  constructor(private readonly inner: CryptoProvider) {}
  private keep(kind: Kind, label: string, bytes: Uint8Array): Uint8Array {
    this.records.push({ kind, label, bytes });
    return bytes;
  }
  randomBytes(length: number): Uint8Array { return this.keep('random', '', this.inner.randomBytes(length)); }
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    const label = labelOf(ikm, 0);
    this.keep('extract-in', label, ikm);
    return this.keep('extract-out', label, this.inner.hkdfExtract(salt, ikm));
  }
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    return this.keep('expand-out', labelOf(info, 2), this.inner.hkdfExpand(prk, info, length));
  }
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array { return this.keep('dh', '', this.inner.x25519(secretKey, publicKey)); }
  x25519PublicKey(secretKey: Uint8Array): Uint8Array { return this.inner.x25519PublicKey(secretKey); }
  aeadSeal(...args: Parameters<CryptoProvider['aeadSeal']>): Uint8Array { return this.inner.aeadSeal(...args); }
  aeadOpen(...args: Parameters<CryptoProvider['aeadOpen']>): Uint8Array { return this.inner.aeadOpen(...args); }
  mlkem768KeyPairFromSeed(...args: Parameters<CryptoProvider['mlkem768KeyPairFromSeed']>): ReturnType<CryptoProvider['mlkem768KeyPairFromSeed']> { return this.inner.mlkem768KeyPairFromSeed(...args); }
  mlkem768Encapsulate(...args: Parameters<CryptoProvider['mlkem768Encapsulate']>): ReturnType<CryptoProvider['mlkem768Encapsulate']> { return this.inner.mlkem768Encapsulate(...args); }
  mlkem768Decapsulate(...args: Parameters<CryptoProvider['mlkem768Decapsulate']>): ReturnType<CryptoProvider['mlkem768Decapsulate']> { return this.inner.mlkem768Decapsulate(...args); }

  /** Recorded arrays that still hold non-zero bytes, as `kind:label`, except the labels listed. */
  nonZero(except: readonly string[] = []): string[] {
    return this.records.filter((r) => !except.includes(r.label) && !isAllZero(r.bytes)).map((r) => `${r.kind}:${r.label}`);
  }
  labels(kind: Kind): string[] {
    return this.records.filter((r) => r.kind === kind).map((r) => r.label);
  }
}

/** Public by design (hashes of the public psk id and info), so HPKE does not wipe them. */
const PUBLIC_HASHES = ['psk_id_hash', 'info_hash'];
const CONTEXT_KEYS = ['key', 'base_nonce', 'exp'];

describe.each(PROVIDERS)('HPKE hygiene, %s provider', (_name, provider) => {
  const recipient = provider.x25519Generate();
  const sender = provider.x25519Generate();
  const info = utf8('hygiene info');
  const psk = { psk: new Uint8Array(32).fill(3), pskId: utf8('psk id') };

  it('the recorder sees what it should (labels parsed, both DH outputs of the auth mode)', () => {
    const rec = new RecordingPrimitives(provider);
    hpkeSetupSender(rec, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { senderSecretKey: sender.secretKey, ...psk });
    expect(rec.labels('dh')).toHaveLength(2);
    expect(rec.labels('random')).toHaveLength(1);
    expect(rec.labels('extract-out').sort()).toEqual(['eae_prk', 'info_hash', 'psk_id_hash', 'secret']);
    expect(rec.labels('expand-out').sort()).toEqual(['base_nonce', 'exp', 'key', 'shared_secret']);
  });

  it('sender setup (auth_psk, random ephemeral key): only the context keys survive, and hpkeContextZeroize wipes them', () => {
    const rec = new RecordingPrimitives(provider);
    const { context } = hpkeSetupSender(rec, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { senderSecretKey: sender.secretKey, ...psk });
    expect(rec.nonZero(PUBLIC_HASHES).sort()).toEqual(['expand-out:base_nonce', 'expand-out:exp', 'expand-out:key']);
    hpkeContextZeroize(context);
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual([]);
    expect(isAllZero(sender.secretKey)).toBe(false); // the caller's static key is the caller's
  });

  it('sender setup with a given ephemeral key leaves that key to the caller', () => {
    const rec = new RecordingPrimitives(provider);
    const ephemeral = provider.x25519Generate().secretKey;
    hpkeSetupSender(rec, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { ephemeralSecretKey: ephemeral });
    expect(isAllZero(ephemeral)).toBe(false);
    expect(rec.labels('random')).toEqual([]);
    expect(rec.nonZero([...PUBLIC_HASHES, ...CONTEXT_KEYS])).toEqual([]);
  });

  it('recipient setup (auth mode): only the context keys survive', () => {
    const { enc } = hpkeSetupSender(provider, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { senderSecretKey: sender.secretKey });
    const rec = new RecordingPrimitives(provider);
    const context = hpkeSetupRecipient(rec, HPKE_DEFAULT_SUITE, recipient.secretKey, enc, info, { senderPublicKey: sender.publicKey });
    expect(rec.labels('dh')).toHaveLength(2);
    expect(rec.nonZero(PUBLIC_HASHES).sort()).toEqual(['expand-out:base_nonce', 'expand-out:exp', 'expand-out:key']);
    hpkeContextZeroize(context);
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual([]);
    expect(isAllZero(recipient.secretKey)).toBe(false);
  });

  it('DeriveKeyPair wipes its PRK and returns the key pair', () => {
    const rec = new RecordingPrimitives(provider);
    const pair = hpkeDeriveKeyPair(rec, new Uint8Array(32).fill(7));
    expect(rec.nonZero().sort()).toEqual(['expand-out:sk']);
    expect(rec.labels('extract-out')).toEqual(['dkp_prk']);
    expect(provider.x25519PublicKey(pair.secretKey)).toEqual(pair.publicKey);
  });

  it('single-shot seal, open and exports leave nothing but the exported secret', () => {
    let rec = new RecordingPrimitives(provider);
    const sealed = hpkeSealBase(rec, HPKE_DEFAULT_SUITE, recipient.publicKey, info, utf8('aad'), utf8('plaintext'));
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual([]);
    rec = new RecordingPrimitives(provider);
    expect(hpkeOpenBase(rec, HPKE_DEFAULT_SUITE, recipient.secretKey, sealed.enc, info, utf8('aad'), sealed.ciphertext)).toEqual(utf8('plaintext'));
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual([]);
    rec = new RecordingPrimitives(provider);
    const exported = hpkeSendExportBase(rec, HPKE_DEFAULT_SUITE, recipient.publicKey, info, utf8('ctx'), 32);
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual(['expand-out:sec']);
    rec = new RecordingPrimitives(provider);
    expect(hpkeReceiveExportBase(rec, HPKE_DEFAULT_SUITE, recipient.secretKey, exported.enc, info, utf8('ctx'), 32)).toEqual(exported.secret);
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual(['expand-out:sec']);
  });

  it('a failed single-shot open still wipes the context', () => {
    const sealed = hpkeSealBase(provider, HPKE_DEFAULT_SUITE, recipient.publicKey, info, utf8('aad'), utf8('plaintext'));
    const rec = new RecordingPrimitives(provider);
    expect(thrownCode(() => hpkeOpenBase(rec, HPKE_DEFAULT_SUITE, recipient.secretKey, sealed.enc, info, utf8('other aad'), sealed.ciphertext))).toBe('VERIFY_AEAD');
    expect(rec.nonZero(PUBLIC_HASHES)).toEqual([]);
  });
});

describe.each(PROVIDERS)('HPKE limits and checks, %s provider', (_name, p) => {
  const recipient = p.x25519Generate();
  const info = utf8('info');

  function pair(): { sender: HpkeContext; receiver: HpkeContext } {
    const { enc, context } = hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, info);
    return { sender: context, receiver: hpkeSetupRecipient(p, HPKE_DEFAULT_SUITE, recipient.secretKey, enc, info) };
  }

  it('the last sequence number below 2^53 − 1 still works, in both directions; the next one is refused', () => {
    const { sender, receiver } = pair();
    const last = Number.MAX_SAFE_INTEGER - 1;
    const sealed = hpkeContextSeal(p, { ...sender, seq: last }, info, utf8('last'));
    expect(sealed.context.seq).toBe(Number.MAX_SAFE_INTEGER);
    expect(hpkeContextOpen(p, { ...receiver, seq: last }, info, sealed.ciphertext).plaintext).toEqual(utf8('last'));
    // the nonce really depends on the high bits of the sequence number
    expect(thrownCode(() => hpkeContextOpen(p, { ...receiver, seq: last - 2 ** 40 }, info, sealed.ciphertext))).toBe('VERIFY_AEAD');
    expect(thrownCode(() => hpkeContextSeal(p, sealed.context, info, utf8('one too many')))).toBe('USAGE_ARGUMENT');
    expect(thrownCode(() => hpkeContextOpen(p, { ...receiver, seq: Number.MAX_SAFE_INTEGER }, info, sealed.ciphertext))).toBe('USAGE_ARGUMENT');
  });

  it('refuses unsupported suites on the recipient side too, and every unsupported field on both sides', () => {
    const { enc } = hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, info);
    const bad: HpkeSuite[] = [
      { ...HPKE_DEFAULT_SUITE, kem: 0x0010 as never },
      { ...HPKE_DEFAULT_SUITE, kdf: 0x0002 as never },
      { ...HPKE_DEFAULT_SUITE, aead: 0x0000 as never },
      { ...HPKE_DEFAULT_SUITE, aead: 0xffff as never },
    ];
    for (const suite of bad) {
      expect(thrownCode(() => hpkeSetupRecipient(p, suite, recipient.secretKey, enc, info))).toBe('USAGE_UNSUPPORTED');
      expect(thrownCode(() => hpkeSetupSender(p, suite, recipient.publicKey, info))).toBe('USAGE_UNSUPPORTED');
    }
    for (const aead of [0x0001, 0x0002, 0x0003] as const) {
      const suite = { ...HPKE_DEFAULT_SUITE, aead };
      const s = hpkeSetupSender(p, suite, recipient.publicKey, info);
      const r = hpkeSetupRecipient(p, suite, recipient.secretKey, s.enc, info);
      expect(hpkeContextOpen(p, r, info, hpkeContextSeal(p, s.context, info, utf8('x')).ciphertext).plaintext).toEqual(utf8('x'));
    }
  });

  it('errors name the offending field', () => {
    const { enc, context } = hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, info);
    const notBytes = 'x' as unknown as Uint8Array;
    expect(() => hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, notBytes)).toThrow(/hpke info/);
    expect(() => hpkeSetupRecipient(p, HPKE_DEFAULT_SUITE, recipient.secretKey, enc, notBytes)).toThrow(/hpke info/);
    expect(() => hpkeSetupRecipient(p, HPKE_DEFAULT_SUITE, recipient.secretKey, enc.subarray(1), info)).toThrow(/hpke enc/);
    expect(() => hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { psk: notBytes, pskId: utf8('id') })).toThrow(/hpke psk\b/);
    expect(() => hpkeSetupSender(p, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { psk: utf8('k'), pskId: notBytes })).toThrow(/hpke pskId/);
    expect(() => hpkeContextExport(p, context, notBytes, 32)).toThrow(/hpke exporterContext/);
    expect(() => hpkeContextExport(p, context, info, 255 * 32 + 1)).toThrow(/hpke export length/);
    expect(hpkeContextExport(p, context, info, 255 * 32)).toHaveLength(255 * 32);
    expect(() => hpkeDeriveKeyPair(p, notBytes)).toThrow(/hpke ikm/);
  });

  it('AEAD argument errors name the algorithm and the field', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    expect(() => p.aeadSeal('aes-256-gcm', key.subarray(1), nonce, info)).toThrow(/aes-256-gcm key/);
    expect(() => p.aeadSeal('aes-256-gcm', key, nonce.subarray(1), info)).toThrow(/aes-256-gcm nonce/);
    expect(() => p.aeadSeal('aes-256-gcm', key, nonce, 'x' as unknown as Uint8Array)).toThrow(/aes-256-gcm data/);
    expect(() => p.aeadSeal('aes-256-gcm', key, nonce, info, 'x' as unknown as Uint8Array)).toThrow(/aes-256-gcm aad/);
  });
});

describe('isAllZero', () => {
  it('is true exactly when every byte is zero', () => {
    expect(isAllZero(new Uint8Array(0))).toBe(true);
    expect(isAllZero(new Uint8Array(32))).toBe(true);
    for (const at of [0, 15, 31]) {
      const bytes = new Uint8Array(32);
      bytes[at] = 0x80;
      expect(isAllZero(bytes)).toBe(false);
    }
  });
});
