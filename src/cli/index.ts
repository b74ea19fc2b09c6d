/**
 * cli — the `groupcrypt` command: peers that talk through a plain shared
 * folder (CLI.md). `runCli` is the whole command as a function; `main.ts`
 * is the executable entry.
 */
export { runCli } from './run.js';
export type { RunOptions } from './run.js';
export type { CliIo } from './output.js';
export { CliUsageError, parseArgs } from './args.js';
export type { ParsedArgs } from './args.js';
