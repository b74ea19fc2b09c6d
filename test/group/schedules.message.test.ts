/**
 * Random schedules at scale, message scheme: up to 32 peers, 8..14 group
 * operations each (mean over 10) interleaved with sends, random partial
 * deliveries, duplicates and partitions. Every schedule checks that members
 * and chains converge, removed members are locked out, every member
 * reads every message it is entitled to, and every member reads the same
 * order (test/helpers/schedules.ts, DEFAULT_CHECKS).
 * GROUPCRYPT_SCHEDULES=N per scheme (default 1000: 2,000 with the data file);
 * GROUPCRYPT_CASE='<json>' replays one failing schedule.
 *
 * Every other pair of schedules re-adds removed members (spec.readds), as in
 * the data scheme (test/helpers/schedule-suite.ts).
 *
 * Nothing is excused: a message refused as STATE_WINDOW_BEHIND fails the
 * schedule (see GAP_CHECKS in test/helpers/schedules.ts for the bound that stays).
 */
import { describe, expect, it } from 'vitest';
import { runSchedule } from '../helpers/schedules.js';
import { expectScale, replayFailures, runSchedules } from '../helpers/schedule-suite.js';

const RUNS = Number(process.env['GROUPCRYPT_SCHEDULES'] ?? 1000);

describe('random schedules at scale (message scheme)', () => {
  it(`members and chains converge, removed members are locked out, entitled members read everything, in one order (${RUNS} schedules)`, () => {
    expectScale(runSchedules('message', RUNS, 0x5eed_0001), RUNS);
  }, 60 * 60_000);
});

describe('regression (issue 12): re-adding a removed member under concurrency (message scheme)', () => {
  it('schedules whose members judged a removed member\'s message differently, or missed one that stands, now pass every check', () => {
    // 493252088, 2033655285, 2092983637: a reopened removal record was let go once no chain of the epochs it bars was held,
    // and the barred message stood again (removal.ts keeps it now). 1858083397: a member out of one view, its re-add undone
    // there by a concurrent removal of its adder, had its chains dropped though its removal was reopened (removal.ts
    // dropRemovedChains). The first one's first failure ("P1's copy of P2's chain differs") was the test network's: a peer
    // that saw its removal and its re-add in one call stayed offline (schedule-net.ts now puts a re-joined peer back online).
    const base = { scheme: 'message', peers: 3, initial: 1, duplicateRate: 0, partitions: false, removedListen: false, readds: true } as const;
    const failures = replayFailures([
      { ...base, ops: 8, seed: 493252088 },
      { ...base, ops: 12, seed: 2033655285, duplicateRate: 0.1 },
      { ...base, ops: 13, seed: 2092983637, removedListen: true },
      { ...base, ops: 13, seed: 1858083397 },
    ]);
    expect(failures).toEqual(['', '', '', '']);
  }, 120_000);

  it('a re-add schedule that failed on the test network, not the library: a removed peer whose re-add it held as a stranger\'s message (its adder not known yet) stayed offline (every check passes now)', () => {
    // "[members] P0 sees P0,P1,P11,P13,P15,P2,P3,P4,P5,P8, expected P0,P1,P11,P15,P2,P3,P4,P5,P8": P11's add of P13, concurrent
    // with P2's removal of it, waited among P13's strangers when P13 saw that removal (schedule-net.ts holdsOwnAdd looks there too now).
    const [failure] = replayFailures([
      { scheme: 'message', peers: 23, initial: 5, ops: 8, seed: 680858692, duplicateRate: 0.1, partitions: false, removedListen: false, readds: true },
    ]);
    expect(failure).toBe('');
  }, 120_000);
});

describe('regression (issue 12): complete history in the message scheme', () => {
  it('the schedule whose late message was refused as STATE_WINDOW_BEHIND (its sender had moved 36 epochs on) now reads it: nothing is excused', () => {
    const spec = { scheme: 'message', peers: 8, initial: 6, ops: 8, seed: 477291119, duplicateRate: 0.1, partitions: true, removedListen: false } as const;
    const [failure] = replayFailures([spec]);
    expect(failure).toBe('');
    expect(runSchedule(spec).excused).toBe(0);
  }, 120_000);
});
