/**
 * Messages signed by outsiders (ids no member has) for a group: what hostile
 * and stranger tests hand to `receive`.
 */
import { toHex } from '../../src/crypto/index.js';
import { encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { encodeEnvelope } from '../../src/group/envelope.js';
import type { GroupScheme } from '../../src/group/index.js';
import { createKeyManager, identityOf } from '../../src/keys/index.js';
import type { GroupSim } from './group-sim.js';

/** An application envelope for `groupId` signed by an outsider (an id no member has), with `size` bytes of ciphertext. */
export function outsiderEnvelope(sim: GroupSim, groupId: string, scheme: GroupScheme, size: number, counter = 0): Uint8Array {
  const outsider = identityOf(createKeyManager(sim.deps));
  const sender = toHex(outsider.publicKey);
  const c = { scheme, groupId, sender, epoch: 0, counter, ad: undefined };
  const nonce = scheme === 'data' ? new Uint8Array(24) : undefined;
  return encodeEnvelope(sim.deps, outsider, c, outsider.publicKey.subarray(0, 4), { lamport: 1, nonce, ciphertext: new Uint8Array(size) }).bytes;
}

/** A control message (an update at `seq`) signed by a fresh outsider, with a direct part of `directSize` bytes for `me`. */
export function outsiderUpdate(sim: GroupSim, groupId: string, seq: number, directSize: number, recipient = sim.peer('B').id): { broadcast: Uint8Array; direct: Uint8Array } {
  const outsider = identityOf(createKeyManager(sim.deps));
  const direct = new Uint8Array(directSize);
  const manifest = manifestOf(sim.deps, [{ recipient, bytes: direct }]);
  const broadcast = encodeControl({ groupId, sender: toHex(outsider.publicKey), seq, body: { type: 'update', commitment: new Uint8Array(32) }, manifest }, outsider, sim.deps);
  return { broadcast, direct };
}
