/**
 * A working copy of one Group call (like DCGKA's draft): every call copies the
 * caller's state into a `Work`, changes only the work's own fields, and
 * returns it once at the end; if anything throws, the caller's state,
 * keys and registry are untouched.
 */
import { applyUpdateSecret as applyDataSecret, createDataState, importSecretBundle } from '../data/index.js';
import type { DataState } from '../data/index.js';
import { groupMembers } from '../dcgka/index.js';
import type { DcgkaResult, DcgkaState } from '../dcgka/index.js';
import { InternalError } from '../errors.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';
import { applyUpdateSecret as applyMessageSecret, createMessageState } from '../message/index.js';
import type { MessageState } from '../message/index.js';
import type { GroupContext, GroupOutput, GroupResult, GroupScheme, GroupState, PendingApplication, PendingControl } from './types.js';

/** Mutable working copy of a call. */
export interface Work {
  readonly deps: GroupContext['deps'];
  readonly scheme: GroupScheme;
  dcgka: DcgkaState;
  message: MessageState | null;
  data: DataState | null;
  keys: KeyManagerState;
  registry: KeyRegistryState;
  pendingControl: PendingControl[];
  pendingApplication: PendingApplication[];
  outputs: GroupOutput[];
}

/** Opens a work copy of `state`. */
export function openWork(state: GroupState, ctx: GroupContext): Work {
  return {
    deps: ctx.deps, scheme: state.scheme, dcgka: state.dcgka, message: state.message, data: state.data,
    keys: ctx.keys, registry: ctx.registry,
    pendingControl: [...state.pendingControl], pendingApplication: [...state.pendingApplication], outputs: [],
  };
}

/** A work copy for a group that does not exist yet (its DCGKA result comes next). */
export function freshWork(scheme: GroupScheme, ctx: GroupContext, dcgka: DcgkaState): Work {
  return {
    deps: ctx.deps, scheme, dcgka,
    message: scheme === 'message' ? createMessageState() : null,
    data: scheme === 'data' ? createDataState() : null,
    keys: ctx.keys, registry: ctx.registry, pendingControl: [], pendingApplication: [], outputs: [],
  };
}

/** Closes a work copy into the call's result. */
export function closeWork(work: Work): GroupResult {
  const state: GroupState = {
    v: 1, scheme: work.scheme, dcgka: work.dcgka, message: work.message, data: work.data,
    pendingControl: work.pendingControl, pendingApplication: work.pendingApplication,
  };
  return { state, keys: work.keys, registry: work.registry, outputs: work.outputs };
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
 * Installs a DCGKA result: control messages become `send` outputs, update
 * secrets feed the scheme, `joined` imports the adder's secret bundle (data
 * scheme). Computed on locals and assigned at the end (all or nothing).
 */
export function applyDcgka(work: Work, result: DcgkaResult): void {
  let message = work.message;
  let data = work.data;
  const outputs: GroupOutput[] = [];
  for (const out of result.outputs) {
    switch (out.kind) {
      case 'control':
        outputs.push({ kind: 'send', message: { control: true, broadcast: out.control.broadcast, direct: out.control.direct } });
        break;
      case 'update-secret': {
        const input = { member: out.member, epoch: epochOf(out.cause), secret: out.secret };
        if (message) message = applyMessageSecret(message, input, work.deps).state;
        if (data) data = applyDataSecret(data, input, work.deps).state;
        break;
      }
      case 'removed':
        outputs.push({ kind: 'removed', by: out.by });
        break;
      case 'joined':
        if (data && out.extra.length > 0) data = importSecretBundle(data, out.extra, work.deps);
        outputs.push({ kind: 'joined', via: out.via });
        break;
    }
  }
  work.dcgka = result.state;
  work.keys = result.keys;
  work.registry = result.registry;
  work.message = message;
  work.data = data;
  work.outputs.push(...outputs);
}

/** Ids that may send in this group: every member and every sender of a processed control message (sorted). */
export function knownIds(dcgka: DcgkaState): string[] {
  return [...new Set([...Object.keys(dcgka.clock), ...groupMembers(dcgka.membership)])].sort();
}
