/**
 * Group commands: `create`, `add`, `remove`, `update`, `send`, `groups`,
 * `members`, `read`. Each state change is ONE store commit (group state,
 * keys, registry, decrypted data, processed ids and outgoing net files),
 * then the outbox is flushed into the net.
 */
import { readFile } from 'node:fs/promises';
import { toHex } from '../crypto/index.js';
import { StateError, StoreError } from '../errors.js';
import { encodeKeyManager, encodeKeyRegistry } from '../keys/index.js';
import { appBlobs, asUtf8, readAppLog } from './app-log.js';
import type { Engine, EngineContext, EngineResult, GroupView, Scheme } from './engine.js';
import type { Home } from './home.js';
import type { Output } from './output.js';
import { short, table } from './output.js';
import { loadProfiles, registerProfiles, resolvePrefix } from './peers.js';

/** Store name of a group's state. */
export function groupKey(groupId: string): string {
  return `group:${groupId}`;
}

/** Ids of every group this home has state for, sorted. */
export async function knownGroups(home: Home): Promise<string[]> {
  return (await home.store.names('group:')).map((n) => n.slice('group:'.length));
}

/** Resolves a GROUP argument and loads its state. @throws StateError `STATE_UNKNOWN_GROUP`, `STATE_DUPLICATE`. */
export async function loadGroup(home: Home, prefix: string): Promise<{ groupId: string; state: Uint8Array }> {
  const groupId = resolvePrefix(prefix, await knownGroups(home), 'group', 'STATE_UNKNOWN_GROUP');
  const state = await home.store.load(groupKey(groupId));
  if (state === undefined) throw new StoreError('STORE_CORRUPT', `group ${groupId} vanished`);
  return { groupId, state };
}

/** The engine context of a home. */
export async function contextOf(home: Home): Promise<EngineContext> {
  return { deps: home.deps, keys: home.keys, registry: await home.registry() };
}

/**
 * Commits an engine result in ONE transaction: group state, keys, registry,
 * delivered data, the processed incoming message ids, and outgoing files
 * (also marked processed so `sync` skips our own files). Then updates the
 * in-memory keys.
 */
export async function commitResult(home: Home, result: EngineResult, processed: readonly string[], ownData?: Uint8Array): Promise<void> {
  const delivered = ownData === undefined ? result.delivered : [...result.delivered, { sender: home.id, data: ownData }];
  const outbox = result.publish.map((bytes) => home.outgoing('msg', bytes));
  const ownIds = outbox.map((o) => o.message.id).filter((id) => !processed.includes(id));
  await home.commit({
    states: {
      [groupKey(result.groupId)]: result.state,
      keys: encodeKeyManager(result.keys),
      registry: encodeKeyRegistry(result.registry),
      ...(await appBlobs(home.store, result.groupId, delivered)),
    },
    processed: [...new Set([...processed, ...ownIds])],
    outbox: outbox.map((o) => o.message),
  });
  home.keys = result.keys;
}

/** `create [--scheme]`. */
export async function runCreate(home: Home, net: string, engine: Engine, scheme: Scheme, out: Output): Promise<void> {
  const result = engine.create(await contextOf(home), scheme);
  await commitResult(home, result, []);
  await home.flush(net);
  out.result({ group: result.groupId, scheme }, table([['group', result.groupId], ['scheme', scheme]]));
}

/** `add GROUP ID` / `remove GROUP ID` / `update GROUP`. */
export async function runMembership(home: Home, net: string, engine: Engine, op: 'add' | 'remove' | 'update', group: string, id: string | undefined, out: Output): Promise<void> {
  const { groupId, state } = await loadGroup(home, group);
  let ctx = await contextOf(home);
  let result: EngineResult;
  let member = '';
  if (op === 'update') result = engine.update(ctx, state);
  else {
    const { profiles } = await loadProfiles(net, home.deps);
    const view = engine.view(state);
    const candidates = op === 'add' ? profiles.map((p) => p.id) : [...view.members, ...profiles.map((p) => p.id)];
    member = resolvePrefix(id as string, candidates, 'peer', 'STATE_UNKNOWN_MEMBER');
    if (op === 'add') {
      const profile = profiles.find((p) => p.id === member);
      if (profile !== undefined) ctx = { ...ctx, registry: registerProfiles(ctx.registry, [profile], home.deps) };
      result = engine.add(ctx, state, member);
    } else result = engine.remove(ctx, state, member);
  }
  await commitResult(home, result, []);
  await home.flush(net);
  const human = member === '' ? `${op}  group ${short(groupId)}` : `${op}  ${short(member)}  group ${short(groupId)}`;
  out.result({ group: groupId, op }, human);
}

/** `send GROUP TEXT` / `send GROUP --file PATH|-`. */
export async function runSend(home: Home, net: string, engine: Engine, group: string, text: string | undefined, file: string | undefined, out: Output): Promise<void> {
  const { groupId, state } = await loadGroup(home, group);
  let data: Uint8Array;
  if (text !== undefined) data = new TextEncoder().encode(text);
  else if (file === '-') data = await out.io.stdin();
  else {
    try {
      data = new Uint8Array(await readFile(file as string));
    } catch (cause) {
      throw new StoreError('STORE_IO', `cannot read ${file as string}: ${(cause as Error).message}`, { cause });
    }
  }
  const result = engine.send(await contextOf(home), state, data);
  await commitResult(home, result, [], data);
  await home.flush(net);
  out.result({ group: groupId, bytes: data.length }, `sent  ${data.length} bytes  group ${short(groupId)}`);
}

function viewJson(view: GroupView): { group: string; scheme: Scheme; members: string[]; removed: boolean } {
  return { group: view.groupId, scheme: view.scheme, members: [...view.members].sort(), removed: view.removed };
}

/** `groups`. */
export async function runGroups(home: Home, engine: Engine, out: Output): Promise<void> {
  const rows: string[][] = [];
  for (const groupId of await knownGroups(home)) {
    const view = engine.view((await home.store.load(groupKey(groupId))) as Uint8Array);
    const json = viewJson(view);
    if (out.json) out.result(json, []);
    rows.push([short(groupId), view.scheme, `${json.members.length} member${json.members.length === 1 ? '' : 's'}`, view.removed ? 'removed' : '', groupId]);
  }
  if (!out.json) {
    for (const line of table(rows)) out.info(line);
    if (rows.length === 0) out.info('no groups yet');
  }
}

/** `members GROUP`. */
export async function runMembers(home: Home, engine: Engine, group: string, out: Output): Promise<void> {
  const { state } = await loadGroup(home, group);
  const json = viewJson(engine.view(state));
  const lines = json.members.map((m) => `${short(m)}  ${m === home.id ? '(you)' : ''}`.trimEnd());
  if (json.removed) lines.push('(you were removed; these are the last members you knew)');
  out.result({ group: json.group, members: json.members, removed: json.removed }, lines);
}

/** `read GROUP`: everything decrypted so far, oldest first. */
export async function runRead(home: Home, group: string, out: Output): Promise<void> {
  const { groupId } = await loadGroup(home, group);
  const entries = await readAppLog(home.store, groupId);
  const rows: string[][] = [];
  for (const entry of entries) {
    const text = asUtf8(entry.data);
    if (out.json) out.result({ sender: entry.sender, data: text, base64: Buffer.from(entry.data).toString('base64') }, []);
    rows.push([short(entry.sender), text ?? `(${entry.data.length} bytes, binary)`]);
  }
  if (!out.json) {
    for (const line of table(rows)) out.info(line);
    if (rows.length === 0) out.info('nothing decrypted yet');
  }
}

/** @internal exposed for sync: hex of a content hash. */
export function hashOf(home: Home, bytes: Uint8Array): string {
  return toHex(home.deps.crypto.sha256(bytes));
}

/** @throws StateError `STATE_REMOVED` when this peer was removed from the group. */
export function assertMember(view: GroupView): void {
  if (view.removed) throw new StateError('STATE_REMOVED', `you were removed from group ${view.groupId}`);
}
