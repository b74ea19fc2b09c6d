/** Runs examples/mls-secret-group.ts (issue 15) and checks what everybody ends up with. */
import { describe, expect, it } from 'vitest';
import { runSecretGroupExample } from '../../examples/mls-secret-group.js';

describe('examples/mls-secret-group.ts', () => {
  it('tells the whole story: proposals, removal, late joiner history, hand-over', { timeout: 60_000 }, async () => {
    const { people, log } = await runSecretGroupExample();
    expect(people['Alice']).toMatchObject({ status: 'active', owner: 'Alice', members: ['Alice', 'Carol'] });
    expect(people['Carol']).toMatchObject({ status: 'active', owner: 'Alice', members: ['Alice', 'Carol'] });
    expect(people['Olivia']?.status).toBe('removed');
    expect(people['Bob']?.status).toBe('removed');
    // Carol joined late: the long-term history, including the removed Bob's notes, but not the sender-ratchet chat before her
    expect(people['Carol']?.read).toEqual([
      'wiki: welcome page (long-term)', 'wiki: Bob\'s notes (long-term)', 'wiki: Carol was here (long-term)', 'chat: just Alice and Carol now',
    ]);
    // Bob reads nothing written after his removal
    expect(people['Bob']?.read).toEqual(['wiki: welcome page (long-term)', 'chat: hi from Alice (sender ratchet)', 'wiki: Bob\'s notes (long-term)']);
    expect(log).toContain('Alice sees pending: add Carol (by Alice)');
    expect(log).toContain('Carol: the owner is now Alice');
  });
});
