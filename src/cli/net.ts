/**
 * The shared folder ("net"), CLI.md "Shared-folder rules".
 *
 * Layout: `NET/<peer id hex>/<sha256 of content hex>.<kind>` where kind is
 * `bundle` (a signed key bundle + name) or `msg` (one group message). A peer
 * writes only under its own folder, one new write-once file per message,
 * written atomically (temp file, fsync, rename). The name is the content
 * hash, so names are unique, a copy of a file anywhere is recognised as the
 * same message, and a half-written file (wrong hash) is detected and read
 * again on the next sync. Files starting with `.` (our temp files, sync
 * tools' temp files) are ignored.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoProvider } from '../crypto/index.js';
import { constantTimeEqual, fromHex, toHex } from '../crypto/index.js';
import { DecodeError, StoreError } from '../errors.js';

/** File kinds in the net. */
export type NetKind = 'bundle' | 'msg';

/** Largest file `sync` reads (bigger ones are reported and skipped). */
export const MAX_NET_FILE_BYTES = 64 * 1024 * 1024;

/** A file found in the net, not yet read. */
export interface NetEntry {
  /** The folder it lies in (says nothing about its author). */
  readonly folder: string;
  readonly kind: NetKind;
  /** Content hash from the name (64 hex). */
  readonly hash: string;
  readonly path: string;
}

/** Something `sync` skipped, with the reason. */
export interface Skipped {
  readonly path: string;
  readonly reason: string;
}

const FILE_RE = /^([0-9a-f]{64})\.(bundle|msg)$/;
const FOLDER_RE = /^[0-9a-f]{64}$/;

/**
 * Publishes `bytes` as a write-once file under `NET/<peerId>/`; returns its
 * content hash. Writing the same content again is a no-op.
 * @throws StoreError `STORE_IO` when the folder is not writable.
 */
export async function publishFile(net: string, peerId: string, kind: NetKind, bytes: Uint8Array, crypto: CryptoProvider): Promise<string> {
  const hash = toHex(crypto.sha256(bytes));
  const dir = join(net, peerId);
  const target = join(dir, `${hash}.${kind}`);
  try {
    await mkdir(dir, { recursive: true });
    if (await exists(target)) return hash;
    const temp = join(dir, `.${hash}.${toHex(crypto.randomBytes(6))}.tmp`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target).catch(async (error: unknown) => {
      await unlink(temp).catch(() => undefined);
      throw error;
    });
  } catch (cause) {
    throw new StoreError('STORE_IO', `cannot write to the net folder ${dir}: ${(cause as Error).message}`, { cause });
  }
  return hash;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lists every file in every peer folder of the net. Unrecognised names are
 * returned in `skipped`; hidden files (temp files) are ignored. A missing
 * net folder is an empty net.
 */
export async function scanNet(net: string): Promise<{ entries: NetEntry[]; skipped: Skipped[] }> {
  const entries: NetEntry[] = [];
  const skipped: Skipped[] = [];
  let folders: string[];
  try {
    folders = (await readdir(net)).sort();
  } catch {
    return { entries, skipped };
  }
  for (const folder of folders) {
    if (folder.startsWith('.')) continue;
    const dir = join(net, folder);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      skipped.push({ path: dir, reason: 'not a peer folder' });
      continue;
    }
    if (!FOLDER_RE.test(folder)) {
      skipped.push({ path: dir, reason: 'not a peer folder (name is not a peer id)' });
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const match = FILE_RE.exec(name);
      if (match === null) {
        skipped.push({ path: join(dir, name), reason: 'unrecognised file name' });
        continue;
      }
      entries.push({ folder, kind: match[2] as NetKind, hash: match[1] as string, path: join(dir, name) });
    }
  }
  return { entries, skipped };
}

/**
 * Reads a net file and checks that its content hash matches its name.
 * @throws DecodeError `DECODE_MALFORMED` for a half-written or damaged file
 *   (read again on the next sync), `DECODE_TOO_LARGE`; StoreError `STORE_IO`.
 */
export async function readEntry(entry: NetEntry, crypto: CryptoProvider): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const info = await stat(entry.path);
    if (info.size > MAX_NET_FILE_BYTES) throw new DecodeError('DECODE_TOO_LARGE', `file of ${info.size} bytes exceeds ${MAX_NET_FILE_BYTES}`);
    bytes = new Uint8Array(await readFile(entry.path));
  } catch (cause) {
    if (cause instanceof DecodeError) throw cause;
    throw new StoreError('STORE_IO', `cannot read ${entry.path}`, { cause });
  }
  if (!constantTimeEqual(crypto.sha256(bytes), fromHex(entry.hash))) {
    throw new DecodeError('DECODE_MALFORMED', 'incomplete or damaged (content does not match its name)');
  }
  return bytes;
}
