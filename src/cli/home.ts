/**
 * A peer's home folder (CLI.md "Home folders"): its private state in one
 * `SqliteStore` (`HOME/groupcrypt.db`), used by one process at a time.
 *
 * - Private: the folder is made 0700 and every file in it 0600 (the
 *   database is created empty with 0600 before SQLite opens it; SQLite gives
 *   its WAL the database's mode).
 * - `--passphrase-file PATH` or `GROUPCRYPT_PASSPHRASE` encrypts the store at
 *   rest (scrypt, in the store header); a wrong or missing secret fails
 *   before anything is written.
 * - One process at a time: `HOME/groupcrypt.lock` holds the pid and command
 *   of the process using the home; another process fails at once with a
 *   message naming it. A lock left by a process that died is taken over.
 */
import { chmod, mkdir, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../crypto/index.js';
import { StoreError, UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import { SqliteStore } from '../store/index.js';

/** File name of the store inside the home folder. */
export const HOME_DB = 'groupcrypt.db';
/** File name of the lock inside the home folder. */
export const HOME_LOCK = 'groupcrypt.lock';
/** Mode of a home folder. */
export const HOME_DIR_MODE = 0o700;
/** Mode of every file in a home folder. */
export const HOME_FILE_MODE = 0o600;

/** How to open a home. */
export interface HomeOptions {
  readonly deps: Deps;
  /** Encrypts the store at rest (required for every later command when used at `init`). */
  readonly passphrase: string | undefined;
  /** What this process is, written into the lock (e.g. `groupcrypt sync`). */
  readonly command: string;
}

/** An opened home: its store, held under the home's lock until `release`. */
export interface OpenedHome {
  readonly dir: string;
  readonly store: Store;
  /** Closes nothing; removes the lock (call after closing the store). */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the home's lock file.
 * @throws StoreError `STORE_LOCKED` naming the process that holds it; `STORE_IO`.
 */
async function lock(dir: string, command: string): Promise<() => Promise<void>> {
  const path = join(dir, HOME_LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', HOME_FILE_MODE);
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, command }));
      } finally {
        await handle.close();
      }
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError('STORE_IO', `cannot lock ${dir}: ${(error as Error).message}`, { cause: error });
    }
    let holder: { pid?: unknown; command?: unknown } = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
    } catch {
      // a lock being written right now, or damaged: look again
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : undefined;
    if (pid !== undefined && alive(pid)) {
      const what = typeof holder.command === 'string' ? ` (${holder.command})` : '';
      throw new StoreError('STORE_LOCKED', `home ${dir} is in use by process ${pid}${what}`);
    }
    if (pid !== undefined || attempt > 0) await unlink(path).catch(() => undefined);
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new StoreError('STORE_LOCKED', `home ${dir} is locked (${path})`);
}

/** Makes every file of the home 0600 (files SQLite made, files of an older version). */
async function tighten(dir: string): Promise<void> {
  await chmod(dir, HOME_DIR_MODE);
  for (const name of await readdir(dir)) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile() === true && (info.mode & 0o777) !== HOME_FILE_MODE) await chmod(join(dir, name), HOME_FILE_MODE);
  }
}

/**
 * Opens (with `create`, first makes) a home and its store under the home's lock.
 * @throws UsageError `USAGE_ARGUMENT` when `dir` is not a home (without `create`);
 *   StoreError `STORE_LOCKED` (another process), `STORE_KEY` (wrong or missing passphrase), `STORE_IO`.
 */
export async function openHome(dir: string, create: boolean, options: HomeOptions): Promise<OpenedHome> {
  const path = join(dir, HOME_DB);
  if (create) {
    await mkdir(dir, { recursive: true, mode: HOME_DIR_MODE });
    await chmod(dir, HOME_DIR_MODE);
  } else if (!(await stat(path).then(() => true, () => false))) {
    throw new UsageError('USAGE_ARGUMENT', `${dir} is not a groupcrypt home (run "groupcrypt init" first)`);
  }
  const release = await lock(dir, options.command);
  try {
    if (create) await open(path, 'a', HOME_FILE_MODE).then((handle) => handle.close());
    const store = await SqliteStore.open(path, {
      crypto: options.deps.crypto,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
    await tighten(dir);
    return { dir, store, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * The passphrase of a home: `--passphrase-file PATH` (its first line), else
 * `GROUPCRYPT_PASSPHRASE`, else none.
 * @throws StoreError `STORE_IO` for an unreadable file; `STORE_KEY` for an empty secret.
 */
export async function passphraseOf(file: string, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  let secret: string | undefined;
  if (file !== '') {
    try {
      secret = (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
    } catch (cause) {
      throw new StoreError('STORE_IO', `cannot read the passphrase file ${file}: ${(cause as Error).message}`, { cause });
    }
  } else {
    secret = env['GROUPCRYPT_PASSPHRASE'];
  }
  if (secret === undefined) return undefined;
  if (secret.length === 0) throw new StoreError('STORE_KEY', 'the passphrase is empty');
  return secret;
}
