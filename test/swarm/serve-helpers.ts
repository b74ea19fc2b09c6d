/**
 * Drives `groupcrypt serve --swarm` processes (the built command) for the
 * networked tests: one OS process per peer, commands on stdin, JSON results
 * and events on stdout.
 */
import { join } from 'node:path';
import { gc, MAIN } from '../cli/helpers.js';
import { has, LineProcess } from '../transport/swarm-helpers.js';

/** The environment of a spawned command: GROUPCRYPT_* cleared. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GROUPCRYPT_')) env[key] = value;
  return env;
}

/** One peer's home on a swarm, and its running `serve` when started. */
export class SwarmPeer {
  proc: LineProcess | undefined;
  id = '';

  constructor(readonly name: string, readonly root: string, readonly bootstrap: string, readonly topic: string) {}

  get home(): string {
    return join(this.root, `home-${this.name}`);
  }

  private globals(): string[] {
    return ['--json', '--home', this.home, '--swarm', this.bootstrap, '--topic', this.topic];
  }

  /** `init` (offline: the bundle goes into the peer's own log); `extra` e.g. `['--mls']`. */
  init(extra: readonly string[] = []): string {
    const run = gc([...this.globals(), 'init', '--name', this.name, ...extra]);
    if (run.status !== 0) throw new Error(`init ${this.name}: ${run.stderr}`);
    this.id = (run.json[0] as { id: string }).id;
    return this.id;
  }

  /** Starts `serve` and waits for its ready event. */
  async start(): Promise<void> {
    this.proc = new LineProcess(process.execPath, [MAIN, ...this.globals(), 'serve'], cleanEnv());
    await this.proc.waitFor((line) => has(line, 'event', 'ready'), 30_000);
  }

  private running(): LineProcess {
    if (this.proc === undefined) throw new Error(`${this.name} is not running`);
    return this.proc;
  }

  /** Runs one command line; resolves with the JSON lines printed before its `done` (events filtered out). */
  async cmd(line: string, ms = 30_000): Promise<Array<Record<string, unknown>>> {
    const proc = this.running();
    const from = proc.lines.length;
    proc.send(line);
    await proc.waitFor((out) => has(out, 'done', line), ms, from);
    const end = proc.lines.findIndex((out, index) => index >= from && has(out, 'done', line));
    return proc.lines.slice(from, end).filter((out) => typeof out === 'object' && out !== null && !has(out, 'event')) as Array<Record<string, unknown>>;
  }

  /** Polls `members GROUP` until `accept` holds. */
  async membersUntil(group: string, accept: (view: { members: string[]; removed: boolean }) => boolean, ms = 60_000): Promise<{ members: string[]; removed: boolean }> {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
      const [view] = await this.cmd(`members ${group}`);
      last = view;
      if (view !== undefined && !has(view, 'error') && accept(view as { members: string[]; removed: boolean })) return view as { members: string[]; removed: boolean };
      if (Date.now() > deadline) throw new Error(`${this.name}: members never matched; last ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Polls `read GROUP` until `accept` holds. */
  async readUntil(group: string, accept: (texts: Array<string | null>) => boolean, ms = 60_000): Promise<Array<{ sender: string; data: string | null }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const entries = (await this.cmd(`read ${group}`)) as Array<{ sender: string; data: string | null }>;
      if (accept(entries.map((entry) => entry.data))) return entries;
      if (Date.now() > deadline) throw new Error(`${this.name}: read never matched; has ${entries.length} entries`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Events of one kind printed so far. */
  events(kind: string): Array<Record<string, unknown>> {
    return (this.proc?.lines ?? []).filter((line) => has(line, 'event', kind)) as Array<Record<string, unknown>>;
  }

  /** Closes stdin; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const code = await this.running().end();
    this.proc = undefined;
    return code;
  }

  /** Sends a signal and waits for the exit; resolves with the exit code (null when killed). */
  async signal(signal: NodeJS.Signals): Promise<number | null> {
    const proc = this.running();
    await proc.kill(signal);
    this.proc = undefined;
    return proc.child.exitCode;
  }
}
