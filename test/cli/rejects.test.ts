/**
 * Issue 17 item 7 through the command: complete files that can never be
 * valid (garbage under their correct content-hash name, in any folder) are
 * reported by the first `sync` and remembered by content hash: later syncs
 * neither read nor report them again. A half-written file is still re-read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, groupOf, newPeer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

type Report = { processed: number; pending: number; skipped: { path: string; reason: string }[] };

describe('files rejected for good are remembered', () => {
  it('big forged files are reported once, then never read again; a half-written one keeps being re-read', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const alice = newPeer(root, net, 'alice');
    const group = groupOf(alice.peer.ok(['create']));
    const forger = join(net, 'f'.repeat(64));
    mkdirSync(forger, { recursive: true });
    const forged: string[] = [];
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(4 * 1024 * 1024);
      const name = `${createHash('sha256').update(bytes).digest('hex')}.msg`;
      writeFileSync(join(forger, name), bytes);
      forged.push(join(forger, name));
    }
    const half = join(forger, `${'1'.repeat(64)}.msg`);
    writeFileSync(half, 'half');
    const [first] = alice.peer.ok(['sync']) as Report[];
    expect(first?.skipped.map((s) => s.path).sort()).toEqual([...forged, half].sort());
    const [second] = alice.peer.ok(['sync']) as Report[];
    expect(second?.skipped.map((s) => s.path)).toEqual([half]);
    expect(alice.peer.ok(['members', group])).toEqual([{ group, members: [alice.id], removed: false }]);
  });
});
