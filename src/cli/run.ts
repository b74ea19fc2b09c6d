/**
 * `runCli(argv, env, io)`: the whole command as a function returning its
 * exit status (0 ok, 2 bad usage, 1 other errors; CLI.md). `main.ts` binds
 * it to the process; the demo and tests may call it in-process.
 *
 * Every command goes through a `Peer` (src/peer) over the home's store and
 * the shared folder (`FolderTransport`); `init` creates the identity.
 */
import type { Deps } from '../crypto/index.js';
import { defaultDeps } from '../crypto/index.js';
import { Peer } from '../peer/index.js';
import type { Transport } from '../transport/index.js';
import { FolderTransport } from '../transport/index.js';
import type { HypercoreTransport } from '../transport/hypercore.js';
import type { ParsedArgs } from './args.js';
import { CliUsageError, USAGE, parseArgs } from './args.js';
import { runCommand } from './commands.js';
import type { OpenedHome } from './home.js';
import { openHome, passphraseOf } from './home.js';
import type { CliIo } from './output.js';
import { Output, table } from './output.js';

/** Options of `runCli` (for tests and the demo). */
export interface RunOptions {
  readonly deps?: Deps;
}

/** Runs one `groupcrypt` invocation; never throws. */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo, options: RunOptions = {}): Promise<number> {
  const json = argv.includes('--json') && !argv.slice(0, argv.indexOf('--json')).includes('--');
  let out = new Output(io, json);
  try {
    const parsed = parseArgs(argv, env);
    out = new Output(io, parsed.json);
    await dispatch(parsed, env, out, options.deps ?? defaultDeps(), io);
    return 0;
  } catch (error) {
    return out.error(error);
  }
}

/**
 * Opens the peer of a home (creating its identity for `init`) under the
 * home's lock, over `options.transport` (e.g. a swarm) or else the shared
 * folder when one is given, runs `use`, and closes everything (peer,
 * transport, store, lock) however `use` ends.
 * @throws StoreError `STORE_LOCKED` (another process holds the home), `STORE_KEY` (passphrase); UsageError (not a home).
 */
export async function withPeer<T>(
  parsed: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
  deps: Deps,
  use: (peer: Peer, swarm: HypercoreTransport | undefined) => Promise<T>,
): Promise<T> {
  const create = parsed.command === 'init';
  const passphrase = await passphraseOf(parsed.passphraseFile, env);
  const home: OpenedHome = await openHome(parsed.home, create, { deps, passphrase, command: `groupcrypt ${parsed.command}` });
  let peer: Peer | undefined;
  let swarm: HypercoreTransport | undefined;
  try {
    let transport: Transport | ((self: string) => Transport) | undefined;
    if (parsed.swarm !== '') {
      const { openSwarmTransport } = await import('./swarm.js');
      transport = swarm = await openSwarmTransport(parsed);
    } else if (parsed.net !== '') transport = (self: string) => new FolderTransport({ root: parsed.net, self, crypto: deps.crypto });
    // One-time pre-keys only on the swarm (CLI.md): a shared folder offers nothing it could keep single-use
    const oneTimePreKeys = swarm !== undefined ? (await import('./swarm.js')).SWARM_ONE_TIME_PREKEYS : 0;
    const peerOptions = { store: home.store, deps, oneTimePreKeys, ...(transport ? { transport } : {}) };
    peer = create ? await Peer.create(peerOptions, parsed.options['name'] !== undefined ? { name: parsed.options['name'] } : {}) : await Peer.open(peerOptions);
    return await use(peer, swarm);
  } finally {
    if (peer !== undefined) await peer.close();
    else {
      await swarm?.close();
      await home.store.close();
    }
    await home.release();
  }
}

async function dispatch(parsed: ParsedArgs, env: Readonly<Record<string, string | undefined>>, out: Output, deps: Deps, io: CliIo): Promise<void> {
  const { command, options } = parsed;
  if (command === 'help') {
    out.result({ usage: USAGE }, USAGE.split('\n'));
    return;
  }
  if (command === 'demo') {
    if (parsed.swarm !== '') {
      const { runSwarmDemo } = await import('./demo-swarm.js');
      await runSwarmDemo(out, { keep: options['keep'] });
      return;
    }
    const { runDemo } = await import('./demo.js');
    await runDemo(out, { keep: options['keep'], deps });
    return;
  }
  if (command === 'serve' || (command === 'sync' && parsed.swarm !== '')) {
    const { serve, swarmSync } = await import('./swarm.js');
    await withPeer(parsed, env, deps, async (peer, swarm) => {
      if (swarm === undefined) throw new CliUsageError(`"${command}" needs --swarm BOOTSTRAP`);
      if (command === 'serve') await serve(peer, swarm, out, io.input ?? process.stdin);
      else await swarmSync(peer, swarm, parsed, out);
    });
    return;
  }
  if (command === 'init') {
    await withPeer(parsed, env, deps, async (peer) => {
      if (parsed.options['mls'] !== undefined) await peer.enableMls();
      out.result({ id: peer.id, name: peer.name }, table([['id', peer.id], ['name', peer.name]]));
    });
    return;
  }
  await withPeer(parsed, env, deps, (peer) => runCommand(peer, parsed, out));
}
