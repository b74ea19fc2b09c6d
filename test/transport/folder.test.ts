/**
 * The folder transport (CLI.md "Shared-folder rules"): write-once files
 * named by their content hash under the peer's own folder; catch-up asks
 * `isKnown` before reading, reports a half-written file as temporary (read
 * again later) and junk names as permanent, filters by kind, and reads an
 * item again by its origin.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import type { TransportItem, TransportProblem } from '../../src/transport/index.js';
import { FolderTransport } from '../../src/transport/index.js';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const hash = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

async function all(transport: FolderTransport, isKnown: (id: string) => boolean = () => false, kinds?: ('bundle' | 'msg')[]): Promise<(TransportItem | TransportProblem)[]> {
  const out: (TransportItem | TransportProblem)[] = [];
  for await (const found of transport.catchUp(isKnown, kinds ? { kinds } : {})) out.push(found);
  return out;
}

describe('FolderTransport', () => {
  it('publishes write-once files named by content hash, idempotently, only under its own folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-folder-'));
    const alice = new FolderTransport({ root, self: ALICE });
    const id = await alice.publish('msg', utf8('hello'));
    expect(id).toBe(hash('hello'));
    const path = join(root, ALICE, `${id}.msg`);
    const before = statSync(path).mtimeMs;
    expect(await alice.publish('msg', utf8('hello'))).toBe(id);
    expect(statSync(path).mtimeMs).toBe(before);
    await alice.publish('bundle', utf8('profile'));
    expect(readdirSync(root)).toEqual([ALICE]);
    expect(readdirSync(join(root, ALICE)).sort()).toEqual([`${hash('profile')}.bundle`, `${id}.msg`].sort());
  });

  it('catch-up skips known ids without reading them, filters kinds, reports junk and half-written files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-folder-'));
    const alice = new FolderTransport({ root, self: ALICE });
    const bob = new FolderTransport({ root, self: BOB });
    const one = await alice.publish('msg', utf8('one'));
    const two = await bob.publish('msg', utf8('two'));
    const profile = await bob.publish('bundle', utf8('bob profile'));
    writeFileSync(join(root, BOB, 'notes.txt'), 'hi');
    writeFileSync(join(root, BOB, '.partial.tmp'), 'ignored');
    mkdirSync(join(root, 'not-a-peer'));
    const full = utf8('three, being copied');
    const three = hash(full);
    writeFileSync(join(root, ALICE, `${three}.msg`), full.subarray(0, 5));
    const found = await all(bob, (id) => id === one);
    const items = found.filter((f): f is TransportItem => f.kind !== 'problem');
    const problems = found.filter((f): f is TransportProblem => f.kind === 'problem');
    expect(items.map((i) => i.id).sort()).toEqual([two, profile].sort());
    expect(items.find((i) => i.id === two)?.bytes).toEqual(utf8('two'));
    expect(problems.map((p) => [p.origin.slice(root.length + 1), p.permanent])).toEqual(expect.arrayContaining([
      [join(ALICE, `${three}.msg`), false],
      [join(BOB, 'notes.txt'), true],
      ['not-a-peer', true],
    ]));
    expect(problems).toHaveLength(3);
    // the copy completes: read on the next catch-up
    writeFileSync(join(root, ALICE, `${three}.msg`), full);
    const later = (await all(bob, (id) => id !== three, ['msg'])).filter((f) => f.kind !== 'problem');
    expect(later.map((f) => (f as TransportItem).id)).toEqual([three]);
    expect(await bob.fetch({ kind: 'msg', id: three, origin: join(root, ALICE, `${three}.msg`) })).toEqual(full);
    expect((await all(bob, () => false, ['bundle'])).filter((f) => f.kind !== 'problem').map((f) => (f as TransportItem).kind)).toEqual(['bundle']);
    expect(readFileSync(join(root, ALICE, `${one}.msg`), 'utf8')).toBe('one');
  });

  it('a missing shared folder is an empty net', async () => {
    const transport = new FolderTransport({ root: join(tmpdir(), `gc-missing-${Date.now()}`), self: ALICE });
    expect(await all(transport)).toEqual([]);
  });
});
