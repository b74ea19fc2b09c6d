/**
 * DCGKA benchmark harness: builds a settled group of n and runs one sample of
 * an operation, timing exactly the fields of ../shared/design/BENCHMARKS.md
 * (the same as the recorded Java figures in ../shared/anchors/dcgka-java/).
 *
 * Timed parties: member 0 (creator, sender) and member 2 (one ordinary
 * member). Both processed everything (every create ack). The other members
 * only joined (processed the create): they are needed to produce acks, are
 * never timed, and their untimed state does not change any timed figure or
 * any byte (their acks of an update/remove/add carry the same parts). This
 * keeps n = 1024 buildable in seconds.
 *
 * States are immutable plain data and every DCGKA call is pure, so every
 * sample starts from the very same settled states.
 */
import type { Deps } from '../src/crypto/index.js';
import { toHex } from '../src/crypto/index.js';
import { add, createGroup, joinGroup, processControl, remove, update } from '../src/dcgka/index.js';
import type { DcgkaContext, DcgkaResult, DcgkaState, IncomingControl, OutgoingControl } from '../src/dcgka/index.js';
import {
  createKeyManager, createKeyRegistry, generateOneTimePreKeys, identityOf, longTermBundle, registerBundle,
} from '../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../src/keys/index.js';

/** A clock in ms (CPU time of the process, or wall time). */
export type Clock = () => number;

/** One member's everything: id, keys, registry, group state. */
export interface BenchMember {
  readonly id: string;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  readonly state: DcgkaState | undefined;
}

/** The DCGKA operations measured. */
export type DcgkaOp = 'create' | 'add' | 'remove' | 'update';

/** Timings (ms) and bytes of one sample. */
export interface DcgkaSample {
  readonly senderGenMs: number;
  readonly senderAckMs: number;
  readonly recipientProcMs: number;
  readonly recipientAckMs: number;
  readonly bytes: number;
  readonly ctrlBytes: number;
  readonly welcomeBytes: number;
  readonly acks: number;
  readonly ackBytes: number;
  /** add only: the new member's join plus its processing of every add-ack. */
  readonly addedMs: number;
  /** Floor only: n−1 public keys of peer key pairs the 2SM sender makes (its second key pair per message, DCGKA.md §3). */
  readonly peerKeysMs?: number;
  /** Floor only: one signature check of a control message (what every recipient runs before opening its part). */
  readonly controlCheckMs?: number;
}

/** Fresh users (keys only) and, before any group exists, the bundles they published. */
export interface BenchUsers {
  readonly deps: Deps;
  /** Member 0..n-1 before the group: keys and registries (member 0 knows every bundle). */
  readonly fresh: readonly BenchMember[];
  /** The user added by `add`, with one-time pre-keys. */
  readonly newcomer: { readonly id: string; readonly keys: KeyManagerState };
  /** Post-quantum group (every user holds ML-KEM pre-keys; `createGroup({ pq: true })`). */
  readonly pq?: boolean;
}

/** A settled group of n plus the newcomer whose one-time bundles every member holds. */
export interface BenchGroup extends BenchUsers {
  readonly n: number;
  readonly members: readonly BenchMember[];
}

const ctxOf = (deps: Deps, m: BenchMember): DcgkaContext => ({ deps, keys: m.keys, registry: m.registry });

function controlOf(result: DcgkaResult): OutgoingControl {
  const out = result.outputs.find((o) => o.kind === 'control');
  if (!out || out.kind !== 'control') throw new Error('bench: expected a control message in the outputs');
  return out.control;
}

function incomingFor(control: OutgoingControl, id: string): IncomingControl {
  const direct = control.direct.find((d) => d.recipient === id);
  return direct ? { broadcast: control.broadcast, direct: direct.bytes } : { broadcast: control.broadcast };
}

function wireBytes(control: OutgoingControl): number {
  return control.broadcast.length + control.direct.reduce((s, d) => s + d.bytes.length, 0);
}

function withResult(m: BenchMember, r: DcgkaResult): BenchMember {
  return { id: m.id, keys: r.keys, registry: r.registry, state: r.state };
}

/**
 * Creates n users and a newcomer. Member 0's registry holds every member's
 * long-term bundle; every member's registry holds one distinct one-time
 * bundle of the newcomer (n+1 were generated, as the Java harness registers).
 */
export function makeUsers(deps: Deps, n: number, options: { readonly pq?: boolean } = {}): BenchUsers {
  const pq = options.pq === true;
  const keys = Array.from({ length: n }, () => createKeyManager(deps, { pq }));
  const ids = keys.map((k) => toHex(identityOf(k).publicKey));
  let newcomerKeys = createKeyManager(deps, { pq });
  const generated = generateOneTimePreKeys(newcomerKeys, deps, Math.min(n + 1, 1000));
  newcomerKeys = generated.state;
  let registry0 = createKeyRegistry();
  for (let i = 1; i < n; i++) registry0 = registerBundle(registry0, longTermBundle(keys[i] as KeyManagerState), deps);
  const zeroBundle = longTermBundle(keys[0] as KeyManagerState);
  const fresh = keys.map((k, i): BenchMember => {
    let registry = i === 0 ? registry0 : registerBundle(createKeyRegistry(), zeroBundle, deps);
    const otk = generated.bundles[i % generated.bundles.length];
    if (otk) registry = registerBundle(registry, otk, deps);
    return { id: ids[i] as string, keys: k, registry, state: undefined };
  });
  return { deps, fresh, newcomer: { id: toHex(identityOf(newcomerKeys).publicKey), keys: newcomerKeys }, ...(pq ? { pq } : {}) };
}

/** Builds the settled group: member 0 creates it, all join, members 0 and 2 process every ack. */
export function settleGroup(users: BenchUsers): BenchGroup {
  const { deps, fresh } = users;
  const n = fresh.length;
  const creator = fresh[0] as BenchMember;
  const created = createGroup(ctxOf(deps, creator), { members: fresh.map((m) => m.id), ...(users.pq === true ? { pq: true } : {}) });
  const control = controlOf(created);
  const members: BenchMember[] = [withResult(creator, created)];
  const acks: OutgoingControl[] = [];
  for (let i = 1; i < n; i++) {
    const m = fresh[i] as BenchMember;
    const joined = joinGroup(ctxOf(deps, m), incomingFor(control, m.id));
    acks.push(controlOf(joined));
    members.push(withResult(m, joined));
  }
  for (const timed of [0, 2]) {
    let m = members[timed] as BenchMember;
    for (const ack of acks) {
      if (ack.message.sender === m.id) continue;
      m = withResult(m, processControl(m.state as DcgkaState, ctxOf(deps, m), incomingFor(ack, m.id)));
    }
    members[timed] = m;
  }
  return { ...users, n, members };
}

/** Processes `controls` in order at `m`, returning the final member and the elapsed ms. */
function processAll(deps: Deps, m: BenchMember, controls: readonly OutgoingControl[], clock: Clock): { member: BenchMember; ms: number } {
  let cur = m;
  let ms = 0;
  for (const c of controls) {
    if (c.message.sender === cur.id) continue;
    const ctx = ctxOf(deps, cur);
    const incoming = incomingFor(c, cur.id);
    const t = clock();
    const r = processControl(cur.state as DcgkaState, ctx, incoming);
    ms += clock() - t;
    cur = withResult(cur, r);
  }
  return { member: cur, ms };
}

/** The control call of member 0 for `op`, timed. */
function senderCall(g: BenchGroup, op: DcgkaOp, clock: Clock): { result: DcgkaResult; ms: number } {
  const { deps } = g;
  if (op === 'create') {
    const m = g.fresh[0] as BenchMember;
    const ctx = ctxOf(deps, m);
    const input = { members: g.fresh.map((f) => f.id) };
    const t = clock();
    const result = createGroup(ctx, input);
    return { result, ms: clock() - t };
  }
  const m = g.members[0] as BenchMember;
  const state = m.state as DcgkaState;
  const ctx = ctxOf(deps, m);
  const target = op === 'remove' ? (g.members[1] as BenchMember).id : g.newcomer.id;
  const t = clock();
  const result = op === 'update' ? update(state, ctx) : op === 'remove' ? remove(state, ctx, target) : add(state, ctx, target);
  return { result, ms: clock() - t };
}

/** Runs one sample of `op` on the settled group `g` (member 0 sends, member 2 is the timed recipient). */
export function runSample(g: BenchGroup, op: DcgkaOp, clock: Clock): DcgkaSample {
  const { deps } = g;
  const sent = senderCall(g, op, clock);
  const control = controlOf(sent.result);
  const base = op === 'create' ? g.fresh : g.members;
  const removedId = op === 'remove' ? (g.members[1] as BenchMember).id : undefined;
  const responses: OutgoingControl[] = [];
  let recipient: BenchMember | undefined;
  let recipientProcMs = 0;
  let addedMs = 0;
  let welcomeBytes = 0;
  let newcomer: BenchMember | undefined;
  if (op === 'add') {
    welcomeBytes = control.direct.reduce((s, d) => s + d.bytes.length, 0);
    const nc: BenchMember = { id: g.newcomer.id, keys: g.newcomer.keys, registry: createKeyRegistry(), state: undefined };
    const ctx = ctxOf(deps, nc);
    const incoming = incomingFor(control, nc.id);
    const t = clock();
    const joined = joinGroup(ctx, incoming);
    addedMs += clock() - t;
    newcomer = withResult(nc, joined);
    responses.push(controlOf(joined));
  }
  for (let i = 1; i < base.length; i++) {
    const m = base[i] as BenchMember;
    const ctx = ctxOf(deps, m);
    const incoming = incomingFor(control, m.id);
    const t = clock();
    const r = op === 'create' ? joinGroup(ctx, incoming) : processControl(m.state as DcgkaState, ctx, incoming);
    const ms = clock() - t;
    if (m.id === removedId) continue; // the removed member acks nothing
    if (i === 2) {
      recipientProcMs = ms;
      recipient = withResult(m, r);
    }
    responses.push(controlOf(r));
  }
  const senderStart: BenchMember = withResult(base[0] as BenchMember, sent.result);
  const senderAcks = processAll(deps, senderStart, responses, clock);
  const recipientAcks = processAll(deps, recipient as BenchMember, responses, clock);
  if (newcomer) addedMs += processAll(deps, newcomer, responses, clock).ms;
  const ackTotal = responses.reduce((s, c) => s + wireBytes(c), 0);
  const ctrlBytes = control.broadcast.length + control.direct.reduce((s, d) => s + d.bytes.length, 0) - welcomeBytes;
  return {
    senderGenMs: sent.ms,
    senderAckMs: senderAcks.ms,
    recipientProcMs,
    recipientAckMs: recipientAcks.ms,
    bytes: ctrlBytes + welcomeBytes + ackTotal,
    ctrlBytes,
    welcomeBytes,
    acks: responses.length,
    ackBytes: responses.length === 0 ? 0 : ackTotal / responses.length,
    addedMs,
  };
}
