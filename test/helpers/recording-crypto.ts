/**
 * A CryptoProvider wrapper that keeps every secret-bearing array the provider hands out (HKDF outputs, DH outputs,
 * generated secret keys, HPKE exports, AEAD plaintexts), so a test can assert that a layer wiped each one it did
 * not keep in its returned state.
 */
import type { CryptoProvider } from '../../src/crypto/index.js';

interface Handed { readonly method: string; readonly bytes: Uint8Array }

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

export class RecordingCrypto {
  private handed: Handed[] = [];
  /** Use this as `deps.crypto`. */
  readonly provider: CryptoProvider;

  constructor(inner: CryptoProvider) {
    const keep = (method: string, bytes: Uint8Array): Uint8Array => {
      if (bytes.length > 0) this.handed.push({ method, bytes });
      return bytes;
    };
    const wrapped: Partial<Record<keyof CryptoProvider, unknown>> = {
      hkdf: (...a: Parameters<CryptoProvider['hkdf']>) => keep('hkdf', inner.hkdf(...a)),
      hkdfExtract: (...a: Parameters<CryptoProvider['hkdfExtract']>) => keep('hkdfExtract', inner.hkdfExtract(...a)),
      hkdfExpand: (...a: Parameters<CryptoProvider['hkdfExpand']>) => keep('hkdfExpand', inner.hkdfExpand(...a)),
      x25519: (...a: Parameters<CryptoProvider['x25519']>) => keep('x25519', inner.x25519(...a)),
      x25519Generate: () => {
        const pair = inner.x25519Generate();
        keep('x25519Generate', pair.secretKey);
        return pair;
      },
      hpkeSendExport: (...a: Parameters<CryptoProvider['hpkeSendExport']>) => {
        const out = inner.hpkeSendExport(...a);
        keep('hpkeSendExport', out.secret);
        return out;
      },
      hpkeReceiveExport: (...a: Parameters<CryptoProvider['hpkeReceiveExport']>) => keep('hpkeReceiveExport', inner.hpkeReceiveExport(...a)),
      aeadOpen: (...a: Parameters<CryptoProvider['aeadOpen']>) => keep('aeadOpen', inner.aeadOpen(...a)),
    };
    this.provider = new Proxy(inner, {
      get(target, property, receiver) {
        if (typeof property === 'string' && Object.hasOwn(wrapped, property)) return wrapped[property as keyof CryptoProvider];
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Forgets what was recorded so far. */
  reset(): void {
    this.handed = [];
  }

  /** How many secret arrays were handed out since the last reset. */
  count(): number {
    return this.handed.length;
  }

  /** The methods whose outputs still hold non-zero bytes, leaving out the arrays in `kept` (by identity). */
  nonZero(kept: readonly Uint8Array[] = []): string[] {
    const keptSet = new Set(kept);
    return this.handed.filter((h) => !keptSet.has(h.bytes) && !allZero(h.bytes)).map((h) => h.method);
  }
}
