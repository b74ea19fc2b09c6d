/**
 * History as users see it (issue 12) and strong removal for application data
 * (issue 17 item 1), through the Group API: the read order is a function of
 * the messages, extends causality, and a removed member's messages stand only
 * if the author of its removal had read them.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, utf8 } from '../../src/crypto/index.js';
import { applicationStands, compareReadOrder, encodeWireBundle, openWireBundle, readOrderKey, receive, send } from '../../src/group/index.js';
import type { GroupScheme, GroupState, ReadPosition } from '../../src/group/index.js';
import { decodeEnvelope } from '../../src/group/envelope.js';
import { decodeSecretRequest } from '../../src/group/share.js';
import { encodeCanonical } from '../../src/crypto/index.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';
import { codeOf, errorOf } from '../helpers/errors.js';


/** Texts a peer decrypted or sent, in read order, that still stand in its state. */
function readList(sim: GroupSim, name: string): string[] {
  const peer = sim.peer(name);
  const state = peer.state as GroupState;
  return [...peer.positions.entries()]
    .filter(([, p]) => applicationStands(state, p))
    .sort(([, a], [, b]) => compareReadOrder(a, b))
    .map(([text]) => text);
}

/** Delivers the whole inbox of `name` in the order `order` picks (0: first, 1: last). */
function drainInbox(sim: GroupSim, name: string, pickLast: boolean): void {
  const peer = sim.peer(name);
  while (peer.inbox.length > 0) sim.deliver(name, pickLast ? peer.inbox.length - 1 : 0);
}

/**
 * C reads B's `concurrent` message before it learns of B's removal; A removes B without having read it (A's inbox is
 * held back until the removal is sent), then everything settles.
 */
function removeUnreadByRemover(sim: GroupSim, random: () => number, concurrent: string): void {
  const a = sim.peer('A');
  const held = [...a.inbox];
  a.inbox = [];
  drainInbox(sim, 'C', false);
  expect(sim.peer('C').decrypted.has(concurrent)).toBe(true);
  expect(readList(sim, 'C')).toContain(concurrent);
  sim.remove('A', 'B');
  a.inbox.push(...held);
  sim.settle(random);
}

describe.each<GroupScheme>(['message', 'data'])('read order (%s scheme)', (scheme) => {
  it('three members take turns; a late reader and the writers all read the conversation in turn order, whatever the arrival order', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D', 'E'], scheme);
    const random = seeded(21);
    sim.create('A', ['B', 'C', 'D', 'E']);
    for (const n of ['B', 'C', 'D', 'E']) drainInbox(sim, n, false);
    for (const n of ['A', 'B', 'C']) drainInbox(sim, n, false);
    const turns: string[] = [];
    // D and E stay offline: their inboxes fill; the writers sync before each turn.
    for (let turn = 0; turn < 9; turn++) {
      const writer = ['A', 'B', 'C'][turn % 3] as string;
      for (const n of ['A', 'B', 'C']) drainInbox(sim, n, false);
      turns.push(sim.send(writer));
    }
    for (const n of ['A', 'B', 'C']) drainInbox(sim, n, false);
    // Late readers: D gets its backlog newest first, E in a random order.
    drainInbox(sim, 'D', true);
    const e = sim.peer('E');
    while (e.inbox.length > 0) sim.deliver('E', Math.floor(random() * e.inbox.length));
    for (const n of ['A', 'B', 'C', 'D', 'E']) expect(readList(sim, n), n).toEqual(turns);
  });

  it('after a partition every member lists the same order, and a reply comes after the message it answers', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    sim.create('A', ['B', 'C', 'D']);
    sim.settle(seeded(22));
    // Partition {A, B} | {C, D}: each side talks; D answers C's B1 after reading it.
    const later = new Map<string, Uint8Array[]>(['A', 'B', 'C', 'D'].map((n) => [n, []]));
    const sideOf = (n: string): number => (n === 'A' || n === 'B' ? 0 : 1);
    const sendInPartition = (writer: string): string => {
      const text = sim.send(writer);
      for (const n of ['A', 'B', 'C', 'D']) {
        if (n === writer) continue;
        const peer = sim.peer(n);
        if (sideOf(n) === sideOf(writer)) sim.deliver(n, peer.inbox.length - 1);
        else later.get(n)?.push(peer.inbox.pop() as Uint8Array);
      }
      return text;
    };
    const p1 = [sendInPartition('A'), sendInPartition('B')];
    const b1 = sendInPartition('C');
    const b2 = sendInPartition('D');
    expect(sim.peer('D').decrypted.has(b1)).toBe(true);
    expect(sim.peer('A').decrypted.has(b1)).toBe(false);
    for (const [n, list] of later) sim.peer(n).inbox.push(...list);
    sim.settle(seeded(23));
    const lists = ['A', 'B', 'C', 'D'].map((n) => readList(sim, n));
    for (const list of lists) expect(list).toEqual(lists[0]);
    const list = lists[0] as string[];
    expect(list.indexOf(b1)).toBeLessThan(list.indexOf(b2));
    expect(list).toEqual(expect.arrayContaining([...p1, b1, b2]));
  });

  it('readOrderKey sorts as compareReadOrder does', () => {
    const positions: ReadPosition[] = [];
    const random = seeded(24);
    for (let i = 0; i < 200; i++) {
      positions.push({
        id: Math.floor(random() * 1e9).toString(16).padStart(64, '0'),
        sender: ['aa', 'ab', 'b0'][Math.floor(random() * 3)] as string,
        lamport: Math.floor(random() * 4) * (random() < 0.1 ? 1e12 : 1),
        epoch: Math.floor(random() * 300),
        counter: Math.floor(random() * 70_000),
      });
    }
    const byCompare = [...positions].sort(compareReadOrder);
    const byKey = [...positions].sort((a, b) => (readOrderKey(a) < readOrderKey(b) ? -1 : readOrderKey(a) > readOrderKey(b) ? 1 : 0));
    expect(byKey).toEqual(byCompare);
  });
});

describe.each<GroupScheme>(['message', 'data'])('strong removal for application data (%s scheme)', (scheme) => {
  it('a kept copy of a removed member keeps writing: nobody accepts it; what the remover had read still stands', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(31);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const read = sim.send('B');
    sim.settle(random);
    // B's copy of its home, taken before its removal
    const b = sim.peer('B');
    const copy = { state: b.state as GroupState, ctx: sim.ctx(b) };
    sim.remove('A', 'B');
    sim.update('C');
    sim.settle(random);
    expect(b.removed).toBe(true);
    const late = send(copy.state, copy.ctx, { plaintext: utf8('bob after his removal') });
    const out = late.outputs[0];
    if (out?.kind !== 'send') throw new Error('no send');
    const bundle = encodeWireBundle(out.message);
    for (const n of ['A', 'C']) {
      const peer = sim.peer(n);
      const state = peer.state as GroupState;
      expect(codeOf(() => receive(state, sim.ctx(peer), openWireBundle(bundle, peer.id))), n).toBe('STATE_REMOVED');
      expect(applicationStands(state, out.position as ReadPosition)).toBe(false);
      expect(readList(sim, n)).toContain(read);
    }
  });

  it('a message of the removed member that its remover had not read is refused, and un-read by those who read it first; every member agrees', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(32);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const seenByA = sim.send('B');
    sim.settle(random);
    const concurrent = sim.send('B');
    removeUnreadByRemover(sim, random, concurrent);
    expect(sim.peer('A').errors).toContain('STATE_REMOVED');
    expect(sim.peer('A').decrypted.has(concurrent)).toBe(false);
    for (const n of ['A', 'C']) {
      expect(readList(sim, n), n).toContain(seenByA);
      expect(readList(sim, n), n).not.toContain(concurrent);
    }
  });

  it('regression (issue 12, re-adds): a message un-read at the removal stays un-read after the member is re-added and its barred epoch is let go; every member agrees', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(37);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const concurrent = sim.send('B');
    removeUnreadByRemover(sim, random, concurrent);
    expect(readList(sim, 'C')).not.toContain(concurrent);
    // B comes back: its rejoin reopens the removal from B's next epoch on, not the epoch it was barred in.
    sim.add('C', 'B');
    sim.settle(random);
    const back = sim.send('B');
    sim.settle(random);
    const position = sim.peer('C').positions.get(concurrent) as ReadPosition;
    for (const n of ['A', 'C']) {
      const state = sim.peer(n).state as GroupState;
      expect(applicationStands(state, position), n).toBe(false);
      expect(readList(sim, n), n).toContain(back);
      expect(readList(sim, n), n).not.toContain(concurrent);
    }
  });

  it('regression (issue 12, re-adds): a member re-added by an adder removed concurrently is out of my view but its removal is reopened: I keep its chain and read what it sends after its rejoin', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(38);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.remove('B', 'C');
    sim.settle(random);
    // B re-adds C; A, not having seen it, removes B: at A the re-add is undone, yet C's removal is reopened by C's rejoin.
    sim.add('B', 'C');
    const a = sim.peer('A');
    const heldAtA = [...a.inbox];
    a.inbox = [];
    sim.remove('A', 'B');
    const c = sim.peer('C');
    const removalOfB = c.inbox.pop();
    drainInbox(sim, 'C', false);
    expect(sim.isActive('C') && sim.members('C').includes('C')).toBe(true);
    const after = [sim.send('C'), sim.send('C')];
    a.inbox = [...heldAtA, ...a.inbox];
    drainInbox(sim, 'A', false);
    expect(sim.members('A')).not.toContain('C');
    if (removalOfB) c.inbox.push(removalOfB);
    sim.settle(random);
    const state = a.state as GroupState;
    for (const text of after) {
      expect(a.decrypted.has(text), text).toBe(true);
      expect(applicationStands(state, a.positions.get(text) as ReadPosition), text).toBe(true);
    }
  });

  it('after a re-add, a kept copy of the removed member still writes in the epoch its remover had read: refused, while its chain is held (bounded state keeps that record)', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(34);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const read = sim.send('B');
    sim.settle(random);
    const b = sim.peer('B');
    const copy = { state: b.state as GroupState, ctx: sim.ctx(b) };
    sim.remove('A', 'B');
    sim.settle(random);
    sim.add('C', 'B');
    sim.settle(random);
    const after = sim.send('B');
    sim.settle(random);
    const late = send(copy.state, copy.ctx, { plaintext: utf8('late copy') });
    const out = late.outputs[0];
    if (out?.kind !== 'send') throw new Error('no send');
    for (const n of ['A', 'C']) {
      const peer = sim.peer(n);
      const state = peer.state as GroupState;
      expect(state.removals.some((r) => r.member === b.id && r.until !== undefined), n).toBe(true);
      expect(codeOf(() => receive(state, sim.ctx(peer), openWireBundle(encodeWireBundle(out.message), peer.id))), n).toBe('STATE_REMOVED');
      expect(readList(sim, n), n).toEqual(expect.arrayContaining([read, after]));
    }
  });

  it('a re-added member that then adds a newcomer: the newcomer reads it (its welcome says the removal was reopened by that rejoin)', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    const random = seeded(36);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.remove('A', 'B');
    sim.settle(random);
    sim.add('C', 'B');
    sim.settle(random);
    const b = sim.peer('B');
    // B holds its removal reopened, or (message scheme, bounded state) no longer holds it at all
    const own = (b.state as GroupState).removals.find((r) => r.member === b.id);
    expect(own === undefined || typeof own.until === 'number').toBe(true);
    sim.add('B', 'D');
    sim.settle(random);
    const back = sim.send('B');
    sim.settle(random);
    for (const n of ['A', 'C', 'D']) expect(readList(sim, n), n).toContain(back);
  });

  it('bounded state: with histories compacted at every chance, a member removed while another was re-added reads that member again after its own re-add', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'D'], scheme);
    sim.compactAt = 1;
    const random = seeded(35);
    sim.create('A', ['B', 'C', 'D']);
    sim.settle(random);
    const early = sim.send('B');
    sim.settle(random);
    sim.remove('A', 'B');
    sim.settle(random);
    sim.remove('A', 'D');
    sim.settle(random);
    sim.add('C', 'B');
    sim.settle(random);
    for (let i = 0; i < 3; i++) {
      sim.update('A');
      sim.update('C');
      sim.settle(random);
    }
    sim.add('C', 'D');
    sim.settle(random);
    const back = sim.send('B');
    sim.settle(random);
    expect(sim.members('A')).toEqual(['A', 'B', 'C', 'D']);
    for (const n of ['A', 'C', 'D']) {
      expect(readList(sim, n), n).toContain(back);
      expect(sim.peer(n).state?.dcgka.membership.base, n).not.toBeNull();
    }
    for (const n of ['A', 'C']) expect(readList(sim, n), n).toContain(early);
  });

  it('a re-added member speaks again; its messages from before the re-add that the remover had not read stay refused', () => {
    const sim = new GroupSim(['A', 'B', 'C'], scheme);
    const random = seeded(33);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const b = sim.peer('B');
    const copy = { state: b.state as GroupState, ctx: sim.ctx(b) };
    sim.remove('A', 'B');
    sim.settle(random);
    sim.add('C', 'B');
    sim.settle(random);
    expect(sim.members('A')).toEqual(['A', 'B', 'C']);
    const after = sim.send('B');
    sim.settle(random);
    for (const n of ['A', 'C']) expect(readList(sim, n), n).toContain(after);
    const stale = send(copy.state, copy.ctx, { plaintext: utf8('stale') });
    const out = stale.outputs[0];
    if (out?.kind !== 'send') throw new Error('no send');
    // Either the removal record still bars its position, or (bounded state, removal.ts) the record went
    // with the last chain of B that could open it: the stale message is never read either way.
    const a = sim.peer('A').state as GroupState;
    const chains = a.message?.chains[b.id] ?? [];
    const openable = chains.some((c) => c.epoch === (out.position as ReadPosition).epoch);
    expect(openable && applicationStands(a, out.position as ReadPosition)).toBe(false);
    for (const n of ['A', 'C']) sim.peer(n).inbox.push(encodeWireBundle(out.message));
    sim.settle(random);
    for (const n of ['A', 'C']) {
      expect(sim.peer(n).decrypted.has('stale'), n).toBe(false);
      expect(readList(sim, n), n).not.toContain('stale');
    }
  });

  if (scheme === 'message') {
    it('once every member processed the removal, the removed member\'s chains after its frontier are dropped; a late message at or below it is still read', () => {
      const sim = new GroupSim(['A', 'B', 'C'], scheme);
      const random = seeded(34);
      sim.create('A', ['B', 'C']);
      sim.settle(random);
      const bId = sim.peer('B').id;
      const a = sim.peer('A');
      // B writes in one epoch; A gets it only after the removal. Then B updates and writes again, and A reads that.
      const mark = a.inbox.length;
      const late = sim.send('B');
      const held = a.inbox.splice(mark);
      sim.settle(random);
      sim.update('B');
      sim.settle(random);
      const read = sim.send('B');
      sim.settle(random);
      expect(a.decrypted.has(read)).toBe(true);
      // B moves to one more epoch and writes nothing in it: A's removal of B reads up to `read`'s epoch.
      const frontierEpoch = a.positions.get(read)?.epoch as number;
      sim.update('B');
      sim.settle(random);
      const chainsOfB = (n: string) => sim.peer(n).state?.message?.chains[bId] ?? [];
      const kept = (n: string) => chainsOfB(n).map((c) => c.epoch);
      for (const n of ['A', 'C']) expect(Math.max(...kept(n)), n).toBeGreaterThan(frontierEpoch);
      const unread = (n: string) => chainsOfB(n).filter((c) => c.epoch > frontierEpoch).map((c) => c.chain);
      const toWipe = new Map(['A', 'C'].map((n) => [n, unread(n)]));
      sim.remove('A', 'B');
      sim.settle(random);
      for (const n of ['A', 'C']) {
        expect(kept(n).length, n).toBeGreaterThan(0);
        expect(kept(n).every((e) => e <= frontierEpoch), n).toBe(true);
        // The dropped chains' keys are handed back to be wiped.
        const wiped = sim.peer(n).consumed;
        for (const key of toWipe.get(n) ?? []) expect(wiped.some((c) => bytesEqual(c, key)), n).toBe(true);
      }
      a.inbox.push(...held);
      sim.settle(random);
      expect(a.decrypted.has(late), `A reads ${late} (errors: ${a.errors.join(',')})`).toBe(true);
    });
  }
});

describe('complete history under concurrency (data scheme)', () => {
  it('erin, added while bob is partitioned, reads what bob wrote during the split under his concurrent update', () => {
    const sim = new GroupSim(['A', 'B', 'C', 'E'], 'data');
    const random = seeded(71);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    const before = sim.send('B');
    sim.settle(random);
    // Partition: B alone. A adds E on the other side.
    sim.add('A', 'E');
    const others = ['A', 'C', 'E'];
    while (others.some((n) => sim.peer(n).inbox.length > 0)) for (const n of others) if (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    const heldFromB = new Map<string, Uint8Array[]>();
    const mark = new Map(others.map((n) => [n, sim.peer(n).inbox.length]));
    sim.update('B');
    const during = sim.send('B');
    for (const n of others) heldFromB.set(n, sim.peer(n).inbox.splice(mark.get(n) as number));
    const fromA = sim.send('A');
    while (others.some((n) => sim.peer(n).inbox.length > 0)) for (const n of others) if (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
    // Heal.
    for (const [n, list] of heldFromB) sim.peer(n).inbox.push(...list);
    sim.settle(random);
    const e = sim.peer('E');
    // A message whose secret had not come yet waited in E's state for A's share: nothing failed, nothing is handed in again.
    expect(e.errors).toEqual([]);
    expect(sim.members('E')).toEqual(['A', 'B', 'C', 'E']);
    expect(e.decrypted.has(before)).toBe(true);
    expect(e.decrypted.has(fromA)).toBe(true);
    expect(e.decrypted.has(during), `E reads ${during} (errors: ${e.errors.join(',')})`).toBe(true);
    // Shares are never shown as data.
    for (const n of ['A', 'B', 'C', 'E']) for (const text of sim.peer(n).decrypted) expect(sim.sent.some((m) => m.text === text)).toBe(true);
  });
});

describe('secrets envelopes (data scheme, issue 12)', () => {
  /** Whether a wire bundle in `name`'s inbox carries a control message (else an application or secrets envelope). */
  const isControl = (sim: GroupSim, name: string, bundle: Uint8Array): boolean => openWireBundle(bundle, sim.peer(name).id).broadcast[0] === 0x82;
  /** Delivers every inbox of `names` (in order) until they are all empty. */
  const drainAll = (sim: GroupSim, names: readonly string[]): void => {
    while (names.some((n) => sim.peer(n).inbox.length > 0)) for (const n of names) if (sim.peer(n).inbox.length > 0) sim.deliver(n, 0);
  };

  /**
   * B updates and writes while partitioned; meanwhile A adds E and C adds F. At the heal, A and C each
   * forward B's secret to the member they added; what `setup` returns lets a test hold messages back.
   */
  function concurrentAdds(seed: number) {
    const sim = new GroupSim(['A', 'B', 'C', 'E', 'F'], 'data');
    const random = seeded(seed);
    sim.create('A', ['B', 'C']);
    sim.settle(random);
    sim.add('A', 'E');
    sim.add('C', 'F');
    const others = ['A', 'C', 'E', 'F'];
    drainAll(sim, others);
    const mark = new Map(others.map((n) => [n, sim.peer(n).inbox.length]));
    sim.update('B');
    const during = sim.send('B');
    const fromB = new Map(others.map((n) => [n, sim.peer(n).inbox.splice(mark.get(n) as number)]));
    return { sim, random, during, fromB };
  }

  it('a member imports secrets only from its adders: E ignores C\'s share of B\'s secret and reads B\'s message once A\'s share comes', () => {
    const { sim, random, during, fromB } = concurrentAdds(73);
    const e = sim.peer('E');
    // A processes B's update: what it sends E besides control messages is its share.
    sim.peer('A').inbox.push(...(fromB.get('A') ?? []));
    const before = e.inbox.length;
    drainAll(sim, ['A']);
    const fromA = e.inbox.splice(before);
    const sharesOfA = fromA.filter((b) => !isControl(sim, 'E', b));
    e.inbox.push(...fromA.filter((b) => isControl(sim, 'E', b)));
    expect(sharesOfA.length).toBeGreaterThan(0);
    // Everything else, B's message to E last (after C's share).
    const [controlOfB, messageOfB] = [(fromB.get('E') ?? []).filter((b) => isControl(sim, 'E', b)), (fromB.get('E') ?? []).filter((b) => !isControl(sim, 'E', b))];
    e.inbox.push(...controlOfB);
    for (const n of ['C', 'F']) sim.peer(n).inbox.push(...(fromB.get(n) ?? []));
    sim.settle(random);
    expect(sim.peer('F').decrypted.has(during), 'F reads it through its adder C').toBe(true);
    e.inbox.push(...messageOfB);
    sim.settle(random);
    expect(e.decrypted.has(during), 'C is not E\'s adder: its share is not imported').toBe(false);
    expect(e.state?.pendingApplication).toHaveLength(1);
    e.inbox.push(...sharesOfA);
    sim.settle(random);
    expect(e.decrypted.has(during)).toBe(true);
    expect(e.state?.pendingApplication).toHaveLength(0);
    expect(e.errors).toEqual([]);
  });

  /** The envelope version of an application-side bundle in `name`'s inbox (3: a share, 4: a request). */
  const versionOf = (sim: GroupSim, name: string, bundle: Uint8Array): number => decodeEnvelope(openWireBundle(bundle, sim.peer(name).id).broadcast, 'data').version;

  it('once its adder is removed before it learned of B\'s concurrent update, E asks for B\'s secret and reads B\'s message from B\'s own answer; a share of another member\'s secret from a non-adder is not taken', () => {
    const { sim, random, during, fromB } = concurrentAdds(75);
    const e = sim.peer('E');
    // C removes A, E's only adder, before anyone saw B's update: A never forwards B's secret.
    sim.remove('C', 'A');
    drainAll(sim, ['A', 'C', 'E', 'F', 'B']);
    expect(sim.members('E')).not.toContain(sim.peer('A').id);
    // B's update and message reach everyone but E, and B's messages to E come in but its message last.
    for (const n of ['A', 'B', 'C', 'F']) sim.peer(n).inbox.push(...(fromB.get(n) ?? []));
    const toE = fromB.get('E') ?? [];
    e.inbox.push(...toE.filter((b) => isControl(sim, 'E', b)));
    // E takes control messages only; what else reaches it is kept aside.
    const aside: Uint8Array[] = [];
    const names = ['B', 'C', 'E', 'F'];
    while (names.some((n) => sim.peer(n).inbox.length > 0)) {
      for (const n of names) {
        const first = sim.peer(n).inbox[0];
        if (first === undefined) continue;
        if (n === 'E' && !isControl(sim, 'E', first)) aside.push(e.inbox.shift() as Uint8Array);
        else sim.deliver(n, 0);
      }
    }
    const asideVersions = aside.map((b) => versionOf(sim, 'E', b));
    expect(asideVersions.length, 'C forwards B\'s secret to F, its joiner').toBeGreaterThan(0);
    expect(new Set(asideVersions), 'shares only: E has not asked yet (no message waits)').toEqual(new Set([3]));
    e.inbox.push(...aside, ...toE.filter((b) => !isControl(sim, 'E', b)));
    drainAll(sim, ['E']);
    expect(e.decrypted.has(during), 'C\'s share of B\'s secret is not taken').toBe(false);
    expect(e.state?.pendingApplication).toHaveLength(1);
    // E asked the group: one request, which B answers with a share of its own secret.
    const asked = sim.peer('B').inbox.filter((b) => !isControl(sim, 'B', b) && versionOf(sim, 'B', b) === 4);
    expect(asked).toHaveLength(1);
    const before = e.inbox.length;
    drainAll(sim, ['B']);
    const answers = e.inbox.slice(before).filter((b) => !isControl(sim, 'E', b) && versionOf(sim, 'E', b) === 3);
    expect(answers).toHaveLength(1);
    const mark = e.inbox.length;
    drainAll(sim, ['C', 'F']);
    expect(e.inbox.slice(mark).filter((b) => !isControl(sim, 'E', b)), 'only the secret\'s own member answers').toEqual([]);
    drainAll(sim, ['E']);
    expect(e.decrypted.has(during)).toBe(true);
    expect(e.state?.pendingApplication).toHaveLength(0);
    sim.settle(random);
    expect(e.errors).toEqual([]);
    // Requests and answers are never shown as data.
    for (const n of ['B', 'C', 'E', 'F']) for (const text of sim.peer(n).decrypted) expect(sim.sent.some((m) => m.text === text)).toBe(true);
  });

  it('a member whose adder is still in the group never asks: the adder forwards', () => {
    const { sim, random, during, fromB } = concurrentAdds(76);
    for (const n of ['A', 'C', 'E', 'F']) sim.peer(n).inbox.push(...(fromB.get(n) ?? []));
    const requests: number[] = [];
    for (let round = 0; round < 100_000 && [...sim.peers.values()].some((p) => p.inbox.length > 0); round++) {
      for (const p of sim.peers.values()) for (const b of p.inbox) if (!isControl(sim, p.name, b) && versionOf(sim, p.name, b) === 4) requests.push(round);
      sim.step(random, 1);
    }
    expect(sim.peer('E').decrypted.has(during)).toBe(true);
    expect(requests).toEqual([]);
  });

  it('a request is a list of [member(32), epoch]; anything else is refused as DECODE_FIELD', () => {
    expect(decodeSecretRequest(encodeCanonical([[new Uint8Array(32).fill(7), 3]]))).toEqual([{ member: '07'.repeat(32), epoch: 3 }]);
    // epoch 0 and exactly as many entries as messages can wait are fine
    expect(decodeSecretRequest(encodeCanonical([[new Uint8Array(32), 0]]))).toEqual([{ member: '00'.repeat(32), epoch: 0 }]);
    expect(decodeSecretRequest(encodeCanonical(new Array(1000).fill([new Uint8Array(32), 0])))).toHaveLength(1000);
    const count = 'secret-request: expected 1..1000 entries';
    const entry = 'secret-request: expected [member(32), epoch] entries';
    const cases: [unknown, string][] = [
      [[], count], ['x', count], [new Array(1001).fill([new Uint8Array(32), 0]), count],
      [[[new Uint8Array(31), 3]], entry], [[['7'.repeat(32), 3]], entry], [[[new Uint8Array(32), -1]], entry], [[[new Uint8Array(32), 1.5]], entry],
      [[[new Uint8Array(32)]], entry], [[[new Uint8Array(32), 3, 4]], entry], [[5], entry],
    ];
    for (const [bad, message] of cases) {
      expect(errorOf(() => decodeSecretRequest(encodeCanonical(bad))), JSON.stringify(bad).slice(0, 40)).toMatchObject({ code: 'DECODE_FIELD', message });
    }
    expect(errorOf(() => decodeSecretRequest(Uint8Array.of(0x81))).message).toMatch(/^secret-request/);
  });

  it('messages waiting for a secret make room when the buffer is full: the oldest is dropped as STATE_MISSING_SECRET', () => {
    const { sim, random, fromB } = concurrentAdds(74);
    const e = sim.peer('E');
    // E is kept from every share; B writes three large messages under the secret E lacks.
    const b = sim.peer('B');
    const big = (n: number): Uint8Array => {
      const result = send(b.state as GroupState, sim.ctx(b), { plaintext: new Uint8Array(800_000).fill(n) });
      b.state = result.state;
      const out = result.outputs[0];
      if (out?.kind !== 'send') throw new Error('no send');
      return encodeWireBundle(out.message);
    };
    const large = [big(1), big(2), big(3)];
    for (const n of ['A', 'C', 'F']) sim.peer(n).inbox.push(...(fromB.get(n) ?? []));
    e.inbox.push(...(fromB.get('E') ?? []).filter((x) => isControl(sim, 'E', x)));
    for (let round = 0, seen = -1; round < 100_000 && [...sim.peers.values()].some((p) => p.inbox.length > 0); round++) {
      if (e.inbox.length !== seen) e.inbox = e.inbox.filter((x) => isControl(sim, 'E', x));
      seen = e.inbox.length;
      sim.step(random, 1);
    }
    expect(e.state?.pendingApplication).toHaveLength(0);
    e.inbox.push(large[0] as Uint8Array, large[1] as Uint8Array);
    drainAll(sim, ['E']);
    expect(e.state?.pendingApplication).toHaveLength(2);
    expect(e.errors).toEqual([]);
    e.inbox.push(large[2] as Uint8Array);
    drainAll(sim, ['E']);
    expect(e.errors).toEqual(['STATE_MISSING_SECRET']);
    const waiting = e.state?.pendingApplication ?? [];
    const kept = [large[1], large[2]].map((x) => openWireBundle(x as Uint8Array, e.id).broadcast);
    expect(waiting.length).toBe(2);
    expect(waiting.every((p, i) => bytesEqual(p.bytes, kept[i] as Uint8Array))).toBe(true);
  });
});
