/**
 * Hostile input to an MLS Secret Group through the command (CLI.md rules
 * hold for MLS groups too): a tampered sender-ratchet message, a garbage
 * Secret Group document under the group's id, and a garbage file are each
 * reported once by `sync` under `skipped` (exit 0), change nothing, and do
 * not keep the group from working.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDeps, toHex } from '../../src/crypto/index.js';
import { secretGroupDocumentKind } from '../../src/mls/index.js';
import { decodeMlsItem, encodeMlsItem } from '../../src/peer/mls-item.js';
import { ensureBuilt, groupOf, Peer, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

const deps = defaultDeps();

function mlsPeer(root: string, net: string, name: string): { peer: Peer; id: string } {
  const peer = new Peer(join(root, `home-${name}`), net);
  const [info] = peer.ok(['init', '--name', name, '--mls']) as { id: string }[];
  return { peer, id: (info as { id: string }).id };
}

/** Writes `bytes` into the net as an outsider's file named by its hash. */
function drop(net: string, bytes: Uint8Array): void {
  const dir = join(net, 'ab'.repeat(32));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${toHex(deps.crypto.sha256(bytes))}.msg`), bytes);
}

const texts = (lines: unknown[]): string[] => lines.map((l) => (l as { data: string }).data);

describe('hostile input to an MLS group through the command', () => {
  it('tampered, garbage and foreign documents are skipped once, change nothing, and the group keeps working', () => {
    const root = tempDir();
    const net = join(root, 'net');
    const olivia = mlsPeer(root, net, 'olivia');
    const alice = mlsPeer(root, net, 'alice');
    const group = groupOf(olivia.peer.ok(['create', '--scheme', 'mls']));
    olivia.peer.ok(['add', group, alice.id]);
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    olivia.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'before']);

    // a copy of Olivia's message with one ciphertext byte flipped
    const dir = join(net, olivia.id);
    const message = readdirSync(dir).map((name) => readFileSync(join(dir, name))).map((bytes) => decodeMlsItem(new Uint8Array(bytes)))
      .find((item) => item !== undefined && secretGroupDocumentKind(item.document) === 'message');
    if (message === undefined) throw new Error('no MLS message in the net');
    const tampered = message.document.slice();
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] as number) ^ 1;
    drop(net, encodeMlsItem(group, tampered));
    drop(net, encodeMlsItem(group, deps.crypto.randomBytes(200)));
    drop(net, deps.crypto.randomBytes(300));

    const membersBefore = alice.peer.ok(['members', group]);
    const first = alice.peer.run(['sync']);
    expect(first.status).toBe(0);
    const skipped = (first.json[0] as { skipped: { path: string; reason: string }[] }).skipped;
    expect(skipped).toHaveLength(3);
    for (const s of skipped) expect(s.reason).toMatch(/^[A-Z_]+: /);
    expect(texts(alice.peer.ok(['read', group]))).toEqual(['before']);
    expect(alice.peer.ok(['members', group])).toEqual(membersBefore);
    // settled: not reported again
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);

    olivia.peer.ok(['send', group, '--secrets', 'sender-ratchet', 'after']);
    expect(alice.peer.ok(['sync'])).toMatchObject([{ skipped: [] }]);
    expect(texts(alice.peer.ok(['read', group]))).toEqual(['before', 'after']);
  }, 60_000);
});
