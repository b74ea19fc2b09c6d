/**
 * Times each schedule of a seed (a development aid for keeping the CI
 * schedule suites within budget): `node --import tsx scripts/time-schedules.ts data 100 [seed]`.
 * Prints the slowest schedules with their spec, so one can be replayed alone.
 */
import { seededRandom } from '../test/helpers/random.js';
import { randomSpec, runSchedule } from '../test/helpers/schedules.js';
import type { GroupScheme } from '../src/group/index.js';

const scheme = (process.argv[2] ?? 'data') as GroupScheme;
const runs = Number(process.argv[3] ?? 50);
const seed = Number(process.argv[4] ?? (scheme === 'data' ? 0x5eed_0002 : 0x5eed_0001));
const random = seededRandom(seed);
const rows: { i: number; ms: number; peers: number; ops: number; published: number; deliveries: number; spec: string }[] = [];
let total = 0;
let published = 0;
let deliveries = 0;
const cpu = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  const spec = randomSpec(random, scheme);
  const t = performance.now();
  const stats = runSchedule(spec);
  const ms = performance.now() - t;
  total += ms;
  published += stats.published;
  deliveries += stats.deliveries;
  rows.push({ i, ms: Math.round(ms), peers: spec.peers, ops: stats.ops, published: stats.published, deliveries: stats.deliveries, spec: JSON.stringify(spec) });
  if (process.env['TIME_PROGRESS']) console.log(`#${i} ${Math.round(ms)} ms peers ${spec.peers} published ${stats.published} (total ${Math.round(total / 1000)} s)`);
}
rows.sort((a, b) => b.ms - a.ms);
const used = process.cpuUsage(cpu);
console.log(`total ${Math.round(total)} ms (CPU ${Math.round((used.user + used.system) / 1000)} ms) over ${runs} ${scheme} schedules: ${published} published, ${deliveries} deliveries`);
for (const r of rows.slice(0, 15)) console.log(`#${r.i} ${r.ms} ms, ${r.peers} peers, ${r.ops} ops, ${r.published} published, ${r.deliveries} deliveries: ${r.spec}`);
