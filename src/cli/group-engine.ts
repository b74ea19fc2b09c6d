/**
 * The `Engine` over the group layer (src/group).
 *
 * Net message file = deterministic CBOR `{ v: 1, group, scheme, control, bundle }`
 * where `bundle` is the group layer's self-contained wire bundle (broadcast +
 * every direct part). The wrapper only routes: the group id and scheme of an
 * application message are bound into its signature and AEAD, and a control
 * message carries its signed group id, so a re-wrapped message fails to
 * verify (or is a duplicate) instead of being misattributed.
 */
import type { Deps } from '../crypto/index.js';
import { decodeVersionedRecord, encodeCanonical, fromHex, readBool, readBytes, readText, toHex } from '../crypto/index.js';
import { isGroupCryptError } from '../errors.js';
import type { GroupContext, GroupResult, GroupState } from '../group/index.js';
import {
  addMember, applicationPosition, createGroup, decodeGroupState, encodeGroupState, encodeWireBundle, groupMembers, joinGroup, openWireBundle, receive, removeMember,
  send, updateGroup,
} from '../group/index.js';
import { identityOf } from '../keys/index.js';
import type { Delivered, Engine, EngineContext, EngineResult, GroupView, Scheme } from './engine.js';

/** Version of the net message wrapper. */
export const NET_MESSAGE_VERSION = 1;
const MAX_NET_MESSAGE_BYTES = 64 * 1024 * 1024;

interface NetMessage {
  readonly group: string;
  readonly scheme: Scheme;
  readonly control: boolean;
  readonly bundle: Uint8Array;
}

function encodeNetMessage(m: NetMessage): Uint8Array {
  return encodeCanonical({ v: NET_MESSAGE_VERSION, group: fromHex(m.group), scheme: m.scheme, control: m.control, bundle: m.bundle });
}

function decodeNetMessage(bytes: Uint8Array): NetMessage {
  const what = 'netMessage';
  const r = decodeVersionedRecord(bytes, what, NET_MESSAGE_VERSION, ['v', 'group', 'scheme', 'control', 'bundle'], MAX_NET_MESSAGE_BYTES);
  return {
    group: toHex(readBytes(r, 'group', what, 32)),
    scheme: readText<Scheme>(r, 'scheme', what, ['data', 'message']),
    control: readBool(r, 'control', what),
    bundle: readBytes(r, 'bundle', what),
  };
}

function toResult(result: GroupResult): EngineResult {
  const groupId = result.state.dcgka.groupId;
  const scheme = result.state.scheme;
  const publish: Uint8Array[] = [];
  const delivered: Delivered[] = [];
  for (const output of result.outputs) {
    if (output.kind === 'send') publish.push(encodeNetMessage({ group: groupId, scheme, control: output.message.control, bundle: encodeWireBundle(output.message) }));
    else if (output.kind === 'application') delivered.push({ sender: output.sender, data: output.plaintext });
  }
  return { groupId, state: encodeGroupState(result.state), keys: result.keys, registry: result.registry, publish, delivered };
}

/** The engine backed by the group layer. */
export function groupEngine(deps: Deps): Engine {
  const decode = (bytes: Uint8Array): GroupState => decodeGroupState(bytes, deps);
  const ctxOf = (ctx: EngineContext): GroupContext => ({ deps: ctx.deps, keys: ctx.keys, registry: ctx.registry });
  return {
    create: (ctx, scheme) => toResult(createGroup(ctxOf(ctx), { scheme, members: [] })),
    add: (ctx, state, member) => toResult(addMember(decode(state), ctxOf(ctx), member)),
    remove: (ctx, state, member) => toResult(removeMember(decode(state), ctxOf(ctx), member)),
    update: (ctx, state) => toResult(updateGroup(decode(state), ctxOf(ctx))),
    send: (ctx, state, data) => toResult(send(decode(state), ctxOf(ctx), { plaintext: data })),
    groupOf: (message) => decodeNetMessage(message).group,
    orderOf(message) {
      const m = decodeNetMessage(message);
      if (m.control) return [0, 0, 0];
      const { epoch, counter } = applicationPosition(openWireBundle(m.bundle, '').broadcast, m.scheme);
      return [1, epoch, counter];
    },
    receive(ctx, state, message) {
      const m = decodeNetMessage(message);
      const me = toHex(identityOf(ctx.keys).publicKey);
      const incoming = openWireBundle(m.bundle, me);
      if (state !== undefined) return toResult(receive(decode(state), ctxOf(ctx), incoming));
      if (!m.control) return undefined;
      try {
        return toResult(joinGroup(ctxOf(ctx), { scheme: m.scheme, message: incoming }));
      } catch (error) {
        if (isGroupCryptError(error, 'STATE_NOT_MEMBER')) return undefined;
        throw error;
      }
    },
    view(state): GroupView {
      const s = decode(state);
      const members = [...groupMembers(s)].sort();
      return { groupId: s.dcgka.groupId, scheme: s.scheme, members, removed: s.dcgka.removed, pending: s.pendingControl.length + s.pendingApplication.length };
    },
  };
}
