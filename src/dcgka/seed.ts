/**
 * Seed operations: create, update, remove (DCGKA paper `create`, `update`,
 * `remove`, `process-seed`).
 *
 * A fresh 32-byte seed goes by 2SM to every member of the sender's view. The
 * sender's member secret is HKDF(PRK(seed), sender id) and is used at once;
 * the recipients' secrets are the leaves of a puncturable tree rooted at the
 * PRK (puncture.ts). Only the tree's nodes that cover recipients whose ack is
 * still to come are kept, and the PRK is erased at once (issue 16): the kept
 * state can never re-derive the sender's secret, nor the secret of a member
 * whose ack was processed (the paper's per-member erasure, at O(log n) cost).
 */
import { constantTimeEqual, utf8, zeroize } from '../crypto/index.js';
import { StateError, VerifyError } from '../errors.js';
import { applyRemove, findOp, isMember, memberView } from '../membership/index.js';
import { sendAck } from './ack.js';
import { opIdOf } from './codec.js';
import { decryptFrom, deriveSenderSecret, emitUpdateSecret, legacyMemberSecret, encryptTo, nextSeq, putPendingSeed, putSecret, updateRatchet } from './draft.js';
import { newPendingSeed, treeRoot } from './puncture.js';
import { chainExposed, chainRestarted } from './exposure.js';
import type { Draft } from './draft.js';
import { emitControl } from './send.js';
import type { ControlBody, DirectMessage, MemberId } from './types.js';

/** A seed op's body before its commitment is added. */
export type SeedOp = { readonly type: 'create'; readonly members: readonly MemberId[] } | { readonly type: 'update' } | { readonly type: 'remove'; readonly removed: MemberId; readonly note: Uint8Array };

const COMMIT_LABEL = utf8('groupcrypt/dcgka/seed-commitment/tree');
/** The label of seeds sent before issue 16, whose member secrets are not a tree (all derived from the PRK). */
const LEGACY_COMMIT_LABEL = utf8('groupcrypt/dcgka/seed-commitment');

/**
 * The public commitment to a seed, signed in the broadcast: every recipient
 * checks its decrypted seed against it, so a sender cannot hand different
 * seeds to different members unnoticed, and two versions of one op differ in
 * their signed bytes (the orderer reports them as equivocation). Its label
 * also says how the member secrets derive from the seed (tree, or version 1's
 * flat derivation), so members of mixed versions agree on every secret
 * without a change of the control message format.
 */
function seedCommitment(draft: Draft, seed: Uint8Array, legacy = false): Uint8Array {
  return draft.deps.crypto.hkdf(seed, new Uint8Array(0), legacy ? LEGACY_COMMIT_LABEL : COMMIT_LABEL, 32);
}

/** Recipients of a seed from `sender`: its view minus itself (recomputed identically by every receiver). */
export function seedRecipients(draft: Draft, sender: MemberId): MemberId[] {
  return memberView(draft.membership, sender).filter((m) => m !== sender);
}

/**
 * Derives the sender's own secret, stores the PRK for the recipients, and
 * restarts the sender's chain from that secret. Restarting (instead of
 * stepping the old chain) keeps the same security — the seed is fresh
 * randomness only the recipients learn — and lets a member that lost its copy
 * of the sender's chain (e.g. after being removed and re-added concurrently)
 * follow it again from the sender's next update.
 */
function absorbSeed(draft: Draft, sender: MemberId, seq: number, seed: Uint8Array, recipients: readonly MemberId[], legacy = false): void {
  const id = opIdOf(sender, seq);
  const prk = draft.deps.crypto.hkdfExtract(new Uint8Array(32), seed);
  try {
    if (recipients.length > 0 && !legacy) putPendingSeed(draft, id, newPendingSeed(recipients, treeRoot(draft.deps, prk)));
    if (recipients.length > 0 && legacy) {
      // A version-1 seed: the paper's eager derivation, each secret erased at its ack.
      for (const r of recipients) putSecret(draft, 'memberSecrets', `${id}|${r}`, legacyMemberSecret(draft, prk, r));
      putPendingSeed(draft, id, newPendingSeed(recipients, undefined));
    }
    const senderSecret = deriveSenderSecret(draft, prk, sender);
    putSecret(draft, 'ratchets', sender, undefined);
    emitUpdateSecret(draft, sender, id, updateRatchet(draft, sender, senderSecret, true));
    zeroize(senderSecret);
  } finally {
    zeroize(prk);
  }
}

/**
 * Sends a seed operation: the caller has already applied its membership
 * effect (create/remove) to the draft.
 */
export function sendSeedOp(draft: Draft, seq: number, op: SeedOp): void {
  const recipients = seedRecipients(draft, draft.me);
  const seed = draft.deps.crypto.randomBytes(32);
  try {
    const direct: DirectMessage[] = recipients.map((recipient) => ({ recipient, bytes: encryptTo(draft, recipient, seq, 'seed', seed) }));
    emitControl(draft, seq, { ...op, commitment: seedCommitment(draft, seed) } as ControlBody, direct);
    absorbSeed(draft, draft.me, seq, seed, recipients);
    chainRestarted(draft, recipients);
  } finally {
    zeroize(seed);
  }
}

/**
 * Decrypts my seed and checks it against the signed commitment.
 * @throws VerifyError `VERIFY_COMMITMENT` when they differ.
 */
function openSeed(draft: Draft, sender: MemberId, seq: number, direct: Uint8Array | undefined, commitment: Uint8Array): { seed: Uint8Array; legacy: boolean } {
  const seed = decryptFrom(draft, sender, seq, 'seed', direct);
  for (const legacy of [false, true]) {
    const expected = seedCommitment(draft, seed, legacy);
    const same = constantTimeEqual(expected, commitment);
    zeroize(expected); // public once sent, but derived from the seed: wipe what is not needed
    if (same) return { seed, legacy };
  }
  zeroize(seed);
  throw new VerifyError('VERIFY_COMMITMENT', `seed from ${sender.slice(0, 16)} seq ${seq} does not match its commitment`);
}

/** update(): a fresh seed to every member of my view (PCS). */
export function sendUpdate(draft: Draft): void {
  sendSeedOp(draft, nextSeq(draft), { type: 'update' });
}

/** remove(ID): strong removal of `removed`, with a fresh seed to my view minus `removed`. */
export function sendRemove(draft: Draft, removed: MemberId, note: Uint8Array = new Uint8Array(0)): void {
  if (removed === draft.me) throw new StateError('STATE_UNKNOWN_MEMBER', 'remove: a member cannot remove itself (ask another member)');
  if (!isMember(draft.membership, removed)) throw new StateError('STATE_UNKNOWN_MEMBER', `remove: ${removed.slice(0, 16)} is not a member`);
  const seq = nextSeq(draft);
  draft.membership = applyRemove(draft.membership, { id: opIdOf(draft.me, seq), actor: draft.me, removed });
  sendSeedOp(draft, seq, { type: 'remove', removed, note });
}

/**
 * process-seed for a received create/update/remove whose membership effect
 * was already applied: decrypt my seed (if I was a recipient), advance the
 * sender's chain, ack with forwards.
 */
export function processSeed(draft: Draft, sender: MemberId, seq: number, direct: Uint8Array | undefined, commitment: Uint8Array): void {
  const recipients = seedRecipients(draft, sender);
  if (!recipients.includes(draft.me)) {
    // The sender's chain steps with this seed and I cannot follow: my copy is stale. Remember
    // whose chains the acks will step, for the same reason.
    putSecret(draft, 'ratchets', sender, undefined);
    if (recipients.length > 0) putPendingSeed(draft, opIdOf(sender, seq), newPendingSeed(recipients, undefined));
  }
  if (draft.removed && !recipients.includes(draft.me)) return;
  if (draft.removed) {
    // Removed, but the sender did not know it yet: follow the step (a re-add needs the chain
    // copies; others still treat me as a member) and keep 2SM in step. Send nothing.
    const { seed, legacy } = openSeed(draft, sender, seq, direct, commitment);
    absorbSeed(draft, sender, seq, seed, recipients, legacy);
    zeroize(seed);
    return;
  }
  if (!recipients.includes(draft.me)) {
    // The sender did not know me yet (I was added concurrently): ack, derive nothing.
    sendAck(draft, sender, seq, [], false);
    // A remove I cannot follow leaves my own chain where the removed member may know it
    // (it could have processed my add): heal with an update of my own (groupcrypt's
    // generalisation of the Java prototype's ack-with-update).
    const op = findOp(draft.membership, opIdOf(sender, seq));
    if (op?.kind === 'remove' && isMember(draft.membership, draft.me) && chainExposed(draft, op.targets)) sendUpdate(draft);
    return;
  }
  const { seed, legacy } = openSeed(draft, sender, seq, direct, commitment);
  try {
    absorbSeed(draft, sender, seq, seed, recipients, legacy);
  } finally {
    zeroize(seed);
  }
  sendAck(draft, sender, seq, recipients, false);
  // Ack-with-update (Java prototype, generalised): the seed also reached users I already consider
  // removed (or came from one), so they can follow the step my ack just made: heal at once —
  // unless they could not know my chain before that step (exposure.ts: I healed already).
  if (isMember(draft.membership, draft.me) && chainExposed(draft, [sender, ...recipients])) sendUpdate(draft);
}
