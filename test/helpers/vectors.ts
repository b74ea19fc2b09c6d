/**
 * The one loader of official test vectors. They live outside the repository
 * in `../shared/vectors` (see its SOURCES.md) and are never copied in; the
 * path resolves relative to the repository root, whatever the cwd.
 * Override with GROUPCRYPT_VECTORS=/path/to/vectors.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the vector directory. */
export const VECTORS_DIR = process.env['GROUPCRYPT_VECTORS'] ?? resolve(REPO_ROOT, '..', 'shared', 'vectors');

/** Parses a vector file given relative to the vector directory (e.g. `wycheproof/x25519_test.json`). */
export function loadVectors<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(VECTORS_DIR, relativePath), 'utf8')) as T;
}

/** A Wycheproof test case: common fields plus the file-specific ones. */
export interface WycheproofTest {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly [field: string]: unknown;
}

/** A Wycheproof test group: parameters plus its tests. */
export interface WycheproofGroup {
  readonly type: string;
  readonly tests: readonly WycheproofTest[];
  readonly [field: string]: unknown;
}

/** A Wycheproof file (schema v1). */
export interface WycheproofFile {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly WycheproofGroup[];
}

/** Loads `wycheproof/<name>`. */
export function loadWycheproof(name: string): WycheproofFile {
  return loadVectors<WycheproofFile>(join('wycheproof', name));
}

/** Outcome of one vector case, for the printed summary. */
export type CaseOutcome = 'valid-passed' | 'invalid-rejected' | 'acceptable-handled' | 'unsupported-rejected' | 'failed';

/** Counts of case outcomes per (file, provider), printed by `printTally`. */
export class VectorTally {
  private readonly rows = new Map<string, Record<CaseOutcome, number>>();

  /** Records one outcome. */
  add(file: string, provider: string, outcome: CaseOutcome): void {
    const key = `${file}\t${provider}`;
    const row = this.rows.get(key) ?? { 'valid-passed': 0, 'invalid-rejected': 0, 'acceptable-handled': 0, 'unsupported-rejected': 0, failed: 0 };
    row[outcome] += 1;
    this.rows.set(key, row);
  }

  /** A compact table: one line per file and provider. */
  format(): string {
    const lines = ['file                              provider  valid-ok invalid-rej accept-ok unsupp-rej failed  total'];
    for (const [key, row] of [...this.rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [file = '', provider = ''] = key.split('\t');
      const total = Object.values(row).reduce((a, b) => a + b, 0);
      lines.push(
        `${file.padEnd(34)}${provider.padEnd(10)}${String(row['valid-passed']).padStart(8)}${String(row['invalid-rejected']).padStart(12)}` +
          `${String(row['acceptable-handled']).padStart(10)}${String(row['unsupported-rejected']).padStart(11)}${String(row.failed).padStart(7)}${String(total).padStart(7)}`,
      );
    }
    return lines.join('\n');
  }
}
