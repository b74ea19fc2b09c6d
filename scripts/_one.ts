import { seededRandom } from '../test/helpers/random.js';
import { randomSpec, runSchedule } from '../test/helpers/schedules.js';
const random = seededRandom(Number(process.argv[4] ?? 0x5eed_0002));
const want = Number(process.argv[2]);
for (let i = 0; i <= want; i++) {
  const spec = randomSpec(random, (process.argv[3] ?? 'data') as 'data');
  if (i === want) { console.log(JSON.stringify(spec)); const t = performance.now(); const s = runSchedule(spec); console.log(performance.now() - t, s); }
}
