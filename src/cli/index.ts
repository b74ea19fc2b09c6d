/**
 * cli — the `groupcrypt` command: peers that talk through a plain shared
 * folder (CLI.md), a thin shell over `peer/`. `runCli` is the whole command
 * as a function; `main.ts` is the executable entry. `runCommandLine` runs
 * one command line against an already open `Peer` (what `serve` does per
 * input line); `withPeer` opens a home's peer (lock, modes, passphrase).
 */
export { runCli, withPeer } from './run.js';
export type { RunOptions } from './run.js';
export { runCommand, runCommandLine } from './commands.js';
export type { Command } from './commands.js';
export type { CliIo } from './output.js';
export { Output, describeError } from './output.js';
export { CliUsageError, LINE_COMMANDS, parseArgs } from './args.js';
export type { ParsedArgs } from './args.js';
export { HOME_DB, HOME_LOCK, openHome, passphraseOf } from './home.js';
export type { OpenedHome } from './home.js';
