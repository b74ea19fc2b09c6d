/**
 * src/group/removal.ts one function at a time, on real membership histories:
 * which removal a re-add reopens (and from which epoch), which rejoin records
 * compaction lets go, when a removed member's message-scheme chains may be
 * dropped (and which secrets that frees), and how notes, records and welcome
 * extras are read. The schedules check the outcome of whole groups; these
 * check each rule on its own, both ways.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/crypto/index.js';
import { decodeCanonical, encodeCanonical, fromHex } from '../../src/crypto/index.js';
import type { BundleChecks } from '../../src/data/index.js';
import { exportSecretBundle } from '../../src/data/index.js';
import type { DcgkaState } from '../../src/dcgka/index.js';
import type { GroupState, RejoinRecord, RemovalRecord } from '../../src/group/index.js';
import {
  MAX_REMOVAL_RECORDS, comparePositions, decodeRejoinRecord, decodeRemovalNote, decodeRemovalRecord, dropRemovedChains, encodeRemovalNote, encodeWelcomeExtra,
  pruneRejoins, readWelcomeExtra, reopenedAt, withRejoin, withRemoval,
} from '../../src/group/removal.js';
import type { RemovalFacts } from '../../src/group/removal.js';
import { encodeRemovalTable } from '../../src/group/removal-table.js';
import { applyAck, applyAdd, applyRemove, compactMembership, createMembership, isCompacted } from '../../src/membership/index.js';
import type { MembershipState } from '../../src/membership/index.js';
import type { EpochChain, MessageState } from '../../src/message/index.js';
import { errorOf } from '../helpers/errors.js';
import { GroupSim, seeded } from '../helpers/group-sim.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const X = 'c'.repeat(64);
const op = (member: string, seq: number): string => `${member}:${seq}`;

/** A creates {A, B, X}; A removes X (A:1). */
function removedByA(): MembershipState {
  const created = createMembership({ id: op(A, 0), creator: A, members: [B, X] });
  return applyRemove(created, { id: op(A, 1), actor: A, removed: X });
}

/** As `removedByA`, and B re-adds X (B:1) without having seen the removal: the add is concurrent with it. */
function concurrentReadd(): MembershipState {
  return applyAdd(removedByA(), { id: op(B, 1), actor: B, added: X });
}

function facts(membership: MembershipState, removals: readonly RemovalRecord[] = [], rejoins: readonly RejoinRecord[] = [], me = A): RemovalFacts {
  return { dcgka: { me, membership } as unknown as DcgkaState, removals, rejoins };
}

const removalOf = (id: string, frontier: RemovalRecord['frontier'] = null): RemovalRecord => ({ op: id, member: X, frontier });

describe('positions', () => {
  it('compare by epoch first, then counter; equal positions compare equal', () => {
    expect(comparePositions({ epoch: 2, counter: 3 }, { epoch: 2, counter: 3 })).toBe(0);
    expect(comparePositions({ epoch: 2, counter: 1 }, { epoch: 2, counter: 3 })).toBeLessThan(0);
    expect(comparePositions({ epoch: 3, counter: 0 }, { epoch: 2, counter: 9 })).toBeGreaterThan(0);
  });
});

describe('reopening a removal', () => {
  it('reopenedAt lowers `until` to the rejoin\'s seq, never raises it, and keeps the record itself when nothing changes', () => {
    const r = removalOf(op(A, 1));
    expect(reopenedAt(r, 7)).toEqual({ ...r, until: 7 });
    const at5 = { ...r, until: 5 };
    expect(reopenedAt(at5, 7)).toBe(at5);
    const at7 = { ...r, until: 7 };
    expect(reopenedAt(at7, 7)).toBe(at7);
    expect(reopenedAt({ ...r, until: 9 }, 7)).toEqual({ ...r, until: 7 });
  });

  it('an add concurrent with the removal reopens it from the rejoin ack\'s epoch, whichever of the two records comes first', () => {
    const m = concurrentReadd();
    const rejoin = { member: X, add: op(B, 1), seq: 7 };
    const removal = removalOf(op(A, 1));
    expect(withRejoin(facts(m, [removal]), rejoin).removals).toEqual([{ ...removal, until: 7 }]);
    expect(withRemoval(facts(m, [], [rejoin]), removal)).toEqual([{ ...removal, until: 7 }]);
  });

  it('an add the remover had seen reopens nothing, and the removal list is returned as it was', () => {
    let m = applyAck(concurrentReadd(), { actor: A, acked: op(B, 1) });
    m = applyRemove(m, { id: op(A, 2), actor: A, removed: X });
    const rejoin = { member: X, add: op(B, 1), seq: 7 };
    const removals = [removalOf(op(A, 2))];
    const after = withRejoin(facts(m, removals), rejoin);
    expect(after.removals).toBe(removals);
    expect(after.rejoins).toEqual([rejoin]);
    expect(withRemoval(facts(m, [], [rejoin]), removalOf(op(A, 2)))).toEqual(removals);
  });

  it('a rejoin of another member reopens nothing', () => {
    const m = concurrentReadd();
    const removals = [removalOf(op(A, 1))];
    expect(withRejoin(facts(m, removals), { member: B, add: op(B, 1), seq: 7 }).removals).toBe(removals);
  });

  it('a removal already reopened from an earlier epoch keeps it, and the list itself, when a later rejoin comes', () => {
    const m = concurrentReadd();
    const removals = [{ ...removalOf(op(A, 1)), until: 3 }];
    const after = withRejoin(facts(m, removals), { member: X, add: op(B, 1), seq: 7 });
    expect(after.removals).toBe(removals);
  });

  it('a rejoin record is kept once per (member, add): the same one again changes nothing, another add or member is added', () => {
    const m = concurrentReadd();
    const rejoin = { member: X, add: op(B, 1), seq: 7 };
    const once = withRejoin(facts(m), rejoin);
    const again = withRejoin(facts(m, once.removals, once.rejoins), { ...rejoin, seq: 9 });
    expect(again.rejoins).toBe(once.rejoins);
    expect(again.removals).toBe(once.removals);
    const otherAdd = { member: X, add: op(A, 5), seq: 9 };
    expect(withRejoin(facts(m, [], once.rejoins), otherAdd).rejoins).toEqual([rejoin, otherAdd]);
    const otherMember = { member: B, add: op(B, 1), seq: 9 };
    expect(withRejoin(facts(m, [], once.rejoins), otherMember).rejoins).toEqual([rejoin, otherMember]);
  });
});

/** The history of `concurrentReadd` with every op seen by every member, compacted. */
function compactedReadd(): MembershipState {
  let m = concurrentReadd();
  m = applyAck(m, { actor: A, acked: op(B, 1) });
  m = applyAck(m, { actor: B, acked: op(A, 1) });
  m = applyAck(m, { actor: X, acked: op(B, 1) });
  m = applyAck(m, { actor: X, acked: op(A, 1) });
  return compactMembership(m, { minimum: 1 });
}

describe('reopening across compaction', () => {
  it('the fixture compacts both the removal and the concurrent add', () => {
    const m = compactedReadd();
    expect(isCompacted(m, op(A, 1))).toBe(true);
    expect(isCompacted(m, op(B, 1))).toBe(true);
  });

  it('an add made after a compacted removal reopens it (every member had seen the removal, so the add came after it)', () => {
    const m = applyAdd(compactedReadd(), { id: op(A, 2), actor: A, added: X });
    const removals = [removalOf(op(A, 1))];
    expect(withRejoin(facts(m, removals), { member: X, add: op(A, 2), seq: 9 }).removals).toEqual([{ ...removals[0], until: 9 }]);
  });

  it('a removal processed after the add was compacted is not reopened by it (the add is in the past of every later op)', () => {
    const compacted = compactedReadd();
    const m = applyRemove(applyAdd(compacted, { id: op(A, 2), actor: A, added: X }), { id: op(A, 3), actor: A, removed: X });
    const rejoin = { member: X, add: op(B, 1), seq: 7 };
    expect(withRemoval(facts(m, [], [rejoin]), removalOf(op(A, 3)))).toEqual([removalOf(op(A, 3))]);
  });

  it('a rejoin whose add this replica compacted is left out: it reopens nothing, held records and list unchanged (a welcome may list it)', () => {
    // X's first join was through the create (A:0); A's removal A:1 saw it. Both compacted here: an imported rejoin
    // record of that join (its adder compacted less) must not reopen A:1.
    let m = removedByA();
    for (const actor of [B, X]) m = applyAck(m, { actor, acked: op(A, 1) });
    m = compactMembership(m, { minimum: 1 });
    expect(isCompacted(m, op(A, 1))).toBe(true);
    const removals = [removalOf(op(A, 1))];
    const rejoins: RejoinRecord[] = [];
    const after = withRejoin(facts(m, removals, rejoins), { member: X, add: op(A, 0), seq: 0 });
    expect(after.removals).toBe(removals);
    expect(after.rejoins).toBe(rejoins);
    // control: the same record on the uncompacted history is kept and reopens nothing (A:1 saw the create)
    const plain = withRejoin(facts(removedByA(), removals, rejoins), { member: X, add: op(A, 0), seq: 0 });
    expect(plain.rejoins).toHaveLength(1);
    expect(plain.removals).toBe(removals);
  });

  it('pruneRejoins lets go exactly the rejoins whose add was compacted, and returns the list itself when there are none', () => {
    const m = compactedReadd();
    const old = { member: X, add: op(B, 1), seq: 7 };
    const fresh = { member: X, add: op(A, 5), seq: 9 };
    expect(pruneRejoins(facts(m, [], [old, fresh]))).toEqual([fresh]);
    expect(pruneRejoins(facts(m, [], [fresh, old]))).toEqual([fresh]);
    const none = [fresh];
    expect(pruneRejoins(facts(m, [], none))).toBe(none);
    expect(pruneRejoins(facts(concurrentReadd(), [], [old]))).toEqual([old]);
  });
});

/** A chain of X: its key bytes name its epoch, so that the dropped secrets can be told apart. */
function chain(epoch: number, next: number, skipped: readonly number[] = []): EpochChain {
  return {
    epoch, next, chain: new Uint8Array([epoch, 0xc0]),
    skipped: skipped.map((counter) => ({ counter, key: new Uint8Array([epoch, counter, 0x4b]), nonce: new Uint8Array([epoch, counter, 0x4e]) })),
  };
}

const messageOf = (xChains: readonly EpochChain[]): MessageState => ({ v: 1, chains: { [A]: [chain(0, 1)], [B]: [chain(0, 1)], [X]: xChains } });

/** A removed X (A:1), the removal processed by B too. */
function removalSeenByAll(): MembershipState {
  return applyAck(removedByA(), { actor: B, acked: op(A, 1) });
}

describe('dropping a removed member\'s chains (message scheme)', () => {
  const frontier = { epoch: 1, counter: 4 };

  it('drops the chains of epochs after the frontier\'s, keeps those up to it, and hands back every dropped secret', () => {
    const message = messageOf([chain(1, 5), chain(3, 4, [1, 2])]);
    const { state, consumed } = dropRemovedChains(message, facts(removalSeenByAll(), [removalOf(op(A, 1), frontier)]), { [X]: frontier });
    expect(state.chains[X]).toEqual([chain(1, 5)]);
    expect(state.chains[A]).toBe(message.chains[A]);
    expect(consumed).toEqual([chain(3, 0).chain, ...chain(3, 0, [1, 2]).skipped.flatMap((s) => [s.key, s.nonce])]);
  });

  it('a removal that bars everything (no frontier) drops every chain of the member, whatever I heard', () => {
    const message = messageOf([chain(1, 5), chain(3, 4)]);
    const { state, consumed } = dropRemovedChains(message, facts(removalSeenByAll(), [removalOf(op(A, 1))]), {});
    expect(Object.hasOwn(state.chains, X)).toBe(false);
    expect(consumed).toHaveLength(2);
  });

  it('waits for every current member to have processed the removal; I count as having done so', () => {
    const message = messageOf([chain(1, 5), chain(3, 4)]);
    const removals = [removalOf(op(A, 1), frontier)];
    const notByB = dropRemovedChains(message, facts(removedByA(), removals), { [X]: frontier });
    expect(notByB.state).toBe(message);
    expect(notByB.consumed).toEqual([]);
    // B's own view: its ack of A:1 is not recorded yet, and A (the remover) has seen it.
    const atB = dropRemovedChains(message, facts(removedByA(), removals, [], B), { [X]: frontier });
    expect(atB.state.chains[X]).toEqual([chain(1, 5)]);
  });

  it('waits until I delivered the message at the frontier: nothing heard, or heard below it, keeps the chains; at or above it drops', () => {
    const message = messageOf([chain(1, 5), chain(3, 4)]);
    const f = facts(removalSeenByAll(), [removalOf(op(A, 1), frontier)]);
    expect(dropRemovedChains(message, f, {}).state).toBe(message);
    expect(dropRemovedChains(message, f, { [X]: { epoch: 1, counter: 3 } }).state).toBe(message);
    expect(dropRemovedChains(message, f, { [X]: frontier }).state.chains[X]).toEqual([chain(1, 5)]);
    expect(dropRemovedChains(message, f, { [X]: { epoch: 1, counter: 5 } }).state.chains[X]).toEqual([chain(1, 5)]);
  });

  it('a skipped key at or below the frontier (a message the remover read that I still miss) keeps the chains; one above it does not', () => {
    const f = facts(removalSeenByAll(), [removalOf(op(A, 1), frontier)]);
    const heard = { [X]: { epoch: 1, counter: 6 } };
    const missingAt = messageOf([chain(1, 7, [4]), chain(3, 4)]);
    expect(dropRemovedChains(missingAt, f, heard).state).toBe(missingAt);
    const missingBelow = messageOf([chain(1, 7, [2]), chain(3, 4)]);
    expect(dropRemovedChains(missingBelow, f, heard).state).toBe(missingBelow);
    const missingAbove = messageOf([chain(1, 7, [5]), chain(3, 4, [1])]);
    expect(dropRemovedChains(missingAbove, f, heard).state.chains[X]).toEqual([chain(1, 7, [5])]);
  });

  it('reads the removal with the highest frontier among several, whatever their order; one without a frontier loses to one with', () => {
    const message = messageOf([chain(1, 5), chain(3, 2), chain(5, 1)]);
    const high = { epoch: 3, counter: 1 };
    let m = removalSeenByAll();
    m = applyAdd(m, { id: op(A, 2), actor: A, added: X });
    m = applyRemove(m, { id: op(A, 3), actor: A, removed: X });
    m = applyAck(applyAck(m, { actor: B, acked: op(A, 2) }), { actor: B, acked: op(A, 3) });
    const heard = { [X]: high };
    for (const removals of [[removalOf(op(A, 1), frontier), removalOf(op(A, 3), high)], [removalOf(op(A, 3), high), removalOf(op(A, 1), frontier)]]) {
      expect(dropRemovedChains(message, facts(m, removals), heard).state.chains[X]).toEqual([chain(1, 5), chain(3, 2)]);
    }
    for (const removals of [[removalOf(op(A, 1)), removalOf(op(A, 3), high)], [removalOf(op(A, 3), high), removalOf(op(A, 1))]]) {
      expect(dropRemovedChains(message, facts(m, removals), heard).state.chains[X]).toEqual([chain(1, 5), chain(3, 2)]);
    }
  });

  it('keeps the chains of a member whose removal was reopened, and of a member that is current again', () => {
    const message = messageOf([chain(1, 5), chain(3, 4)]);
    const reopened = [{ ...removalOf(op(A, 1), frontier), until: 3 }];
    expect(dropRemovedChains(message, facts(removalSeenByAll(), reopened), { [X]: frontier }).state).toBe(message);
    const readded = applyAdd(removalSeenByAll(), { id: op(A, 2), actor: A, added: X });
    expect(dropRemovedChains(message, facts(readded, [removalOf(op(A, 1), frontier)]), { [X]: frontier }).state).toBe(message);
  });
});

describe('reading notes, records and welcome extras', () => {
  it('a remove note round-trips; an empty note is an older version\'s (it bars nothing)', () => {
    expect(decodeRemovalNote(encodeRemovalNote({ epoch: 3, counter: 9 }))).toEqual({ epoch: 3, counter: 9 });
    expect(decodeRemovalNote(encodeRemovalNote(null))).toBeNull();
    expect(decodeRemovalNote(new Uint8Array(0))).toBeUndefined();
  });

  it('a malformed note is refused, naming what is wrong', () => {
    const cases: [unknown, string][] = [
      [[-1, 0], 'remove-note.epoch: expected a non-negative integer'],
      [[0, -1], 'remove-note.counter: expected a non-negative integer'],
      [['1', 0], 'remove-note.epoch: expected a non-negative integer'],
      [[1], 'remove-note: expected [] or [epoch, counter]'],
    ];
    for (const [value, message] of cases) expect(errorOf(() => decodeRemovalNote(encodeCanonical(value)))).toMatchObject({ code: 'DECODE_FIELD', message });
    expect(errorOf(() => decodeRemovalNote(new Uint8Array([0xff]))).message).toMatch(/^remove-note: /);
  });

  it('a removal record is refused with the field that is wrong', () => {
    const good = [op(A, 1), fromHex(X), [1, 2]];
    expect(decodeRemovalRecord(good, 'r')).toEqual({ op: op(A, 1), member: X, frontier: { epoch: 1, counter: 2 } });
    expect(decodeRemovalRecord([...good, 4], 'r')).toEqual({ op: op(A, 1), member: X, frontier: { epoch: 1, counter: 2 }, until: 4 });
    const cases: [unknown, string][] = [
      [[good[0], good[1], [1]], 'r.frontier: expected [epoch, counter] or null'],
      [[good[0], good[1], 'ab'], 'r.frontier: expected [epoch, counter] or null'],
      [[`x${op(A, 1)}`, good[1], null], 'r: expected an op id'],
      [[`${op(A, 1)}x`, good[1], null], 'r: expected an op id'],
      [[...good, -1], 'r.until: expected a non-negative integer'],
    ];
    for (const [value, message] of cases) expect(errorOf(() => decodeRemovalRecord(value, 'r'))).toMatchObject({ code: 'DECODE_FIELD', message });
    expect(decodeRejoinRecord([fromHex(X), op(B, 1), 7], 'j')).toEqual({ member: X, add: op(B, 1), seq: 7 });
  });

  const noDeps = {} as Deps;
  const noChecks: BundleChecks = {};

  it('a welcome extra without data secrets round-trips its records', () => {
    const removals = [removalOf(op(A, 1), { epoch: 1, counter: 4 }), { ...removalOf(op(A, 3)), until: 6 }];
    const rejoins = [{ member: X, add: op(B, 1), seq: 6 }];
    const extra = encodeWelcomeExtra(null, B, removals, rejoins, new Map());
    expect(readWelcomeExtra(extra, null, noDeps, noChecks)).toEqual({ data: null, removals, rejoins });
  });

  it('an extra with secrets read by a member without a data state imports nothing (and does not fail)', () => {
    const extra = encodeCanonical({ v: 4, secrets: new Uint8Array([1, 2, 3]), removals: encodeRemovalTable([]), rejoins: [] });
    expect(readWelcomeExtra(extra, null, noDeps, noChecks)).toEqual({ data: null, removals: [], rejoins: [] });
  });

  it('an older extra\'s records (v3) are read one by one, and a bad one is named with its index', () => {
    const v3 = (removals: unknown[], rejoins: unknown[]): Uint8Array => encodeCanonical({ v: 3, secrets: null, removals, rejoins });
    const record = [op(A, 1), fromHex(X), null];
    expect(readWelcomeExtra(v3([record], []), null, noDeps, noChecks).removals).toEqual([removalOf(op(A, 1))]);
    expect(errorOf(() => readWelcomeExtra(v3([record, [op(A, 2)]], []), null, noDeps, noChecks)).message).toMatch(/^welcome-extra\.removals\[1\]: /);
    expect(errorOf(() => readWelcomeExtra(v3([], [[fromHex(X)]]), null, noDeps, noChecks)).message).toMatch(/^welcome-extra\.rejoins\[0\]: /);
    expect(errorOf(() => readWelcomeExtra(v3({} as unknown as unknown[], []), null, noDeps, noChecks)).message).toBe('welcome-extra: expected removal and rejoin lists');
  });

  it('an older extra holds up to MAX_REMOVAL_RECORDS removals and as many rejoins; one more of either is refused before any is read', () => {
    const v3 = (removals: unknown[], rejoins: unknown[]): Uint8Array => encodeCanonical({ v: 3, secrets: null, removals, rejoins });
    const times = (count: number, value: unknown): unknown[] => Array.from({ length: count }, () => value);
    const full = readWelcomeExtra(v3(times(MAX_REMOVAL_RECORDS, [op(A, 1), fromHex(X), null]), times(MAX_REMOVAL_RECORDS, [fromHex(X), op(B, 1), 7])), null, noDeps, noChecks);
    expect([full.removals.length, full.rejoins.length]).toEqual([MAX_REMOVAL_RECORDS, MAX_REMOVAL_RECORDS]);
    for (const extra of [v3(times(MAX_REMOVAL_RECORDS + 1, 0), []), v3([], times(MAX_REMOVAL_RECORDS + 1, 0))]) {
      expect(errorOf(() => readWelcomeExtra(extra, null, noDeps, noChecks)).message).toBe('welcome-extra: expected removal and rejoin lists');
    }
  }, 60_000);

  it('a malformed extra names itself: its CBOR, and a v4 removal table', () => {
    expect(errorOf(() => readWelcomeExtra(new Uint8Array([0xa1, 0xff]), null, noDeps, noChecks)).message).toMatch(/^welcome-extra: /);
    const badTable = encodeCanonical({ v: 4, secrets: null, removals: 'x', rejoins: [] });
    expect(errorOf(() => readWelcomeExtra(badTable, null, noDeps, noChecks)).message).toMatch(/^welcome-extra\.removals/);
  });

  it('the secrets an adder hands over are those within the welcome\'s clock, never the joiner\'s own', () => {
    const sim = new GroupSim(['A', 'B', 'C'], 'data');
    sim.create('A', ['B', 'C']);
    sim.settle(seeded(3));
    sim.update('B');
    sim.update('C');
    sim.settle(seeded(4));
    const data = (sim.peer('A').state as GroupState).data;
    if (data === null) throw new Error('a data-scheme state');
    const [b, c] = [sim.peer('B').id, sim.peer('C').id];
    const clock = new Map([[c, 1]]);
    const extra = decodeCanonical(encodeWelcomeExtra(data, b, [], [], clock), 'x') as { secrets: Uint8Array };
    const expected = exportSecretBundle(data, { exclude: b, clock: (m) => clock.get(m) ?? 0 });
    expect(extra.secrets).toEqual(expected);
    expect(extra.secrets).not.toEqual(exportSecretBundle(data));
    expect(extra.secrets).not.toEqual(exportSecretBundle(data, { exclude: b }));
  });
});
