/**
 * Where the time of a Secret Group commit goes: runs the owner's commit
 * (update / remove / add, as bench/mls.ts does) - or, with `recipient`,
 * member 2 processing it, or with `joiner` (add only), the added user joining
 * from its Welcome (the one path still all stock ts-mls) - many times under the V8 sampling profiler
 * (node:inspector) and prints self time bucketed by function and by file
 * (ts-mls module, groupcrypt source file, GC).
 *
 * Run: `npx tsx bench/profile-mls.ts [update|remove|add] [n] [iterations] [sender|recipient|joiner]`.
 * Writes the raw profile to $TMPDIR/groupcrypt-profile-mls-<op>-<n>[-recipient].cpuprofile
 * (open it in Chrome DevTools). The profiler inflates times; read the shares.
 */
import { profileCpu, type ProfileNode } from './cpu-profile.js';
import { commitSecretGroup, createMlsCiphersuite, joinSecretGroup, processCommit } from '../src/mls/index.js';
import { settledSecretGroup } from './mls-setup.js';


const op = process.argv[2] ?? 'update';
const n = Number(process.argv[3] ?? 128);
const iterations = Number(process.argv[4] ?? 40);
const side = process.argv[5] === 'recipient' || process.argv[5] === 'joiner' ? process.argv[5] : 'sender';
if (side === 'joiner' && op !== 'add') throw new Error('joiner: only an add has one');
const { deps, owner, recipient, joiner, inputs } = await settledSecretGroup(createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'), n);
const input = op === 'remove' ? inputs.remove : op === 'add' ? inputs.add : inputs.update;
const commit = (await commitSecretGroup(owner, input, deps)).outputs[0].document;
const once = (): Promise<unknown> => (side === 'sender' ? commitSecretGroup(owner, input, deps)
  : side === 'joiner' ? joinSecretGroup({ identity: joiner.store, group: joiner.group, commit }, deps)
  : processCommit(recipient, commit, deps));
for (let i = 0; i < 3; i++) await once();

const { cpuMs, file, byId, parent, self } = await profileCpu(`groupcrypt-profile-mls-${op}-${n}${side === 'sender' ? '' : `-${side}`}`, 100, async () => {
  for (let i = 0; i < iterations; i++) await once();
});
/** Short place of a frame: `ts-mls/<file>` for the library, `src/<file>` for ours, node internals as they are. */
const place = (f: ProfileNode): string => {
  const url = f.callFrame.url;
  if (url.includes('/node_modules/')) return url.replace(/.*\/node_modules\/(ts-mls\/dist\/src\/)?/, 'ts-mls/');
  return url.replace(/.*\/src\//, 'src/').replace(/^file:\/\//, '');
};
const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
/** Inclusive time per ts-mls / groupcrypt function (counted once per sample). */
const inclusive = new Map<string, number>();
let total = 0;
for (const [id, t] of self) {
  total += t;
  const leaf = byId.get(id) as ProfileNode;
  const name = leaf.callFrame.functionName;
  const fileKey = name === '(garbage collector)' ? 'GC' : name === '(program)' || name === '(idle)' ? '(program/idle)' : place(leaf) || '(native)';
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + t);
  const fnKey = `${name || '(anonymous)'} ${place(leaf)}:${leaf.callFrame.lineNumber + 1}`;
  byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur) as ProfileNode;
    if (!/\/src\//.test(f.callFrame.url)) continue;
    const key = `${f.callFrame.functionName || '(anonymous)'} ${place(f)}:${f.callFrame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
const show = (title: string, m: Map<string, number>, count: number): void => {
  console.log(title);
  for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`${op} ${side}, n=${n}: ${(cpuMs / iterations).toFixed(2)} ms CPU per commit under the profiler (${iterations} iterations)`);
show('self time by file', byFile, 25);
show('self time by function', byFunction, 30);
show('inclusive time (ts-mls and groupcrypt functions)', inclusive, 60);
console.log(`raw profile: ${file}`);
