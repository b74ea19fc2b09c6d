/**
 * Primitive benchmark: ops/s of every CryptoProvider primitive for the
 * node:crypto and portable providers, plus HPKE seal+open against
 * `@hpke/core` (WebCrypto; X25519 + HKDF-SHA256 + AES-128-GCM, since
 * @hpke/chacha20poly1305 is not installed) in the same run.
 *
 * Run: `npx tsx bench/primitives.ts` (prints a table, writes
 * bench/results/primitives.json). `runPrimitivesBench()` is reusable from
 * bench/run-all.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { Bench } from 'tinybench';
import { HPKE_DEFAULT_SUITE, NodeCryptoProvider, PortableCryptoProvider, type CryptoProvider, type HpkeSuite } from '../src/crypto/index.js';

/** One measured task. */
export interface PrimitiveResult {
  readonly name: string;
  readonly provider: string;
  readonly opsPerSec: number;
  readonly meanMicros: number;
  readonly rmePercent: number;
  readonly samples: number;
}

/** Everything one run produced. */
export interface PrimitivesBenchReport {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly timePerTaskMs: number;
  readonly results: readonly PrimitiveResult[];
  readonly table: string;
}

/** Options: measuring time per task (ms) and whether to write the JSON file. */
export interface PrimitivesBenchOptions {
  readonly timeMs?: number;
  readonly write?: boolean;
  readonly outFile?: string;
}

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results', 'primitives.json');
const AES128_SUITE: HpkeSuite = { kem: 0x0020, kdf: 0x0001, aead: 0x0001 };

function providerTasks(p: CryptoProvider): readonly (readonly [string, () => unknown])[] {
  const kib = p.randomBytes(1024);
  const small = p.randomBytes(64);
  const key32 = p.randomBytes(32);
  const key16 = p.randomBytes(16);
  const nonce12 = p.randomBytes(12);
  const nonce24 = p.randomBytes(24);
  const alice = p.x25519Generate();
  const bob = p.x25519Generate();
  const ed = p.ed25519Generate();
  const edSig = p.ed25519Sign(ed.secretKey, small);
  const xSig = p.xeddsaSign(alice.secretKey, small);
  const sealedChacha = p.aeadSeal('chacha20-poly1305', key32, nonce12, kib);
  const info = p.randomBytes(16);
  return [
    ['sha256 1KiB', () => p.sha256(kib)],
    ['hmacSha256 64B', () => p.hmacSha256(key32, small)],
    ['hkdf 32B->32B', () => p.hkdf(key32, small, info, 32)],
    ['hkdfExpand 64B', () => p.hkdfExpand(key32, info, 64)],
    ['x25519 generate (fresh key)', () => p.x25519Generate()],
    ['x25519 DH (known keys)', () => p.x25519(alice.secretKey, bob.publicKey)],
    ['ed25519 sign 64B', () => p.ed25519Sign(ed.secretKey, small)],
    ['ed25519 verify 64B', () => p.ed25519Verify(ed.publicKey, small, edSig)],
    ['xeddsa sign 64B', () => p.xeddsaSign(alice.secretKey, small)],
    ['xeddsa verify 64B', () => p.xeddsaVerify(alice.publicKey, small, xSig)],
    ['chacha20-poly1305 seal 1KiB', () => p.aeadSeal('chacha20-poly1305', key32, nonce12, kib)],
    ['chacha20-poly1305 open 1KiB', () => p.aeadOpen('chacha20-poly1305', key32, nonce12, sealedChacha)],
    ['xchacha20-poly1305 seal 1KiB', () => p.aeadSeal('xchacha20-poly1305', key32, nonce24, kib)],
    ['aes-128-gcm seal 1KiB', () => p.aeadSeal('aes-128-gcm', key16, nonce12, kib)],
    ['aes-256-gcm seal 1KiB', () => p.aeadSeal('aes-256-gcm', key32, nonce12, kib)],
    ['hpke seal+open chacha 64B', () => {
      const s = p.hpkeSeal(HPKE_DEFAULT_SUITE, bob.publicKey, info, info, small);
      return p.hpkeOpen(HPKE_DEFAULT_SUITE, bob.secretKey, s.enc, info, info, s.ciphertext);
    }],
    ['hpke seal+open aes128 64B', () => {
      const s = p.hpkeSeal(AES128_SUITE, bob.publicKey, info, info, small);
      return p.hpkeOpen(AES128_SUITE, bob.secretKey, s.enc, info, info, s.ciphertext);
    }],
  ];
}

async function hpkeCoreTask(): Promise<() => Promise<unknown>> {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
  const recipient = await suite.kem.generateKeyPair();
  const info = new Uint8Array(16).fill(1);
  const msg = new Uint8Array(64).fill(2);
  return async () => {
    const { ct, enc } = await suite.seal({ recipientPublicKey: recipient.publicKey, info }, msg, info);
    return suite.open({ recipientKey: recipient, enc, info }, ct, info);
  };
}

function formatTable(results: readonly PrimitiveResult[]): string {
  const names = [...new Set(results.map((r) => r.name))];
  const ops = (name: string, provider: string): number | undefined => results.find((r) => r.name === name && r.provider === provider)?.opsPerSec;
  const fmt = (v: number | undefined): string => (v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
  const lines = [`${'primitive'.padEnd(32)}${'node ops/s'.padStart(14)}${'portable ops/s'.padStart(16)}${'@hpke/core'.padStart(13)}${'node/portable'.padStart(15)}`];
  for (const name of names) {
    const n = ops(name, 'node');
    const p = ops(name, 'portable');
    const h = ops(name, '@hpke/core');
    const ratio = n !== undefined && p !== undefined ? `${(n / p).toFixed(1)}x` : '-';
    lines.push(`${name.padEnd(32)}${fmt(n).padStart(14)}${fmt(p).padStart(16)}${fmt(h).padStart(13)}${ratio.padStart(15)}`);
  }
  return lines.join('\n');
}

/**
 * Runs the primitive benchmark and returns (and by default writes) the report.
 * @example
 * const report = await runPrimitivesBench({ timeMs: 200, write: false });
 * console.log(report.table);
 */
export async function runPrimitivesBench(options: PrimitivesBenchOptions = {}): Promise<PrimitivesBenchReport> {
  const timeMs = options.timeMs ?? 250;
  const bench = new Bench({ time: timeMs, warmupTime: 50, throws: true });
  const providers: readonly CryptoProvider[] = [new NodeCryptoProvider(), new PortableCryptoProvider()];
  const labels = new Map<string, { name: string; provider: string }>();
  for (const p of providers) {
    for (const [name, fn] of providerTasks(p)) {
      const id = `${p.name}: ${name}`;
      labels.set(id, { name, provider: p.name });
      bench.add(id, fn);
    }
  }
  const hpkeCore = await hpkeCoreTask();
  const hpkeId = '@hpke/core: hpke seal+open aes128 64B';
  labels.set(hpkeId, { name: 'hpke seal+open aes128 64B', provider: '@hpke/core' });
  bench.add(hpkeId, hpkeCore);
  await bench.run();
  const results: PrimitiveResult[] = [];
  for (const task of bench.tasks) {
    const label = labels.get(task.name);
    const result = task.result as { state?: string; throughput?: { mean: number }; latency?: { mean: number; rme: number; samplesCount?: number }; totalTime?: number; runtime?: string };
    if (label === undefined || result.latency === undefined || result.throughput === undefined) throw new Error(`benchmark task ${task.name} has no result`);
    results.push({
      ...label,
      opsPerSec: 1000 / result.latency.mean,
      meanMicros: result.latency.mean * 1000,
      rmePercent: result.latency.rme,
      samples: result.latency.samplesCount ?? 0,
    });
  }
  const report: PrimitivesBenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    timePerTaskMs: timeMs,
    results,
    table: formatTable(results),
  };
  if (options.write !== false) {
    const file = options.outFile ?? RESULTS_FILE;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...report, table: undefined }, null, 2)}\n`);
  }
  return report;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const started = Date.now();
  const report = await runPrimitivesBench();
  console.log(report.table);
  console.log(`\n${report.results.length} tasks in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${RESULTS_FILE}`);
}
