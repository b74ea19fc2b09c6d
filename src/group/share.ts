/**
 * Complete history under concurrency, data scheme (issue 12).
 *
 * The gap: a member J added concurrently with an update (or any control
 * message that gives its sender X a new update secret) is not in X's view,
 * so DCGKA hands J nothing for that epoch of X; and the welcome J got was
 * built before its adder learned that secret. J could never read what X
 * wrote in that epoch, though a late joiner reads the whole history.
 *
 * The decision: whoever learns of the concurrency forwards the missing
 * secret. When I process a control message of X that gives X a new group
 * secret and I had added members that are outside X's view, I — their
 * adder, the one member certain to know their welcome lacked it — send that
 * secret in a secrets envelope (envelope version 3): a data-scheme
 * application envelope, signed, encrypted under my own current group secret,
 * so every current member (J included: DCGKA forwards my ack's secret to it)
 * can open it and nobody removed can. Receivers import what they lack (the
 * same checks as a welcome bundle: no secret of their own, no never-member,
 * no epoch beyond their clock) and, having learned something their own
 * welcomes lacked, forward it to the members they added in turn. Shares are
 * never shown by `read`. The cost: one extra message per adder per
 * concurrent secret; redundant copies are harmless (import keeps what it has).
 *
 * The receiving side (src/group/receive.ts): a data-scheme message under a
 * secret I lack waits in the state for it (the share may come after the
 * message, the orderer orders control messages only), and when the buffer
 * is full the oldest such waiter is dropped (`rejected`,
 * STATE_MISSING_SECRET; one under a secret I deleted is refused at once).
 * Shares of my adders are imported whole (trusted for history as for the
 * welcome, also after their removal: a share is not an application message
 * that strong removal could bar), without the welcome's clock and
 * ever-member checks (see `importShare`); anyone else's only for its own
 * secrets — the answers to a request, when my adders are gone (below).
 * Why here and not in DCGKA (a decision beyond DCGKA.md §9): DCGKA erases
 * an update secret as soon as it is derived; a forward through 2SM would
 * mean keeping each one until every concurrent joiner is known to have it.
 * The group secret derived from it is data-scheme state, kept anyway for
 * history, so the data scheme forwards that, under the group's own
 * encryption (a removed member cannot read it).
 *
 * The message scheme needs none of this: a member reads what was sent after
 * its add, and DCGKA's add-acks give it every chain it needs for that.
 */
import { copyBytes, decodeCanonical, encodeCanonical, fromHex, toHex } from '../crypto/index.js';
import { encryptData, importSecretBundle, exportSecretBundle, secretKey } from '../data/index.js';
import type { GroupSecret } from '../data/index.js';
import { groupMembers } from '../dcgka/index.js';
import type { MemberId } from '../dcgka/index.js';
import { identityOf } from '../keys/index.js';
import { canAct, memberView } from '../membership/index.js';
import { DecodeError } from '../errors.js';
import { aeadData, encodeEnvelope, REQUEST_ENVELOPE_VERSION, SECRETS_ENVELOPE_VERSION, senderRefFor } from './envelope.js';
import { MAX_PENDING_APPLICATION } from './limits.js';
import type { Work } from './work.js';
import { knownIds } from './work.js';

/** Current members that a live add of mine brought in (they got my welcome bundle). */
function membersIAdded(work: Work): MemberId[] {
  const current = groupMembers(work.dcgka.membership);
  const mine = new Set<MemberId>();
  for (const op of work.dcgka.membership.ops) {
    if (op.kind === 'add' && op.actor === work.dcgka.me) for (const t of op.targets) if (current.includes(t)) mine.add(t);
  }
  return [...mine];
}

/** Sends `plaintext` to the group in a data-scheme envelope of `version` (a share or a request); nothing when I cannot send. */
function sendGroupEnvelope(work: Work, plaintext: Uint8Array, version: number): void {
  if (!work.data || work.dcgka.removed) return;
  const me = work.dcgka.me;
  const base = { scheme: work.scheme, groupId: work.dcgka.groupId, sender: me, ad: undefined };
  let sealed;
  try {
    sealed = encryptData(work.data, { sender: me, plaintext, aad: (epoch, counter) => aeadData({ ...base, epoch, counter }) }, work.deps);
  } catch {
    return; // no sending secret of mine yet: my own welcome gave the joiner everything I had
  }
  work.data = sealed.state;
  const ref = senderRefFor(me, knownIds(work.dcgka));
  const envelope = encodeEnvelope(work.deps, identityOf(work.keys), { ...base, epoch: sealed.epoch, counter: sealed.counter }, ref, { lamport: work.lamport, nonce: sealed.nonce, ciphertext: sealed.ciphertext }, version);
  work.outputs.push({ kind: 'send', message: { control: false, broadcast: envelope.bytes, direct: [] } });
}

/** Sends the secrets `keys` (`member:epoch`) to the group in a secrets envelope (my own only when `own`). */
function shareSecrets(work: Work, keys: readonly string[], own = false): void {
  if (!work.data || work.dcgka.removed || keys.length === 0) return;
  const plaintext = exportSecretBundle(work.data, { only: keys, ...(own ? {} : { exclude: work.dcgka.me }) });
  sendGroupEnvelope(work, plaintext, SECRETS_ENVELOPE_VERSION);
}

/** The group secrets a work holds now (the record itself: data states are never changed in place). */
export type SecretsSnapshot = Readonly<Record<string, unknown>> | undefined;

/** A snapshot of the group secrets a work holds, to compare with after a transition. */
export function secretsSnapshot(work: Work): SecretsSnapshot {
  return work.data?.secrets;
}

/** Keys of the secrets held now and not in `before` (none when the record did not change). */
function secretsSince(work: Work, before: SecretsSnapshot): string[] {
  const now = work.data?.secrets;
  if (now === undefined || now === before) return [];
  return Object.keys(now).filter((k) => before === undefined || !Object.hasOwn(before, k));
}

/**
 * After processing a control message of `sender` (its `seq`): the group
 * secrets it gave others (not me) that members I added cannot have — they
 * are outside the sender's view — are forwarded to them. That includes the
 * sender's secret of this message when a share gave it to me before (a
 * member I added since did not get it in my welcome, which holds only what
 * my clock covers).
 */
export function forwardConcurrentSecrets(work: Work, before: SecretsSnapshot, sender: MemberId, seq: number): void {
  const data = work.data;
  if (!data) return;
  const freshKeys = secretsSince(work, before);
  const own = `${sender}:${seq}`;
  if (Object.hasOwn(data.secrets, own) && !freshKeys.includes(own)) freshKeys.push(own);
  if (freshKeys.length === 0) return;
  const added = membersIAdded(work);
  if (added.length === 0) return;
  const fresh = freshKeys.map((k) => data.secrets[k] as GroupSecret).filter((s) => s.member !== work.dcgka.me);
  const keys = fresh
    .filter((s) => {
      // A member that departed (sent its farewell) may have had its last message compacted away, and with it the
      // view it had: forward to everyone I added (they may read the whole history anyway).
      const view = canAct(work.dcgka.membership, s.member) ? memberView(work.dcgka.membership, s.member) : [];
      return added.some((j) => j !== s.member && !view.includes(j));
    })
    .map((s) => `${s.member}:${s.epoch}`);
  shareSecrets(work, keys);
}

/** The members whose adds of me I processed: whom I trust for the group's history (their welcome, their shares). */
function myAdders(work: Work): Set<MemberId> {
  return new Set(work.dcgka.joinedVia.map((op) => op.slice(0, op.lastIndexOf(':'))));
}

/**
 * A received secrets envelope (already authenticated and decrypted). A share
 * of one of my adders is imported whole: I trust for history exactly whom I
 * trusted for my welcome. A share of anyone else vouches only for its
 * sender's own secrets (an answer to a request, below): its other entries
 * are dropped. What I lack is imported, never a secret of mine, but
 * without the welcome's other checks (a member's clock, an ever-member): a
 * share may arrive before I process the control messages that made the
 * secret or named its member (the orderer only orders each sender's own
 * control messages), and the secret is one I will not derive then (I was
 * outside that message's view) — should DCGKA derive it after all, its own
 * secret replaces the imported one (`applyDcgka`). A planted secret reads
 * nothing that was not sent under it (and signed by its member); my welcomes
 * pass on only what my clock covers (`encodeWelcomeExtra`). What I learned
 * goes on to the members I added in turn.
 */
export function importShare(work: Work, sender: MemberId, plaintext: Uint8Array): void {
  if (!work.data) return;
  const before = secretsSnapshot(work);
  const checks = myAdders(work).has(sender) ? { me: work.dcgka.me } : { me: work.dcgka.me, onlyMember: sender };
  work.data = importSecretBundle(work.data, copyBytes(plaintext), work.deps, checks);
  const learned = secretsSince(work, before);
  if (learned.length > 0 && membersIAdded(work).length > 0) shareSecrets(work, learned);
}

/*
 * Asking for what no adder will forward (issue 12, complete history).
 *
 * The forward above has one hole: my adders may all be removed before they
 * learn of an update that did not see my add. Then nobody forwards its
 * secret, and what its sender wrote under it waits in my buffer for good.
 * So once no adder of mine is left in the group, I ask: a request envelope
 * (version 4: data scheme, signed, under my own current secret, so only
 * current members read it) names the secrets that messages in my buffer wait
 * for. Each secret's own member answers with a share of its own secrets; I
 * import from a non-adder only secrets of that member itself, so nobody can
 * plant anyone else's. A sender removed before it answers leaves the gap
 * (a removed member cannot send to the group), as in a welcome.
 * A request is sent at the moments a need appears, so it is never repeated
 * for the same message: when a message waiting for a secret arrives, when
 * the control message that opens the epoch of a buffered message is
 * processed, and when my last adder's removal is processed (every waiter).
 * Nothing of this is stored: requests are derived from the buffer.
 */

/** Most secrets one request names: as many as messages can wait (each waits for one). */
const MAX_REQUESTED = MAX_PENDING_APPLICATION;

/** Whether every member whose add of me I processed is out of the group (false for the creator: it has none). */
export function addersGone(work: Work): boolean {
  const adders = myAdders(work);
  if (adders.size === 0) return false;
  const current = groupMembers(work.dcgka.membership);
  for (const adder of adders) if (current.includes(adder)) return false;
  return true;
}

/** Notes a group secret I lack for a message I hold, to ask for it at the end of the call (if my adders are gone then). */
export function wantSecret(work: Work, member: MemberId, epoch: number): void {
  if (work.data && !work.dcgka.removed && member !== work.dcgka.me) work.wanted.add(secretKey(member, epoch));
}

/** At the end of a call: asks the group for the secrets noted and still lacking, when no adder of mine is left. */
export function requestWantedSecrets(work: Work): void {
  const data = work.data;
  if (!data || work.dcgka.removed || work.wanted.size === 0 || !addersGone(work)) return;
  const keys = [...work.wanted].filter((k) => !Object.hasOwn(data.secrets, k)).sort().slice(0, MAX_REQUESTED);
  if (keys.length === 0) return;
  sendGroupEnvelope(work, encodeCanonical(keys.map((k) => {
    const at = k.lastIndexOf(':');
    return [fromHex(k.slice(0, at)), Number(k.slice(at + 1))];
  })), REQUEST_ENVELOPE_VERSION);
}

/**
 * Decodes a request's list of [member(32), epoch].
 * @throws DecodeError `DECODE_FIELD` for anything else.
 */
export function decodeSecretRequest(plaintext: Uint8Array): { readonly member: MemberId; readonly epoch: number }[] {
  const value = decodeCanonical(plaintext, 'secret-request');
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_REQUESTED) {
    throw new DecodeError('DECODE_FIELD', `secret-request: expected 1..${MAX_REQUESTED} entries`);
  }
  return value.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 32 || !Number.isSafeInteger(entry[1]) || (entry[1] as number) < 0) {
      throw new DecodeError('DECODE_FIELD', 'secret-request: expected [member(32), epoch] entries');
    }
    return { member: toHex(entry[0]), epoch: entry[1] as number };
  });
}

/**
 * A received request (authenticated, decrypted, from a member whose message
 * stands): I answer for my own secrets that I hold, if its sender is a
 * current member (the data scheme gives a member the whole history).
 */
export function answerRequest(work: Work, sender: MemberId, plaintext: Uint8Array): void {
  const data = work.data;
  const requested = decodeSecretRequest(plaintext);
  if (!data || work.dcgka.removed || !groupMembers(work.dcgka.membership).includes(sender)) return;
  const me = work.dcgka.me;
  const keys = requested.filter((r) => r.member === me).map((r) => secretKey(me, r.epoch)).filter((k) => Object.hasOwn(data.secrets, k));
  shareSecrets(work, keys, true);
}
