/**
 * Issue 11's networked tests: six peers, each its own `groupcrypt serve
 * --swarm` OS process, on a local testnet (loopback DHT; never the public
 * one). One story, checked step by step:
 *  - concurrent add and remove while some peers are stopped;
 *  - the stopped peers come back and converge;
 *  - a removed peer learns of its removal and reads nothing after it;
 *  - a peer offline during 50 messages catches up from peers other than
 *    their author (the author is stopped before it comes back);
 *  - a serve SIGKILLed during replication loses nothing after a restart;
 *  - one process per home; SIGTERM and stdin close both exit 0;
 *  - the processed ids stay a handful: each log read is one settled mark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME_DB } from '../../src/cli/home.js';
import { SqliteStore } from '../../src/store/index.js';
import { ensureBuilt, MAIN } from '../cli/helpers.js';
import { LineProcess, type LocalTestnet, startTestnet } from '../transport/swarm-helpers.js';
import { cleanEnv, SwarmPeer } from './serve-helpers.js';

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
type Name = (typeof NAMES)[number];

describe('six serve processes on a local testnet', () => {
  let testnet: LocalTestnet;
  let root: string;
  const peers = {} as Record<Name, SwarmPeer>;

  beforeAll(async () => {
    ensureBuilt();
    testnet = await startTestnet(3);
    root = mkdtempSync(join(tmpdir(), 'gc-swarm-'));
    const topic = `swarm-test-${process.pid}-${Date.now()}`;
    for (const name of NAMES) {
      peers[name] = new SwarmPeer(name, root, testnet.bootstrap, topic);
      peers[name].init();
    }
  });
  afterAll(async () => {
    await Promise.all(NAMES.map((name) => (peers[name]?.proc === undefined ? undefined : peers[name].signal('SIGKILL'))));
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('converges through stops, concurrent add/remove, removal, offline catch-up and SIGKILL', async () => {
    const { alice, bob, carol, dave, erin, frank } = peers;
    const sorted = (...ps: SwarmPeer[]): string[] => ps.map((p) => p.id).sort();
    await Promise.all(NAMES.map((name) => peers[name].start()));

    // One process per home: a command on a home a serve holds fails at once, naming it.
    // (spawned asynchronously: the testnet lives in this process and must keep answering)
    const locked = new LineProcess(process.execPath, [MAIN, '--json', '--home', alice.home, '--swarm', testnet.bootstrap, 'whoami'], cleanEnv());
    expect(await locked.end()).toBe(1);
    expect(locked.stderr.join('')).toMatch(/in use by process \d+ \(groupcrypt serve\)/);

    // alice creates the group once she has seen everyone's bundle, and adds bob, carol, dave and erin.
    const [created] = await alice.cmd('create --scheme data');
    const group = String(created?.['group']);
    await alice.proc?.waitFor(() => alice.events('peer').length >= 5, 30_000);
    for (const p of [bob, carol, dave, erin]) expect(await alice.cmd(`add ${group} ${p.id}`)).toEqual([{ group, op: 'add' }]);
    const five = sorted(alice, bob, carol, dave, erin);
    await Promise.all([bob, carol, dave, erin].map((p) => p.membersUntil(group, (v) => v.members.join() === five.join())));
    await alice.cmd(`send ${group} "before the split"`);
    await Promise.all([bob, carol, dave, erin].map((p) => p.readUntil(group, (t) => t.includes('before the split'))));

    // carol and erin stop (SIGTERM and stdin close: both clean, exit 0).
    expect(await carol.signal('SIGTERM')).toBe(0);
    expect(await erin.stop()).toBe(0);

    // Concurrently: alice adds frank, bob removes dave.
    await Promise.all([alice.cmd(`add ${group} ${frank.id}`), bob.cmd(`remove ${group} ${dave.id}`)]);
    const after = sorted(alice, bob, carol, erin, frank);
    await Promise.all([alice, bob, frank].map((p) => p.membersUntil(group, (v) => v.members.join() === after.join() && !v.removed)));
    // dave learns of his removal (an event, and his view), and keeps working.
    const daveView = await dave.membersUntil(group, (v) => v.removed);
    expect(daveView.members).not.toContain(dave.id);
    expect(dave.events('members').some((e) => e['removed'] === true)).toBe(true);

    // 50 messages by bob while erin (and carol) are away; alice and frank receive them.
    const texts = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const text of texts) await bob.cmd(`send ${group} ${text}`);
    await Promise.all([alice, frank].map((p) => p.readUntil(group, (t) => texts.every((x) => t.includes(x)))));
    // The author goes away before erin comes back: she can only get them from the others.
    expect(await bob.stop()).toBe(0);
    await erin.start();
    await erin.membersUntil(group, (v) => v.members.join() === after.join() && !v.removed);
    const erinRead = await erin.readUntil(group, (t) => texts.every((x) => t.includes(x)));
    // Same set, exactly once each (the order is the Peer's delivery order today; see src/peer/app-log.ts readOrder).
    expect(erinRead.filter((e) => e.sender === bob.id).map((e) => e.data).sort()).toEqual(texts);

    // carol comes back and is SIGKILLed while she replicates; after a restart nothing is lost.
    await carol.start();
    await carol.proc?.waitFor((line) => typeof line === 'object' && line !== null && (line as { event?: string }).event === 'message', 30_000);
    await carol.signal('SIGKILL');
    await carol.start();
    await carol.membersUntil(group, (v) => v.members.join() === after.join() && !v.removed);
    const carolRead = await carol.readUntil(group, (t) => texts.every((x) => t.includes(x)));
    expect(carolRead.map((e) => e.data).sort()).toEqual(['before the split', ...texts].sort());

    // dave, removed before the 50 were sent, reads none of them.
    const daveRead = (await dave.cmd(`read ${group}`)).map((e) => e['data']);
    expect(daveRead).toContain('before the split');
    expect(daveRead.some((text) => texts.includes(String(text)))).toBe(false);
    expect(dave.events('message').some((e) => texts.includes(String(e['data'])))).toBe(false);
    // what was sent after his removal reaches him as "not for me" events, never as skipped errors
    await dave.proc?.waitFor((line) => typeof line === 'object' && line !== null && (line as { event?: string }).event === 'not-for-me', 30_000);
    expect(dave.events('not-for-me').every((e) => e['group'] === group)).toBe(true);
    expect(dave.events('skipped').some((e) => /STATE_(MISSING_SECRET|UNKNOWN_EPOCH|MISSING_KEY)/.test(String(e['reason'])))).toBe(false);

    // Everyone still in the group agrees.
    for (const p of [alice, carol, erin, frank]) expect((await p.cmd(`members ${group}`))[0]).toEqual({ group, members: after, removed: false });
    for (const p of [alice, carol, dave, erin, frank]) expect(await p.stop()).toBe(0);

    // Each home remembers the items of the logs it read as one settled mark per log, not one
    // processed id per item (issue 12): erin and carol each applied over 50 items from others.
    for (const p of [carol, erin]) {
      const store = await SqliteStore.open(join(p.home, HOME_DB));
      const rows = (await store.processedIds?.())?.length ?? 0;
      await store.close();
      expect(rows).toBeLessThan(20);
    }
  });
});
