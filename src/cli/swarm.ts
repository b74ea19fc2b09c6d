/**
 * The command's swarm mode (CLI.md "Swarm mode"): opening the hypercore
 * transport of a home, `sync --swarm` and `serve`.
 *
 * The hypercore transport module (and through it the Holepunch packages) is
 * imported only here, and only when `--swarm` is given.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Peer, PeerEvent } from '../peer/index.js';
import type { HypercoreTransport } from '../transport/hypercore.js';
import type { ParsedArgs } from './args.js';
import { CliUsageError } from './args.js';
import { asUtf8, base64, runCommand, runCommandLine } from './commands.js';
import type { Output } from './output.js';
import { short } from './output.js';

/** Folder of the home's Corestore (its own log and every log it holds). */
export const SWARM_DIR = 'swarm';
/** Default `--quiet` of `sync --swarm`, in milliseconds. */
export const DEFAULT_QUIET_MS = 2000;

/** Opens (offline) the hypercore transport of the home `parsed.home` on `parsed.swarm`. */
export async function openSwarmTransport(parsed: Pick<ParsedArgs, 'home' | 'swarm' | 'topic'>): Promise<HypercoreTransport> {
  const { openHypercoreTransport, parseBootstrap } = await import('../transport/hypercore.js');
  const bootstrap = parseBootstrap(parsed.swarm);
  // The corestore holds the seed of this peer's log key: private like the rest of the home.
  const dir = join(parsed.home, SWARM_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return openHypercoreTransport({ dir, bootstrap, topic: parsed.topic });
}

/**
 * `sync --swarm`: goes online, downloads until nothing new has arrived for
 * `--quiet MS`, processes like `sync`, publishes what it owes, and stays
 * until the others have had a quiet period to fetch it.
 */
export async function swarmSync(peer: Peer, transport: HypercoreTransport, parsed: ParsedArgs, out: Output): Promise<void> {
  const quiet = parsed.options['quiet'] === undefined ? DEFAULT_QUIET_MS : Number(parsed.options['quiet']);
  // A swarm that never falls quiet still ends: downloads are bounded by this wait.
  const most = Math.max(30_000, 15 * quiet);
  await transport.join();
  await transport.whenQuiet(quiet, most);
  await runCommand(peer, parsed, out);
  await peer.flush();
  await transport.whenQuiet(quiet, most);
}

/**
 * Splits a command line into arguments: whitespace separates, '…' and "…"
 * quote, a backslash escapes the next character (outside '…').
 * @throws CliUsageError for an unterminated quote or a trailing backslash.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new CliUsageError('a command line ends with a backslash');
      word += line[++i] as string;
      inWord = true;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new CliUsageError(`unterminated ${quote} quote in the command line`);
  if (inWord) words.push(word);
  return words;
}

/** Prints one peer event (CLI.md: one JSON value per line with `--json`). */
function printEvent(out: Output, event: PeerEvent): void {
  switch (event.type) {
    case 'peer':
      out.result({ event: 'peer', id: event.id, name: event.name }, `peer     ${short(event.id)}  ${event.name}`);
      return;
    case 'message': {
      const text = asUtf8(event.data);
      out.result(
        { event: 'message', group: event.group, sender: event.sender, data: text, base64: base64(event.data) },
        `message  group ${short(event.group)}  from ${short(event.sender)}  ${text ?? `(${event.data.length} bytes, binary)`}`,
      );
      return;
    }
    case 'members':
      out.result(
        { event: 'members', group: event.group, members: [...event.members], removed: event.removed },
        `members  group ${short(event.group)}  ${event.members.map(short).join(' ')}${event.removed ? '  (you were removed)' : ''}`,
      );
      return;
    case 'skipped':
      out.result({ event: 'skipped', reason: event.reason, origin: event.origin }, `skipped  ${event.origin}: ${event.reason}`);
      return;
    case 'not-for-me':
      out.result({ event: 'not-for-me', group: event.group, origin: event.origin }, `not for me  group ${short(event.group)}  ${event.origin} (sent while you were not a member: after your removal, or before you joined)`);
      return;
    case 'removed':
      return; // the members event that comes with it says so (removed: true)
  }
}

/** How often `serve` runs pre-key maintenance. */
const SERVE_MAINTENANCE_MS = 60_000;

/** One-time pre-keys a swarm peer keeps offered to each peer it knows (offers travel in its own log, addressed and signed). */
export const SWARM_ONE_TIME_PREKEYS = 2;

/**
 * `serve`: the peer online until stdin closes, SIGINT or SIGTERM. Each stdin
 * line is one command (`runCommandLine`), followed by `{"done":LINE}`; events
 * are printed as they happen, `{"event":"ready","id":…}` once online.
 */
export async function serve(peer: Peer, transport: HypercoreTransport, out: Output, input: NodeJS.ReadableStream): Promise<void> {
  // Pre-key hygiene while online (issue 18): rotate when due, and keep one-time pre-keys offered to
  // every peer, at once for a newly seen one and every minute (offers used meanwhile are replaced).
  const maintain = (): void => {
    void peer.maintainKeys().catch(() => undefined); // a closed peer or a busy store: the next round retries
  };
  const stopListening = peer.on((event) => {
    printEvent(out, event);
    if (event.type === 'peer') maintain();
  });
  const timer = setInterval(maintain, SERVE_MAINTENANCE_MS);
  timer.unref();
  const lines = createInterface({ input, crlfDelay: Infinity });
  // The iterator is taken at once: lines typed while the peer is still starting are kept, not dropped.
  const iterator = lines[Symbol.asyncIterator]();
  let stop: () => void = () => undefined;
  const stopped = new Promise<'stop'>((resolve) => {
    stop = () => resolve('stop');
  });
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await peer.start();
    await transport.join();
    out.result({ event: 'ready', id: peer.id }, `ready    ${peer.id}  (online; type commands, Ctrl-D to stop)`);
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next === 'stop' || next.done === true) break;
      const line = next.value.trim();
      if (line === '') continue;
      try {
        await runCommandLine(peer, splitCommandLine(line), out);
      } catch (error) {
        out.error(error);
      }
      out.io.stdout(JSON.stringify({ done: line }));
    }
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    lines.close();
    stopListening();
  }
}
