/**
 * The commands of `groupcrypt` against an open `Peer`: `whoami`, `peers`,
 * `create`, `add`, `remove`, `update`, `send`, `sync`, `groups`, `members`,
 * `read` (CLI.md "Commands"). The one-shot command opens the home and the
 * folder transport, runs one of these and closes; a long-running peer
 * (`serve`) runs one command line at a time with `runCommandLine`.
 */
import { readFile } from 'node:fs/promises';
import { StoreError } from '../errors.js';
import type { GroupInfo, Peer } from '../peer/index.js';
import type { CommandName, ParsedArgs } from './args.js';
import { USAGE, parseArgs } from './args.js';
import type { Output } from './output.js';
import { short, table } from './output.js';

/** A parsed command, as `runCommand` needs it. */
export type Command = Pick<ParsedArgs, 'command' | 'args' | 'options'>;

/** The data as UTF-8 text, or null when it is not valid UTF-8. */
export function asUtf8(data: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return null;
  }
}

/** Base64 of bytes (Node and browsers). */
export function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** `{"pq":true}` for a post-quantum group, nothing for a classic one (the classic shapes stay as they were). */
function pqField(info: GroupInfo): { pq?: true } {
  return info.pq ? { pq: true } : {};
}

function groupJson(info: GroupInfo): { group: string; scheme: string; pq?: true; members: string[]; removed: boolean } {
  return { group: info.group, scheme: info.scheme, ...pqField(info), members: [...info.members], removed: info.removed };
}

async function readData(text: string | undefined, file: string | undefined, out: Output): Promise<Uint8Array> {
  if (text !== undefined) return new TextEncoder().encode(text);
  if (file === '-') return out.io.stdin();
  try {
    return new Uint8Array(await readFile(file as string));
  } catch (cause) {
    throw new StoreError('STORE_IO', `cannot read ${file as string}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Runs one parsed command against an open peer, printing its result on `out`.
 * @throws GroupCryptError for anything the command refuses (the caller prints it).
 */
export async function runCommand(peer: Peer, parsed: Command, out: Output): Promise<void> {
  const { command, args, options } = parsed;
  const group = args['GROUP'] as string;
  switch (command as CommandName) {
    case 'help':
      out.result({ usage: USAGE }, USAGE.split('\n'));
      return;
    case 'whoami':
      out.result({ id: peer.id, name: peer.name }, table([['id', peer.id], ['name', peer.name]]));
      return;
    case 'peers': {
      await peer.flush();
      for (const s of await peer.refreshPeers()) out.note(`skipped ${s.origin}: ${s.reason}`);
      const peers = await peer.peers();
      if (out.json) for (const p of peers) out.result({ id: p.id, name: p.name }, []);
      else {
        for (const line of table(peers.map((p) => [short(p.id), p.name, p.id === peer.id ? '(you)' : '', p.id]))) out.info(line);
        if (peers.length === 0) out.info('no peers known yet');
      }
      return;
    }
    case 'create': {
      if (options['scheme'] === 'mls') {
        const made = await peer.create('mls', {
          ...(options['lts-suite'] !== undefined ? { ltsCiphersuite: Number(options['lts-suite']) as 1 | 2 | 3 } : {}),
          ...(options['mls-suite'] !== undefined ? { mlsCiphersuite: Number(options['mls-suite']) } : {}),
        });
        out.result({ group: made.group, scheme: made.scheme }, table([['group', made.group], ['scheme', made.scheme]]));
        return;
      }
      const pq = options['pq'] === 'true';
      const info = await peer.create(options['scheme'] === 'message' ? 'message' : 'data', pq ? { pq: true } : {});
      const rows = [['group', info.group], ['scheme', info.scheme], ...(info.pq ? [['pq', 'yes (X25519 + ML-KEM-768 key agreement)']] : [])];
      out.result({ group: info.group, scheme: info.scheme, ...pqField(info) }, table(rows));
      return;
    }
    case 'add':
    case 'remove':
    case 'update': {
      let info: GroupInfo;
      let member = '';
      if (command === 'update') info = await peer.update(group);
      else {
        if (command === 'add') for (const s of await peer.refreshPeers()) out.note(`skipped ${s.origin}: ${s.reason}`);
        member = await peer.resolvePeer(args['ID'] as string, command === 'remove' ? group : undefined);
        info = command === 'add' ? await peer.add(group, member) : await peer.remove(group, member);
      }
      const human = member === '' ? `${command}  group ${short(info.group)}` : `${command}  ${short(member)}  group ${short(info.group)}`;
      out.result({ group: info.group, op: command }, human);
      return;
    }
    case 'handover': {
      const member = await peer.resolvePeer(args['ID'] as string, group);
      const info = await peer.handover(group, member);
      out.result({ group: info.group, op: 'handover', owner: info.owner }, `handover  ${short(member)}  group ${short(info.group)}`);
      return;
    }
    case 'send': {
      const groupId = await peer.resolveGroup(group);
      const data = await readData(args['TEXT'], options['file'], out);
      const secrets = options['secrets'] === undefined ? {} : { secrets: options['secrets'] === 'sender-ratchet' ? 'sender_ratchet' as const : 'long_term' as const };
      const sent = await peer.send(groupId, data, secrets);
      out.result({ group: sent.group, bytes: sent.bytes }, `sent  ${sent.bytes} bytes  group ${short(sent.group)}`);
      return;
    }
    case 'sync': {
      if (options['mls'] !== undefined) await peer.enableMls();
      const report = await peer.sync();
      const skipped = report.skipped.map((s) => ({ path: s.origin, reason: s.reason }));
      const lines = [`processed  ${report.processed}`, `pending    ${report.pending}`];
      // messages sent after this peer's removal (or, in an MLS group, before it joined): valid, settled for good, never read (CLI.md "Removed peers")
      if (report.notForMe > 0) lines.push(`not for me ${report.notForMe}  (sent while you were not a member: after your removal, or before you joined)`);
      if (skipped.length > 0) {
        lines.push(`skipped    ${skipped.length}`);
        for (const s of skipped) lines.push(`  ${s.path}: ${s.reason}`);
      }
      out.result({ processed: report.processed, pending: report.pending, notForMe: report.notForMe, skipped }, lines);
      return;
    }
    case 'groups': {
      const rows: string[][] = [];
      for (const info of await peer.groups()) {
        if (out.json) out.result(groupJson(info), []);
        rows.push([short(info.group), info.pq ? `${info.scheme}+pq` : info.scheme, `${info.members.length} member${info.members.length === 1 ? '' : 's'}`, info.removed ? 'removed' : '', info.group]);
      }
      if (!out.json) {
        for (const line of table(rows)) out.info(line);
        if (rows.length === 0) out.info('no groups yet');
      }
      return;
    }
    case 'members': {
      const info = await peer.members(group);
      const lines = info.members.map((m) => `${short(m)}  ${m === peer.id ? '(you)' : ''}`.trimEnd());
      if (info.removed) lines.push('(you were removed; these are the last members you knew)');
      if (info.scheme === 'mls') {
        lines.push(`owner  ${short(info.owner ?? '')}`);
        for (const p of info.proposals ?? []) lines.push(`pending  ${p.action} ${short(p.subject)} (proposed by ${short(p.from)})`);
        out.result({ group: info.group, members: [...info.members], removed: info.removed, owner: info.owner, pending: info.proposals ?? [] }, lines);
        return;
      }
      out.result({ group: info.group, ...pqField(info), members: [...info.members], removed: info.removed }, lines);
      return;
    }
    case 'read': {
      const entries = await peer.read(group);
      const rows: string[][] = [];
      for (const entry of entries) {
        const text = asUtf8(entry.data);
        if (out.json) out.result({ sender: entry.sender, data: text, base64: base64(entry.data) }, []);
        rows.push([short(entry.sender), text ?? `(${entry.data.length} bytes, binary)`]);
      }
      if (!out.json) {
        for (const line of table(rows)) out.info(line);
        if (rows.length === 0) out.info('nothing decrypted yet');
      }
      return;
    }
    default:
      throw new StoreError('STORE_IO', `"${command}" needs its own runner`);
  }
}

/**
 * Runs one command line (the grammar of the one-shot commands without
 * global options: `send G TEXT`, `members G`, …) against an open peer, as
 * `serve` does for each line of its input. Prints the result, or the error
 * (one stderr line; with `--json` also `{"error":{code,message}}`).
 * @returns the exit status the one-shot command would have: 0, 1 or 2 (bad usage).
 * @example
 * const status = await runCommandLine(peer, ['send', group, 'hello'], new Output(io, true));
 */
export async function runCommandLine(peer: Peer, argv: readonly string[], out: Output): Promise<number> {
  try {
    await runCommand(peer, parseArgs(argv, {}, { line: true }), out);
    return 0;
  } catch (error) {
    return out.error(error);
  }
}
