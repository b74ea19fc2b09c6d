/**
 * The hypercore transport with real processes on a local testnet (loopback
 * DHT; never the public one): publish and catch up between processes, an
 * offline author's items served by a third peer, SIGKILL during replication
 * and during appends, plus the pure helpers (topic, bootstrap parsing) and
 * the promise that the Holepunch packages load only when a transport opens.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, nextRediscovery, parseBootstrap, REDISCOVERY_FIRST_MS, REDISCOVERY_MAX_MS, topicOf } from '../../src/transport/hypercore.js';
import { has, LineProcess, type LocalTestnet, startTestnet } from './swarm-helpers.js';

const CHILD = join(import.meta.dirname, 'hypercore-child.ts');
const ROOT = join(import.meta.dirname, '..', '..');

describe('topic and options', () => {
  it('derives the topic as SHA-256("groupcrypt/topic/v1" || 0 || name), never the bare name hash', () => {
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from('groupcrypt/topic/v1'), Buffer.from([0]), Buffer.from('my app')])).digest();
    expect(Buffer.from(topicOf('my app')).equals(expected)).toBe(true);
    expect(Buffer.from(topicOf('my app')).equals(createHash('sha256').update('my app').digest())).toBe(false);
    expect(Buffer.from(topicOf('a')).equals(Buffer.from(topicOf('b')))).toBe(false);
  });

  it('parses bootstrap lists and recognises loopback', () => {
    expect(parseBootstrap('127.0.0.1:49737,localhost:1')).toEqual([{ host: '127.0.0.1', port: 49737 }, { host: 'localhost', port: 1 }]);
    expect(parseBootstrap('public')).toBe('public');
    for (const bad of ['', '127.0.0.1', '127.0.0.1:0', 'h:70000', 'a:1,,b:2']) expect(() => parseBootstrap(bad)).toThrow(/host:port/);
    expect(isLoopbackHost('127.0.0.1') && isLoopbackHost('127.4.5.6') && isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('10.0.0.1') || isLoopbackHost('88.99.1.2')).toBe(false);
  });

  it('while no peer is connected, looks the topic up again after 2 s, 4 s, … and then every minute (Hyperswarm alone waits 10 min)', () => {
    const waits: number[] = [];
    for (let wait = REDISCOVERY_FIRST_MS; waits.length < 8; wait = nextRediscovery(wait)) waits.push(wait);
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(nextRediscovery(0)).toBe(REDISCOVERY_FIRST_MS);
    expect(REDISCOVERY_MAX_MS).toBeLessThan(10 * 60_000);
  });

  it('loads no Holepunch package until a transport is opened', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).filter((path) => /node_modules[\\\\/](hyperswarm|corestore|hyperdht|hypercore)[\\\\/]/.test(path)).length;
      const transport = await import('./src/transport/hypercore.ts');
      const before = loaded();
      const dir = process.argv[1];
      const opened = await transport.openHypercoreTransport({ dir, bootstrap: [{ host: '127.0.0.1', port: 9 }] });
      const after = loaded();
      await opened.close();
      console.log(JSON.stringify({ before, after }));`;
    const dir = mkdtempSync(join(tmpdir(), 'gc-hc-load-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { cwd: ROOT, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const { before, after } = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { before: number; after: number };
      expect(before).toBe(0);
      expect(after).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hypercore transport between processes (local testnet)', () => {
  let testnet: LocalTestnet;
  let root: string;
  const running: LineProcess[] = [];
  let topicCounter = 0;

  beforeAll(async () => {
    testnet = await startTestnet(3);
    root = mkdtempSync(join(tmpdir(), 'gc-hc-'));
  });
  afterAll(async () => {
    await Promise.all(running.map((proc) => proc.kill()));
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  const peer = async (name: string, topic: string): Promise<{ proc: LineProcess; key: string }> => {
    const proc = new LineProcess(process.execPath, ['--import', 'tsx', CHILD, join(root, name), testnet.bootstrap, topic], process.env, ROOT);
    running.push(proc);
    const ready = await proc.waitFor<{ ready: string }>((line) => has(line, 'ready'));
    return { proc, key: ready.ready };
  };
  const freshTopic = (): string => `test-${process.pid}-${topicCounter++}`;
  type Have = { have: number; perLog: Record<string, number>; problems: number };
  // Generous: on a loaded 2-core machine (CI runs the schedule suites beside this) the first
  // swarm connection can take well over 30 s; a bound on a hang, not a timing assertion.
  const awaitItems = async (proc: LineProcess, count: number, ms = 90_000): Promise<Have> => {
    const from = proc.lines.length;
    proc.send({ op: 'await', count, ms });
    return proc.waitFor<Have>((line) => has(line, 'have'), ms + 10_000, from);
  };
  const publish = async (proc: LineProcess, text: string, count: number, size = 0): Promise<string[]> => {
    const from = proc.lines.length;
    proc.send({ op: 'publish', text, count, size });
    return (await proc.waitFor<{ published: string[] }>((line) => has(line, 'published'), 60_000, from)).published;
  };
  type Found = { id: string; origin: string; text: string; problem?: string; position?: { log: string; seq: number } };
  const catchUpWith = async (proc: LineProcess, options: { settled?: Record<string, number>; known?: string[] }): Promise<{ items: Found[]; knownAt: Array<{ id: string; position?: { log: string; seq: number } }> }> => {
    const from = proc.lines.length;
    proc.send({ op: 'catchup', ...options });
    return proc.waitFor((line) => has(line, 'items'), 30_000, from);
  };
  const catchUp = async (proc: LineProcess): Promise<Found[]> => (await catchUpWith(proc, {})).items;

  it('two processes publish; each gets the other\'s items live and by catch-up, in log order', async () => {
    const topic = freshTopic();
    const [a, b] = await Promise.all([peer('two-a', topic), peer('two-b', topic)]);
    const fromA = await publish(a.proc, 'from a', 3);
    const fromB = await publish(b.proc, 'from b', 2);
    expect((await awaitItems(b.proc, 3)).perLog).toEqual({ [a.key]: 3 });
    expect((await awaitItems(a.proc, 2)).perLog).toEqual({ [b.key]: 2 });
    const atB = await catchUp(b.proc);
    expect(atB.filter((item) => item.origin.startsWith(`log:${a.key}:`)).map((item) => item.id)).toEqual(fromA);
    expect(atB.filter((item) => item.origin.startsWith(`log:${a.key}:`)).map((item) => item.text)).toEqual(['from a 0', 'from a 1', 'from a 2']);
    expect(atB.filter((item) => item.origin.startsWith(`log:${a.key}:`)).map((item) => item.position)).toEqual([0, 1, 2].map((seq) => ({ log: a.key, seq })));
    // a settled mark skips the log's prefix; known items are answered with their positions
    const marked = await catchUpWith(b.proc, { settled: { [a.key]: 2, [b.key]: 2 }, known: [fromA[2] as string] });
    expect(marked.items).toEqual([]);
    expect(marked.knownAt).toEqual([{ id: fromA[2], position: { log: a.key, seq: 2 } }]);
    const liveAtA = a.proc.lines.filter((line) => has(line, 'live')).map((line) => (line as { live: { id: string } }).live.id);
    expect(liveAtA).toEqual(fromB); // own appends are not reported as arrivals
    // Publishing the same bytes again is a no-op with the same id.
    expect(await publish(a.proc, 'from a', 3)).toEqual(fromA);
    expect((await catchUp(a.proc)).filter((item) => item.origin.startsWith(`log:${a.key}:`))).toHaveLength(3);
    expect(await a.proc.end()).toBe(0);
    expect(await b.proc.end()).toBe(0);
  }, 300_000);

  it('a peer that was offline catches up an offline author\'s log from a third peer', async () => {
    const topic = freshTopic();
    const author = await peer('off-author', topic);
    const relay = await peer('off-relay', topic);
    const ids = await publish(author.proc, 'while c is away', 20);
    expect((await awaitItems(relay.proc, 20)).perLog).toEqual({ [author.key]: 20 });
    expect(await author.proc.end()).toBe(0); // the author is gone before the late peer ever starts
    const late = await peer('off-late', topic);
    expect((await awaitItems(late.proc, 20)).perLog).toEqual({ [author.key]: 20 });
    expect((await catchUp(late.proc)).map((item) => item.id)).toEqual(ids);
    await Promise.all([late.proc.end(), relay.proc.end()]);
  }, 300_000);

  it('SIGKILL during replication or during appends loses nothing after a restart', async () => {
    const topic = freshTopic();
    const author = await peer('kill-author', topic);
    const total = 1_000;
    const ids = await publish(author.proc, 'bulk', total, 1024);
    // The reader is killed as soon as the first items arrive, then restarted on the same folder.
    const reader = await peer('kill-reader', topic);
    await reader.proc.waitFor((line) => has(line, 'live'), 30_000);
    await reader.proc.kill('SIGKILL');
    const restarted = await peer('kill-reader', topic);
    expect(restarted.key).toBe(reader.key);
    const have = await awaitItems(restarted.proc, total, 60_000);
    expect(have).toEqual({ have: total, perLog: { [author.key]: total }, problems: 0 });
    expect((await catchUp(restarted.proc)).map((item) => item.id)).toEqual(ids);

    // A writer killed in the middle of appending keeps every append it acknowledged.
    const writer = await peer('kill-writer', topic);
    writer.proc.send({ op: 'publish', text: 'append', count: 100_000, each: true });
    await writer.proc.waitFor((line) => has(line, 'acked'), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writer.proc.kill('SIGKILL');
    const acked = writer.proc.lines.filter((line) => has(line, 'acked')).map((line) => (line as { acked: string }).acked);
    expect(acked.length).toBeGreaterThan(0);
    const writerAgain = await peer('kill-writer', topic);
    const own = (await catchUp(writerAgain.proc)).filter((item) => item.origin.startsWith(`log:${writer.key}:`));
    expect(own.every((item) => item.problem === undefined)).toBe(true);
    expect(own.slice(0, acked.length).map((item) => item.id)).toEqual(acked);
    await Promise.all([author.proc.end(), restarted.proc.end(), writerAgain.proc.end()]);
  });
});
