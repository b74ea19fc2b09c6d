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
 * The message scheme needs none of this: a member reads what was sent after
 * its add, and DCGKA's add-acks give it every chain it needs for that.
 */
import { copyBytes } from '../crypto/index.js';
import { encryptData, importSecretBundle, exportSecretBundle } from '../data/index.js';
import type { GroupSecret } from '../data/index.js';
import { groupMembers } from '../dcgka/index.js';
import type { MemberId } from '../dcgka/index.js';
import { identityOf } from '../keys/index.js';
import { memberView } from '../membership/index.js';
import { aeadData, encodeEnvelope, SECRETS_ENVELOPE_VERSION, senderRefFor } from './envelope.js';
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

/** Sends the secrets `keys` (`member:epoch`) to the group in a secrets envelope; silently nothing when I cannot send. */
function shareSecrets(work: Work, keys: readonly string[]): void {
  if (!work.data || work.dcgka.removed || keys.length === 0) return;
  const me = work.dcgka.me;
  const plaintext = exportSecretBundle(work.data, { only: keys, exclude: me });
  const base = { scheme: work.scheme, groupId: work.dcgka.groupId, sender: me, ad: undefined };
  let sealed;
  try {
    sealed = encryptData(work.data, { sender: me, plaintext, aad: (epoch, counter) => aeadData({ ...base, epoch, counter }) }, work.deps);
  } catch {
    return; // no sending secret of mine yet: my own welcome gave the joiner everything I had
  }
  work.data = sealed.state;
  const ref = senderRefFor(me, knownIds(work.dcgka));
  const envelope = encodeEnvelope(work.deps, identityOf(work.keys), { ...base, epoch: sealed.epoch, counter: sealed.counter }, ref, { lamport: work.lamport, nonce: sealed.nonce, ciphertext: sealed.ciphertext }, SECRETS_ENVELOPE_VERSION);
  work.outputs.push({ kind: 'send', message: { control: false, broadcast: envelope.bytes, direct: [] } });
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
 * After processing a control message: the group secrets it gave others (not
 * me) that members I added cannot have — they are outside the sender's view —
 * are forwarded to them.
 */
export function forwardConcurrentSecrets(work: Work, before: SecretsSnapshot): void {
  const data = work.data;
  if (!data) return;
  const freshKeys = secretsSince(work, before);
  if (freshKeys.length === 0) return;
  const added = membersIAdded(work);
  if (added.length === 0) return;
  const fresh = freshKeys.map((k) => data.secrets[k] as GroupSecret).filter((s) => s.member !== work.dcgka.me);
  const keys = fresh
    .filter((s) => {
      const view = memberView(work.dcgka.membership, s.member);
      return added.some((j) => j !== s.member && !view.includes(j));
    })
    .map((s) => `${s.member}:${s.epoch}`);
  shareSecrets(work, keys);
}

/**
 * A received secrets envelope (already authenticated and decrypted): imports
 * what I lack (checked like a welcome bundle) and forwards what I learned to
 * the members I added.
 */
export function importShare(work: Work, plaintext: Uint8Array): void {
  if (!work.data) return;
  const before = secretsSnapshot(work);
  const known = new Set(knownIds(work.dcgka));
  const clock = work.dcgka.clock;
  work.data = importSecretBundle(work.data, copyBytes(plaintext), work.deps, {
    me: work.dcgka.me,
    everMember: (m) => known.has(m),
    clock: (m) => clock.get(m) ?? 0,
  });
  const learned = secretsSince(work, before);
  if (learned.length > 0 && membersIAdded(work).length > 0) shareSecrets(work, learned);
}
