import { describe, expect, it } from 'vitest';
import { encodeCanonical, utf8 } from '../../src/crypto/index.js';
import {
  createGroup, encodeWireBundle, groupIdOf, groupMembers, isRemoved, joinGroup, openWireBundle, receive, schemeOf, send,
} from '../../src/group/index.js';
import type { GroupOutput, GroupScheme } from '../../src/group/index.js';
import { DecodeError, isGroupCryptError } from '../../src/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { errorOf } from '../helpers/errors.js';

function sendOf(outputs: readonly GroupOutput[]) {
  const o = outputs.find((x) => x.kind === 'send');
  if (o?.kind !== 'send') throw new Error('no send output');
  return o;
}

describe.each<GroupScheme>(['message', 'data'])('self-describing wire bundles and accessors (%s scheme)', (scheme) => {
  const other: GroupScheme = scheme === 'message' ? 'data' : 'message';

  it('control and application bundles carry the group id and scheme; joinGroup takes the scheme from the invitation', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const created = createGroup(sim.ctx(a), { scheme, members: [b.id] });
    const invitation = openWireBundle(encodeWireBundle(sendOf(created.outputs).message), b.id);
    expect(invitation.groupId).toBe(groupIdOf(created.state));
    expect(invitation.scheme).toBe(scheme);
    // no scheme given: taken from the bundle; a joined output names the create
    const joined = joinGroup(sim.ctx(b), { message: invitation });
    expect(schemeOf(joined.state)).toBe(scheme);
    expect(groupIdOf(joined.state)).toBe(groupIdOf(created.state));
    expect(joined.outputs.filter((o) => o.kind === 'joined')).toEqual([{ kind: 'joined', via: `${a.id}:0` }]);
    // the wrong scheme fails at once with a clear typed error
    const wrong = errorOf(() => joinGroup(sim.ctx(b), { scheme: other, message: invitation }));
    expect(wrong.code).toBe('USAGE_ARGUMENT');
    expect(wrong.message).toContain(`"${scheme}" group`);
    // an application bundle is labelled too, and routes
    const hello = send(created.state, sim.ctx(a), { plaintext: utf8('hi') });
    const blob = openWireBundle(encodeWireBundle(sendOf(hello.outputs).message), b.id);
    expect(blob.groupId).toBe(groupIdOf(created.state));
    expect(blob.scheme).toBe(scheme);
    const got = receive(joined.state, sim.ctx(b), blob).outputs.find((o) => o.kind === 'application');
    expect(got?.kind === 'application' && new TextDecoder().decode(got.plaintext)).toBe('hi');
    // a bundle labelled with another group or scheme is refused
    expect(errorOf(() => receive(joined.state, sim.ctx(b), { ...blob, groupId: 'ab'.repeat(32) })).code).toBe('VERIFY_GROUP');
    expect(errorOf(() => receive(joined.state, sim.ctx(b), { ...blob, scheme: other })).code).toBe('VERIFY_GROUP');
  });

  it('old (v0) bundles still decode: a bare envelope and a [0, broadcast, directs] control bundle', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const created = createGroup(sim.ctx(a), { scheme, members: [b.id] });
    const control = sendOf(created.outputs).message;
    const v0 = encodeCanonical([0, control.broadcast, control.direct.map((d) => [Uint8Array.from(Buffer.from(d.recipient, 'hex')), d.bytes])]);
    const opened = openWireBundle(v0, b.id);
    expect(opened.groupId).toBeUndefined();
    const joined = joinGroup(sim.ctx(b), { scheme, message: opened });
    const envelope = sendOf(send(created.state, sim.ctx(a), { plaintext: utf8('old') }).outputs).message.broadcast;
    const out = receive(joined.state, sim.ctx(b), openWireBundle(envelope, b.id)).outputs.find((o) => o.kind === 'application');
    expect(out?.kind).toBe('application');
    // a v0 invitation without a scheme cannot be joined blind
    expect(errorOf(() => joinGroup(sim.ctx(b), { message: opened })).code).toBe('USAGE_ARGUMENT');
  });

  it('openWireBundle on garbage throws a typed DecodeError', () => {
    for (const garbage of [utf8('hello, not a bundle'), new Uint8Array([0xff, 1, 2, 3]), new Uint8Array(0), new Uint8Array([0x85, 1])]) {
      const { error } = errorOf(() => openWireBundle(garbage, 'ab'.repeat(32)));
      expect(error).toBeInstanceOf(DecodeError);
      expect(isGroupCryptError(error) && error.code.startsWith('DECODE_')).toBe(true);
    }
  });

  it('send outputs my own message as `sent`, placed like the receivers see it', () => {
    const sim = new GroupSim(['A', 'B'], scheme);
    const a = sim.peer('A');
    const b = sim.peer('B');
    const created = createGroup(sim.ctx(a), { scheme, members: [b.id] });
    const joined = joinGroup(sim.ctx(b), { message: openWireBundle(encodeWireBundle(sendOf(created.outputs).message), b.id) });
    const sent = send(created.state, sim.ctx(a), { plaintext: utf8('mine') });
    const mine = sent.outputs.find((o) => o.kind === 'sent');
    if (mine?.kind !== 'sent') throw new Error('no sent output');
    expect(new TextDecoder().decode(mine.plaintext)).toBe('mine');
    const theirs = receive(joined.state, sim.ctx(b), openWireBundle(encodeWireBundle(sendOf(sent.outputs).message), b.id)).outputs.find((o) => o.kind === 'application');
    if (theirs?.kind !== 'application') throw new Error('no application output');
    expect({ ...mine, kind: 'application' }).toEqual(theirs);
    expect(sendOf(sent.outputs).position).toEqual({ id: mine.id, sender: mine.sender, lamport: mine.lamport, epoch: mine.epoch, counter: mine.counter });
  });

  it('a removed member: isRemoved, groupMembers says removed, and new messages are rejected outputs, not exceptions', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(7);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    expect(isRemoved(sim.peer('B').state!)).toBe(false);
    expect(groupMembers(sim.peer('B').state!).removed).toBe(false);
    sim.remove('A', 'B');
    sim.settle(random);
    const b = sim.peer('B');
    expect(isRemoved(b.state!)).toBe(true);
    const members = groupMembers(b.state!);
    expect(members.removed).toBe(true);
    expect([...members]).toEqual(groupMembers(b.state!).slice());
    // a message sent after the removal: B gets a rejected output, state unchanged
    const c = sim.peer('C');
    const after = send(c.state!, sim.ctx(c), { plaintext: utf8('not for B') });
    const incoming = openWireBundle(encodeWireBundle(sendOf(after.outputs).message), b.id);
    expect(errorOf(() => receive(b.state!, sim.ctx(b), incoming, { afterRemoval: 'throw' })).code).toMatch(/^STATE_(MISSING_SECRET|UNKNOWN_EPOCH|MISSING_KEY)$/);
    // the default: an output that says "not for me", never an exception
    const result = receive(b.state!, sim.ctx(b), incoming);
    expect(result.state).toBe(b.state);
    expect(result.outputs).toHaveLength(1);
    const [rejected] = result.outputs;
    expect(rejected?.kind === 'rejected' && rejected.notForMe === true && ['STATE_MISSING_SECRET', 'STATE_UNKNOWN_EPOCH', 'STATE_MISSING_KEY'].includes(rejected.error.code)).toBe(true);
    // a member's missing secret is no such output: C's own message to C is a duplicate, A (a member) reads it
    const a = sim.peer('A');
    expect(receive(a.state!, sim.ctx(a), openWireBundle(encodeWireBundle(sendOf(after.outputs).message), a.id)).outputs.some((o) => o.kind === 'rejected')).toBe(false);
  });

  it('a removed member that got a message before learning of its removal: a notForMe output once the removal is processed', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(11);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.remove('A', 'B');
    for (const n of ['C', 'A', 'C']) while (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    const c = sim.peer('C');
    const sent = send(c.state!, sim.ctx(c), { plaintext: utf8('after') });
    const b = sim.peer('B');
    let state = b.state!;
    const outputs: GroupOutput[] = [];
    // the message first (it waits for its epoch), then the removal and the acks
    for (const bundle of [encodeWireBundle(sendOf(sent.outputs).message), ...b.inbox.splice(0)]) {
      const result = receive(state, { deps: sim.deps, keys: b.keys, registry: b.registry }, openWireBundle(bundle, b.id));
      state = result.state;
      b.keys = result.keys;
      b.registry = result.registry;
      outputs.push(...result.outputs);
    }
    expect(isRemoved(state)).toBe(true);
    expect(outputs.some((o) => o.kind === 'application')).toBe(false);
    const rejected = outputs.filter((o) => o.kind === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.kind === 'rejected' && rejected[0].notForMe).toBe(true);
    expect(state.pendingApplication).toHaveLength(0);
  });
});
