/**
 * CLI.md contract, the parts without groups: global options and env vars,
 * exit status 2 for bad usage, 1 for other errors with one stderr line,
 * `init` / `whoami` / `peers` JSON shapes, garbage bundles skipped.
 */
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, gc, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const HEX64 = /^[0-9a-f]{64}$/;

describe('bad usage exits 2', () => {
  const root = tempDir();
  const home = join(root, 'h');
  const net = join(root, 'n');
  const cases: [string, string[]][] = [
    ['unknown command', ['frobnicate']],
    ['unknown option', ['--home', home, '--net', net, 'sync', '--frob']],
    ['option of another command', ['--home', home, '--net', net, 'sync', '--scheme', 'data']],
    ['malformed group id', ['--home', home, 'members', 'xyz12345']],
    ['too short prefix', ['--home', home, 'members', 'abcdef1']],
    ['id too long', ['--home', home, 'members', 'a'.repeat(65)]],
    ['malformed member id', ['--home', home, '--net', net, 'add', 'abcdef12', 'not-hex!']],
    ['missing argument', ['--home', home, '--net', net, 'add', 'abcdef12']],
    ['extra argument', ['--home', home, 'whoami', 'extra']],
    ['bad scheme', ['--home', home, '--net', net, 'create', '--scheme', 'rot13']],
    ['send with both TEXT and --file', ['--home', home, '--net', net, 'send', 'abcdef12', 'hi', '--file', 'x']],
    ['send with neither', ['--home', home, '--net', net, 'send', 'abcdef12']],
    ['missing --home', ['whoami']],
    ['missing --net', ['--home', home, 'sync']],
    ['option without value', ['--home']],
  ];
  for (const [what, args] of cases) {
    it(what, () => {
      const r = gc(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
  }
  it('with --json the error is also a JSON value on stdout', () => {
    const r = gc(['--json', 'frobnicate']);
    expect(r.status).toBe(2);
    expect(r.json).toEqual([{ error: { code: 'USAGE_ARGUMENT', message: expect.any(String) } }]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('init, whoami, peers', () => {
  const root = tempDir();
  const net = join(root, 'net');

  it('init prints {id,name}, whoami agrees; env vars work like options', () => {
    const { peer, id } = newPeer(root, net, 'alice');
    expect(id).toMatch(HEX64);
    expect(peer.ok(['whoami'])).toEqual([{ id, name: 'alice' }]);
    const viaEnv = gc(['--json', 'whoami'], { env: { GROUPCRYPT_HOME: peer.home } });
    expect(viaEnv.status).toBe(0);
    expect(viaEnv.json).toEqual([{ id, name: 'alice' }]);
    // the net holds only the public bundle, under the peer's own folder
    expect(readdirSync(net)).toEqual([id]);
    expect(readdirSync(join(net, id))).toEqual([expect.stringMatching(/^0-[0-9a-f]{64}\.bundle$/)]);
  });

  it('init twice fails with 1 and leaves the identity unchanged', () => {
    const { peer, id } = newPeer(root, net, 'bob');
    const again = peer.run(['init', '--name', 'mallory']);
    expect(again.status).toBe(1);
    expect(again.json).toEqual([{ error: { code: 'STATE_DUPLICATE', message: expect.any(String) } }]);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(peer.ok(['whoami'])).toEqual([{ id, name: 'bob' }]);
  });

  it('a command on a home that was never initialised fails with 1', () => {
    const r = gc(['--json', '--home', join(root, 'nothing'), 'whoami']);
    expect(r.status).toBe(1);
    expect(r.json).toHaveLength(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('peers lists every published identity, sorted, and skips garbage and forgeries', () => {
    const net2 = join(root, 'net2');
    const a = newPeer(root, net2, 'carol');
    const b = newPeer(root, net2, 'dave');
    // garbage: a random file with a valid-looking name, a bad name, a half-written bundle
    const junkDir = join(net2, 'f'.repeat(64));
    mkdirSync(junkDir);
    writeFileSync(join(junkDir, `${'0'.repeat(64)}.bundle`), 'not a bundle');
    writeFileSync(join(junkDir, 'README.txt'), 'hello');
    writeFileSync(join(net2, b.id, `${'1'.repeat(64)}.bundle`), new Uint8Array(10));
    const r = a.peer.run(['peers']);
    expect(r.status).toBe(0);
    const expected = [{ id: a.id, name: 'carol' }, { id: b.id, name: 'dave' }].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(r.json).toEqual(expected);
  });
});
