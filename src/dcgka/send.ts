/**
 * Emitting own control messages: allocate the sequence number, sign, and
 * queue the message (with its direct parts) as an output.
 */
import { asVersion4, encodeControl, isCompactType, manifestOf, opIdOf } from './codec.js';
import { emitRefreshes } from './draft.js';
import type { Draft } from './draft.js';
import { stateResolver } from './refs.js';
import type { ControlBody, ControlMessage, DirectMessage, OpId } from './types.js';

/** Signs `body` as the control message `(me, seq)` and queues it for sending. */
export function emitControl(draft: Draft, seq: number, body: ControlBody, parts: readonly DirectMessage[]): OpId {
  // refresh parts are added before signing, so the manifest covers them too
  const direct = emitRefreshes(draft, seq, parts);
  const plain: ControlMessage = { groupId: draft.groupId, sender: draft.me, seq, body, manifest: manifestOf(draft.deps, direct) };
  // Acks and add-acks go out compact (version 4), their references chosen against my own view.
  const message = isCompactType(body) ? asVersion4(plain, stateResolver(draft)) : plain;
  const broadcast = encodeControl(message, draft.identity, draft.deps);
  const id = opIdOf(draft.me, seq);
  draft.outputs.push({ kind: 'control', control: { id, message, broadcast, direct } });
  return id;
}
