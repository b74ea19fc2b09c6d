/**
 * A working copy of one Group call (like DCGKA's draft): every call copies the
 * caller's state into a `Work`, changes only the work's own fields, and
 * returns it once at the end; if anything throws, the caller's state,
 * keys and registry are untouched.
 */
import { applyUpdateSecret as applyDataSecret, createDataState } from '../data/index.js';
import type { DataState } from '../data/index.js';
import { compactHistory, groupMembers } from '../dcgka/index.js';
import { isCompacted, namedIds, opKind } from '../membership/index.js';
import type { DcgkaResult, DcgkaState, PersistentMap } from '../dcgka/index.js';
import { InternalError, VerifyError } from '../errors.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import { applyUpdateSecret as applyMessageSecret, createMessageState } from '../message/index.js';
import type { MessageState } from '../message/index.js';
import { createOrderer, markDelivered, nextExpected } from '../ordering/index.js';
import type { OrdererState } from '../ordering/index.js';
import { MAX_PENDING_CONTROL } from './limits.js';
import { dropRemovedChains, pruneRejoins, readWelcomeExtra, reopenedAt, withRejoin, withRemoval } from './removal.js';
import type {
  GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, PendingApplication, PendingControl, Position, RejoinRecord, RemovalRecord, StrangerMessage,
} from './types.js';

/** Mutable working copy of a call. */
export interface Work {
  readonly deps: GroupContext['deps'];
  /** GroupContext.compactAt. */
  readonly compactAt: number | undefined;
  /** A first join: `dcgka` is already the joined state, and I processed none of its history myself. */
  readonly fresh: boolean;
  readonly scheme: GroupScheme;
  dcgka: DcgkaState;
  message: MessageState | null;
  data: DataState | null;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  orderer: OrdererState;
  directs: Record<string, Uint8Array>;
  pendingApplication: PendingApplication[];
  strangers: StrangerMessage[];
  lamport: number;
  heard: Record<string, Position>;
  removals: readonly RemovalRecord[];
  rejoins: readonly RejoinRecord[];
  outputs: GroupOutput[];
  consumed: Uint8Array[];
  /** Keys (`member:epoch`) of group secrets to ask the group for at the end of the call (share.ts; never stored). */
  readonly wanted: Set<string>;
}

/** Opens a work copy of `state`. */
export function openWork(state: GroupState, ctx: GroupContext): Work {
  return {
    deps: ctx.deps, compactAt: ctx.compactAt, fresh: false, scheme: state.scheme, dcgka: state.dcgka, message: state.message, data: state.data,
    keys: ctx.keys, registry: ctx.registry, orderer: state.orderer, directs: { ...state.directs },
    pendingApplication: [...state.pendingApplication], strangers: [...state.strangers], lamport: state.lamport, heard: { ...state.heard }, removals: state.removals, rejoins: state.rejoins,
    outputs: [], consumed: [], wanted: new Set(),
  };
}

/**
 * A work copy for a group that does not exist yet (its DCGKA result comes
 * next). The orderer starts at the DCGKA clock: for a joiner, everything
 * below it is covered by the welcome and will be dropped as a duplicate.
 */
export function freshWork(scheme: GroupScheme, ctx: GroupContext, dcgka: DcgkaState): Work {
  return {
    deps: ctx.deps, compactAt: ctx.compactAt, fresh: true, scheme, dcgka,
    message: scheme === 'message' ? createMessageState() : null,
    data: scheme === 'data' ? createDataState() : null,
    keys: ctx.keys, registry: ctx.registry, orderer: createOrderer({ start: dcgka.clock.toRecord(), maxPending: MAX_PENDING_CONTROL }), directs: {},
    pendingApplication: [], strangers: [], lamport: 0, heard: {}, removals: [], rejoins: [], outputs: [], consumed: [], wanted: new Set(),
  };
}

/** Key of a control message in `directs`. */
export function directKey(sender: string, seq: number): string {
  return `${sender}:${seq}`;
}

/** The read-only view of the orderer's buffer that `GroupState.pendingControl` exposes. */
export function pendingView(orderer: OrdererState, directs: Readonly<Record<string, Uint8Array>>): PendingControl[] {
  return orderer.pending.map((m) => {
    const dep = m.deps[0];
    const direct = directs[directKey(m.sender, m.seq)];
    return { sender: m.sender, seq: m.seq, acked: dep ? { sender: dep.sender, seq: dep.seq } : null, broadcast: m.payload, direct: direct ?? null };
  });
}

/** Builds a group state (with its derived view). */
export function makeState(fields: Omit<GroupState, 'v' | 'pendingControl'>): GroupState {
  return { v: 3, ...fields, pendingControl: pendingView(fields.orderer, fields.directs) };
}

/** Closes a work copy into the call's result (dropping the chains of removed members that every member has let go). */
export function closeWork(work: Work): GroupResult {
  if (work.message) {
    const dropped = dropRemovedChains(work.message, work, work.heard);
    work.message = dropped.state;
    work.consumed.push(...dropped.consumed);
  }
  // Bounded state (issue 12): the records took what they need of the ops (removal.ts), so the stable history can go.
  work.dcgka = compactHistory(work.dcgka, work.compactAt);
  work.rejoins = pruneRejoins(work);
  const state = makeState({
    scheme: work.scheme, dcgka: work.dcgka, message: work.message, data: work.data,
    orderer: work.orderer, directs: work.directs, pendingApplication: work.pendingApplication, strangers: work.strangers,
    lamport: work.lamport, heard: work.heard, removals: work.removals, rejoins: work.rejoins,
  });
  const label = { groupId: work.dcgka.groupId, scheme: work.scheme };
  const outputs = work.outputs.map((o) => (o.kind === 'send' ? { ...o, message: { ...o.message, ...label } } : o));
  return { state, keys: work.keys, registry: work.registry, outputs, consumed: work.consumed };
}

/**
 * Moves the orderer up to DCGKA's clock (what DCGKA processed, sent, or
 * learned from a welcome counts as delivered); buffered copies below it are
 * dropped with their direct parts. With `since` (the clock the orderer was
 * last synced to), only the senders whose count changed are visited: one
 * message costs O(log n) here, not a walk over every member (issue 13).
 */
export function syncOrderer(orderer: OrdererState, directs: Record<string, Uint8Array>, clock: PersistentMap<number>, since?: PersistentMap<number>): OrdererState {
  let current = orderer;
  for (const sender of since ? clock.changedSince(since) : clock.keys()) {
    const upTo = clock.get(sender) ?? 0;
    for (let seq = nextExpected(current, sender); seq < upTo; seq++) {
      current = markDelivered(current, { sender, seq });
      delete directs[directKey(sender, seq)];
    }
  }
  return current;
}

/** The DCGKA context of a work copy. */
export function dcgkaContext(work: Work): { deps: Work['deps']; keys: KeyManagerState; registry: KeyRegistryState } {
  return { deps: work.deps, keys: work.keys, registry: work.registry };
}

/** Epoch (sequence number) of an op id `${sender}:${seq}`. */
export function epochOf(cause: string): number {
  const seq = Number(cause.slice(cause.lastIndexOf(':') + 1));
  if (!Number.isSafeInteger(seq) || seq < 0) throw new InternalError('INTERNAL', 'group: malformed op id');
  return seq;
}

/**
 * Removal and rejoin records from a welcome must name ops of the membership
 * history it gave me: a remove of that member, an add of that member. A
 * re-added member (`unknownAllowed`) keeps its own history, which may lack
 * ops its adder processed while it was out: a record naming an op it does
 * not know is taken on the adder's word (the adder is trusted for history),
 * one naming an op it knows must match it.
 * @throws VerifyError `VERIFY_GROUP` otherwise (permanent: the adder lied).
 */
function checkRecords(dcgka: DcgkaState, clock: Readonly<Record<string, number>>, removals: readonly RemovalRecord[], rejoins: readonly RejoinRecord[], unknownAllowed: boolean): void {
  const m = dcgka.membership;
  const op = (id: string) => (Object.hasOwn(m.index, id) ? m.ops[m.index[id] ?? -1] : undefined);
  for (const r of removals) {
    if (isCompacted(m, r.op)) continue; // the adder's history compacted it: nothing left to check it against
    const o = op(r.op);
    if (o === undefined && unknownAllowed) continue;
    if (o?.kind !== 'remove' || o.targets[0] !== r.member) throw new VerifyError('VERIFY_GROUP', `welcome: removal record ${r.op.slice(-24)} names no remove of that member`);
  }
  for (const j of rejoins) {
    if (isCompacted(m, j.add)) continue;
    const o = op(j.add);
    if (o === undefined && unknownAllowed) continue;
    const seen = Object.hasOwn(clock, j.member) ? clock[j.member] ?? 0 : 0;
    if (o?.kind !== 'add' || o.targets[0] !== j.member || j.seq >= seen) throw new VerifyError('VERIFY_GROUP', `welcome: rejoin record of ${j.member.slice(0, 16)} names no add of it before the welcome`);
  }
}

/**
 * Installs a DCGKA result: control messages become `send` outputs, update
 * secrets feed the scheme, `joined` imports the adder's secret bundle (data
 * scheme). Computed on locals and assigned at the end (all or nothing).
 */
export function applyDcgka(work: Work, result: DcgkaResult): void {
  let message = work.message;
  let data = work.data;
  let removals = work.removals;
  let rejoins = work.rejoins;
  const outputs: GroupOutput[] = [];
  const consumed: Uint8Array[] = [...result.consumed];
  for (const out of result.outputs) {
    switch (out.kind) {
      case 'control': {
        outputs.push({ kind: 'send', message: { control: true, broadcast: out.control.broadcast, direct: out.control.direct } });
        // My own rejoin ack is a rejoin too (I never receive my own messages): my records, and the extras
        // of my welcomes, must reopen my removal as everyone else's do.
        const { message: sent } = out.control;
        if (sent.body.type === 'ack' && sent.body.mode === 'rejoin') {
          ({ removals, rejoins } = withRejoin({ dcgka: result.state, removals, rejoins }, { member: sent.sender, add: `${sent.body.ackedSender}:${sent.body.ackedSeq}`, seq: sent.seq }));
        }
        break;
      }
      case 'update-secret': {
        const input = { member: out.member, epoch: epochOf(out.cause), secret: out.secret };
        if (message) {
          const applied = applyMessageSecret(message, input, work.deps);
          message = applied.state;
          consumed.push(...applied.consumed);
        }
        if (data) {
          // A secret a share gave me early (src/group/share.ts) yields to the one DCGKA derives.
          const applied = applyDataSecret(data, input, work.deps, { replace: true });
          data = applied.state;
          consumed.push(...applied.consumed);
        }
        break;
      }
      case 'removed':
        outputs.push({ kind: 'removed', by: out.by });
        break;
      case 'joined': {
        // The adder's bundle must fit the history the welcome gave me: no secret of mine (mine come
        // from my own update secrets only), none of a never-member, none beyond a member's clock.
        const known = new Set(knownIds(result.state));
        const clock = (m: string): number => (Object.hasOwn(out.clock, m) ? out.clock[m] ?? 0 : 0);
        if (out.concurrent) {
          // An add of me concurrent with the one I joined by: its adder may know members and ops I have
          // not processed yet, and I will process them myself (its records are not for me). Its secrets
          // are history I may lack: taken as a share of my adder's, within its clock.
          data = data ? readWelcomeExtra(out.extra, data, work.deps, { me: result.state.me, clock }).data : data;
          outputs.push({ kind: 'joined', via: out.via });
          break;
        }
        // A re-added member keeps its own (older) membership: a member it has not heard of yet is one
        // whose control messages its adder had processed (the welcome's clock).
        const extra = readWelcomeExtra(out.extra, data, work.deps, {
          me: result.state.me,
          everMember: (m) => known.has(m) || (!work.fresh && clock(m) > 0),
          clock,
        });
        data = extra.data;
        checkRecords(result.state, out.clock, extra.removals, extra.rejoins, !work.fresh);
        // Records I hold are reopened by the imported rejoins, and the imported removals by every rejoin.
        for (const j of extra.rejoins) ({ removals, rejoins } = withRejoin({ dcgka: result.state, removals, rejoins }, j));
        // A re-add: a removal I processed myself is one I hold (the adder may know its reopening when I
        // missed it while removed: take it) or, in a state saved by an older version, one it pruned once
        // reopened: taking the adder's copy back could bar for ever what my pruned record had reopened.
        const mine = work.fresh ? undefined : work.dcgka.membership;
        const processed = (id: string): boolean => mine !== undefined && (isCompacted(mine, id) || opKind(mine, id) !== undefined);
        const held = new Set(removals.map((x) => x.op)); // a welcome lists every record: no walk of mine per record
        for (const r of extra.removals) {
          if (held.has(r.op)) removals = r.until === undefined ? removals : removals.map((x) => (x.op === r.op ? reopenedAt(x, r.until as number) : x));
          else if (!processed(r.op)) {
            removals = withRemoval({ dcgka: result.state, removals, rejoins }, r);
            held.add(r.op);
          }
        }
        outputs.push({ kind: 'joined', via: out.via });
        break;
      }
    }
  }

  const directs = { ...work.directs };
  const orderer = syncOrderer(work.orderer, directs, result.state.clock, work.dcgka.clock);
  work.dcgka = result.state;
  work.keys = result.keys;
  work.registry = result.registry;
  work.message = message;
  work.data = data;
  work.removals = removals;
  work.rejoins = rejoins;
  work.orderer = orderer;
  work.directs = directs;
  work.outputs.push(...outputs);
  work.consumed.push(...consumed);
}

/**
 * Ids that may send in this group: everyone the membership history names
 * (members, and whoever was ever added, even by an add later cancelled) and
 * every sender of a processed control message (sorted). Anyone else is a
 * stranger: its messages only get the small allowance of `strangers`.
 */
export function knownIds(dcgka: DcgkaState): readonly string[] {
  // DCGKA states are immutable, so the list is computed once per state: every application message sent or received
  // looks its sender up here, and walking the whole membership history per message cost O(history).
  let ids = KNOWN_IDS.get(dcgka);
  if (ids === undefined) {
    const set = new Set([...dcgka.clock.keys(), ...groupMembers(dcgka.membership)]);
    for (const id of namedIds(dcgka.membership)) set.add(id);
    ids = Object.freeze([...set].sort());
    KNOWN_IDS.set(dcgka, ids);
  }
  return ids;
}

const KNOWN_IDS = new WeakMap<DcgkaState, readonly string[]>();
