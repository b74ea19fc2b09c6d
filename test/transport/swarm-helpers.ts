/**
 * Helpers for the tests that run peers as real processes on a local DHT:
 * a loopback testnet (never the public DHT) and line-oriented child
 * processes (JSON lines out, commands in).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A local DHT: every node binds 127.0.0.1. */
export interface LocalTestnet {
  /** `host:port[,…]` as `--swarm` takes it. */
  readonly bootstrap: string;
  destroy(): Promise<void>;
}

/** Starts `size` DHT nodes on loopback (hyperdht's testnet). */
export async function startTestnet(size = 3): Promise<LocalTestnet> {
  const specifier = 'hyperdht/testnet.js';
  const module = (await import(specifier)) as {
    default: (n: number, opts: { host: string }) => Promise<{ bootstrap: Array<{ host: string; port: number }>; destroy(): Promise<void> }>;
  };
  const testnet = await module.default(size, { host: '127.0.0.1' });
  return {
    bootstrap: testnet.bootstrap.map((node) => `${node.host}:${node.port}`).join(','),
    destroy: () => testnet.destroy(),
  };
}

/** A child process whose stdout is read as lines (JSON values when they parse). */
export class LineProcess {
  readonly child: ChildProcess;
  readonly lines: unknown[] = [];
  /** `performance.now()` when each line arrived (same index as `lines`). */
  readonly times: number[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd?: string) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let value: unknown = line;
      try {
        value = JSON.parse(line);
      } catch {
        // plain text line
      }
      this.lines.push(value);
      this.times.push(performance.now());
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        resolve(code);
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  /** Writes one line (a string as is, anything else as JSON). */
  send(value: unknown): void {
    this.child.stdin?.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  }

  /** Resolves with the first line at or after `from` that matches; rejects after `ms`. */
  async waitFor<T = unknown>(match: (line: unknown) => boolean, ms = 30_000, from = 0): Promise<T> {
    const deadline = Date.now() + ms;
    for (let index = from; ; ) {
      for (; index < this.lines.length; index++) if (match(this.lines[index])) return this.lines[index] as T;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before the expected line; stderr: ${this.stderr.join('').slice(-2000)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; last lines: ${JSON.stringify(this.lines.slice(-5)).slice(0, 2000)}; stderr: ${this.stderr.join('').slice(-1000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes stdin and waits for the exit code. */
  async end(): Promise<number | null> {
    this.child.stdin?.end();
    return this.exited;
  }

  /** Sends a signal (SIGKILL by default) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/** True when `line` is an object with `key` (optionally equal to `value`). */
export function has(line: unknown, key: string, value?: unknown): boolean {
  return typeof line === 'object' && line !== null && key in line && (value === undefined || (line as Record<string, unknown>)[key] === value);
}
