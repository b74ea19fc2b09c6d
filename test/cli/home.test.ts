/**
 * CLI.md "Home folders": a home is private (0700, files 0600), a
 * passphrase encrypts its store (a wrong or missing one is exit 1 and
 * changes nothing), and a home is used by one process at a time (a command
 * on a held home fails at once, naming the holder).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, gc, groupOf, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

function modes(home: string): { dir: number; files: Record<string, number> } {
  const files: Record<string, number> = {};
  for (const name of readdirSync(home)) files[name] = statSync(join(home, name)).mode & 0o777;
  return { dir: statSync(home).mode & 0o777, files };
}

function digest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

describe('home folders', () => {
  it('a new home is 0700 and its files 0600, also after commands wrote to it', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const first = modes(alice.peer.home);
    expect(first.dir).toBe(0o700);
    expect(Object.keys(first.files)).toContain('groupcrypt.db');
    for (const [name, mode] of Object.entries(first.files)) expect(mode, name).toBe(0o600);
    const group = groupOf(alice.peer.ok(['create']));
    alice.peer.ok(['send', group, 'hello']);
    alice.peer.ok(['sync']);
    const later = modes(alice.peer.home);
    expect(later.dir).toBe(0o700);
    for (const [name, mode] of Object.entries(later.files)) expect(mode, name).toBe(0o600);
  });

  it('a passphrase encrypts the store; a wrong or missing one is exit 1 and changes nothing', () => {
    const root = tempDir();
    const home = join(root, 'home');
    const net = join(root, 'net');
    const secretFile = join(root, 'secret.txt');
    writeFileSync(secretFile, 'correct horse battery staple\n');
    const env = { GROUPCRYPT_PASSPHRASE: 'correct horse battery staple' };
    const init = gc(['--json', '--home', home, '--net', net, 'init', '--name', 'zelda-the-secret-name'], { env });
    expect(init.status).toBe(0);
    const id = (init.json[0] as { id: string }).id;
    const create = gc(['--json', '--home', home, '--net', net, '--passphrase-file', secretFile, 'create']);
    expect(create.status).toBe(0);
    const group = groupOf(create.json);
    expect(gc(['--json', '--home', home, '--net', net, 'send', group, 'PLAINTEXT-AT-REST'], { env }).status).toBe(0);
    // nothing readable in the home's files
    for (const name of readdirSync(home)) {
      const bytes = readFileSync(join(home, name));
      expect(bytes.includes('PLAINTEXT-AT-REST'), name).toBe(false);
      expect(bytes.includes('zelda-the-secret-name'), name).toBe(false);
    }
    const before = digest(home);
    const wrong = gc(['--json', '--home', home, 'whoami'], { env: { GROUPCRYPT_PASSPHRASE: 'wrong horse' } });
    expect(wrong.status).toBe(1);
    expect(wrong.json).toEqual([{ error: { code: 'STORE_KEY', message: expect.any(String) } }]);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    const missing = gc(['--json', '--home', home, 'read', group]);
    expect(missing.status).toBe(1);
    expect(missing.json).toEqual([{ error: { code: 'STORE_KEY', message: expect.any(String) } }]);
    expect(digest(home)).toBe(before);
    const right = gc(['--json', '--home', home, 'read', group], { env });
    expect(right.status).toBe(0);
    expect(right.json).toEqual([{ sender: id, data: 'PLAINTEXT-AT-REST', base64: expect.any(String) }]);
  });

  it('a home held by a running process: a command fails at once with exit 1, naming that process; a dead holder is taken over', async () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(alice.peer.home, 'groupcrypt.lock'), JSON.stringify({ pid: holder.pid, command: 'groupcrypt serve' }), { mode: 0o600 });
      const started = Date.now();
      const r = alice.peer.run(['whoami']);
      expect(r.status).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.json).toEqual([{ error: { code: 'STORE_LOCKED', message: expect.stringContaining(`process ${holder.pid} (groupcrypt serve)`) } }]);
      expect(r.stderr).toContain(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // the holder died: its lock is stale and taken over
    expect(alice.peer.ok(['whoami'])).toEqual([{ id: alice.id, name: 'alice' }]);
    expect(readdirSync(alice.peer.home)).not.toContain('groupcrypt.lock');
  });
});
