import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

describe('examples run', () => {
  it.each([
    ['examples/message-scheme.ts', 'OK: Bob read the secret, Carol did not.'],
    ['examples/data-scheme.ts', 'OK: Carol read the history; Bob cannot read what he deleted.'],
    ['examples/persistent-chat.ts', 'OK: Bob kept his identity and history across a restart and caught up.'],
  ])('%s', (file, expected) => {
    const out = execFileSync(TSX, [join(ROOT, file)], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(out).toContain(expected);
    expect(out).not.toContain('FAILED');
  }, 180_000);
});
