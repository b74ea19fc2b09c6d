/**
 * Helpers for the end-to-end tests of the built `groupcrypt` command:
 * build once (skipped when dist is newer than src), spawn `node
 * dist/cli/main.js`, temp folders, `cp -rn` merges.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds the package once when dist/cli/main.js is missing or older than
 * src (a lock directory keeps parallel test files from building twice).
 */
export function ensureBuilt(): void {
  const fresh = (): boolean => existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestMtime(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(ROOT, 'dist', '.cli-test-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 180_000) rmSync(lock, { recursive: true, force: true });
      sleep(200);
    }
  }
  try {
    if (fresh()) return;
    // tsc still emits when another layer has type errors; the CLI tests then run against what was emitted.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
    if (!existsSync(MAIN)) throw new Error('build did not produce dist/cli/main.js');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Result of one spawned command. */
export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as one JSON value per line (only meaningful with --json). */
  readonly json: unknown[];
}

/** Spawns `node dist/cli/main.js ...args` with GROUPCRYPT_* cleared unless given in `env`. */
export function gc(args: readonly string[], options: { env?: Record<string, string>; input?: string | Uint8Array; timeoutMs?: number } = {}): Run {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GROUPCRYPT_')) env[k] = v;
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    env: { ...env, ...options.env },
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
    encoding: 'utf8',
  });
  const stdout = result.stdout ?? '';
  const json: unknown[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    try {
      json.push(JSON.parse(line));
    } catch {
      json.push(undefined);
    }
  }
  return { status: result.status ?? -1, stdout, stderr: result.stderr ?? '', json };
}

/** A fresh temp folder. */
export function tempDir(prefix = 'gc-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Merges folder `from` into `to` like `cp -rn from/. to/` (file union, existing files kept). */
export function mergeNet(from: string, to: string): void {
  const r = spawnSync('cp', ['-rn', `${from}/.`, `${to}/`]);
  if (r.status !== 0) throw new Error(`cp -rn failed: ${String(r.stderr)}`);
}

/** Copies a folder (a partition starts as two copies of the net). */
export function copyNet(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  mergeNet(from, to);
}

/** A peer: home + net, and shorthands for its commands in --json mode. */
export class Peer {
  constructor(readonly home: string, public net: string) {}

  run(args: readonly string[], input?: string | Uint8Array): Run {
    return gc(['--json', '--home', this.home, '--net', this.net, ...args], input === undefined ? {} : { input });
  }

  /** Runs and asserts exit 0; returns the JSON lines. */
  ok(args: readonly string[], input?: string | Uint8Array): unknown[] {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`groupcrypt ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.json;
  }
}

/** Inits a peer named `name` with its home under `root`. */
export function newPeer(root: string, net: string, name: string): { peer: Peer; id: string } {
  const peer = new Peer(join(root, `home-${name}`), net);
  const [info] = peer.ok(['init', '--name', name]) as { id: string }[];
  return { peer, id: (info as { id: string }).id };
}

/** The `group` field of a `create` result. */
export function groupOf(lines: unknown[]): string {
  const group = (lines[0] as { group?: unknown } | undefined)?.group;
  if (typeof group !== 'string') throw new Error(`no group in ${JSON.stringify(lines)}`);
  return group;
}
