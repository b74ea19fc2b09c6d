/**
 * An MLS Secret Group over the swarm (local testnet on loopback, never the
 * public DHT): the owner's and a member's `serve` processes, and a third
 * peer that only comes online for a one-shot `sync --swarm`. Key packages
 * travel through the swarm; the owner adds a member from its key package;
 * both send (sender-ratchet and long-term) and read; a member's add is a
 * proposal the owner's serve commits when it sees it; the late joiner reads
 * the long-term history after a one-shot sync; a SIGKILLed serve catches up
 * after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, MAIN } from '../cli/helpers.js';
import { has, LineProcess, type LocalTestnet, startTestnet } from '../transport/swarm-helpers.js';
import { cleanEnv, SwarmPeer } from './serve-helpers.js';

/** Retries a command until it prints no error (a key package may still be on its way: over a local swarm on a loaded 2-core machine, once more than 120 s with the whole suite beside it). */
async function untilOk(peer: SwarmPeer, line: string, ms = 240_000): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const out = await peer.cmd(line);
    if (!out.some((l) => has(l, 'error'))) return out;
    if (Date.now() > deadline) throw new Error(`${peer.name}: "${line}" kept failing: ${JSON.stringify(out)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('MLS Secret Group over the swarm', () => {
  let testnet: LocalTestnet;
  let root: string;
  let olivia: SwarmPeer;
  let alice: SwarmPeer;
  let bob: SwarmPeer;

  beforeAll(async () => {
    ensureBuilt();
    testnet = await startTestnet(3);
    root = mkdtempSync(join(tmpdir(), 'gc-swarm-mls-'));
    const topic = `swarm-mls-${process.pid}-${Date.now()}`;
    olivia = new SwarmPeer('olivia', root, testnet.bootstrap, topic);
    alice = new SwarmPeer('alice', root, testnet.bootstrap, topic);
    bob = new SwarmPeer('bob', root, testnet.bootstrap, topic);
    for (const p of [olivia, alice, bob]) p.init(['--mls']);
  });
  afterAll(async () => {
    await Promise.all([olivia, alice].map((p) => (p?.proc === undefined ? undefined : p.signal('SIGKILL'))));
    await testnet.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('owner creates, adds a member from its key package; both send and read; a proposal is committed; a one-shot sync joins and reads', async () => {
    // spawned asynchronously: the testnet lives in this process and must keep answering
    const oneShot = async (args: string[]): Promise<Array<Record<string, unknown>>> => {
      const run = new LineProcess(process.execPath, [MAIN, '--json', '--home', bob.home, '--swarm', testnet.bootstrap, '--topic', bob.topic, ...args], cleanEnv());
      const code = await run.end();
      expect(code, run.stderr.join('')).toBe(0);
      return run.lines as Array<Record<string, unknown>>;
    };
    await Promise.all([olivia.start(), alice.start()]);

    const [created] = await olivia.cmd('create --scheme mls --lts-suite 3');
    expect(created).toEqual({ group: expect.stringMatching(/^[0-9a-f]{64}$/), scheme: 'mls' });
    const group = String(created?.['group']);
    // alice's key packages reach olivia over the swarm; then the add is a commit with her Welcome
    expect(await untilOk(olivia, `add ${group} ${alice.id}`)).toEqual([{ group, op: 'add' }]);
    const two = [olivia.id, alice.id].sort();
    await alice.membersUntil(group, (v) => v.members.join() === two.join());
    expect((await alice.cmd(`members ${group}`))[0]).toEqual({ group, members: two, removed: false, owner: olivia.id, pending: [] });

    expect(await olivia.cmd(`send ${group} "olivia, long-term"`)).toEqual([{ group, bytes: 17 }]);
    expect(await alice.cmd(`send ${group} --secrets sender-ratchet "alice, sender ratchet"`)).toEqual([{ group, bytes: 21 }]);
    const both = ['olivia, long-term', 'alice, sender ratchet'];
    await olivia.readUntil(group, (t) => both.every((x) => t.includes(x)));
    await alice.readUntil(group, (t) => both.every((x) => t.includes(x)));
    expect(alice.events('message').map((e) => e['data'])).toContain('olivia, long-term');

    // bob comes online once: his key packages reach alice, whose add is a proposal olivia's serve commits
    expect((await oneShot(['sync', '--quiet', '1500']))[0]).toMatchObject({ skipped: [] });
    expect(await untilOk(alice, `add ${group} ${bob.id}`)).toEqual([{ group, op: 'add' }]);
    const three = [olivia.id, alice.id, bob.id].sort();
    await alice.membersUntil(group, (v) => v.members.join() === three.join());
    expect((await olivia.cmd(`members ${group}`))[0]).toEqual({ group, members: three, removed: false, owner: olivia.id, pending: [] });
    await olivia.cmd(`send ${group} "olivia to three"`);
    await alice.readUntil(group, (t) => t.includes('olivia to three'));

    // bob's one-shot sync: he joins, and reads the long-term history (not alice's sender-ratchet message)
    for (let tries = 0; ; tries++) {
      const report = (await oneShot(['sync', '--quiet', '1500']))[0];
      expect(report).toMatchObject({ skipped: [] });
      const members = (await oneShot(['members', group]))[0];
      if (members !== undefined && !has(members, 'error')) {
        expect(members).toEqual({ group, members: three, removed: false, owner: olivia.id, pending: [] });
        break;
      }
      if (tries >= 4) throw new Error(`bob never joined: ${JSON.stringify(members)}`);
    }
    const bobRead = (await oneShot(['read', group])).map((e) => e['data']);
    expect(bobRead.sort()).toEqual(['olivia to three', 'olivia, long-term'].sort());

    // alice's serve is SIGKILLed; what olivia sends meanwhile reaches her after a restart, and she still sends
    await alice.signal('SIGKILL');
    await olivia.cmd(`send ${group} --secrets sender-ratchet "while alice is down"`);
    await alice.start();
    await alice.readUntil(group, (t) => t.includes('while alice is down'));
    expect((await alice.cmd(`members ${group}`))[0]).toEqual({ group, members: three, removed: false, owner: olivia.id, pending: [] });
    await alice.cmd(`send ${group} --secrets sender-ratchet "alice is back"`);
    await olivia.readUntil(group, (t) => t.includes('alice is back'));
    expect(olivia.events('skipped')).toEqual([]);

    for (const p of [olivia, alice]) expect(await p.stop()).toBe(0);
  }, 360_000);
});
