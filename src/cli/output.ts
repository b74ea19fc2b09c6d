/**
 * Output of `groupcrypt`: human mode prints short aligned lines; `--json`
 * prints one JSON value per line on stdout (CLI.md). Errors are one line on
 * stderr, and with `--json` also `{"error":{"code","message"}}` on stdout.
 */
import { GroupCryptError } from '../errors.js';
import { CliUsageError } from './args.js';

/** Where the command writes (process streams, or a capture in the demo and tests). */
export interface CliIo {
  /** Writes one line to stdout (no trailing newline in `line`). */
  readonly stdout: (line: string) => void;
  /** Writes one line to stderr. */
  readonly stderr: (line: string) => void;
  /** Reads all of stdin (for `send --file -`). */
  readonly stdin: () => Promise<Uint8Array>;
  /** Stdin as a stream of command lines (`serve`); process.stdin when absent. */
  readonly input?: NodeJS.ReadableStream;
}

/** Result printer bound to one invocation's mode. */
export class Output {
  readonly json: boolean;
  readonly io: CliIo;

  constructor(io: CliIo, json: boolean) {
    this.io = io;
    this.json = json;
  }

  /** Prints a result: its JSON value in `--json` mode, else the human lines. */
  result(value: unknown, human: string | readonly string[]): void {
    if (this.json) this.io.stdout(JSON.stringify(value));
    else for (const line of typeof human === 'string' ? [human] : human) this.io.stdout(line);
  }

  /** Prints human-only information (nothing in `--json` mode). */
  info(line: string): void {
    if (!this.json) this.io.stdout(line);
  }

  /** Progress or warnings on stderr, human mode only (stdout stays the result). */
  note(line: string): void {
    if (!this.json) this.io.stderr(line);
  }

  /** Prints an error; returns the exit status (2 for usage, 1 otherwise). */
  error(error: unknown): number {
    const { code, message, status } = describeError(error);
    this.io.stderr(`groupcrypt: ${message} [${code}]`);
    if (this.json) this.io.stdout(JSON.stringify({ error: { code, message } }));
    return status;
  }
}

/** The code, one-line message and exit status of any thrown value. */
export function describeError(error: unknown): { code: string; message: string; status: number } {
  const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
  if (error instanceof CliUsageError) return { code: error.code, message: oneLine(error.message), status: 2 };
  if (error instanceof GroupCryptError) return { code: error.code, message: oneLine(error.message), status: 1 };
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: oneLine(text), status: 1 };
}

/** Formats rows as left-aligned columns separated by two spaces. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Shortens a hex id for human output (the 8-character prefix users can type back). */
export function short(hex: string): string {
  return hex.slice(0, 8);
}
