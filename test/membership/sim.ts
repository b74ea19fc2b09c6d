/**
 * Test helper: a small network of actors running the membership protocol as
 * DCGKA drives it (ACB: per-sender FIFO, causal delivery, every processed
 * membership op acked at once, a joiner adopting its adder's state from the
 * welcome). Produces the message DAG, which tests replay in random causal
 * orders.
 */
import {
  applyAck, applyAdd, applyRemove, canAct, createMembership, decodeMembership, encodeMembership,
  members, mergeMembership, type MembershipState,
} from '../../src/membership/index.js';

/** One broadcast message. `deps` is its whole causal past (message indices). */
export interface SimMessage {
  readonly idx: number;
  readonly sender: string;
  readonly kind: 'create' | 'add' | 'remove' | 'ack';
  readonly id: string;
  readonly target: string;
  readonly initial: readonly string[];
  readonly deps: ReadonlySet<number>;
  /** add: the adder's encoded state including the add, and what it had processed. */
  readonly welcome?: { readonly state: Uint8Array; readonly processed: ReadonlySet<number> };
}

interface Actor { id: string; state?: MembershipState; processed: Set<number>; active: boolean; seq: number }

/** A command: 0–1 add, 2 remove, 3–9 deliver; `who` picks the actor, `what` the target or message. */
export type Command = readonly [number, number, number];

/** Runs commands; returns the messages and the actors' final states. */
export function simulate(ids: readonly string[], initialMask: number, commands: readonly Command[]) {
  const msgs: SimMessage[] = [];
  const actors: Actor[] = ids.map((id) => ({ id, processed: new Set(), active: false, seq: 0 }));
  const creator = actors[0] as Actor;
  const initial = ids.filter((_, i) => i === 0 || (initialMask & (1 << i)) !== 0);
  const send = (a: Actor, m: Omit<SimMessage, 'idx' | 'sender' | 'id' | 'deps'>): SimMessage => {
    const msg: SimMessage = { ...m, idx: msgs.length, sender: a.id, id: `${a.id}:${a.seq++}`, deps: new Set(a.processed) };
    msgs.push(msg);
    a.processed.add(msg.idx);
    return msg;
  };
  const ack = (a: Actor, opId: string): void => {
    a.state = applyAck(a.state as MembershipState, { actor: a.id, acked: opId });
    send(a, { kind: 'ack', target: opId, initial: [] });
  };
  const create = send(creator, { kind: 'create', target: '', initial });
  const state0 = createMembership({ id: create.id, creator: creator.id, members: initial });
  for (const a of actors) if (initial.includes(a.id)) Object.assign(a, { state: state0, active: true, processed: new Set([0]) });

  for (const [op, who, what] of commands) {
    const a = actors[who % actors.length] as Actor;
    if (op <= 2) {
      if (!a.active || a.state === undefined || !canAct(a.state, a.id)) continue;
      if (op <= 1) {
        const target = ids[what % ids.length] as string;
        if (target === a.id) continue;
        const id = `${a.id}:${a.seq}`;
        a.state = applyAdd(a.state, { id, actor: a.id, added: target });
        const processed = new Set(a.processed).add(msgs.length);
        send(a, { kind: 'add', target, initial: [], welcome: { state: encodeMembership(a.state), processed } });
      } else {
        const candidates = members(a.state).filter((m) => m !== a.id);
        const target = candidates[what % Math.max(1, candidates.length)];
        if (target === undefined) continue;
        a.state = applyRemove(a.state, { id: `${a.id}:${a.seq}`, actor: a.id, removed: target });
        send(a, { kind: 'remove', target, initial: [] });
      }
      continue;
    }
    const ready = msgs.filter((m) => !a.processed.has(m.idx) && (a.active
      ? [...m.deps].every((d) => a.processed.has(d))
      : m.kind === 'add' && m.target === a.id));
    const m = ready[what % Math.max(1, ready.length)];
    if (m === undefined) continue;
    if (!a.active) welcome(a, m);
    else deliver(a, m);
  }
  return { msgs, actors };

  function deliver(a: Actor, m: SimMessage): void {
    let state = a.state as MembershipState;
    if (m.kind === 'ack') state = applyAck(state, { actor: m.sender, acked: m.target });
    else if (m.kind === 'add') state = applyAdd(state, { id: m.id, actor: m.sender, added: m.target });
    else if (m.kind === 'remove') state = applyRemove(state, { id: m.id, actor: m.sender, removed: m.target });
    a.state = state;
    a.processed.add(m.idx);
    if (m.kind === 'ack') return;
    ack(a, m.id);
    // saw its own removal: that ack was its farewell (as DCGKA sends it); it stops
    if (!canAct(a.state, a.id)) a.active = false;
  }

  function welcome(a: Actor, m: SimMessage): void {
    const w = m.welcome;
    if (w === undefined) return;
    const fresh = decodeMembership(w.state);
    a.state = a.state === undefined ? fresh : mergeMembership(fresh, a.state);
    for (const d of w.processed) a.processed.add(d);
    a.active = true;
    ack(a, m.id);
    // ops it processed but could not ack while removed (its own removal): ack them now
    for (const op of a.state.ops) {
      if (!a.active) break;
      if (op.kind === 'create') continue;
      const before: MembershipState = a.state;
      const after = applyAck(a.state, { actor: a.id, acked: op.id });
      // an ack that would leave it outside its own view is not sent (DCGKA's catch-up acks skip it)
      if (!canAct(after, a.id)) {
        a.active = false;
        continue;
      }
      a.state = after;
      if (a.state !== before) send(a, { kind: 'ack', target: op.id, initial: [] });
    }
  }
}

/** A random linear extension of the message DAG (deps first), from a seed. */
export function linearExtension(msgs: readonly SimMessage[], seed: number): SimMessage[] {
  let x = seed >>> 0;
  const rand = (n: number): number => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const done = new Set<number>();
  const out: SimMessage[] = [];
  while (out.length < msgs.length) {
    const ready = msgs.filter((m) => !done.has(m.idx) && [...m.deps].every((d) => done.has(d)));
    const m = ready[rand(ready.length)] as SimMessage;
    done.add(m.idx);
    out.push(m);
  }
  return out;
}

/** Replays messages in the given order on one replica. */
export function replica(order: readonly SimMessage[]): MembershipState {
  let state: MembershipState | undefined;
  for (const m of order) {
    if (m.kind === 'create') state = createMembership({ id: m.id, creator: m.sender, members: m.initial });
    else if (state === undefined) throw new Error('create first');
    else if (m.kind === 'add') state = applyAdd(state, { id: m.id, actor: m.sender, added: m.target });
    else if (m.kind === 'remove') state = applyRemove(state, { id: m.id, actor: m.sender, removed: m.target });
    else state = applyAck(state, { actor: m.sender, acked: m.target });
  }
  if (state === undefined) throw new Error('no messages');
  return state;
}
