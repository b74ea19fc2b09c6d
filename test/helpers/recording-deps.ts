/**
 * A crypto provider wrapper for tests that records every secret it hands out
 * (32-byte random values, HKDF outputs, X25519 secret keys and shared
 * secrets, HPKE exporter secrets), so tests can assert that each one is wiped
 * once the state that held it is committed and its `consumed` list wiped, and
 * that temporaries are wiped at once.
 */
import type { CryptoProvider, Deps } from '../../src/crypto/index.js';
import { defaultDeps } from '../../src/crypto/index.js';

/** One secret handed out. */
export interface RecordedSecret {
  readonly method: string;
  readonly value: Uint8Array;
}

/** Deps whose provider records secrets into `log`. */
export interface RecordingDeps extends Deps {
  readonly log: RecordedSecret[];
}

/** Wraps `base` (default: the default deps) so that its provider records secrets. */
export function recordingDeps(base: Deps = defaultDeps()): RecordingDeps {
  const log: RecordedSecret[] = [];
  const inner = base.crypto;
  const note = <T extends Uint8Array>(method: string, value: T, info?: Uint8Array): T => {
    if (value.length === 32) log.push({ method: info ? `${method}(${new TextDecoder().decode(info)})` : method, value });
    return value;
  };
  const crypto: CryptoProvider = Object.create(inner) as CryptoProvider;
  Object.assign(crypto, {
    randomBytes: (length: number) => note('randomBytes', inner.randomBytes(length)),
    hkdfExtract: (salt: Uint8Array, ikm: Uint8Array) => note('hkdfExtract', inner.hkdfExtract(salt, ikm)),
    hkdfExpand: (prk: Uint8Array, info: Uint8Array, length: number) => note('hkdfExpand', inner.hkdfExpand(prk, info, length), info),
    hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => note('hkdf', inner.hkdf(ikm, salt, info, length), info),
    x25519Generate: () => {
      const pair = inner.x25519Generate();
      note('x25519Generate', pair.secretKey);
      return pair;
    },
    x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => note('x25519', inner.x25519(secretKey, publicKey)),
  });
  for (const name of ['hpkeSendExport', 'hpkeReceiveExport'] as const) {
    const original = (inner as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
    if (typeof original !== 'function') continue;
    (crypto as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const out = original.apply(inner, args);
      if (out instanceof Uint8Array) note(name, out);
      else if (out && typeof out === 'object' && (out as { secret?: unknown }).secret instanceof Uint8Array) note(name, (out as { secret: Uint8Array }).secret);
      return out;
    };
  }
  return { ...base, crypto, log };
}

/** Every Uint8Array reachable from `root` (objects, arrays, maps), by identity. */
export function reachableBytes(root: unknown, into = new Set<Uint8Array>()): Set<Uint8Array> {
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      into.add(value);
      return;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const v of value.values()) walk(v);
      return;
    }
    for (const v of Object.values(value)) walk(v);
  };
  walk(root);
  return into;
}
