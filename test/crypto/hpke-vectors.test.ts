/**
 * RFC 9180 conformance of BOTH providers: all 12 entries of
 * ../shared/vectors/hpke/x25519-sha256.json (modes base, psk, auth,
 * auth_psk × AEADs 0x0001, 0x0002, 0x0003): DeriveKeyPair, the key
 * schedule outputs, all 257 sequential encryptions (seal and open) and the
 * exports. Base-mode entries are also checked through the provider's
 * single-shot API (open of sequence number 0, receiver-side export).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, type HpkeAeadId, type HpkeSuite } from '../../src/crypto/index.js';
import { hpkeContextExport, hpkeContextOpen, hpkeContextSeal, hpkeDeriveKeyPair, hpkeSetupRecipient, hpkeSetupSender, type HpkeSetupOptions } from '../../src/crypto/hpke.js';
import { loadVectors, VectorTally } from '../helpers/vectors.js';
import { PROVIDERS } from './providers.js';

interface HpkeVector {
  readonly mode: number;
  readonly kem_id: number;
  readonly kdf_id: number;
  readonly aead_id: number;
  readonly info: string;
  readonly ikmE: string;
  readonly ikmR: string;
  readonly ikmS?: string;
  readonly skEm: string;
  readonly pkEm: string;
  readonly skRm: string;
  readonly pkRm: string;
  readonly skSm?: string;
  readonly pkSm?: string;
  readonly psk?: string;
  readonly psk_id?: string;
  readonly enc: string;
  readonly key: string;
  readonly base_nonce: string;
  readonly exporter_secret: string;
  readonly encryptions: readonly { aad: string; ct: string; nonce: string; pt: string }[];
  readonly exports: readonly { exporter_context: string; L: number; exported_value: string }[];
}

const FILE = 'hpke/x25519-sha256.json';
const VECTORS = loadVectors<HpkeVector[]>(FILE);
const MODE_NAMES = ['base', 'psk', 'auth', 'auth_psk'];
const tally = new VectorTally();
afterAll(() => {
  console.log(`RFC 9180 vectors per file and provider (one case = one suite entry; all encryptions and exports checked):\n${tally.format()}`);
});

describe('HPKE vector file', () => {
  it('holds the 12 expected suites', () => {
    expect(VECTORS).toHaveLength(12);
    const ids = VECTORS.map((v) => `${v.mode}/${v.kem_id}/${v.kdf_id}/${v.aead_id}`).sort();
    expect(new Set(ids).size).toBe(12);
  });
});

describe.each(PROVIDERS)('HPKE RFC 9180 vectors, %s provider', (name, p) => {
  it.each(VECTORS.map((v) => [`mode ${MODE_NAMES[v.mode] ?? v.mode} aead ${v.aead_id}`, v] as const))('%s', (_label, v) => {
    let passed = false;
    try {
      expect([v.kem_id, v.kdf_id]).toEqual([0x20, 1]);
      const suite: HpkeSuite = { kem: 0x0020, kdf: 0x0001, aead: v.aead_id as HpkeAeadId };
      const e = hpkeDeriveKeyPair(p, fromHex(v.ikmE));
      const r = hpkeDeriveKeyPair(p, fromHex(v.ikmR));
      expect([toHex(e.secretKey), toHex(e.publicKey), toHex(r.secretKey), toHex(r.publicKey)]).toEqual([v.skEm, v.pkEm, v.skRm, v.pkRm]);
      const sender: HpkeSetupOptions = { ephemeralSecretKey: e.secretKey };
      const recipient: HpkeSetupOptions = {};
      let senderOpts = sender;
      let recipientOpts = recipient;
      if (v.psk !== undefined && v.psk_id !== undefined) {
        const psk = { psk: fromHex(v.psk), pskId: fromHex(v.psk_id) };
        senderOpts = { ...senderOpts, ...psk };
        recipientOpts = { ...recipientOpts, ...psk };
      }
      if (v.ikmS !== undefined) {
        const s = hpkeDeriveKeyPair(p, fromHex(v.ikmS));
        expect([toHex(s.secretKey), toHex(s.publicKey)]).toEqual([v.skSm, v.pkSm]);
        senderOpts = { ...senderOpts, senderSecretKey: s.secretKey };
        recipientOpts = { ...recipientOpts, senderPublicKey: s.publicKey };
      }
      const info = fromHex(v.info);
      const setup = hpkeSetupSender(p, suite, r.publicKey, info, senderOpts);
      expect(toHex(setup.enc)).toBe(v.enc);
      let sctx = setup.context;
      let rctx = hpkeSetupRecipient(p, suite, r.secretKey, setup.enc, info, recipientOpts);
      for (const ctx of [sctx, rctx]) {
        expect([toHex(ctx.key), toHex(ctx.baseNonce), toHex(ctx.exporterSecret)]).toEqual([v.key, v.base_nonce, v.exporter_secret]);
      }
      expect(v.encryptions).toHaveLength(257);
      for (const enc of v.encryptions) {
        const sealed = hpkeContextSeal(p, sctx, fromHex(enc.aad), fromHex(enc.pt));
        expect(toHex(sealed.ciphertext)).toBe(enc.ct);
        const opened = hpkeContextOpen(p, rctx, fromHex(enc.aad), fromHex(enc.ct));
        expect(toHex(opened.plaintext)).toBe(enc.pt);
        sctx = sealed.context;
        rctx = opened.context;
      }
      for (const x of v.exports) {
        expect(toHex(hpkeContextExport(p, sctx, fromHex(x.exporter_context), x.L))).toBe(x.exported_value);
        expect(toHex(hpkeContextExport(p, rctx, fromHex(x.exporter_context), x.L))).toBe(x.exported_value);
      }
      if (v.mode === 0) {
        const first = v.encryptions[0]!;
        const pt = p.hpkeOpen(suite, r.secretKey, fromHex(v.enc), info, fromHex(first.aad), fromHex(first.ct));
        expect(toHex(pt)).toBe(first.pt);
        for (const x of v.exports) {
          expect(toHex(p.hpkeReceiveExport(suite, r.secretKey, fromHex(v.enc), info, fromHex(x.exporter_context), x.L))).toBe(x.exported_value);
        }
      }
      passed = true;
    } finally {
      tally.add(FILE, name, passed ? 'valid-passed' : 'failed');
    }
  });
});
