/**
 * `runCommandLine(peer, argv, out)`: one command line against an open Peer,
 * as a long-running peer (`serve`) runs each input line: the one-shot
 * grammar without global options, results printed as the one-shot command
 * prints them, errors as one stderr line (+ JSON), the exit status returned.
 */
import { describe, expect, it } from 'vitest';
import { Output, runCommandLine } from '../../src/cli/index.js';
import { Peer } from '../../src/peer/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { MemoryNet, MemoryTransport } from '../../src/transport/index.js';

function capture(json = true): { out: Output; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: new Output({ stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), stdin: async () => new Uint8Array(0) }, json), stdout, stderr };
}

describe('runCommandLine', () => {
  it('runs the one-shot commands against an open peer, one line at a time', async () => {
    const net = new MemoryNet();
    const alice = await Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) }, { name: 'alice' });
    const bob = await Peer.create({ store: new MemoryStore(), transport: (self) => new MemoryTransport(net, self) }, { name: 'bob' });
    const line = async (argv: string[]): Promise<{ status: number; json: unknown[]; stderr: string[] }> => {
      const c = capture();
      const status = await runCommandLine(alice, argv, c.out);
      return { status, json: c.stdout.map((l) => JSON.parse(l) as unknown), stderr: c.stderr };
    };
    expect(await line(['whoami'])).toEqual({ status: 0, json: [{ id: alice.id, name: 'alice' }], stderr: [] });
    const created = await line(['create', '--scheme', 'message']);
    const group = (created.json[0] as { group: string }).group;
    expect(created.json).toEqual([{ group: expect.stringMatching(/^[0-9a-f]{64}$/), scheme: 'message' }]);
    expect((await line(['add', group.slice(0, 8), bob.id.slice(0, 10)])).json).toEqual([{ group, op: 'add' }]);
    expect((await line(['send', group, 'hello bob'])).json).toEqual([{ group, bytes: 9 }]);
    expect((await line(['members', group])).json).toEqual([{ group, members: [alice.id, bob.id].sort(), removed: false }]);
    expect((await line(['read', group])).json).toEqual([{ sender: alice.id, data: 'hello bob', base64: Buffer.from('hello bob').toString('base64') }]);
    expect((await line(['peers'])).json).toEqual([{ id: alice.id, name: 'alice' }, { id: bob.id, name: 'bob' }].sort((a, b) => (a.id < b.id ? -1 : 1)));
    const unknown = await line(['members', 'abcdef0123']);
    expect(unknown.status).toBe(1);
    expect(unknown.json).toEqual([{ error: { code: 'STATE_UNKNOWN_GROUP', message: expect.any(String) } }]);
    expect(unknown.stderr).toHaveLength(1);
    for (const bad of [['frobnicate'], ['--home', '/tmp/x', 'whoami'], ['--json', 'whoami'], ['init'], ['demo'], ['send', group]]) {
      const r = await line(bad);
      expect(r.status, bad.join(' ')).toBe(2);
      expect(r.json, bad.join(' ')).toEqual([{ error: { code: 'USAGE_ARGUMENT', message: expect.any(String) } }]);
    }
    const sync = await line(['sync']);
    expect(sync.json).toEqual([{ processed: expect.any(Number), pending: 0, notForMe: 0, skipped: [] }]);
    await alice.close();
    await bob.close();
  });
});
