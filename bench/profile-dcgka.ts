/**
 * Where the time of a DCGKA update goes: runs one timed part of the update
 * benchmark many times under the V8 sampling profiler (node:inspector) and
 * prints self time bucketed by the outermost CryptoProvider method on the
 * stack (`crypto: x25519Generate`, …), else by the groupcrypt source file,
 * CBOR, or GC.
 *
 * Run: `npx tsx bench/profile-dcgka.ts [gen|proc|sack|rack] [n] [iterations]`
 * (gen = member 0's update call, proc = member 2 processing it with its ack,
 * sack = member 0 processing all acks, rack = member 2 processing the others'
 * acks). Writes the raw profile to $TMPDIR/groupcrypt-profile-<part>-<n>.cpuprofile
 * (open it in Chrome DevTools). The profiler inflates times; read the shares.
 */
import { NodeCryptoProvider, type Deps } from '../src/crypto/index.js';
import { profileCpu, type ProfileNode } from './cpu-profile.js';
import { processControl, update } from '../src/dcgka/index.js';
import type { DcgkaResult, DcgkaState, IncomingControl, OutgoingControl } from '../src/dcgka/index.js';
import { makeUsers, settleGroup, type BenchMember } from './dcgka-harness.js';


const part = process.argv[2] ?? 'gen';
const n = Number(process.argv[3] ?? 128);
const iterations = Number(process.argv[4] ?? (part === 'proc' ? 300 : n > 256 ? 2 : 20));
const deps: Deps = { crypto: new NodeCryptoProvider(), now: () => Math.floor(Date.now() / 1000) };
const group = settleGroup(makeUsers(deps, n));
const control = (r: DcgkaResult): OutgoingControl => {
  const out = r.outputs.find((o) => o.kind === 'control');
  if (!out || out.kind !== 'control') throw new Error('no control output');
  return out.control;
};
const incoming = (c: OutgoingControl, id: string): IncomingControl => {
  const d = c.direct.find((x) => x.recipient === id);
  return d ? { broadcast: c.broadcast, direct: d.bytes } : { broadcast: c.broadcast };
};
const ctx = (m: { keys: BenchMember['keys']; registry: BenchMember['registry'] }) => ({ deps, keys: m.keys, registry: m.registry });
const m0 = group.members[0] as BenchMember;
const m2 = group.members[2] as BenchMember;
const sent = update(m0.state as DcgkaState, ctx(m0));
const acks: OutgoingControl[] = [];
let atTwo: DcgkaResult | undefined;
for (const m of group.members.slice(1)) {
  const r = processControl(m.state as DcgkaState, ctx(m), incoming(control(sent), m.id));
  if (m === m2) atTwo = r;
  acks.push(control(r));
}
function processAcks(from: DcgkaResult, me: string): void {
  let cur = from;
  for (const a of acks) if (a.message.sender !== me) cur = processControl(cur.state, ctx(cur), incoming(a, me));
}
const once = (): unknown => {
  if (part === 'gen') return update(m0.state as DcgkaState, ctx(m0));
  if (part === 'proc') return processControl(m2.state as DcgkaState, ctx(m2), incoming(control(sent), m2.id));
  if (part === 'sack') return processAcks(sent, m0.id);
  return processAcks(atTwo as DcgkaResult, m2.id);
};
for (let i = 0; i < Math.min(3, iterations); i++) once();

const { cpuMs, file, byId, parent, self } = await profileCpu(`groupcrypt-profile-${part}-${n}`, 200, async () => {
  for (let i = 0; i < iterations; i++) once();
});
const isCrypto = (url: string): boolean => /src\/crypto\/(node\/|noble\/|hpke|xeddsa)/.test(url);
const buckets = new Map<string, number>();
let total = 0;
for (const [id, t] of self) {
  total += t;
  const chain: ProfileNode[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) chain.push(byId.get(cur) as ProfileNode);
  const leaf = (chain[0] as ProfileNode).callFrame.functionName;
  const outer = [...chain].reverse().find((f) => isCrypto(f.callFrame.url));
  const src = chain.find((f) => /\/src\/|cborg/.test(f.callFrame.url));
  const key = leaf === '(garbage collector)' ? 'GC'
    : leaf === '(idle)' || leaf === '(program)' ? '(idle/program)'
      : outer ? `crypto: ${outer.callFrame.functionName}`
        : src ? (/cborg/.test(src.callFrame.url) ? 'cborg (CBOR)' : src.callFrame.url.replace(/.*\/src\//, 'src/'))
          : 'other (runtime)';
  buckets.set(key, (buckets.get(key) ?? 0) + t);
}
console.log(`update ${part}, n=${n}: ${(cpuMs / iterations).toFixed(2)} ms CPU per iteration under the profiler (${iterations} iterations)`);
for (const [k, v] of [...buckets.entries()].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
  console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
}
console.log(`raw profile: ${file}`);
