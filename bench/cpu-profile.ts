/**
 * One sampling CPU profile (node:inspector) of `run`, for the profile
 * scripts: the raw profile is written to $TMPDIR/<name>.cpuprofile, and the
 * self time of each node, the parent of each node and the nodes by id are
 * returned for bucketing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** What `profileCpu` measured. */
export interface CpuProfile {
  /** Process CPU time (user + system) of `run`, in ms, profiler overhead included. */
  readonly cpuMs: number;
  readonly file: string;
  readonly byId: ReadonlyMap<number, ProfileNode>;
  readonly parent: ReadonlyMap<number, number>;
  /** Self time (µs) per node id. */
  readonly self: ReadonlyMap<number, number>;
}

/** Profiles `run` with a sampling interval of `intervalUs`. */
export async function profileCpu(name: string, intervalUs: number, run: () => Promise<void>): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(cpu0);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  const file = join(tmpdir(), `${name}.cpuprofile`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return { cpuMs: (cpu.user + cpu.system) / 1000, file, byId, parent, self };
}
