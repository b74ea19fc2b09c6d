/**
 * Encryption-scheme benchmark (data and message schemes through the Group
 * API, Node provider):
 *  - wire overhead of an application message over its plaintext (signature included);
 *  - encrypt+decrypt throughput for 1 KiB and 1 MiB payloads against raw
 *    native ChaCha20-Poly1305 (node:crypto seal + open) in the same run, plus the
 *    scheme layer alone (no envelope, no signature) to show where time goes;
 *  - the floor of one message, measured in the same run (issue 13,
 *    BENCHMARKS.md): what any signed AEAD message costs at the least —
 *    ChaCha20-Poly1305 seal and open, one SHA-256 pass over the ciphertext on
 *    each side (the sender hashes what it signs, the receiver what it
 *    verifies), an Ed25519 signature and its verification (KeyObjects created
 *    once). The 1 MiB floor leaves the signatures out ("AEAD + one hash pass").
 *    Targets: 1 KiB send + receive ≤ 1.5 × floor; 1 MiB ≥ 0.8 × floor (throughput).
 *
 * Times are CPU µs of this process (other processes on a shared machine do
 * not count), median per call, each task in its own block after a warm-up
 * and a full garbage collection.
 *
 * Run: `npx tsx bench/schemes.ts` (prints a table, writes bench/results/schemes.json).
 * `runSchemesBench()` is reused by bench/run-all.ts.
 */
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NodeCryptoProvider, encodeCanonical, toHex } from '../src/crypto/index.js';
import type { Deps } from '../src/crypto/index.js';
import { applyUpdateSecret as dataSecret, createDataState, decryptData, encryptData } from '../src/data/index.js';
import { createGroup, joinGroup, receive, send } from '../src/group/index.js';
import type { GroupResult, GroupScheme, GroupState } from '../src/group/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../src/keys/index.js';
import { applyUpdateSecret as messageSecret, createMessageState, decryptMessage, encryptMessage } from '../src/message/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One result row. */
export interface SchemeRow {
  readonly scheme: GroupScheme;
  readonly payload: number;
  /** Median µs of one send + receive through the Group API. */
  readonly groupMicros: number;
  /** Median µs of one scheme-layer encrypt + decrypt (no envelope, no signature). */
  readonly layerMicros: number;
  /** Median µs of one raw node:crypto ChaCha20-Poly1305 seal + open. */
  readonly rawMicros: number;
  /** Median µs of the floor of one message (seal + open, a SHA-256 pass per side; 1 KiB: also Ed25519 sign + verify). */
  readonly floorMicros: number;
  /** Floor time / group API time (1 = as fast as the floor). */
  readonly floorRatio: number;
  /** Throughput ratios vs raw (1 = as fast as raw). */
  readonly groupRatio: number;
  readonly layerRatio: number;
}

/** Everything one run produced. */
export interface SchemesBenchReport {
  readonly date: string;
  readonly overhead: readonly { readonly scheme: GroupScheme; readonly plaintext: number; readonly wireBytes: number; readonly overheadBytes: number; readonly counter: number }[];
  readonly rows: readonly SchemeRow[];
  readonly table: string;
  readonly targets: readonly string[];
}

interface Member { id: string; keys: KeyManagerState; registry: KeyRegistryState; state?: GroupState }

function pair(deps: Deps, scheme: GroupScheme): { a: Member; b: Member } {
  const mk = (): Member => {
    const keys = createKeyManager(deps);
    return { id: toHex(identityOf(keys).publicKey), keys, registry: createKeyRegistry() };
  };
  const a = mk();
  const b = mk();
  a.registry = registerBundle(a.registry, longTermBundle(b.keys), deps);
  b.registry = registerBundle(b.registry, longTermBundle(a.keys), deps);
  const take = (m: Member, r: GroupResult): Uint8Array[] => {
    m.state = r.state;
    m.keys = r.keys;
    m.registry = r.registry;
    return r.outputs.flatMap((o) => (o.kind === 'send' ? [o.message.broadcast, ...o.message.direct.map((d) => d.bytes)] : []));
  };
  const created = createGroup({ deps, keys: a.keys, registry: a.registry }, { scheme, members: [b.id] });
  const out = created.outputs[0];
  take(a, created);
  if (out?.kind !== 'send') throw new Error('no create');
  const joined = joinGroup({ deps, keys: b.keys, registry: b.registry }, { scheme, message: { broadcast: out.message.broadcast, direct: out.message.direct[0]!.bytes } });
  const ack = joined.outputs.find((o) => o.kind === 'send');
  take(b, joined);
  if (ack?.kind === 'send') {
    const direct = ack.message.direct.find((d) => d.recipient === a.id)?.bytes;
    take(a, receive(a.state!, { deps, keys: a.keys, registry: a.registry }, { broadcast: ack.message.broadcast, ...(direct ? { direct } : {}) }));
  }
  return { a, b };
}

function sendOnce(deps: Deps, a: Member, plaintext: Uint8Array): Uint8Array {
  const r = send(a.state!, { deps, keys: a.keys, registry: a.registry }, { plaintext });
  a.state = r.state;
  const o = r.outputs[0];
  if (o?.kind !== 'send') throw new Error('no send');
  return o.message.broadcast;
}

function receiveOnce(deps: Deps, b: Member, bytes: Uint8Array): void {
  const r = receive(b.state!, { deps, keys: b.keys, registry: b.registry }, { broadcast: bytes });
  b.state = r.state;
  if (r.outputs[0]?.kind !== 'application') throw new Error('not decrypted');
}

/** A task timed per call. */
interface Task {
  readonly run: () => void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** CPU time of this process in µs: other processes on a shared machine do not count (as in the DCGKA and MLS benches). */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** A full garbage collection (V8's gc function, exposed at run time). */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Times each task in CPU time (robust against the other processes of a
 * shared machine) in its own block after a warm-up, so that the garbage a
 * task makes is collected on its own time, and returns each one's median µs.
 */
function timeTasks(iterations: number, tasks: readonly Task[]): number[] {
  return tasks.map((t) => {
    collectGarbage(); // the garbage of the block before is not billed to this one
    for (let i = 0; i < Math.min(20, iterations); i++) t.run();
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = cpuMicros();
      t.run();
      samples.push(cpuMicros() - start);
    }
    return median(samples);
  });
}

/** A raw ChaCha20-Poly1305 seal with node:crypto. */
function rawSeal(key: Uint8Array, nonce: Uint8Array, payload: Uint8Array): { ct: Buffer; tag: Buffer } {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  const ct = c.update(payload);
  c.final();
  return { ct, tag: c.getAuthTag() };
}

/** A raw ChaCha20-Poly1305 open with node:crypto (throws on a bad tag). */
function rawOpen(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, tag: Uint8Array): void {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(tag);
  d.update(ct);
  d.final();
}

function rawTask(payload: Uint8Array): Task {
  const key = randomBytes(32);
  return {
    run: () => {
      const nonce = randomBytes(12);
      const { ct, tag } = rawSeal(key, nonce, payload);
      rawOpen(key, nonce, ct, tag);
    },
  };
}

/**
 * The floor of one signed message: seal, hash the ciphertext, (sign the
 * digest with its context); hash again, (verify), open — each side does its
 * own hash pass. Keys are KeyObjects created once, as a fast path would.
 */
function floorTask(payload: Uint8Array, withSignatures: boolean): Task {
  const key = randomBytes(32);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const context = new Uint8Array(96).fill(7);
  return {
    run: () => {
      const nonce = randomBytes(12);
      const { ct, tag } = rawSeal(key, nonce, payload);
      const sent = createHash('sha256').update(ct).update(tag).digest();
      const signature = withSignatures ? sign(null, Buffer.concat([context, sent]), privateKey) : undefined;
      const received = createHash('sha256').update(ct).update(tag).digest();
      if (signature && !verify(null, Buffer.concat([context, received]), publicKey, signature)) throw new Error('floor: bad signature');
      rawOpen(key, nonce, ct, tag);
    },
  };
}

function layerTask(deps: Deps, scheme: GroupScheme, payload: Uint8Array): Task {
  const A = 'aa'.repeat(32);
  const secret = new Uint8Array(32).fill(9);
  const aad = (e: number, c: number): Uint8Array => encodeCanonical([e, c]);
  if (scheme === 'message') {
    let s = messageSecret(createMessageState(), { member: A, epoch: 0, secret }, deps).state;
    let r = s;
    return {
      run: () => {
        const sealed = encryptMessage(s, { sender: A, plaintext: payload, aad }, deps);
        s = sealed.state;
        r = decryptMessage(r, { sender: A, epoch: sealed.epoch, counter: sealed.counter, ciphertext: sealed.ciphertext, aad: aad(sealed.epoch, sealed.counter) }, deps).state;
      },
    };
  }
  let s = dataSecret(createDataState(), { member: A, epoch: 0, secret }, deps).state;
  const r = s;
  return {
    run: () => {
      const sealed = encryptData(s, { sender: A, plaintext: payload, aad }, deps);
      s = sealed.state;
      decryptData(r, { sender: A, epoch: sealed.epoch, counter: sealed.counter, nonce: sealed.nonce, ciphertext: sealed.ciphertext, aad: aad(sealed.epoch, sealed.counter) }, deps);
    },
  };
}

/**
 * Runs the benchmark and writes bench/results/schemes.json.
 * @example const report = await runSchemesBench({ quick: true });
 */
export async function runSchemesBench(options: { readonly quick?: boolean; readonly log?: (line: string) => void } = {}): Promise<SchemesBenchReport> {
  const deps: Deps = { crypto: new NodeCryptoProvider(), now: () => Math.floor(Date.now() / 1000) };
  const log = options.log ?? (() => undefined);
  const overhead: SchemesBenchReport['overhead'][number][] = [];
  const rows: SchemeRow[] = [];
  for (const scheme of ['message', 'data'] as const) {
    const { a, b } = pair(deps, scheme);
    for (const size of [0, 32, 1024]) {
      const bytes = sendOnce(deps, a, new Uint8Array(size));
      receiveOnce(deps, b, bytes);
      overhead.push({ scheme, plaintext: size, wireBytes: bytes.length, overheadBytes: bytes.length - size, counter: overhead.filter((o) => o.scheme === scheme).length });
    }
    for (const size of [1024, 1024 * 1024]) {
      const iterations = size > 4096 ? (options.quick ? 10 : 120) : options.quick ? 300 : 2000;
      log(`  ${scheme} ${size} B × ${iterations}`);
      const payload = new Uint8Array(randomBytes(size));
      const groupTask: Task = { run: () => receiveOnce(deps, b, sendOnce(deps, a, payload)) };
      const tasks = [rawTask(payload), groupTask, layerTask(deps, scheme, payload), floorTask(payload, size <= 4096)];
      const [raw, group, layer, floor] = timeTasks(iterations, tasks) as [number, number, number, number];
      rows.push({ scheme, payload: size, groupMicros: group, layerMicros: layer, rawMicros: raw, floorMicros: floor, groupRatio: raw / group, layerRatio: raw / layer, floorRatio: floor / group });
    }
  }
  const lines = [
    'overhead (bytes on the wire over the plaintext, signature included):',
    ...overhead.map((o) => `  ${o.scheme.padEnd(8)} plaintext ${String(o.plaintext).padStart(5)} B -> ${String(o.wireBytes).padStart(5)} B  overhead ${o.overheadBytes} B`),
    'throughput (encrypt+decrypt, median CPU µs per payload; ratio = raw time / our time; floor: seal + open + a SHA-256 pass per side, 1 KiB also Ed25519 sign + verify):',
    '  scheme   payload   group API  ratio   scheme layer  ratio   raw chacha20-poly1305   floor   group/floor',
    ...rows.map((r) => `  ${r.scheme.padEnd(8)} ${String(r.payload).padStart(8)} ${r.groupMicros.toFixed(1).padStart(10)} ${r.groupRatio.toFixed(2).padStart(6)} ${r.layerMicros.toFixed(1).padStart(14)} ${r.layerRatio.toFixed(2).padStart(6)} ${r.rawMicros.toFixed(1).padStart(12)} ${r.floorMicros.toFixed(1).padStart(17)} ${(r.groupMicros / r.floorMicros).toFixed(2).padStart(12)}×`),
  ];
  const msg32 = overhead.find((o) => o.scheme === 'message' && o.plaintext === 32);
  const data32 = overhead.find((o) => o.scheme === 'data' && o.plaintext === 32);
  const kib = rows.filter((r) => r.payload === 1024);
  const mib = rows.filter((r) => r.payload === 1024 * 1024);
  const mark = (ok: boolean): string => (ok ? '[ met]' : '[MISS]');
  const targets = [
    `${mark(msg32 !== undefined && msg32.overheadBytes <= 96)} message scheme overhead ${msg32?.overheadBytes} B (goal ≤ 96)`,
    `${mark(msg32 !== undefined && msg32.wireBytes <= 128)} 32-byte plaintext on the wire: message ${msg32?.wireBytes} B, data ${data32?.wireBytes} B (target ≤ 128; dcgka-java 171)`,
    ...kib.map((r) => `${mark(r.groupMicros <= 1.5 * r.floorMicros)} 1 KiB ${r.scheme}: send + receive ${r.groupMicros.toFixed(1)} µs = ${(r.groupMicros / r.floorMicros).toFixed(2)}× the floor ${r.floorMicros.toFixed(1)} µs (target ≤ 1.5×; raw AEAD ${r.rawMicros.toFixed(1)} µs)`),
    ...mib.map((r) => `${mark(r.floorRatio >= 0.8)} 1 MiB ${r.scheme}: group API ${r.floorRatio.toFixed(2)}× the floor's throughput (floor ${r.floorMicros.toFixed(0)} µs, ours ${r.groupMicros.toFixed(0)} µs; target ≥ 0.8×); ${r.groupRatio.toFixed(2)}× raw AEAD, scheme layer ${r.layerRatio.toFixed(2)}× raw`),
  ];
  const report: SchemesBenchReport = { date: new Date().toISOString(), overhead, rows, table: lines.join('\n'), targets };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'schemes.json'), `${JSON.stringify({ date: report.date, overhead, rows, targets }, null, 2)}\n`);
  return report;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const report = await runSchemesBench({ quick: process.argv.includes('--quick'), log: (l) => process.stderr.write(`${l}\n`) });
  console.log(report.table);
  console.log(report.targets.join('\n'));
}
