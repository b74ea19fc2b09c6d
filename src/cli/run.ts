/**
 * `runCli(argv, env, io)`: the whole command as a function returning its
 * exit status (0 ok, 2 bad usage, 1 other errors; CLI.md). `main.ts` binds
 * it to the process; the demo and tests may call it in-process.
 */
import type { Deps } from '../crypto/index.js';
import { defaultDeps } from '../crypto/index.js';
import type { ParsedArgs } from './args.js';
import { USAGE, parseArgs } from './args.js';
import type { Engine, Scheme } from './engine.js';
import { groupEngine } from './group-engine.js';
import { runCreate, runGroups, runMembers, runMembership, runRead, runSend } from './group-commands.js';
import { Home } from './home.js';
import { runInit, runPeers, runWhoami } from './identity-commands.js';
import type { CliIo } from './output.js';
import { Output } from './output.js';
import { runSync } from './sync.js';

/** Options of `runCli` (for tests and the demo). */
export interface RunOptions {
  readonly deps?: Deps;
  readonly engine?: Engine;
}

/** Runs one `groupcrypt` invocation; never throws. */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo, options: RunOptions = {}): Promise<number> {
  const json = argv.includes('--json') && !argv.slice(0, argv.indexOf('--json')).includes('--');
  let out = new Output(io, json);
  try {
    const parsed = parseArgs(argv, env);
    out = new Output(io, parsed.json);
    await dispatch(parsed, out, options.deps ?? defaultDeps(), options.engine);
    return 0;
  } catch (error) {
    return out.error(error);
  }
}

async function dispatch(parsed: ParsedArgs, out: Output, deps: Deps, engineOverride: Engine | undefined): Promise<void> {
  const { command, args, options, home, net } = parsed;
  if (command === 'help') {
    out.result({ usage: USAGE }, USAGE.split('\n'));
    return;
  }
  if (command === 'init') return runInit(home, net, options['name'], out, deps);
  if (command === 'whoami') return runWhoami(home, out, deps);
  if (command === 'peers') return runPeers(home, net, out, deps);
  if (command === 'demo') {
    const { runDemo } = await import('./demo.js');
    await runDemo(out, { keep: options['keep'], deps, ...(engineOverride ? { engine: engineOverride } : {}) });
    return;
  }
  const engine = engineOverride ?? groupEngine(deps);
  const opened = await Home.open(home, deps);
  try {
    switch (command) {
      case 'create':
        return await runCreate(opened, net, engine, (options['scheme'] ?? 'data') as Scheme, out);
      case 'add':
      case 'remove':
        return await runMembership(opened, net, engine, command, args['GROUP'] as string, args['ID'], out);
      case 'update':
        return await runMembership(opened, net, engine, command, args['GROUP'] as string, undefined, out);
      case 'send':
        return await runSend(opened, net, engine, args['GROUP'] as string, args['TEXT'], options['file'], out);
      case 'sync':
        return await runSync(opened, net, engine, out);
      case 'groups':
        return await runGroups(opened, engine, out);
      case 'members':
        return await runMembers(opened, engine, args['GROUP'] as string, out);
      case 'read':
        return await runRead(opened, args['GROUP'] as string, out);
    }
  } finally {
    await opened.close();
  }
}
