/**
 * Checks of a reopened crash-test state that need the group layer: every
 * application message a peer read still decrypts with the peer's reopened
 * state, its sender is the peer that sent the bundle, and nothing was read
 * twice.
 */
import type { Deps } from '../../../src/crypto/index.js';
import { applicationPosition, applicationStands, openWireBundle, receive } from '../../../src/group/index.js';
import type { GroupState } from '../../../src/group/index.js';
import type { OutboxMessage } from '../../../src/store/index.js';
import type { Peer, ReadRecord, SimState } from './group-model.js';

/** A copy of a data-scheme state that has forgotten which messages it received (replay windows), so they decrypt again. */
function forgetReplays(group: GroupState): GroupState {
  if (!group.data) throw new Error('crash test: expected a data-scheme group');
  return { ...group, data: { ...group.data, seen: {} } };
}

/** Decrypts `record` again with a copy of the peer's state; throws unless it yields the same text from the same sender. */
export function reread(peer: Peer, record: ReadRecord, bundles: ReadonlyMap<string, OutboxMessage>, deps: Deps): void {
  const bundle = bundles.get(record.bundle);
  if (bundle === undefined) throw new Error(`${peer.name}: bundle ${record.bundle} of ${record.text} lost from the outbox`);
  if (peer.group === null) throw new Error(`${peer.name}: read ${record.text} but has no group state`);
  // A message a later removal un-read (its remover had not read it) is refused now, by design.
  const { broadcast } = openWireBundle(bundle.bytes, peer.id);
  if (!applicationStands(peer.group, { sender: record.sender, ...applicationPosition(broadcast, 'data') })) return;
  const result = receive(forgetReplays(peer.group), { deps, keys: peer.keys, registry: peer.registry }, openWireBundle(bundle.bytes, peer.id));
  const app = result.outputs.find((out) => out.kind === 'application');
  if (app?.kind !== 'application') throw new Error(`${peer.name}: ${record.text} no longer decrypts (outputs: ${result.outputs.map((o) => o.kind).join(',')})`);
  const text = new TextDecoder().decode(app.plaintext);
  if (text !== record.text || app.sender !== record.sender || app.epoch !== record.epoch) throw new Error(`${peer.name}: ${record.bundle} decrypts to ${text} from ${app.sender.slice(0, 8)}, expected ${record.text}`);
}

/**
 * Checks every peer's reads: unique texts (each applied once), sent by the
 * peer whose bundle carried them, and (those `select`ed) still decrypting.
 * @returns how many ciphertexts were decrypted again.
 */
export function checkReads(state: SimState, bundles: ReadonlyMap<string, OutboxMessage>, deps: Deps, select: (peer: Peer, record: ReadRecord) => boolean): number {
  let count = 0;
  const nameOf = new Map(state.peers.map((p) => [p.id, p.name]));
  for (const peer of state.peers) {
    const texts = new Set<string>();
    for (const record of peer.reads) {
      if (texts.has(record.text)) throw new Error(`${peer.name}: ${record.text} applied twice`);
      texts.add(record.text);
      const sender = bundles.get(record.bundle)?.topic;
      if (sender === undefined || nameOf.get(record.sender) !== sender || sender === peer.name) throw new Error(`${peer.name}: ${record.text} attributed to ${record.sender.slice(0, 8)}, bundle sent by ${String(sender)}`);
      if (select(peer, record)) {
        reread(peer, record, bundles, deps);
        count += 1;
      }
    }
  }
  return count;
}
