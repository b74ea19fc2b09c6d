import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', '..', 'dist');

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return declarationFiles(path);
    return e.name.endsWith('.d.ts') ? [path] : [];
  });
}

// Needs `npm run build` (npm test builds before the tests).
describe.skipIf(!existsSync(DIST))('the .d.ts files users read', () => {
  it('every .d.ts that points to "the module comment" has it (a leading doc comment)', () => {
    const pointing = declarationFiles(DIST).filter((f) => readFileSync(f, 'utf8').includes('module comment'));
    expect(pointing.length).toBeGreaterThan(0);
    const missing = pointing.filter((f) => !readFileSync(f, 'utf8').startsWith('/**'));
    expect(missing).toEqual([]);
  });
});
