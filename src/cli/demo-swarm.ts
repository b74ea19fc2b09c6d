/**
 * `groupcrypt demo --swarm`: the demo's story on Hyperswarm. The demo starts
 * a local DHT (three nodes on 127.0.0.1, never the public DHT) and runs
 * every peer as its own `groupcrypt serve --swarm` process, talking to them
 * through their stdin/stdout exactly as an application would:
 *
 *  1. five peers go online; alice creates a group and adds bob, carol, dave;
 *  2. dave goes offline and, offline, removes carol; concurrently, online,
 *     alice adds erin (neither knows about the other's change);
 *  3. dave comes back: everyone converges; carol learns she was removed;
 *  4. alice writes; carol cannot read it; erin, the late joiner, reads the
 *     history from before she joined (data scheme).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';
import type { Output } from './output.js';
import { short } from './output.js';

type Json = Record<string, unknown>;
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const PEERS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
type Name = (typeof PEERS)[number];

/** A `groupcrypt` process of one peer, read line by line. */
class Proc {
  readonly lines: Json[] = [];
  readonly exited: Promise<number | null>;
  private wake: Array<() => void> = [];
  readonly child: ChildProcess;

  constructor(args: readonly string[], onLine: (line: Json) => void = () => undefined) {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('GROUPCRYPT_')) delete env[key];
    this.child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      try {
        const line = JSON.parse(text) as Json;
        this.lines.push(line);
        onLine(line);
      } catch {
        // not JSON: ignored
      }
      for (const wake of this.wake.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      resolve(code);
      for (const wake of this.wake.splice(0)) wake();
    }));
  }

  async until(match: (line: Json) => boolean, from = 0, ms = 60_000): Promise<Json> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new InternalError('INTERNAL', 'a demo peer stopped answering');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Runs the swarm demo, narrating on `out`. */
export async function runSwarmDemo(out: Output, options: { readonly keep: string | undefined }): Promise<void> {
  const say = (line = ''): void => out.info(line);
  const started = Date.now();
  const root = options.keep ?? (await mkdtemp(join(tmpdir(), 'groupcrypt-swarm-demo-')));
  await mkdir(root, { recursive: true });
  const specifier = 'hyperdht/testnet.js';
  const createTestnet = ((await import(specifier)) as { default: (n: number, o: { host: string }) => Promise<{ bootstrap: Array<{ host: string; port: number }>; destroy(): Promise<void> }> }).default;
  const testnet = await createTestnet(3, { host: '127.0.0.1' });
  const bootstrap = testnet.bootstrap.map((node) => `${node.host}:${node.port}`).join(',');
  const topic = `groupcrypt-demo-${process.pid}-${Date.now()}`;
  const ids = {} as Record<Name, string>;
  const serves = new Map<Name, Proc>();
  const name = (id: unknown): string => PEERS.find((p) => ids[p] === id) ?? short(String(id));
  const names = (list: unknown): string => (Array.isArray(list) ? list.map(name).sort().join(', ') : '?');
  const globals = (who: Name): string[] => ['--json', '--home', join(root, who), '--swarm', bootstrap, '--topic', topic];
  const oneShot = async (who: Name, args: readonly string[]): Promise<Json> => {
    const proc = new Proc([...globals(who), ...args]);
    proc.child.stdin?.end();
    if ((await proc.exited) !== 0) throw new InternalError('INTERNAL', `demo step "${who}: ${args.join(' ')}" failed`);
    return proc.lines[0] ?? {};
  };
  const online = async (who: Name): Promise<void> => {
    const proc = new Proc([...globals(who), 'serve'], (line) => {
      if (line['event'] === 'message') say(`   ${who.padEnd(5)} ← ${name(line['sender'])}: ${String(line['data'])}`);
      if (line['event'] === 'members' && line['removed'] === true) say(`   ${who.padEnd(5)} learns she was removed (last members she knew: ${names(line['members'])})`);
    });
    serves.set(who, proc);
    await proc.until((line) => line['event'] === 'ready');
  };
  const offline = async (who: Name): Promise<void> => {
    const proc = serves.get(who);
    serves.delete(who);
    proc?.child.stdin?.end();
    await proc?.exited;
  };
  const cmd = async (who: Name, line: string): Promise<Json[]> => {
    const proc = serves.get(who) as Proc;
    const from = proc.lines.length;
    proc.child.stdin?.write(`${line}\n`);
    await proc.until((out) => out['done'] === line, from);
    const end = proc.lines.findIndex((out, i) => i >= from && out['done'] === line);
    return proc.lines.slice(from, end).filter((out) => out['event'] === undefined);
  };
  const membersOf = async (who: Name, group: string): Promise<Json> => (await cmd(who, `members ${group}`))[0] ?? {};
  const settle = async (who: readonly Name[], group: string, accept: (view: Json, who: Name) => boolean): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (const p of who) while (!accept(await membersOf(p, group), p) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 300));
  };

  try {
    say(`groupcrypt demo --swarm — five peers, each a "groupcrypt serve" process, on a local DHT (${bootstrap})`);
    say(`They meet on topic "${topic}": the DHT sees only SHA-256("groupcrypt/topic/v1" || 0 || name), never a group id.`);
    say();
    say('1. Everyone creates an identity (its signed bundle goes into its own Hypercore log) and goes online.');
    for (const p of PEERS) ids[p] = String((await oneShot(p, ['init', '--name', p]))['id']);
    await Promise.all(PEERS.map(online));
    const alice = serves.get('alice') as Proc;
    await alice.until(() => alice.lines.filter((line) => line['event'] === 'peer').length >= PEERS.length - 1);
    const group = String((await cmd('alice', 'create --scheme data'))[0]?.['group']);
    for (const p of ['bob', 'carol', 'dave'] as const) await cmd('alice', `add ${group} ${ids[p]}`);
    say(`   alice creates group ${short(group)} and adds bob, carol and dave; she says hello:`);
    await settle(['bob', 'carol', 'dave'], group, (v) => Array.isArray(v['members']) && v['members'].length === 4);
    await cmd('alice', `send ${group} "hello everyone — the plan is in the wiki"`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    say();

    say('2. dave goes offline. Offline, he removes carol; concurrently, online, alice adds erin.');
    await offline('dave');
    await oneShot('dave', ['remove', group, ids.carol]);
    await cmd('alice', `add ${group} ${ids.erin}`);
    await settle(['alice', 'bob', 'erin'], group, (v) => Array.isArray(v['members']) && v['members'].includes(ids.erin));
    say(`   online, alice sees: ${names((await membersOf('alice', group))['members'])}`);
    say();

    say('3. dave comes back online: his log is replicated, every peer converges.');
    await online('dave');
    const expected = [ids.alice, ids.bob, ids.dave, ids.erin].sort().join();
    await settle(['alice', 'bob', 'dave', 'erin'], group, (v) => Array.isArray(v['members']) && v['members'].join() === expected);
    await settle(['carol'], group, (v) => v['removed'] === true);
    for (const p of PEERS) {
      const view = await membersOf(p, group);
      say(`   ${p.padEnd(5)} sees: ${names(view['members'])}${view['removed'] === true ? '   (removed)' : ''}`);
    }
    say();

    say('4. alice writes again; carol, removed, cannot read it; erin reads the history from before she joined.');
    await cmd('alice', `send ${group} "welcome erin! (carol cannot read this)"`);
    const erin = serves.get('erin') as Proc;
    await erin.until((line) => line['event'] === 'message' && String(line['data']).startsWith('welcome erin'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const carolRead = (await cmd('carol', `read ${group}`)).map((m) => String(m['data']));
    say(`   carol decrypted ${carolRead.length} message(s), all from before her removal; "welcome erin" is ${carolRead.some((d) => d.startsWith('welcome erin')) ? 'READABLE (unexpected!)' : 'not among them'}.`);
    for (const m of await cmd('erin', `read ${group}`)) say(`   erin reads  ${name(m['sender']).padEnd(5)}  ${String(m['data'])}`);
    say();
    const converged = (await Promise.all((['alice', 'bob', 'dave', 'erin'] as const).map((p) => membersOf(p, group)))).every((v) => Array.isArray(v['members']) && v['members'].join() === expected);
    say(`Members converged: ${converged ? 'yes' : 'NO'}. ${((Date.now() - started) / 1000).toFixed(1)} s; every peer was its own process on the swarm.`);
    out.result({ demo: 'swarm', converged, carolCanRead: carolRead.some((d) => d.startsWith('welcome erin')), seconds: (Date.now() - started) / 1000 }, []);
    if (!converged) throw new InternalError('INTERNAL', 'the demo peers did not converge');
  } finally {
    await Promise.all([...serves.keys()].map(offline));
    await testnet.destroy();
    if (options.keep === undefined) await rm(root, { recursive: true, force: true });
  }
}
