/** Argument parsing (pure): options anywhere, `--opt=value`, env fallbacks, `--`, usage errors. */
import { describe, expect, it } from 'vitest';
import { CliUsageError, parseArgs } from '../../src/cli/index.js';

const env = { GROUPCRYPT_HOME: '/h', GROUPCRYPT_NET: '/n' };

describe('parseArgs', () => {
  it('takes global options before or after the command, and env fallbacks', () => {
    expect(parseArgs(['sync', '--json', '--home=/x'], env)).toMatchObject({ command: 'sync', home: '/x', net: '/n', json: true });
    expect(parseArgs(['--net', '/y', 'sync'], env)).toMatchObject({ command: 'sync', home: '/h', net: '/y', json: false });
  });

  it('normalises ids to lower case and keeps TEXT after --', () => {
    const parsed = parseArgs(['send', 'ABCDEF12', '--', '--not-an-option'], env);
    expect(parsed.args).toEqual({ GROUP: 'abcdef12', TEXT: '--not-an-option' });
    expect(parseArgs(['send', 'abcdef12', '--file', '-'], env).options).toEqual({ file: '-' });
  });

  it('defaults to help', () => {
    expect(parseArgs([], {}).command).toBe('help');
    expect(parseArgs(['--help'], {}).command).toBe('help');
  });

  it.each([
    [['nope']],
    [['sync', '--nope']],
    [['sync', '--json=1']],
    [['init', '--name']],
    [['init', '--name', '']],
    [['init', '--name', 'a', '--name', 'b']],
    [['members', '1234567']],
    [['members', '123456789g']],
    [['add', 'abcdef12', 'abcdef12', 'extra']],
    [['create', '--scheme', 'nope']],
    [['create', '--scheme', 'mls', '--lts-suite', '4']],
    [['create', '--scheme', 'data', '--mls-suite', '1']],
    [['send', 'abcdef12', 'x', '--secrets', 'both']],
    [['sync', '--mls=yes']],
    [['create', '--scheme', 'mls', '--pq']],
    [['create', '--file', 'x']],
    [['help', 'nope']],
  ])('%j is a usage error', (argv) => {
    expect(() => parseArgs(argv, env)).toThrow(CliUsageError);
  });

  it('parses the MLS options: create --scheme mls with suites, --mls as a flag, send --secrets', () => {
    expect(parseArgs(['create', '--scheme', 'mls', '--lts-suite', '2', '--mls-suite', '1'], env).options).toEqual({ scheme: 'mls', 'lts-suite': '2', 'mls-suite': '1' });
    expect(parseArgs(['sync', '--mls'], env).options).toEqual({ mls: 'true' });
    expect(parseArgs(['init', '--mls', '--name', 'a'], env).options).toEqual({ name: 'a', mls: 'true' });
    expect(parseArgs(['send', 'abcdef12', 'x', '--secrets', 'sender-ratchet'], env).options).toEqual({ secrets: 'sender-ratchet' });
  });

  it('needs --home and --net only where the command uses them', () => {
    expect(() => parseArgs(['sync'], {})).toThrow(CliUsageError);
    expect(() => parseArgs(['sync', '--home', '/h'], {})).toThrow(CliUsageError);
    expect(parseArgs(['members', 'abcdef12', '--home', '/h'], {}).command).toBe('members');
    expect(parseArgs(['demo'], {}).command).toBe('demo');
  });
});
