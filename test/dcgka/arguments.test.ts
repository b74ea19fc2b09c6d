/**
 * Arguments of the public DCGKA calls: ids are 64 lowercase hex characters
 * (USAGE_ARGUMENT otherwise, before anything is sent), a create lists each
 * member once, the creator included, and a member learns of its own removal
 * once, however many removes of it arrive.
 */
import { describe, expect, it } from 'vitest';
import { add, createGroup, groupMembers, readControl, remove } from '../../src/dcgka/index.js';
import type { DcgkaResult } from '../../src/dcgka/index.js';
import { DcgkaSim } from '../helpers/dcgka-sim.js';
import { codeOf } from '../helpers/errors.js';

/** Ids that are not 64 lowercase hex characters, next to a valid `id`. */
function badIds(id: string): string[] {
  return [id.toUpperCase(), id.slice(1), `${id}0`, `x${id.slice(1)}`, `${id.slice(0, 63)}g`, `0${id}`, ` ${id}`, `${id}\n`, ''];
}

describe('DCGKA call arguments', () => {
  it('createGroup refuses a group id or member id that is not 64 lowercase hex characters', () => {
    const sim = new DcgkaSim(['A', 'B']);
    const ctx = sim.ctx(sim.peer('A'));
    const good = 'ab'.repeat(32);
    expect(createGroup(ctx, { members: [sim.id('B')], groupId: good }).state.groupId).toBe(good);
    for (const bad of badIds(good)) expect(codeOf(() => createGroup(ctx, { members: [sim.id('B')], groupId: bad })), JSON.stringify(bad)).toBe('USAGE_ARGUMENT');
    for (const bad of badIds(sim.id('B'))) expect(codeOf(() => createGroup(ctx, { members: [bad] })), JSON.stringify(bad)).toBe('USAGE_ARGUMENT');
  });

  it('add refuses a member id that is not 64 lowercase hex characters', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B']);
    sim.settle();
    const a = sim.peer('A');
    for (const bad of badIds(sim.id('C'))) expect(codeOf(() => add(a.state!, sim.ctx(a), bad)), JSON.stringify(bad)).toBe('USAGE_ARGUMENT');
  });

  it('a create lists every member once, the creator first among equals, whatever the caller passed', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    const a = sim.peer('A');
    const [first, second] = [sim.id('B'), sim.id('C')].sort().reverse() as [string, string];
    const result = createGroup(sim.ctx(a), { members: [first, a.id, second, first] });
    const expected = [a.id, sim.id('B'), sim.id('C')].sort();
    expect([...groupMembers(result.state.membership)]).toEqual(expected);
    const out = result.outputs.find((o) => o.kind === 'control');
    if (out?.kind !== 'control') throw new Error('no control output');
    const read = readControl(sim.ctx(sim.peer('B')), out.control.broadcast);
    // the creator, then the others in order (deterministic bytes whatever order the caller used)
    expect(read.body.type === 'create' && read.body.members).toEqual([a.id, ...[sim.id('B'), sim.id('C')].sort()]);
    // one seed per other member, none to the creator
    expect(out.control.direct.map((d) => d.recipient).sort()).toEqual([sim.id('B'), sim.id('C')].sort());
    expect(result.state.groupId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a member removed by two members concurrently learns of its removal once', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B', 'C']);
    sim.settle();
    const removedOutputs: string[] = [];
    sim.afterCall = (peer, result: DcgkaResult) => {
      if (peer.name === 'C') for (const o of result.outputs) if (o.kind === 'removed') removedOutputs.push(o.by);
    };
    sim.partition = [['A'], ['B'], ['C']];
    sim.remove('A', 'C');
    sim.remove('B', 'C');
    sim.partition = undefined;
    sim.settle();
    expect(sim.peer('C').removed).toBe(true);
    expect(removedOutputs).toHaveLength(1);
    expect(sim.membersSeenBy('A')).toEqual(['A', 'B']);
    expect(sim.membersSeenBy('B')).toEqual(['A', 'B']);
  });

  it('remove refuses myself and non-members (STATE_UNKNOWN_MEMBER); add refuses myself and members (STATE_ALREADY_MEMBER); nothing is sent', () => {
    const sim = new DcgkaSim(['A', 'B', 'C']);
    sim.create('A', ['B']);
    sim.settle();
    const a = sim.peer('A');
    const sent = sim.wire.length;
    expect(codeOf(() => remove(a.state!, sim.ctx(a), a.id))).toBe('STATE_UNKNOWN_MEMBER');
    expect(codeOf(() => remove(a.state!, sim.ctx(a), sim.id('C')))).toBe('STATE_UNKNOWN_MEMBER');
    expect(codeOf(() => add(a.state!, sim.ctx(a), a.id))).toBe('STATE_ALREADY_MEMBER');
    expect(codeOf(() => add(a.state!, sim.ctx(a), sim.id('B')))).toBe('STATE_ALREADY_MEMBER');
    sim.remove('A', 'B');
    sim.settle();
    expect(codeOf(() => remove(sim.peer('A').state!, sim.ctx(a), sim.id('B')))).toBe('STATE_UNKNOWN_MEMBER');
    expect(sim.wire.length).toBe(sent + 2); // the remove, and B's farewell (its ack of its own removal)
    // control: the refused calls are fine with valid targets
    sim.add('A', 'B');
    sim.settle();
    expect(sim.membersSeenBy('B')).toEqual(['A', 'B']);
  });
});
