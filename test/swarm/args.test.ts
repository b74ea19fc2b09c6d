/**
 * Swarm-mode command lines (CLI.md "Swarm mode"): --swarm/--topic and their
 * environment variables, serve needs a swarm, `demo --swarm` is a flag,
 * serve's command-line splitting.
 */
import { describe, expect, it } from 'vitest';
import { CliUsageError, DEFAULT_TOPIC, parseArgs } from '../../src/cli/args.js';
import { splitCommandLine } from '../../src/cli/swarm.js';

describe('swarm options', () => {
  it('takes --swarm and --topic, or GROUPCRYPT_SWARM and GROUPCRYPT_TOPIC; the topic defaults to "groupcrypt"', () => {
    const given = parseArgs(['--home', 'h', '--swarm', '127.0.0.1:1', '--topic', 't', 'sync', '--quiet', '500'], {});
    expect([given.swarm, given.topic, given.net, given.options['quiet']]).toEqual(['127.0.0.1:1', 't', '', '500']);
    const fromEnv = parseArgs(['serve'], { GROUPCRYPT_HOME: 'h', GROUPCRYPT_SWARM: '127.0.0.1:2', GROUPCRYPT_TOPIC: 'x' });
    expect([fromEnv.command, fromEnv.swarm, fromEnv.topic]).toEqual(['serve', '127.0.0.1:2', 'x']);
    expect(parseArgs(['--home', 'h', '--swarm', 'public', 'sync'], {}).topic).toBe(DEFAULT_TOPIC);
    // an explicit option beats the other transport's environment variable
    expect(parseArgs(['--home', 'h', '--net', 'n', 'sync'], { GROUPCRYPT_SWARM: '127.0.0.1:2' })).toMatchObject({ net: 'n', swarm: '' });
    expect(parseArgs(['--home', 'h', '--swarm', '127.0.0.1:3', 'sync'], { GROUPCRYPT_NET: 'n' })).toMatchObject({ net: '', swarm: '127.0.0.1:3' });
  });

  it('rejects serve without a swarm, both transports, an empty topic and a bad --quiet (usage, exit 2)', () => {
    const bad: Array<[string[], Record<string, string>]> = [
      [['--home', 'h', 'serve'], {}],
      [['--home', 'h', '--net', 'n', 'serve'], {}],
      [['--home', 'h', '--net', 'n', '--swarm', '127.0.0.1:1', 'sync'], {}],
      [['--home', 'h', 'sync'], { GROUPCRYPT_NET: 'n', GROUPCRYPT_SWARM: '127.0.0.1:1' }],
      [['--home', 'h', '--swarm', '127.0.0.1:1', '--topic', '', 'sync'], {}],
      [['--home', 'h', '--swarm', '127.0.0.1:1', 'sync', '--quiet', 'soon'], {}],
      [['--home', 'h', '--swarm', 'sync'], {}],
      [['demo', '--swarm', '127.0.0.1:1'], {}],
    ];
    for (const [argv, env] of bad) expect(() => parseArgs(argv, env), argv.join(' ')).toThrow(CliUsageError);
  });

  it('takes "demo --swarm" as a flag', () => {
    expect(parseArgs(['demo', '--swarm'], {}).swarm).not.toBe('');
    expect(parseArgs(['--swarm', 'demo'], {}).command).toBe('demo');
    expect(parseArgs(['demo'], {}).swarm).toBe('');
  });

  it('splits serve command lines like a shell: quotes and backslashes', () => {
    expect(splitCommandLine('send 1a2b3c4d "hello  world"')).toEqual(['send', '1a2b3c4d', 'hello  world']);
    expect(splitCommandLine("send G 'it''s' x\\ y \"\"")).toEqual(['send', 'G', 'its', 'x y', '']);
    expect(splitCommandLine('  members   G  ')).toEqual(['members', 'G']);
    expect(() => splitCommandLine('send G "open')).toThrow(CliUsageError);
    expect(() => splitCommandLine('send G x\\')).toThrow(CliUsageError);
  });
});
