/**
 * The folder transport: CLI.md "Shared-folder rules" over any plain folder
 * (a folder synced by Syncthing, a network drive, a USB stick, `rsync`).
 *
 * Layout: `NET/<peer id hex>/<sha256 of content hex>.<kind>` where kind is
 * `bundle` or `msg`. A peer writes only under its own folder, one new
 * write-once file per item, written atomically (temp file, fsync, rename).
 * The name is the content hash: names are unique, a copy of a file anywhere
 * is the same item, and a half-written file (its content does not match its
 * name) is reported as a temporary problem and read again next time.
 * Files starting with `.` (our temp files, sync tools' temp files) are ignored.
 * A problem carries an `id` only when the content was hashed: a junk file
 * under the name of a genuine message must never get that message remembered
 * as bad.
 *
 * Node only; `node:fs` is reached through `process.getBuiltinModule`, so
 * bundling `transport/` for a browser never pulls it in.
 */
import type { CryptoProvider } from '../crypto/index.js';
import { constantTimeEqual, defaultCryptoProvider, fromHex, toHex } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import type { CatchUpOptions, IsKnown, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';

/** Largest file the folder transport reads (bigger ones are reported and skipped for good). */
export const MAX_FOLDER_FILE_BYTES = 64 * 1024 * 1024;

const FILE_RE = /^([0-9a-f]{64})\.(bundle|msg)$/;
const FOLDER_RE = /^[0-9a-f]{64}$/;

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

function nodeModules(): { fs: Fs; path: Path } {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs/promises') as Fs | undefined;
  const path = proc?.getBuiltinModule?.('node:path') as Path | undefined;
  if (fs === undefined || path === undefined) throw new UsageError('USAGE_UNSUPPORTED', 'FolderTransport needs Node.js ≥ 20.16');
  return { fs, path };
}

/** Options of `FolderTransport`. */
export interface FolderTransportOptions {
  /** The shared folder. */
  readonly root: string;
  /** This peer's id (hex): the only sub-folder it writes to. */
  readonly self: string;
  readonly crypto?: CryptoProvider;
}

/**
 * The shared-folder transport.
 * @example
 * const transport = new FolderTransport({ root: '/mnt/shared', self: peerIdHex });
 * await transport.publish('msg', bytes);
 */
export class FolderTransport implements Transport {
  readonly root: string;
  readonly self: string;
  readonly #crypto: CryptoProvider;
  readonly #fs: Fs;
  readonly #path: Path;

  constructor(options: FolderTransportOptions) {
    if (typeof options.root !== 'string' || options.root.length === 0) throw new UsageError('USAGE_ARGUMENT', 'FolderTransport root: expected a folder');
    if (!FOLDER_RE.test(options.self)) throw new UsageError('USAGE_ARGUMENT', 'FolderTransport self: expected a 64-hex peer id');
    this.root = options.root;
    this.self = options.self;
    this.#crypto = options.crypto ?? defaultCryptoProvider();
    ({ fs: this.#fs, path: this.#path } = nodeModules());
  }

  /** See `Transport.publish`: one write-once file under `ROOT/<self>/`. @throws StoreError `STORE_IO`. */
  async publish(kind: TransportKind, bytes: Uint8Array): Promise<string> {
    const fs = this.#fs;
    const hash = toHex(this.#crypto.sha256(bytes));
    const dir = this.#path.join(this.root, this.self);
    const target = this.#path.join(dir, `${hash}.${kind}`);
    try {
      await fs.mkdir(dir, { recursive: true });
      if (await fs.stat(target).then(() => true, () => false)) return hash;
      const temp = this.#path.join(dir, `.${hash}.${toHex(this.#crypto.randomBytes(6))}.tmp`);
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target).catch(async (error: unknown) => {
        await fs.unlink(temp).catch(() => undefined);
        throw error;
      });
    } catch (cause) {
      throw new StoreError('STORE_IO', `cannot write to the shared folder ${dir}: ${(cause as Error).message}`, { cause });
    }
    return hash;
  }

  /**
   * See `Transport.catchUp`. Lists every peer folder (sorted), asks `isKnown`
   * for each well-named file before reading it, and reads unknown files one
   * at a time. Unrecognised names and folders are permanent problems;
   * a file whose content does not match its name is a temporary one.
   */
  async *catchUp(isKnown: IsKnown, options: CatchUpOptions = {}): AsyncIterable<TransportItem | TransportProblem> {
    const fs = this.#fs;
    const path = this.#path;
    let folders: string[];
    try {
      folders = (await fs.readdir(this.root)).sort();
    } catch {
      return;
    }
    for (const folder of folders) {
      if (folder.startsWith('.')) continue;
      const dir = path.join(this.root, folder);
      let names: string[];
      try {
        names = (await fs.readdir(dir)).sort();
      } catch {
        yield { kind: 'problem', origin: dir, reason: 'not a peer folder', permanent: true };
        continue;
      }
      if (!FOLDER_RE.test(folder)) {
        yield { kind: 'problem', origin: dir, reason: 'not a peer folder (name is not a peer id)', permanent: true };
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.')) continue;
        const match = FILE_RE.exec(name);
        const origin = path.join(dir, name);
        if (match === null) {
          yield { kind: 'problem', origin, reason: 'unrecognised file name', permanent: true };
          continue;
        }
        const kind = match[2] as TransportKind;
        const id = match[1] as string;
        if (options.kinds !== undefined && !options.kinds.includes(kind)) continue;
        if (await isKnown(id)) continue;
        const read = await this.fetch({ kind, id, origin });
        if (read instanceof Uint8Array) yield { kind, id, bytes: read, origin };
        else yield read;
      }
    }
  }

  /**
   * Reads one item again by its origin (a path), checking its content hash.
   * Lets a caller keep only ids while it orders a long backlog.
   */
  async fetch(item: { readonly kind: TransportKind; readonly id: string; readonly origin: string }): Promise<Uint8Array | TransportProblem> {
    const fs = this.#fs;
    let bytes: Uint8Array;
    try {
      const info = await fs.stat(item.origin);
      if (info.size > MAX_FOLDER_FILE_BYTES) {
        return { kind: 'problem', origin: item.origin, reason: `DECODE_TOO_LARGE: file of ${info.size} bytes exceeds ${MAX_FOLDER_FILE_BYTES}`, permanent: true };
      }
      bytes = new Uint8Array(await fs.readFile(item.origin));
    } catch (cause) {
      return { kind: 'problem', origin: item.origin, reason: `STORE_IO: cannot read (${(cause as Error).message})`, permanent: false, id: item.id };
    }
    if (!constantTimeEqual(this.#crypto.sha256(bytes), fromHex(item.id))) {
      return { kind: 'problem', origin: item.origin, reason: 'DECODE_MALFORMED: incomplete or damaged (content does not match its name)', permanent: false, id: item.id };
    }
    return bytes;
  }

  /** A folder has nothing live: one-shot commands call `catchUp`. */
  subscribe(_listener: (item: TransportItem | TransportProblem) => void): () => void {
    return () => undefined;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
