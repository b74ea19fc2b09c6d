/**
 * The Node provider's fast paths give the same bytes as the portable code:
 * one-step X25519 key generation (key pair consistent, KeyObject cached for
 * the DH that follows) and HPKE's export-only contexts and cached public hashes.
 */
import { describe, expect, it } from 'vitest';
import { HPKE_DEFAULT_SUITE, fromHex, hexInto, toHex, utf8, type NodeCryptoProvider } from '../../src/crypto/index.js';
import { hpkeContextExport, hpkeContextSeal, hpkeReceiveExportBase, hpkeSendExportBase, hpkeSetupRecipient, hpkeSetupSender } from '../../src/crypto/hpke.js';
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

  it('x25519Ephemeral: enc is a public key whose DH with the recipient is the shared value; fresh per call; low-order keys refused', () => {
    const node = NODE as NodeCryptoProvider;
    const recipient = PORTABLE.x25519Generate();
    const one = node.x25519Ephemeral(recipient.publicKey);
    const two = node.x25519Ephemeral(recipient.publicKey);
    expect(PORTABLE.x25519(recipient.secretKey, one.publicKey)).toEqual(one.shared);
    expect(PORTABLE.x25519(recipient.secretKey, two.publicKey)).toEqual(two.shared);
    expect(one.publicKey).not.toEqual(two.publicKey);
    expect(thrownCode(() => node.x25519Ephemeral(new Uint8Array(32)))).toBe('VERIFY_ZERO_SHARED_SECRET');
    expect(thrownCode(() => node.x25519Ephemeral(new Uint8Array(31)))).toBe('USAGE_KEY_LENGTH');
  });

  it('a seal-only context (single-shot seal and open) seals the same bytes and refuses to export', () => {
    const recipient = NODE.x25519Generate();
    const info = utf8('info');
    const sealOnly = hpkeSetupSender(NODE, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { sealOnly: true });
    expect(sealOnly.context.exporterSecret).toHaveLength(0);
    expect(thrownCode(() => hpkeContextExport(NODE, sealOnly.context, info, 32))).toBe('USAGE_ARGUMENT');
    const sealed = hpkeContextSeal(NODE, sealOnly.context, info, utf8('x'));
    expect(PORTABLE.hpkeOpen(HPKE_DEFAULT_SUITE, recipient.secretKey, sealOnly.enc, info, info, sealed.ciphertext)).toEqual(utf8('x'));
    expect(thrownCode(() => hpkeSetupSender(NODE, HPKE_DEFAULT_SUITE, recipient.publicKey, info, { sealOnly: true, exportOnly: true }))).toBe('USAGE_ARGUMENT');
  });

  it('HPKE seals to many recipients with one info (the last info hash is reused) and then another info, across providers', () => {
    const recipients = [PORTABLE.x25519Generate(), PORTABLE.x25519Generate(), PORTABLE.x25519Generate()];
    for (const info of [utf8('same info'), utf8('same info'), utf8('other info'), utf8('same info')]) {
      for (const r of recipients) {
        const sealed = NODE.hpkeSeal(HPKE_DEFAULT_SUITE, r.publicKey, info, utf8('aad'), utf8('secret'));
        expect(PORTABLE.hpkeOpen(HPKE_DEFAULT_SUITE, r.secretKey, sealed.enc, info, utf8('aad'), sealed.ciphertext)).toEqual(utf8('secret'));
      }
    }
  });

  it('randomBytes: small requests are all fresh; large and empty requests keep their lengths', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add(toHex(NODE.randomBytes(32)));
    expect(seen.size).toBe(400);
    const small = NODE.randomBytes(64);
    expect(small).toHaveLength(64);
    expect(small.buffer.byteLength).toBe(64); // its own buffer
    expect(NODE.randomBytes(65)).toHaveLength(65);
    expect(NODE.randomBytes(0)).toHaveLength(0);
    expect(NODE.randomBytes(5000)).toHaveLength(5000);
  });
});

describe('hex', () => {
  it('fromHex parses either case and refuses odd lengths and non-hex characters', () => {
    expect(fromHex('00ff7fAbCd')).toEqual(Uint8Array.of(0, 255, 127, 0xab, 0xcd));
    expect(toHex(fromHex('0123456789abcdef'))).toBe('0123456789abcdef');
    for (const bad of ['0', 'zz', '0g', ' 0', '0x', '-1', '0\u0130', '\u0660\u0661', 'G0', '0/', ':0', '@A', 'F`']) expect(thrownCode(() => fromHex(bad))).toBe('DECODE_MALFORMED');
  });

  it('hexInto parses into place and refuses what fromHex refuses', () => {
    const out = new Uint8Array(5);
    hexInto('aBcd', out, 2);
    expect(out).toEqual(Uint8Array.of(0, 0, 0xab, 0xcd, 0));
    expect(thrownCode(() => hexInto('0g', out, 0))).toBe('DECODE_MALFORMED');
    expect(thrownCode(() => hexInto('abc', out, 0))).toBe('DECODE_MALFORMED');
    expect(() => hexInto('abcd', out, 4)).toThrow(RangeError);
    expect(out).toEqual(Uint8Array.of(0, 0, 0xab, 0xcd, 0));
  });
});
