/**
 * X-Wing as an HPKE KEM, cross-checked in both directions against an
 * independent implementation (@hpke/hybridkem-x-wing with @hpke/core),
 * on both providers: same derived key pairs, their sender → our recipient,
 * our sender → their recipient, and equal exported secrets.
 */
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { XWing } from '@hpke/hybridkem-x-wing';
import { describe, expect, it } from 'vitest';
import { HPKE_XWING_SUITE, toHex, utf8, xwingDecapsulate, xwingDeriveKeyPair, xwingEncapsulate, xwingKeyPairFromSecret } from '../../src/crypto/index.js';
import { hpkeContextExport, hpkeContextOpen, hpkeContextSeal, hpkeSetupRecipient, hpkeSetupSender } from '../../src/crypto/hpke.js';
import { NODE, PORTABLE, PROVIDERS, thrownCode } from './providers.js';

const theirs = (): CipherSuite => new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const bytes = (buffer: ArrayBuffer): Uint8Array => new Uint8Array(buffer);

describe.each(PROVIDERS)('X-Wing HPKE against @hpke/hybridkem-x-wing, %s provider', (_name, p) => {
  it('derives the same key pairs (DeriveKeyPair and GenerateKeyPairDerand)', async () => {
    const suite = theirs();
    for (let i = 0; i < 4; i++) {
      const ikm = p.randomBytes(32 + i);
      const ours = xwingDeriveKeyPair(p, ikm);
      const pair = await suite.kem.deriveKeyPair(ikm.slice().buffer);
      expect(toHex(bytes(await suite.kem.serializePublicKey(pair.publicKey)))).toBe(toHex(ours.publicKey));
      expect(toHex(bytes(await suite.kem.serializePrivateKey(pair.privateKey)))).toBe(toHex(ours.secretKey));
    }
  });

  it('their sender, our recipient', async () => {
    const suite = theirs();
    for (let i = 0; i < 3; i++) {
      const ours = xwingKeyPairFromSecret(p, p.randomBytes(32));
      const info = utf8(`info ${i}`);
      const sender = await suite.createSenderContext({ recipientPublicKey: await suite.kem.deserializePublicKey(ours.publicKey), info: info.slice().buffer });
      const sealed = bytes(await sender.seal(utf8('hello from @hpke').slice().buffer, utf8('aad').slice().buffer));
      const exported = bytes(await sender.export(utf8('ctx').slice().buffer, 32));
      const context = hpkeSetupRecipient(p, HPKE_XWING_SUITE, ours.secretKey, bytes(sender.enc), info);
      expect(new TextDecoder().decode(hpkeContextOpen(p, context, utf8('aad'), sealed).plaintext)).toBe('hello from @hpke');
      expect(toHex(hpkeContextExport(p, context, utf8('ctx'), 32))).toBe(toHex(exported));
    }
  });

  it('our sender, their recipient', async () => {
    const suite = theirs();
    for (let i = 0; i < 3; i++) {
      const pair = await suite.kem.generateKeyPair();
      const publicKey = bytes(await suite.kem.serializePublicKey(pair.publicKey));
      const info = utf8(`info ${i}`);
      const { enc, context } = hpkeSetupSender(p, HPKE_XWING_SUITE, publicKey, info);
      expect(enc).toHaveLength(1120);
      const { ciphertext } = hpkeContextSeal(p, context, utf8('aad'), utf8('hello from groupcrypt'));
      const recipient = await suite.createRecipientContext({ recipientKey: pair.privateKey, enc: enc.slice().buffer, info: info.slice().buffer });
      expect(new TextDecoder().decode(await recipient.open(ciphertext.slice().buffer, utf8('aad').slice().buffer))).toBe('hello from groupcrypt');
      expect(toHex(bytes(await recipient.export(utf8('ctx').slice().buffer, 32)))).toBe(toHex(hpkeContextExport(p, context, utf8('ctx'), 32)));
    }
  });

  it('single-shot provider calls take the X-Wing suite', () => {
    const ours = xwingKeyPairFromSecret(p, p.randomBytes(32));
    const sealed = p.hpkeSeal(HPKE_XWING_SUITE, ours.publicKey, utf8('i'), utf8('a'), utf8('pt'));
    expect(new TextDecoder().decode(p.hpkeOpen(HPKE_XWING_SUITE, ours.secretKey, sealed.enc, utf8('i'), utf8('a'), sealed.ciphertext))).toBe('pt');
    // A flipped bit in the ML-KEM part is implicitly rejected: another key, so the AEAD refuses.
    const forged = Uint8Array.from(sealed.enc);
    forged[5] = (forged[5] as number) ^ 1;
    expect(thrownCode(() => p.hpkeOpen(HPKE_XWING_SUITE, ours.secretKey, forged, utf8('i'), utf8('a'), sealed.ciphertext))).toBe('VERIFY_AEAD');
    expect(thrownCode(() => hpkeSetupSender(p, HPKE_XWING_SUITE, ours.publicKey, utf8('i'), { senderSecretKey: p.randomBytes(32) }))).toBe('USAGE_UNSUPPORTED');
    expect(thrownCode(() => p.hpkeSeal(HPKE_XWING_SUITE, ours.publicKey.subarray(1), utf8('i'), utf8('a'), utf8('pt')))).toBe('USAGE_KEY_LENGTH');
  });
});

describe('X-Wing across providers', () => {
  it('is byte-identical given the same secret key and encapsulation seed', () => {
    for (let i = 0; i < 10; i++) {
      const secret = PORTABLE.randomBytes(32);
      const a = xwingKeyPairFromSecret(NODE, secret);
      const b = xwingKeyPairFromSecret(PORTABLE, secret);
      expect(toHex(a.publicKey)).toBe(toHex(b.publicKey));
      const seed = PORTABLE.randomBytes(64);
      const fromNode = xwingEncapsulate(NODE, a.publicKey, seed);
      const fromPortable = xwingEncapsulate(PORTABLE, b.publicKey, seed);
      expect(toHex(fromNode.ciphertext)).toBe(toHex(fromPortable.ciphertext));
      expect(toHex(fromNode.sharedSecret)).toBe(toHex(fromPortable.sharedSecret));
      const fresh = xwingEncapsulate(NODE, a.publicKey);
      expect(toHex(xwingDecapsulate(PORTABLE, secret, fresh.ciphertext))).toBe(toHex(fresh.sharedSecret));
      expect(toHex(xwingDecapsulate(NODE, secret, fromPortable.ciphertext))).toBe(toHex(fromPortable.sharedSecret));
    }
  });
});
