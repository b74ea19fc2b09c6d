/**
 * Acks (DCGKA paper: `process-seed` steps 5–6 and `process-ack`).
 *
 * An ack advances the acker's chain with its member secret of the acked
 * seed; members who were not recipients of the seed (added concurrently)
 * receive the acker's member secret as a forward in a direct part.
 */
import { applyAck, canAct, hasSeen, isMember, members, opKind } from '../membership/index.js';
import { opIdOf } from './codec.js';
import { decryptFrom, emitUpdateSecret, encryptTo, nextSeq, putSecret, scratch, takeMemberSecret, updateRatchet } from './draft.js';
import { chainRestarted, chainStepped } from './exposure.js';
import type { Draft } from './draft.js';
import { emitControl } from './send.js';
import type { ControlBody, DirectMessage, MemberId, OpId } from './types.js';

/** Whether `acked` is an add of `acker` (its ack of that add steps its chain with the welcome secret). */
function isWelcomeAck(draft: Draft, acked: OpId, acker: MemberId): boolean {
  const index = draft.membership.index[acked];
  const op = index === undefined ? undefined : draft.membership.ops[index];
  return op?.kind === 'add' && op.targets[0] === acker;
}

/** Records `acker`'s ack of `acked` in the membership when `acked` is a create/add/remove. */
export function recordAck(draft: Draft, acker: MemberId, acked: OpId): ReturnType<typeof opKind> {
  const kind = opKind(draft.membership, acked);
  if (kind !== undefined) draft.membership = applyAck(draft.membership, { actor: acker, acked });
  return kind;
}

/**
 * Sends my ack of `(sender, seq)` and processes it locally.
 * @param recipients who received the seed (empty for a welcome ack): forwards go to every other current member.
 * @param rejoin my chain restarts here (I joined through a welcome).
 */
export function sendAck(draft: Draft, sender: MemberId, seq: number, recipients: readonly MemberId[], rejoin: boolean): void {
  const acked = opIdOf(sender, seq);
  const ackSeq = nextSeq(draft);
  recordAck(draft, draft.me, acked);
  // My member secret, taken (punctured out of the seed's tree) once: it is forwarded and then steps my chain.
  const { secret } = takeMemberSecret(draft, acked, draft.me);
  const direct: DirectMessage[] = [];
  if (secret && recipients.length > 0) {
    const received = new Set(recipients);
    for (const member of members(draft.membership)) {
      if (member === draft.me || member === sender || received.has(member)) continue;
      direct.push({ recipient: member, bytes: encryptTo(draft, member, ackSeq, 'forward', secret) });
    }
  }
  const id = emitControl(draft, ackSeq, { type: 'ack', ackedSender: sender, ackedSeq: seq, mode: rejoin ? 'rejoin' : 'normal' }, direct);
  if (rejoin) putSecret(draft, 'ratchets', draft.me, undefined);
  const fresh = rejoin || opKind(draft.membership, acked) === 'create';
  if (secret) {
    emitUpdateSecret(draft, draft.me, id, updateRatchet(draft, draft.me, secret, fresh));
    const holders = [sender, ...recipients, ...direct.map((d) => d.recipient)];
    if (fresh) chainRestarted(draft, holders);
    else chainStepped(draft, holders);
  }
}

/**
 * My farewell: I just learnt from remove `(sender, seq)` that I am out.
 * I ack it (membership only, no secrets), once, so that every replica knows
 * I have seen my removal and will send nothing more until an add of me I
 * have not seen yet: from then on my last message holds no history back
 * (membership compact.ts), where a removed member used to hold it for good.
 * The membership refuses any later ack of a remove from me.
 */
export function sendFarewell(draft: Draft, sender: MemberId, seq: number): void {
  const acked = opIdOf(sender, seq);
  let membership;
  try {
    membership = applyAck(draft.membership, { actor: draft.me, acked });
  } catch {
    return; // already outside my own view (a remove I acked earlier): nothing to say
  }
  draft.membership = membership;
  emitControl(draft, nextSeq(draft), { type: 'ack', ackedSender: sender, ackedSeq: seq, mode: 'catch-up' }, []);
}

/**
 * After a re-add: ack (membership only) every membership op I processed
 * while removed, so that my view — which others compute from my acks —
 * again contains everything I have seen (otherwise members added meanwhile
 * would stay outside my view for ever and never get my seeds).
 */
export function sendCatchUpAcks(draft: Draft): void {
  for (const op of draft.membership.ops) {
    // a region placeholder is no op anyone acks: a member holds it from the add that brought it back
    if (op.kind === 'region' || hasSeen(draft.membership, draft.me, op.id)) continue;
    let membership;
    try {
      membership = applyAck(draft.membership, { actor: draft.me, acked: op.id });
    } catch {
      continue; // an ack the membership refuses
    }
    if (!canAct(membership, draft.me)) continue; // it would leave me outside my own view: that is no catch-up
    const [sender, seq] = op.id.split(':') as [MemberId, string];
    const ackSeq = nextSeq(draft);
    draft.membership = membership;
    emitControl(draft, ackSeq, { type: 'ack', ackedSender: sender, ackedSeq: Number(seq), mode: 'catch-up' }, []);
  }
}

/** process-ack for a received ack `(acker, ackSeq)` of `acked`, with an optional forward for me. */
export function processAck(draft: Draft, acker: MemberId, ackSeq: number, acked: OpId, rejoin: boolean, forward: Uint8Array | undefined): void {
  const kind = recordAck(draft, acker, acked);
  // A removed member keeps following every chain it can (members that have not processed its
  // removal yet still treat it as a member; a re-add needs those copies): it only sends nothing.
  if (rejoin) putSecret(draft, 'ratchets', acker, undefined);
  // Always open a forward addressed to me: the 2SM session needs every message, in order.
  const forwarded = forward ? scratch(draft, decryptFrom(draft, acker, ackSeq, 'forward', forward)) : undefined;
  const taken = takeMemberSecret(draft, acked, acker);
  const secret = taken.secret ?? forwarded;
  if (!secret) {
    // The acker's chain moved with a secret I cannot know: my copy is stale from here on
    // (a chain I can follow again arrives with its add-ack of my (re-)add).
    if (taken.stepped || isWelcomeAck(draft, acked, acker)) putSecret(draft, 'ratchets', acker, undefined);
    return;
  }
  const fresh = rejoin || kind === 'create';
  emitUpdateSecret(draft, acker, opIdOf(acker, ackSeq), updateRatchet(draft, acker, secret, fresh));
}

/**
 * Issue 18, "move off the pre-key at once": a received ack or add-ack that
 * opened a 2SM session to me by X3DH (an add-ack's chain, an ack's forward)
 * gets no ack of its own, so nothing would answer it until my next control
 * message, and the sender's stream to me would stay derived from my pre-key
 * until then. Answer it right away: a `catch-up` ack of that message (membership
 * only, and an ack or add-ack is no membership op, so it changes no one's view)
 * whose 2SM `refresh` part carries my fresh key (`emitRefreshes`). Seeds and
 * welcomes need none of this: the ack I send them anyway carries the refresh.
 */
export function answerPreKeySession(draft: Draft, sender: MemberId, seq: number, body: ControlBody): void {
  if (body.type !== 'ack' && body.type !== 'add-ack') return;
  if (draft.removed || !draft.refreshDue.includes(sender) || !isMember(draft.membership, sender)) return;
  const ackSeq = nextSeq(draft);
  emitControl(draft, ackSeq, { type: 'ack', ackedSender: sender, ackedSeq: seq, mode: 'catch-up' }, []);
}
