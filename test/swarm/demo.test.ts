/**
 * `groupcrypt demo --swarm`: the story with every peer a `serve` process on
 * the local DHT the demo starts; it must converge and keep carol out.
 */
import { describe, expect, it } from 'vitest';
import { ensureBuilt, gc } from '../cli/helpers.js';

describe('demo --swarm', () => {
  it('tells the story over Hyperswarm: peers converge, the removed peer cannot read, the joiner reads history', () => {
    ensureBuilt();
    const human = gc(['demo', '--swarm'], { timeoutMs: 240_000 });
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/carol learns she was removed/);
    expect(human.stdout).toMatch(/"welcome erin" is not among them/);
    expect(human.stdout).toMatch(/erin reads\s+alice\s+hello everyone/);
    expect(human.stdout).toMatch(/Members converged: yes/);
  });
});
