/**
 * Adds (DCGKA paper `add`, `process-add`, `process-add-ack`,
 * `process-welcome`), with groupcrypt's re-add and concurrent-add rules
 * (DCGKA.md §9): membership is keyed by add operation, a second welcome for a
 * member already in the group only re-syncs the adder's chain, and a member
 * re-joining after its removal restarts its own chain (`rejoin` on its ack).
 */
import { decodeCanonical, encodeCanonical, fromHex, toHex } from '../crypto/index.js';
import { DecodeError, StateError } from '../errors.js';
import { applyAdd, decodeMembership, encodeMembership, isMember, memberView } from '../membership/index.js';
import { chainExposed, chainGiven } from './exposure.js';
import type { MembershipState } from '../membership/index.js';
import { recordAck, sendAck, sendCatchUpAcks } from './ack.js';
import { opIdOf } from './codec.js';
import { decryptFrom, emitUpdateSecret, encryptTo, nextSeq, put, putPendingSeed, putSecret, scratch, updateRatchet } from './draft.js';
import { newPendingSeed, waitingMembers } from './puncture.js';
import type { Draft } from './draft.js';
import { emitControl } from './send.js';
import { sendUpdate } from './seed.js';
import { utf8, zeroize } from '../crypto/index.js';
import type { MemberId, OpId } from './types.js';

const INPUT_WELCOME = utf8('welcome');
const INPUT_ADD = utf8('add');

/** What a welcome carries: the adder's membership and clock after the add, and the adder's chain before it. */
export interface Welcome {
  readonly membership: MembershipState;
  readonly clock: Readonly<Record<MemberId, number>>;
  readonly chain: Uint8Array | undefined;
  /** Opaque payload of the layer above (e.g. the data scheme's secret bundle). */
  readonly extra: Uint8Array;
  /**
   * Per op the adder still awaits acks for: whose chain steps with that ack
   * (no secrets). A joiner never processed those ops, yet must know which
   * later acks move chains it cannot follow.
   */
  readonly pending: Readonly<Record<OpId, readonly MemberId[]>>;
}

/** Who still steps their chain on an ack, per op (public part of pending seeds and welcome secrets). */
function pendingSteps(draft: Draft): Record<OpId, MemberId[]> {
  const out: Record<OpId, MemberId[]> = {};
  for (const [id, pending] of draft.pendingSeeds) out[id] = waitingMembers(pending);
  for (const key of draft.memberSecrets.keys()) {
    const [id, member] = key.split('|') as [OpId, MemberId];
    out[id] = [...new Set([...(out[id] ?? []), member])].sort();
  }
  return out;
}

function encodeWelcome(welcome: Welcome): Uint8Array {
  const clock = Object.entries(welcome.clock).sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => [fromHex(id), n]);
  const pending = Object.keys(welcome.pending).sort().map((id) => [id, (welcome.pending[id] ?? []).map(fromHex)]);
  return encodeCanonical([encodeMembership(welcome.membership), clock, welcome.chain ?? new Uint8Array(0), welcome.extra, pending]);
}

function decodeWelcome(bytes: Uint8Array): Welcome {
  const value = decodeCanonical(bytes, 'welcome', Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(value) || value.length !== 5 || !(value[0] instanceof Uint8Array) || !Array.isArray(value[1]) || !(value[2] instanceof Uint8Array) || !(value[3] instanceof Uint8Array) || !Array.isArray(value[4])) {
    throw new DecodeError('DECODE_FIELD', 'welcome: expected [membership, clock, chain, extra, pending]');
  }
  const clock: Record<MemberId, number> = {};
  for (const entry of value[1] as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 32 || typeof entry[1] !== 'number' || !Number.isSafeInteger(entry[1]) || entry[1] < 0) {
      throw new DecodeError('DECODE_FIELD', 'welcome.clock: expected [id(32), count] entries');
    }
    clock[toHex(entry[0])] = entry[1];
  }
  const chain = value[2].length === 32 ? value[2] : undefined;
  if (value[2].length !== 0 && value[2].length !== 32) throw new DecodeError('DECODE_FIELD', 'welcome.chain: expected 0 or 32 bytes');
  const pending: Record<OpId, MemberId[]> = {};
  for (const entry of value[4] as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !/^[0-9a-f]{64}:\d+$/.test(entry[0]) || !Array.isArray(entry[1])) {
      throw new DecodeError('DECODE_FIELD', 'welcome.pending: expected [op id, [member ids]] entries');
    }
    pending[entry[0]] = (entry[1] as unknown[]).map((m) => {
      if (!(m instanceof Uint8Array) || m.length !== 32) throw new DecodeError('DECODE_FIELD', 'welcome.pending: bad member id');
      return toHex(m);
    });
  }
  return { membership: decodeMembership(value[0]), clock, chain, extra: value[3], pending };
}

/** The "welcome" then "add" steps of the adder's chain that every member in the adder's view runs. */
function stepAdderChain(draft: Draft, adder: MemberId, id: OpId, added: MemberId): void {
  const welcomeSecret = updateRatchet(draft, adder, INPUT_WELCOME);
  if (!welcomeSecret) return; // I do not hold the adder's chain (re-joined, its add-ack is still to come)
  putSecret(draft, 'memberSecrets', `${id}|${added}`, welcomeSecret);
  emitUpdateSecret(draft, adder, id, updateRatchet(draft, adder, INPUT_ADD));
}

/**
 * Who derived the welcome secret of an add by `adder` (its view): my ack
 * forwards my welcome secret to every other member (added concurrently).
 */
function welcomeRecipients(draft: Draft, adder: MemberId): MemberId[] {
  return memberView(draft.membership, adder).filter((m) => m !== adder);
}

/**
 * My ack of an add of me. My chain restarts from the welcome secret, which
 * everyone holding the adder's chain can derive: if that includes users I
 * already consider removed, heal at once with an update.
 */
function ackWelcome(draft: Draft, adder: MemberId, seq: number, rejoin: boolean, catchUp: boolean): void {
  const recipients = welcomeRecipients(draft, adder);
  sendAck(draft, adder, seq, recipients, rejoin);
  // Re-added: catch up first, so that the heal's seed goes to my view with the removals I processed while removed
  // (sent before the catch-up acks, it reached the very member it heals against).
  if (catchUp) sendCatchUpAcks(draft);
  if (chainExposed(draft, [adder, ...recipients])) sendUpdate(draft);
}

/** add(ID): announces the add and sends the welcome (history + my chain) to the new member. */
export function sendAdd(draft: Draft, added: MemberId, extra: Uint8Array): void {
  if (added === draft.me) throw new StateError('STATE_ALREADY_MEMBER', 'add: cannot add myself');
  if (isMember(draft.membership, added)) throw new StateError('STATE_ALREADY_MEMBER', `add: ${added.slice(0, 16)} is already a member`);
  const seq = nextSeq(draft);
  const id = opIdOf(draft.me, seq);
  const chainBefore = draft.ratchets.get(draft.me);
  draft.membership = applyAdd(draft.membership, { id, actor: draft.me, added });
  const welcome = encodeWelcome({ membership: draft.membership, clock: draft.clock.toRecord(), chain: chainBefore, extra, pending: pendingSteps(draft) });
  const bytes = encryptTo(draft, added, seq, 'welcome', welcome);
  zeroize(welcome); // it holds my chain
  emitControl(draft, seq, { type: 'add', added }, [{ recipient: added, bytes }]);
  chainGiven(draft, added);
  stepAdderChain(draft, draft.me, id, added);
}

/** process-add for a received add of `added` by `sender`. */
export function processAdd(draft: Draft, sender: MemberId, seq: number, added: MemberId, direct: Uint8Array | undefined): void {
  const id = opIdOf(sender, seq);
  if (added === draft.me) {
    processAddOfMe(draft, sender, seq, direct);
    return;
  }
  draft.membership = applyAdd(draft.membership, { id, actor: sender, added });
  // The adder steps its chain unconditionally; so does every copy of that chain (a member
  // outside the adder's view holds none unless it got one from a later add-ack or welcome).
  stepAdderChain(draft, sender, id, added);
  // No chain for a member whose add is already cancelled (its adder was removed concurrently).
  if (!draft.removed && isMember(draft.membership, added)) sendAddAck(draft, sender, seq, added);
}

/** A welcome for me while I already have state: a concurrent add of me, or a re-add after my removal. */
function processAddOfMe(draft: Draft, sender: MemberId, seq: number, direct: Uint8Array | undefined): void {
  const id = opIdOf(sender, seq);
  const wasMember = !draft.removed && isMember(draft.membership, draft.me);
  const welcome = decodeWelcome(decryptFrom(draft, sender, seq, 'welcome', direct));
  draft.membership = applyAdd(draft.membership, { id, actor: sender, added: draft.me });
  if (!isMember(draft.membership, draft.me)) {
    if (welcome.chain) scratch(draft, welcome.chain);
    return; // the add was cancelled (its adder was removed concurrently)
  }
  draft.removed = false;
  putSecret(draft, 'ratchets', sender, welcome.chain);
  draft.joinedVia = [...draft.joinedVia, id];
  draft.outputs.push({ kind: 'joined', via: id, extra: welcome.extra, clock: welcome.clock, ...(wasMember ? { concurrent: true as const } : {}) });
  stepAdderChain(draft, sender, id, draft.me);
  ackWelcome(draft, sender, seq, !wasMember, !wasMember);
}

/** My add-ack of `(sender, seq)`: my current chain goes to the added member, then my chain steps with "add". */
function sendAddAck(draft: Draft, sender: MemberId, seq: number, added: MemberId): void {
  const acked = opIdOf(sender, seq);
  const ackSeq = nextSeq(draft);
  recordAck(draft, draft.me, acked);
  const chain = draft.ratchets.get(draft.me) ?? new Uint8Array(0);
  const bytes = encryptTo(draft, added, ackSeq, 'chain', chain);
  const id = emitControl(draft, ackSeq, { type: 'add-ack', ackedSender: sender, ackedSeq: seq }, [{ recipient: added, bytes }]);
  chainGiven(draft, added);
  emitUpdateSecret(draft, draft.me, id, updateRatchet(draft, draft.me, INPUT_ADD));
}

/** process-add-ack for a received add-ack; the added member gets the acker's chain in the direct part. */
export function processAddAck(draft: Draft, acker: MemberId, ackSeq: number, acked: OpId, direct: Uint8Array | undefined): void {
  recordAck(draft, acker, acked);
  // Always open a chain addressed to me: the 2SM session needs every message, in order.
  const chain = direct || draft.joinedVia.includes(acked) ? decryptFrom(draft, acker, ackSeq, 'chain', direct) : undefined;
  if (chain && draft.joinedVia.includes(acked)) {
    putSecret(draft, 'ratchets', acker, chain.length === 32 ? chain : undefined);
  } else if (chain) {
    scratch(draft, chain);
  }
  // The acker always steps its own chain with "add": follow it whenever I hold a copy.
  emitUpdateSecret(draft, acker, opIdOf(acker, ackSeq), updateRatchet(draft, acker, INPUT_ADD));
}

/**
 * process-welcome on a member with no state yet: adopt the adder's
 * membership and clock, take the adder's chain, ack (restarting my chain).
 */
export function processWelcome(draft: Draft, adder: MemberId, seq: number, direct: Uint8Array | undefined): void {
  const id = opIdOf(adder, seq);
  const welcome = decodeWelcome(decryptFrom(draft, adder, seq, 'welcome', direct));
  if (!isMember(welcome.membership, draft.me)) throw new StateError('STATE_NOT_MEMBER', 'welcome: its membership does not contain me');
  if (welcome.clock[adder] !== seq + 1) throw new StateError('STATE_CAUSALITY', 'welcome: its clock does not end at the add');
  draft.membership = welcome.membership;
  for (const [member, count] of Object.entries(welcome.clock)) put(draft, 'clock', member, count);
  for (const [op, waiting] of Object.entries(welcome.pending)) if (waiting.length > 0) putPendingSeed(draft, op, newPendingSeed(waiting, undefined));
  putSecret(draft, 'ratchets', adder, welcome.chain);
  draft.joinedVia = [...draft.joinedVia, id];
  draft.outputs.push({ kind: 'joined', via: id, extra: welcome.extra, clock: welcome.clock });
  stepAdderChain(draft, adder, id, draft.me);
  ackWelcome(draft, adder, seq, true, false);
}
