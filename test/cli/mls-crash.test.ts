/**
 * A late joiner's `sync` of an MLS group killed (SIGKILL) at different
 * moments: the next `sync` finishes the work, nothing is lost, nothing is
 * read twice, nothing is reported as skipped (CLI.md: one store commit per
 * change, outbox published after).
 */
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, groupOf, MAIN, Peer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const texts = (lines: unknown[]): string[] => lines.map((l) => (l as { data: string }).data);

describe('MLS: a sync killed midway', () => {
  it('resumes on the next sync: every message read exactly once, membership right, nothing skipped', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = new Peer(join(root, 'home-olivia'), net);
    olivia.ok(['init', '--name', 'olivia', '--mls']);
    const pristine = new Peer(join(root, 'home-alice'), net);
    const aliceId = (pristine.ok(['init', '--name', 'alice', '--mls'])[0] as { id: string }).id;
    const group = groupOf(olivia.ok(['create', '--scheme', 'mls']));
    olivia.ok(['send', group, 'before alice']);
    olivia.ok(['add', group, aliceId]);
    const sent = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const [i, text] of sent.entries()) olivia.ok(['send', group, ...(i % 2 === 0 ? ['--secrets', 'sender-ratchet'] : []), text]);

    let kills = 0;
    for (const delay of [150, 220, 290, 360, 430]) {
      const alice = new Peer(join(root, `home-alice-${delay}`), net);
      cpSync(pristine.home, alice.home, { recursive: true });
      const killed = spawnSync(process.execPath, [MAIN, '--json', '--home', alice.home, '--net', net, 'sync'], {
        timeout: delay, killSignal: 'SIGKILL', encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GROUPCRYPT_'))),
      });
      expect([null, 0]).toContain(killed.status);
      if (killed.status === null) kills++;
      const resumed = alice.run(['sync']);
      expect(resumed.status, `${delay} ms: ${resumed.stderr}`).toBe(0);
      expect(resumed.json[0], `${delay} ms`).toMatchObject({ pending: 0, skipped: [] });
      expect(alice.ok(['members', group]), `${delay} ms`).toEqual([{ group, members: [(olivia.ok(['whoami'])[0] as { id: string }).id, aliceId].sort(), removed: false, owner: expect.any(String), pending: [] }]);
      // long-term history (before alice) and everything after: each exactly once
      expect(texts(alice.ok(['read', group])).sort(), `${delay} ms`).toEqual(['before alice', ...sent].sort());
    }
    expect(kills).toBeGreaterThan(0);
  }, 180_000);
});
