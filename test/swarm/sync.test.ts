/**
 * `sync --swarm` (one-shot, online until quiet) against a `serve`, and a
 * serve that gets its first commands before it is online (they wait, they
 * are not dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, MAIN } from '../cli/helpers.js';
import { has, LineProcess, type LocalTestnet, startTestnet } from '../transport/swarm-helpers.js';
import { cleanEnv } from './serve-helpers.js';
import { HOME_DB } from '../../src/cli/home.js';
import { SWARM_ONE_TIME_PREKEYS } from '../../src/cli/swarm.js';
import { defaultCryptoProvider } from '../../src/crypto/index.js';
import { decodeKeyManager } from '../../src/keys/index.js';
import { decodeOfferBook } from '../../src/peer/offers.js';
import { SqliteStore } from '../../src/store/index.js';

describe('sync --swarm against a serve', () => {
  let testnet: LocalTestnet;
  let root: string;
  let serve: LineProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    testnet = await startTestnet(3);
    root = mkdtempSync(join(tmpdir(), 'gc-swarm-sync-'));
  });
  afterAll(async () => {
    await serve?.kill();
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('a one-shot sync --swarm publishes its bundle, then downloads, processes and reads what a serve wrote', async () => {
    const globals = (who: string): string[] => ['--json', '--home', join(root, who), '--swarm', testnet.bootstrap, '--topic', `sync-${process.pid}`];
    // Spawned asynchronously: the testnet runs in this process and must keep answering meanwhile.
    const ok = async (who: string, args: string[]): Promise<Array<Record<string, unknown>>> => {
      const run = new LineProcess(process.execPath, [MAIN, ...globals(who), ...args], cleanEnv());
      const code = await run.end();
      expect(code, run.stderr.join('')).toBe(0);
      return run.lines as Array<Record<string, unknown>>;
    };
    await ok('alice', ['init', '--name', 'alice']);
    const bob = String((await ok('bob', ['init', '--name', 'bob']))[0]?.['id']);

    serve = new LineProcess(process.execPath, [MAIN, ...globals('alice'), 'serve'], cleanEnv());
    serve.send('create --scheme data'); // before "ready": kept, run once online
    const created = await serve.waitFor<{ group: string }>((line) => has(line, 'group') && has(line, 'scheme'), 30_000);
    await serve.waitFor((line) => has(line, 'done', 'create --scheme data'));
    expect(serve.lines.findIndex((line) => has(line, 'event', 'ready'))).toBeLessThan(serve.lines.findIndex((line) => has(line, 'group')));

    // bob comes online once, briefly: alice learns his bundle from his log.
    expect((await ok('bob', ['sync', '--quiet', '1000']))[0]).toMatchObject({ pending: 0, skipped: [] });
    await serve.waitFor((line) => has(line, 'event', 'peer') && has(line, 'id', bob), 30_000);
    serve.send(`add ${created.group} ${bob}`);
    serve.send(`send ${created.group} "hi bob, over the swarm"`);
    await serve.waitFor((line) => has(line, 'done', `send ${created.group} "hi bob, over the swarm"`), 30_000);

    const report = (await ok('bob', ['sync', '--quiet', '1000']))[0] as { processed: number; pending: number };
    expect(report.processed).toBeGreaterThanOrEqual(2);
    expect(report.pending).toBe(0);
    expect((await ok('bob', ['read', created.group])).map((entry) => entry['data'])).toEqual(['hi bob, over the swarm']);
    expect(await serve.end()).toBe(0);
    serve = undefined;
    // On the swarm each peer keeps one-time pre-keys offered to the peers it knows (issue 18):
    // alice's home holds an offer book naming bob, and the secrets of what it offered.
    const store = await SqliteStore.open(join(root, 'alice', HOME_DB), { crypto: defaultCryptoProvider() });
    try {
      const book = decodeOfferBook((await store.load('otk-offers')) as Uint8Array);
      const keys = decodeKeyManager((await store.load('keys')) as Uint8Array);
      expect(book[bob]?.length).toBeGreaterThanOrEqual(SWARM_ONE_TIME_PREKEYS);
      for (const k of book[bob] ?? []) expect(keys.oneTimePreKeys.some((held) => held.id === k.id)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
