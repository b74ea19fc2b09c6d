/**
 * The folder transport (CLI.md "Shared-folder rules"): write-once files
 * named `<seq>-<content hash>.<kind>` under the peer's own folder; catch-up
 * skips what a settled mark covers (a name alone at its seq), asks `isKnown`
 * before reading the rest, reports a half-written file as temporary (read
 * again later) and junk names as permanent, filters by kind, and reads an
 * item again by its origin.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import type { TransportItem, TransportProblem } from '../../src/transport/index.js';
import { FolderTransport, folderLog, parseFolderFileName } from '../../src/transport/index.js';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const hash = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

async function all(transport: FolderTransport, isKnown: (id: string) => boolean = () => false, kinds?: ('bundle' | 'msg')[]): Promise<(TransportItem | TransportProblem)[]> {
  const out: (TransportItem | TransportProblem)[] = [];
  for await (const found of transport.catchUp(isKnown, kinds ? { kinds } : {})) out.push(found);
  return out;
}

describe('FolderTransport', () => {
  it('publishes write-once files named by seq and content hash, idempotently, only under its own folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-folder-'));
    const alice = new FolderTransport({ root, self: ALICE });
    const id = await alice.publish('msg', utf8('hello'));
    expect(id).toBe(hash('hello'));
    const path = join(root, ALICE, `0-${id}.msg`);
    const before = statSync(path).mtimeMs;
    expect(await alice.publish('msg', utf8('hello'))).toBe(id);
    expect(statSync(path).mtimeMs).toBe(before);
    await alice.publish('bundle', utf8('profile'));
    expect(readdirSync(root)).toEqual([ALICE]);
    expect(readdirSync(join(root, ALICE)).sort()).toEqual([`1-${hash('profile')}.bundle`, `0-${id}.msg`].sort());
    // a new transport on the same folder (the next command) goes on counting, and knows what is there
    const again = new FolderTransport({ root, self: ALICE });
    expect(await again.publish('msg', utf8('hello'))).toBe(id);
    await again.publish('msg', utf8('next'));
    expect(readdirSync(join(root, ALICE))).toContain(`2-${hash('next')}.msg`);
    expect(readdirSync(join(root, ALICE))).toHaveLength(3);
  });

  it('a writer takes the smallest free seq: concurrent publishes never share one, a name far ahead leaves no gap', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-folder-'));
    mkdirSync(join(root, ALICE));
    // someone put a name far ahead, and one at seq 1, in alice's folder
    writeFileSync(join(root, ALICE, `999999999-${hash('junk')}.msg`), 'junk');
    writeFileSync(join(root, ALICE, `1-${hash('copy')}.msg`), 'copy');
    const alice = new FolderTransport({ root, self: ALICE });
    await Promise.all(['a', 'b', 'c', 'd'].map((text) => alice.publish('msg', utf8(text))));
    const seqs = readdirSync(join(root, ALICE)).map((name) => Number(name.split('-')[0])).sort((x, y) => x - y);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 999999999]);
  });

  it('skips a name below the settled mark only while it is alone at its seq; positions name the peer folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gc-folder-'));
    const alice = new FolderTransport({ root, self: ALICE });
    const bob = new FolderTransport({ root, self: BOB });
    const ids = [];
    for (const text of ['zero', 'one', 'two', 'three']) ids.push(await alice.publish('msg', utf8(text)));
    const asked: [string, number | undefined][] = [];
    const read = async (settled: number): Promise<(TransportItem | TransportProblem)[]> => {
      asked.length = 0;
      const out: (TransportItem | TransportProblem)[] = [];
      const isKnown = (id: string, position?: { log: string; seq: number }): boolean => {
        asked.push([id, position?.seq]);
        return false;
      };
      for await (const found of bob.catchUp(isKnown, { settled: new Map([[folderLog(ALICE), settled]]) })) out.push(found);
      return out;
    };
    const first = await read(0);
    expect(first.map((f) => (f as TransportItem).position).sort((x, y) => (x?.seq ?? 0) - (y?.seq ?? 0)))
      .toEqual([0, 1, 2, 3].map((seq) => ({ log: folderLog(ALICE), seq })));
    // a mark of 3: seqs 0..2 are neither asked about nor read
    expect((await read(3)).map((f) => (f as TransportItem).id)).toEqual([ids[3]]);
    expect(asked).toEqual([[ids[3], 3]]);
    // a second name at seq 1 (a copy of 'three', a writer that counted again): both names at seq 1 are checked
    copyFileSync(join(root, ALICE, `3-${ids[3] as string}.msg`), join(root, ALICE, `1-${ids[3] as string}.msg`));
    writeFileSync(join(root, ALICE, `1-${hash('junk')}.msg`), 'not junk');
    // a name not of the layout claims nothing (seq 2 stays skipped) and is reported, below the mark too
    writeFileSync(join(root, ALICE, '2-not-a-hash.msg'), 'x');
    const contested = await read(3);
    expect(asked.map(([id, seq]) => `${seq}:${id}`).sort()).toEqual([`1:${ids[1] as string}`, `1:${ids[3] as string}`, `1:${hash('junk')}`, `3:${ids[3] as string}`].sort());
    expect(contested.filter((f) => f.kind === 'problem').map((p) => [p.origin.slice(root.length + 1), (p as TransportProblem).permanent]).sort())
      .toEqual([[join(ALICE, `1-${hash('junk')}.msg`), false], [join(ALICE, '2-not-a-hash.msg'), true]]);
    // names without a seq (written before seqs) are still read, with no position
    mkdirSync(join(root, BOB));
    writeFileSync(join(root, BOB, `${hash('old')}.msg`), 'old');
    const old = (await read(3)).find((f) => f.kind !== 'problem' && f.id === hash('old')) as TransportItem;
    expect(old.bytes).toEqual(utf8('old'));
    expect(old.position).toBeUndefined();
  });

  it('reads the name layout strictly', () => {
    const h = hash('x');
    expect(parseFolderFileName(`12-${h}.msg`)).toEqual({ id: h, kind: 'msg', seq: 12 });
    expect(parseFolderFileName(`${h}.bundle`)).toEqual({ id: h, kind: 'bundle', seq: undefined });
    expect(parseFolderFileName(`0-${h}.bundle`)?.seq).toBe(0);
    expect(parseFolderFileName(`123456789012345-${h}.msg`)?.seq).toBe(123456789012345);
    for (const bad of [`012-${h}.msg`, `-1-${h}.msg`, `1234567890123456-${h}.msg`, `1-${h}.txt`, `1-${h.toUpperCase()}.msg`, `1_${h}.msg`, `1-${h}.msg.tmp`,
      `1-${h.slice(1)}.msg`, `1-${h.slice(1)}g.msg`, `x${h}.msg`, `1a-${h}.msg`, `-${h}.msg`, '.msg', `.${h}.msg`, `1-${h}.bundle.msg`.replace(h, h.slice(3))]) {
      expect(parseFolderFileName(bad), bad).toBeUndefined();
    }
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
    writeFileSync(join(root, ALICE, `7-${three}.msg`), full.subarray(0, 5));
    const found = await all(bob, (id) => id === one);
    const items = found.filter((f): f is TransportItem => f.kind !== 'problem');
    const problems = found.filter((f): f is TransportProblem => f.kind === 'problem');
    expect(items.map((i) => i.id).sort()).toEqual([two, profile].sort());
    expect(items.find((i) => i.id === two)?.bytes).toEqual(utf8('two'));
    expect(problems.map((p) => [p.origin.slice(root.length + 1), p.permanent])).toEqual(expect.arrayContaining([
      [join(ALICE, `7-${three}.msg`), false],
      [join(BOB, 'notes.txt'), true],
      ['not-a-peer', true],
    ]));
    expect(problems).toHaveLength(3);
    // the copy completes: read on the next catch-up
    writeFileSync(join(root, ALICE, `7-${three}.msg`), full);
    const later = (await all(bob, (id) => id !== three, ['msg'])).filter((f) => f.kind !== 'problem');
    expect(later.map((f) => (f as TransportItem).id)).toEqual([three]);
    expect(await bob.fetch({ kind: 'msg', id: three, origin: join(root, ALICE, `7-${three}.msg`) })).toEqual(full);
    expect((await all(bob, () => false, ['bundle'])).filter((f) => f.kind !== 'problem').map((f) => (f as TransportItem).kind)).toEqual(['bundle']);
    expect(readFileSync(join(root, ALICE, `0-${one}.msg`), 'utf8')).toBe('one');
  });

  it('a missing shared folder is an empty net', async () => {
    const transport = new FolderTransport({ root: join(tmpdir(), `gc-missing-${Date.now()}`), self: ALICE });
    expect(await all(transport)).toEqual([]);
  });
});
