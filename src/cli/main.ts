#!/usr/bin/env node
/**
 * Entry point of the `groupcrypt` command (package `bin`): binds `runCli`
 * to the process streams and exit status.
 */
import { runCli } from './run.js';

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

const status = await runCli(process.argv.slice(2), process.env, {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stdin: readStdin,
});
process.exitCode = status;
