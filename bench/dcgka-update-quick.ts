/**
 * Only the update row of the DCGKA benchmark, at one n (default 128), beside
 * its floor measured in alternation (as bench/dcgka.ts does), plus where the
 * bytes go: the update's broadcast, its direct parts, one ack.
 *
 * Run: `node --import tsx bench/dcgka-update-quick.ts [n] [samples]`.
 */
import { NodeCryptoProvider, type Deps } from '../src/crypto/index.js';
import { processControl, update } from '../src/dcgka/index.js';
import type { DcgkaResult, DcgkaState, OutgoingControl } from '../src/dcgka/index.js';
import { makeUsers, runSample, settleGroup, type BenchMember, type Clock, type DcgkaSample } from './dcgka-harness.js';
import { floorSample, makeFloor } from './dcgka-extra.js';

const n = Number(process.argv[2] ?? 128);
const samples = Number(process.argv[3] ?? 12);
const deps: Deps = { crypto: new NodeCryptoProvider(), now: () => Math.floor(Date.now() / 1000) };
const clock: Clock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const group = settleGroup(makeUsers(deps, n));
const floor = makeFloor(deps, n);

const controlOf = (r: DcgkaResult): OutgoingControl => {
  const out = r.outputs.find((o) => o.kind === 'control');
  if (!out || out.kind !== 'control') throw new Error('no control output');
  return out.control;
};
const m0 = group.members[0] as BenchMember;
const m2 = group.members[2] as BenchMember;
const sent = controlOf(update(m0.state as DcgkaState, { deps, keys: m0.keys, registry: m0.registry }));
const direct = sent.direct.find((d) => d.recipient === m2.id);
const ack = controlOf(processControl(m2.state as DcgkaState, { deps, keys: m2.keys, registry: m2.registry }, { broadcast: sent.broadcast, ...(direct ? { direct: direct.bytes } : {}) }));
const directBytes = sent.direct.reduce((s, d) => s + d.bytes.length, 0);
console.log(`update n=${n}: broadcast ${sent.broadcast.length} B, ${sent.direct.length} direct parts of ${direct?.bytes.length ?? 0} B (total ${directBytes} B); one ack ${ack.broadcast.length} B (+${ack.direct.length} direct)`);

for (let i = 0; i < 2; i++) {
  floorSample(deps, floor, clock);
  runSample(group, 'update', clock);
}
const ours: DcgkaSample[] = [];
const floors: DcgkaSample[] = [];
for (let i = 0; i < samples; i++) {
  floors.push(floorSample(deps, floor, clock));
  ours.push(runSample(group, 'update', clock));
}
const mean = (all: DcgkaSample[], f: (s: DcgkaSample) => number): number => all.reduce((a, s) => a + f(s), 0) / all.length;
const sender = (s: DcgkaSample): number => s.senderGenMs + s.senderAckMs;
const fmt = (v: number): string => v.toFixed(3);
console.log(`bytes ${mean(ours, (s) => s.bytes).toFixed(0)} (target ≤ 30000)`);
console.log(`recipientProcMs ${fmt(mean(ours, (s) => s.recipientProcMs))} (target ≤ 0.233; floor ${fmt(mean(floors, (s) => s.recipientProcMs))})`);
console.log(`recipientAckMs ${fmt(mean(ours, (s) => s.recipientAckMs))} (floor ${fmt(mean(floors, (s) => s.recipientAckMs))})`);
console.log(`senderMs ${fmt(mean(ours, sender))} = gen ${fmt(mean(ours, (s) => s.senderGenMs))} + acks ${fmt(mean(ours, (s) => s.senderAckMs))}; floor ${fmt(mean(floors, sender))} = gen ${fmt(mean(floors, (s) => s.senderGenMs))} + acks ${fmt(mean(floors, (s) => s.senderAckMs))}; ratio ${(mean(ours, sender) / mean(floors, sender)).toFixed(2)}× (target ≤ 1.2×)`);
const peerKeysMs = mean(floors, (s) => s.peerKeysMs ?? 0);
console.log(`2SM design floor (floor + the peer's next public key per recipient, ${fmt(peerKeysMs)} ms): ${fmt(mean(floors, sender) + peerKeysMs)}; ratio ${(mean(ours, sender) / (mean(floors, sender) + peerKeysMs)).toFixed(2)}×`);
console.log(`recipientProc primitives (floor's open + sign + the control signature check): ${fmt(mean(floors, (s) => s.recipientProcMs + (s.controlCheckMs ?? 0)))}`);
