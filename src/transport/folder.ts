/**
 * The folder transport: CLI.md "Shared-folder rules" over any plain folder
 * (a folder synced by Syncthing, a network drive, a USB stick, `rsync`).
 *
 * Layout: `NET/<peer id hex>/<seq>-<sha256 of content hex>.<kind>` where
 * kind is `bundle` or `msg` and seq is the writer's count of its own files
 * (decimal, from 0). A peer writes only under its own folder, one new
 * write-once file per item, written atomically (temp file, fsync, rename).
 * The hash makes names unique: a copy of a file anywhere is the same item,
 * and a half-written file (its content does not match its name) is reported
 * as a temporary problem and read again next time. Files starting with `.`
 * (our temp files, sync tools' temp files) are ignored. A problem carries an
 * `id` only when the content was hashed: a junk file under the name of a
 * genuine message must never get that message remembered as bad.
 *
 * Why the seq (issue 12, bounded state): it gives every file a position,
 * log `folder:<peer id>` at index seq, so a reader keeps one settled mark
 * per peer folder (peer/log-marks.ts) instead of one processed id per file.
 * A name is skipped unread when its seq is below the reader's mark and no
 * other name in that folder claims the same seq. That is safe without
 * trusting anyone's names: the mark passed that seq because some file at
 * it was settled, files are never removed, so a name alone at its seq is
 * that file. Any second name at a settled seq (a forgery, a copy, a writer
 * restored from an old backup that counted again) makes every name at that
 * seq be checked by content hash, as before marks; what was settled and
 * comes back is refused by the group state, which rejects replays itself.
 * A writer takes the smallest seq no name in its folder holds, so its own
 * files leave no gap, and a forged name far ahead cannot push it there.
 * Names without a seq (`<hash>.<kind>`, written before) are still read, by
 * content hash only.
 *
 * Node only; `node:fs` is reached through `process.getBuiltinModule`, so
 * bundling `transport/` for a browser never pulls it in.
 */
import type { CryptoProvider } from '../crypto/index.js';
import { constantTimeEqual, defaultCryptoProvider, fromHex, toHex } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import type { CatchUpOptions, IsKnown, LogPosition, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';

/** Largest file the folder transport reads (bigger ones are reported and skipped for good). */
export const MAX_FOLDER_FILE_BYTES = 64 * 1024 * 1024;

const FOLDER_RE = /^[0-9a-f]{64}$/;
/** Most digits of a seq: 15 keep it a safe integer. */
const MAX_SEQ_DIGITS = 15;
/** What `seqOf` answers for a name of the layout without a seq (`<hash>.<kind>`, written before seqs). */
const NO_SEQ = -1;
/** What `seqOf` answers for a name that is not of the layout. */
const NOT_A_NAME = -2;

/** What a well-formed file name says. */
export interface FolderFileName {
  readonly id: string;
  readonly kind: TransportKind;
  /** Its position in the writer's folder; undefined for a name without one (written before seqs). */
  readonly seq: number | undefined;
}

const isLowerHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/** Length of the `.msg` / `.bundle` ending, or 0. */
const kindLength = (name: string): number => (name.endsWith('.msg') ? 4 : name.endsWith('.bundle') ? 7 : 0);

/**
 * The seq of a name `<seq>-<hash>.<kind>` (canonical decimal: no leading
 * zero, at most 15 digits), `NO_SEQ` for `<hash>.<kind>`, `NOT_A_NAME`
 * otherwise. Allocates nothing: a sync walks 100,000 names with it.
 */
function seqOf(name: string): number {
  const suffix = kindLength(name);
  const hashStart = name.length - suffix - 64;
  if (suffix === 0 || hashStart < 0) return NOT_A_NAME;
  for (let i = hashStart; i < hashStart + 64; i++) if (!isLowerHex(name.charCodeAt(i))) return NOT_A_NAME;
  if (hashStart === 0) return NO_SEQ;
  const digits = hashStart - 1;
  if (name.charCodeAt(digits) !== 0x2d || digits < 1 || digits > MAX_SEQ_DIGITS) return NOT_A_NAME;
  if (digits > 1 && name.charCodeAt(0) === 0x30) return NOT_A_NAME;
  let seq = 0;
  for (let i = 0; i < digits; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return NOT_A_NAME;
    seq = seq * 10 + (c - 0x30);
  }
  return seq;
}

/** Reads a file name of the layout, or undefined when it is not one. */
export function parseFolderFileName(name: string): FolderFileName | undefined {
  const seq = seqOf(name);
  if (seq === NOT_A_NAME) return undefined;
  const suffix = kindLength(name);
  const hashStart = name.length - suffix - 64;
  return { id: name.slice(hashStart, hashStart + 64), kind: suffix === 4 ? 'msg' : 'bundle', seq: seq === NO_SEQ ? undefined : seq };
}

/** The log name of a peer folder, as positions and settled marks name it. */
export function folderLog(peerId: string): string {
  return `folder:${peerId}`;
}

/**
 * How many names claim each seq below `mark` (0, 1, or 2 for two or more),
 * from each name's `seqOf`. Only a seq claimed once can be skipped unread.
 */
function claimsBelow(seqs: Float64Array, mark: number): Uint8Array {
  const claims = new Uint8Array(mark);
  for (const seq of seqs) if (seq >= 0 && seq < mark && (claims[seq] as number) < 2) claims[seq] = (claims[seq] as number) + 1;
  return claims;
}

/** What the writer knows of its own folder: the seqs its names hold, and its items (`<hash>.<kind>` → file name). */
interface OwnFolder {
  readonly taken: Set<number>;
  readonly items: Map<string, string>;
  /** No seq below it is free. */
  next: number;
}

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
  /** The own folder as first listed, then kept up to date by `publish`. */
  #own: Promise<OwnFolder> | undefined;

  constructor(options: FolderTransportOptions) {
    if (typeof options.root !== 'string' || options.root.length === 0) throw new UsageError('USAGE_ARGUMENT', 'FolderTransport root: expected a folder');
    if (!FOLDER_RE.test(options.self)) throw new UsageError('USAGE_ARGUMENT', 'FolderTransport self: expected a 64-hex peer id');
    this.root = options.root;
    this.self = options.self;
    this.#crypto = options.crypto ?? defaultCryptoProvider();
    ({ fs: this.#fs, path: this.#path } = nodeModules());
  }

  /**
   * See `Transport.publish`: one write-once file `<seq>-<hash>.<kind>` under
   * `ROOT/<self>/`, at the smallest seq no name there holds (so a failed or
   * interrupted write leaves no gap). @throws StoreError `STORE_IO`.
   */
  async publish(kind: TransportKind, bytes: Uint8Array): Promise<string> {
    const fs = this.#fs;
    const hash = toHex(this.#crypto.sha256(bytes));
    const dir = this.#path.join(this.root, this.self);
    let seq: number | undefined;
    let own: OwnFolder | undefined;
    try {
      own = await this.#ownFolder(dir);
      const existing = own.items.get(`${hash}.${kind}`);
      if (existing !== undefined && (await fs.stat(this.#path.join(dir, existing)).then(() => true, () => false))) return hash;
      // taken before the first await below, so concurrent publishes never share a seq
      seq = own.next;
      own.taken.add(seq);
      while (own.taken.has(own.next)) own.next++;
      const name = `${seq}-${hash}.${kind}`;
      const temp = this.#path.join(dir, `.${hash}.${toHex(this.#crypto.randomBytes(6))}.tmp`);
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.#path.join(dir, name)).catch(async (error: unknown) => {
        await fs.unlink(temp).catch(() => undefined);
        throw error;
      });
      own.items.set(`${hash}.${kind}`, name);
    } catch (cause) {
      if (own !== undefined && seq !== undefined) {
        // nothing was written at seq: free it for the next publish
        own.taken.delete(seq);
        own.next = Math.min(own.next, seq);
      }
      throw new StoreError('STORE_IO', `cannot write to the shared folder ${dir}: ${(cause as Error).message}`, { cause });
    }
    return hash;
  }

  /** Lists the own folder once (creating it): which seqs are taken, which items are there. */
  #ownFolder(dir: string): Promise<OwnFolder> {
    this.#own ??= (async () => {
      await this.#fs.mkdir(dir, { recursive: true });
      const own: OwnFolder = { taken: new Set(), items: new Map(), next: 0 };
      for (const name of await this.#fs.readdir(dir)) {
        const parsed = parseFolderFileName(name);
        if (parsed === undefined) continue;
        if (parsed.seq !== undefined) own.taken.add(parsed.seq);
        own.items.set(`${parsed.id}.${parsed.kind}`, name);
      }
      while (own.taken.has(own.next)) own.next++;
      return own;
    })().catch((error: unknown) => {
      this.#own = undefined; // listed again on the next publish
      throw error;
    });
    return this.#own;
  }

  /**
   * See `Transport.catchUp`. Lists every peer folder (sorted), skips the
   * names a settled mark covers (below it and alone at their seq), asks
   * `isKnown` (with the position) for each other well-named file before
   * reading it, and reads unknown files one at a time. Unrecognised names
   * and folders are permanent problems; a file whose content does not match
   * its name is a temporary one.
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
        // unsorted: callers order what they read themselves, and sorting a folder of 100,000 names costs
        names = await fs.readdir(dir);
      } catch {
        yield { kind: 'problem', origin: dir, reason: 'not a peer folder', permanent: true };
        continue;
      }
      if (!FOLDER_RE.test(folder)) {
        yield { kind: 'problem', origin: dir, reason: 'not a peer folder (name is not a peer id)', permanent: true };
        continue;
      }
      const log = folderLog(folder);
      const mark = options.settled?.get(log) ?? 0;
      const seqs = new Float64Array(names.length);
      for (let i = 0; i < names.length; i++) seqs[i] = seqOf(names[i] as string);
      const claims = claimsBelow(seqs, mark);
      const prefix = `${dir}${path.sep}`;
      for (let i = 0; i < names.length; i++) {
        const seq = seqs[i] as number;
        // the common case first, allocating nothing: a settled name alone at its seq, whatever its kind
        if (seq >= 0 && seq < mark && claims[seq] === 1) continue;
        const file = names[i] as string;
        if (file.charCodeAt(0) === 0x2e) continue; // '.': temp files of ours or of sync tools
        const name = parseFolderFileName(file);
        if (name === undefined) {
          yield { kind: 'problem', origin: prefix + file, reason: 'unrecognised file name', permanent: true };
          continue;
        }
        if (options.kinds !== undefined && !options.kinds.includes(name.kind)) continue;
        const position: LogPosition | undefined = name.seq === undefined ? undefined : { log, seq: name.seq };
        const known = isKnown(name.id, position);
        if (known === true || (known !== false && (await known))) continue;
        const origin = prefix + file;
        const read = await this.fetch({ kind: name.kind, id: name.id, origin });
        if (read instanceof Uint8Array) yield { kind: name.kind, id: name.id, bytes: read, origin, ...(position ? { position } : {}) };
        else yield position ? { ...read, position } : read;
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
