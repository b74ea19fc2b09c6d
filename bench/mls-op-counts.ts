/**
 * Counts of ciphersuite calls (HPKE seals, key derivations, hashes, KDF
 * expands, signatures) per Secret Group op at one n, sender and recipient,
 * on the same setup as bench/mls.ts: the work each op does, free of the
 * machine's noise. Used to tell "more work" from "measured later" when two
 * ops' times differ (e.g. remove vs update: remove seals one path secret
 * less, to the same tree).
 *
 * Counts are of the second run of each op (the first warms the caches).
 *
 * Run: `npx tsx bench/mls-op-counts.ts [n]` (default 128).
 */
import type { CiphersuiteImpl } from 'ts-mls';
import { commitSecretGroup, createMlsCiphersuite, processCommit } from '../src/mls/index.js';
import { settledSecretGroup } from './mls-setup.js';

const n = Number(process.argv[2] ?? 128);
const counts = new Map<string, number>();

/** `target` with every method call counted under `<name>.<method>`. */
function counted<T extends object>(name: string, target: T): T {
  return new Proxy(target, {
    get(t, property, receiver) {
      const value: unknown = Reflect.get(t, property, receiver);
      if (typeof value !== 'function') return value;
      const key = `${name}.${String(property)}`;
      return (...args: unknown[]): unknown => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

const base = createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519');
const mls: CiphersuiteImpl = {
  ...base, hash: counted('hash', base.hash), hpke: counted('hpke', base.hpke), kdf: counted('kdf', base.kdf), signature: counted('signature', base.signature),
};
const { deps, owner, recipient, inputs } = await settledSecretGroup(mls, n);
const columns = new Map<string, ReadonlyMap<string, number>>();
for (const [op, input] of Object.entries(inputs)) {
  // Warm run first, as bench/mls.ts's warm-up: the tree-hash caches then hold the unchanged subtrees.
  await processCommit(recipient, (await commitSecretGroup(owner, input, deps)).outputs[0].document, deps);
  counts.clear();
  const commit = await commitSecretGroup(owner, input, deps);
  columns.set(`${op} sender`, new Map(counts));
  counts.clear();
  await processCommit(recipient, commit.outputs[0].document, deps);
  columns.set(`${op} recipient`, new Map(counts));
}
const calls = [...new Set([...columns.values()].flatMap((c) => [...c.keys()]))].sort();
console.log(`calls per op, n=${n}`);
console.log(`${'call'.padEnd(26)}${[...columns.keys()].map((k) => k.padStart(18)).join('')}`);
for (const call of calls) console.log(`${call.padEnd(26)}${[...columns.values()].map((c) => String(c.get(call) ?? 0).padStart(18)).join('')}`);
