/**
 * `groupcrypt demo [--keep DIR]`: a narrated story with five peers in a
 * temporary folder, running the very commands a user runs (`runCli`
 * in-process, `--json`), to show what decentralised group encryption buys:
 *
 *  1. alice creates a group (data scheme) and adds bob, carol and dave;
 *  2. the net splits into two copies (a partition): {alice, bob} | {carol, dave};
 *  3. concurrently, alice adds erin in one half and dave removes carol in the other;
 *  4. the halves merge (file union, like `cp -rn`) and every peer syncs;
 *  5. the members converge; carol, removed, cannot read what is sent next;
 *  6. erin, the late joiner, reads the history from before she joined.
 */
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deps } from '../crypto/index.js';
import { InternalError } from '../errors.js';
import type { Output } from './output.js';
import { short, table } from './output.js';
import { runCli } from './run.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Keep the folders here (created when absent) instead of a deleted temp folder. */
  readonly keep: string | undefined;
  readonly deps: Deps;
}

type Json = Record<string, unknown>;

class Cast {
  readonly ids: Record<string, string> = {};
  readonly nets: Record<string, string> = {};
  constructor(readonly root: string, readonly options: DemoOptions) {}

  /** Runs one command as `who` and returns its JSON lines; throws on a non-zero exit. */
  async run(who: string, args: readonly string[]): Promise<Json[]> {
    const lines: string[] = [];
    const errors: string[] = [];
    const argv = ['--json', '--home', join(this.root, 'homes', who), '--net', this.nets[who] ?? join(this.root, 'net'), ...args];
    const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => errors.push(l), stdin: async () => new Uint8Array(0) };
    const status = await runCli(argv, {}, io, { deps: this.options.deps });
    if (status !== 0) throw new InternalError('INTERNAL', `demo step "${who}: ${args.join(' ')}" failed: ${errors.join(' ')}`);
    return lines.map((l) => JSON.parse(l) as Json);
  }

  async one(who: string, args: readonly string[]): Promise<Json> {
    const [first] = await this.run(who, args);
    if (first === undefined) throw new InternalError('INTERNAL', `demo step "${who}: ${args.join(' ')}" printed nothing`);
    return first;
  }

  name(id: string): string {
    return Object.keys(this.ids).find((n) => this.ids[n] === id) ?? short(id);
  }

  names(ids: readonly unknown[]): string {
    return ids.map((id) => this.name(String(id))).sort().join(', ');
  }
}

const PEERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

/** Runs the demo, narrating on `out` (human lines; `--json` prints a final summary value). */
export async function runDemo(out: Output, options: DemoOptions): Promise<void> {
  const started = Date.now();
  const root = options.keep ?? (await mkdtemp(join(tmpdir(), 'groupcrypt-demo-')));
  await mkdir(root, { recursive: true });
  const say = (line = ''): void => out.info(line);
  const c = new Cast(root, options);
  try {
    const net = join(root, 'net');
    say(`groupcrypt demo — five peers, one shared folder (${net})`);
    say('Each peer keeps its secrets in its own home; the folder holds only public keys and ciphertext.');
    say();
    say('1. Everyone creates an identity and publishes a signed key bundle.');
    for (const p of PEERS) c.ids[p] = String((await c.one(p, ['init', '--name', p]))['id']);
    for (const line of table(PEERS.map((p) => [p, c.ids[p] as string]))) say(`   ${line}`);
    const group = String((await c.one('alice', ['create', '--scheme', 'data']))['group']);
    say(`   alice creates group ${short(group)} (data scheme: late joiners can read history).`);
    for (const p of ['bob', 'carol', 'dave']) await c.run('alice', ['add', group, c.ids[p] as string]);
    say('   alice adds bob, carol and dave, and says hello.');
    await c.run('alice', ['send', group, 'hello everyone — the plan is in the wiki']);
    for (const p of ['bob', 'carol', 'dave']) await c.run(p, ['sync']);
    say(`   members (bob's view): ${c.names((await c.one('bob', ['members', group]))['members'] as unknown[])}`);
    say();

    say('2. The network splits: two copies of the folder that do not see each other.');
    const netA = join(root, 'net-A');
    const netB = join(root, 'net-B');
    await cp(net, netA, { recursive: true });
    await cp(net, netB, { recursive: true });
    for (const p of ['alice', 'bob', 'erin']) c.nets[p] = netA;
    for (const p of ['carol', 'dave']) c.nets[p] = netB;
    say('   half A: alice, bob (and erin, not a member yet)   half B: carol, dave');
    say();
    say('3. Concurrently, in the two halves (neither knows about the other):');
    await c.run('alice', ['add', group, c.ids['erin'] as string]);
    say('   A: alice adds erin');
    await c.run('dave', ['remove', group, c.ids['carol'] as string]);
    say('   B: dave removes carol');
    await c.run('bob', ['sync']);
    await c.run('bob', ['send', group, 'bob here, writing from half A']);
    for (const p of ['alice', 'erin']) await c.run(p, ['sync']);
    await c.run('carol', ['sync']);
    const viewA = (await c.one('alice', ['members', group]))['members'] as unknown[];
    const viewB = (await c.one('dave', ['members', group]))['members'] as unknown[];
    say('   A: bob syncs and writes a message (erin is a member in his view)');
    say(`   alice sees: ${c.names(viewA)}`);
    say(`   dave  sees: ${c.names(viewB)}`);
    say();

    say('4. The partition heals: the two folders are merged by plain file union (cp -rn).');
    await unionInto(netA, net);
    await unionInto(netB, net);
    for (const p of PEERS) delete c.nets[p];
    for (let round = 1; round <= 3; round++) {
      let processed = 0;
      for (const p of PEERS) processed += Number((await c.one(p, ['sync']))['processed']);
      say(`   sync round ${round}: ${processed} messages processed`);
      if (processed === 0) break;
    }
    const views: Record<string, { members: unknown[]; removed: boolean }> = {};
    for (const p of PEERS) {
      const v = await c.one(p, ['members', group]).catch(() => ({ members: [], removed: false }));
      views[p] = { members: (v['members'] as unknown[]) ?? [], removed: v['removed'] === true };
    }
    const live = PEERS.filter((p) => !(views[p] as { removed: boolean }).removed && (views[p] as { members: unknown[] }).members.includes(c.ids[p]));
    const converged = live.every((p) => c.names((views[p] as { members: unknown[] }).members) === c.names((views[live[0] as string] as { members: unknown[] }).members));
    say(`   members converge: ${converged ? 'yes' : 'NO'} — ${c.names((views[live[0] as string] as { members: unknown[] }).members)}`);
    say(`   carol learns she was removed: ${String((views['carol'] as { removed: boolean }).removed)} (her commands keep working)`);
    say();

    say('5. alice sends something new; carol, removed, cannot read it.');
    await c.run('alice', ['send', group, 'welcome erin! (carol cannot read this)']);
    for (const p of PEERS) await c.run(p, ['sync']);
    const carolRead = (await c.run('carol', ['read', group])).map((m) => String(m['data']));
    const carolSees = carolRead.some((d) => d.startsWith('welcome erin'));
    say(`   carol's sync succeeds, but she decrypted ${carolRead.length} message(s), all from before her removal;`);
    say(`   the new one is ${carolSees ? 'READABLE (unexpected!)' : 'not among them: she holds no key for it'}.`);
    say();

    say('6. erin joined last, yet reads the history from before she joined (data scheme).');
    const erinRead = await c.run('erin', ['read', group]);
    for (const m of erinRead) say(`   erin reads  ${c.name(String(m['sender'])).padEnd(5)}  ${String(m['data'])}`);
    say();

    say('Summary');
    const rows: string[][] = [['peer', 'member', 'sees members', 'messages read']];
    const summary: Json[] = [];
    for (const p of PEERS) {
      const view = await c.one(p, ['members', group]).catch(() => ({ members: [], removed: false }) as Json);
      const read = await c.run(p, ['read', group]).catch(() => [] as Json[]);
      const members = (view['members'] as unknown[]) ?? [];
      const status = view['removed'] === true ? 'removed' : members.includes(c.ids[p]) ? 'yes' : 'no';
      rows.push([p, status, c.names(members), String(read.length)]);
      summary.push({ peer: p, id: c.ids[p], member: status, members, read: read.length });
    }
    for (const line of table(rows)) say(`  ${line}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say();
    say(`Converged: ${converged ? 'yes' : 'no'}. ${seconds}s. ${options.keep === undefined ? 'Folders deleted (use --keep DIR to inspect them).' : `Folders kept in ${root}.`}`);
    if (out.json) out.result({ demo: 'done', converged, group, peers: summary }, []);
  } finally {
    if (options.keep === undefined) await rm(root, { recursive: true, force: true });
  }
}

/** Merges `from` into `to` by file union, never overwriting (like `cp -rn from/. to/`). */
async function unionInto(from: string, to: string): Promise<void> {
  for (const folder of await readdir(from)) {
    await mkdir(join(to, folder), { recursive: true });
    const present = new Set(await readdir(join(to, folder)));
    for (const file of await readdir(join(from, folder))) {
      if (!present.has(file)) await cp(join(from, folder, file), join(to, folder, file));
    }
  }
}
