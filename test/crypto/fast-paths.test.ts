/**
 * The Node provider's fast paths give the same bytes as the portable code:
 * one-step X25519 key generation (key pair consistent, KeyObject cached for
 * the DH that follows) and HPKE's export-only contexts and cached public hashes.
 */
import { describe, expect, it } from 'vitest';
import { HPKE_DEFAULT_SUITE, fromHex, toHex, utf8 } from '../../src/crypto/index.js';
import { hpkeContextSeal, hpkeReceiveExportBase, hpkeSendExportBase, hpkeSetupRecipient, hpkeSetupSender } from '../../src/crypto/hpke.js';
import { NODE, PORTABLE, thrownCode } from './providers.js';

describe('node fast paths', () => {
  it('x25519Generate: the public key is the secret key\'s (portable check), the pair agrees by DH, pairs differ', () => {
    const a = NODE.x25519Generate();
    const b = NODE.x25519Generate();
    expect(a.secretKey).toHaveLength(32);
    expect(PORTABLE.x25519PublicKey(a.secretKey)).toEqual(a.publicKey);
    expect(NODE.x25519PublicKey(b.secretKey)).toEqual(b.publicKey);
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(NODE.x25519(a.secretKey, b.publicKey)).toEqual(PORTABLE.x25519(b.secretKey, a.publicKey));
  });

  it('a generated key zeroized by its owner is not used through the cache', () => {
    const a = NODE.x25519Generate();
    const peer = NODE.x25519Generate();
    a.secretKey.fill(0);
    // an all-zero scalar clamps to 2^254: a valid key, so the DH must match the portable one of the zero key
    expect(NODE.x25519(a.secretKey, peer.publicKey)).toEqual(PORTABLE.x25519(a.secretKey, peer.publicKey));
    expect(NODE.x25519PublicKey(a.secretKey)).toEqual(PORTABLE.x25519PublicKey(a.secretKey));
  });

  it('HPKE export across providers, repeated with the same info (cached hashes) and another info', () => {
    const recipient = PORTABLE.x25519Generate();
    for (const info of [utf8('info one'), utf8('info one'), utf8('info two')]) {
      const sent = NODE.hpkeSendExport(HPKE_DEFAULT_SUITE, recipient.publicKey, info, utf8('ctx'), 32);
      expect(PORTABLE.hpkeReceiveExport(HPKE_DEFAULT_SUITE, recipient.secretKey, sent.enc, info, utf8('ctx'), 32)).toEqual(sent.secret);
      expect(hpkeReceiveExportBase(NODE, HPKE_DEFAULT_SUITE, recipient.secretKey, sent.enc, info, utf8('ctx'), 32)).toEqual(sent.secret);
      const back = hpkeSendExportBase(PORTABLE, HPKE_DEFAULT_SUITE, recipient.publicKey, info, utf8('ctx'), 32);
      expect(NODE.hpkeReceiveExport(HPKE_DEFAULT_SUITE, recipient.secretKey, back.enc, info, utf8('ctx'), 32)).toEqual(back.secret);
    }
  });

  it('an export-only context refuses to seal; a full one seals as before', () => {
    const recipient = NODE.x25519Generate();
    const info = utf8('info');
    const exportOnly = hpkeSetupSender(NODE, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { exportOnly: true });
    expect(thrownCode(() => hpkeContextSeal(NODE, exportOnly.context, info, utf8('x')))).toBe('USAGE_KEY_LENGTH');
    const full = hpkeSetupSender(NODE, HPKE_DEFAULT_SUITE, recipient.publicKey, info);
    const sealed = hpkeContextSeal(NODE, full.context, info, utf8('x'));
    const opened = PORTABLE.hpkeOpen(HPKE_DEFAULT_SUITE, recipient.secretKey, full.enc, info, info, sealed.ciphertext);
    expect(opened).toEqual(utf8('x'));
    expect(hpkeSetupRecipient(NODE, HPKE_DEFAULT_SUITE, recipient.secretKey, full.enc, info, { exportOnly: true }).key).toHaveLength(0);
  });
});

describe('hex', () => {
  it('fromHex parses either case and refuses odd lengths and non-hex characters', () => {
    expect(fromHex('00ff7fAbCd')).toEqual(Uint8Array.of(0, 255, 127, 0xab, 0xcd));
    expect(toHex(fromHex('0123456789abcdef'))).toBe('0123456789abcdef');
    for (const bad of ['0', 'zz', '0g', ' 0', '0x', '-1']) expect(thrownCode(() => fromHex(bad))).toBe('DECODE_MALFORMED');
  });
});
