/**
 * Post-quantum DCGKA groups (`createGroup({ pq: true })`): PQ direct parts,
 * versioned state, joiners learn the mode, members without PQ pre-keys are
 * refused with a typed error, and tampered PQ ciphertexts or PQ pre-keys
 * with wrong signatures change no state.
 */
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, toHex } from '../../src/crypto/index.js';
import { add, createGroup, decodeDcgkaState, encodeDcgkaState, processControl } from '../../src/dcgka/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';
import type { KeyRegistryState, LongTermKeyBundle, PqPreKey } from '../../src/keys/index.js';
import { isPostQuantumMessage } from '../../src/twoparty/index.js';
import { decodeControl, encodeControl, manifestOf } from '../../src/dcgka/codec.js';
import { DcgkaSim, expectChainsAgree } from '../helpers/dcgka-sim.js';
import { codeOf } from '../keys/helpers.js';


describe('post-quantum DCGKA groups', () => {
  it('create, update, add, remove converge; every direct part is PQ; states are version 3 and joiners are PQ too', () => {
    const sim = new DcgkaSim(['A', 'B', 'C', 'D'], undefined, { pq: true });
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.update('B');
    sim.add('C', 'D');
    sim.settle();
    sim.remove('A', 'B');
    sim.settle();
    expectChainsAgree(sim, ['A', 'C', 'D']);
    const parts = sim.wire.flatMap((m) => [...m.direct.values()]);
    expect(parts.length).toBeGreaterThan(0);
    for (const part of parts) expect(isPostQuantumMessage(part)).toBe(true);
    for (const name of ['A', 'C', 'D']) {
      const state = sim.peer(name).state!;
      expect(state.pq, `${name} is in PQ mode`).toBe(true);
      const bytes = encodeDcgkaState(state);
      expect((decodeCanonical(bytes, 't') as { v: number }).v).toBe(3);
      expect(toHex(encodeDcgkaState(decodeDcgkaState(bytes)))).toBe(toHex(bytes));
    }
    const value = decodeCanonical(encodeDcgkaState(sim.peer('A').state!), 't') as Record<string, unknown>;
    expect(codeOf(() => decodeDcgkaState(encodeCanonical({ ...value, pq: false })))).toBe('DECODE_FIELD');
  });

  it('classic groups are unchanged: classic direct parts, state version 2', () => {
    const sim = new DcgkaSim(['A', 'B'], undefined, { pq: false });
    sim.create('A', ['B']);
    sim.settle();
    for (const part of sim.wire.flatMap((m) => [...m.direct.values()])) expect(isPostQuantumMessage(part)).toBe(false);
    expect((decodeCanonical(encodeDcgkaState(sim.peer('B').state!), 't') as { v: number }).v).toBe(2);
  });

  it('adding (or creating with) a member without PQ pre-keys fails with STATE_NO_BUNDLE and changes nothing', () => {
    const sim = new DcgkaSim(['A', 'B'], undefined, { pq: true });
    sim.create('A', ['B']);
    sim.settle();
    const a = sim.peer('A');
    const classicKeys = createKeyManager(sim.deps);
    const classicId = toHex(identityOf(classicKeys).publicKey);
    const registry = registerBundle(a.registry, longTermBundle(classicKeys), sim.deps);
    const before = toHex(encodeDcgkaState(a.state!));
    const error = (() => {
      try {
        add(a.state!, { deps: sim.deps, keys: a.keys, registry }, classicId);
      } catch (caught) {
        return caught as { code?: string; message: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe('STATE_NO_BUNDLE');
    expect(error?.message).toContain('post-quantum');
    expect(toHex(encodeDcgkaState(a.state!))).toBe(before);
    expect(codeOf(() => createGroup({ deps: sim.deps, keys: a.keys, registry }, { members: [classicId], pq: true }))).toBe('STATE_NO_BUNDLE');
  });

  it('a PQ pre-key with a wrong signature is refused (registry and add) and changes nothing', () => {
    const sim = new DcgkaSim(['A', 'B'], undefined, { pq: true });
    sim.create('A', ['B']);
    sim.settle();
    const a = sim.peer('A');
    const newcomer = createKeyManager(sim.deps, { pq: true });
    const bundle = longTermBundle(newcomer);
    const pq = bundle.pqPreKey as PqPreKey;
    const signature = Uint8Array.from(pq.signature);
    signature[1] = (signature[1] as number) ^ 1;
    const forged: LongTermKeyBundle = { ...bundle, pqPreKey: { ...pq, signature } };
    expect(codeOf(() => registerBundle(createKeyRegistry(), forged, sim.deps))).toBe('VERIFY_SIGNATURE');
    // Even planted straight into the registry state, add verifies it before using it.
    const planted: KeyRegistryState = { v: 1, peers: { ...a.registry.peers, [toHex(bundle.identityKey)]: { longTerm: forged, oneTime: [], takenOneTimeIds: [] } } };
    const before = toHex(encodeDcgkaState(a.state!));
    expect(codeOf(() => add(a.state!, { deps: sim.deps, keys: a.keys, registry: planted }, toHex(bundle.identityKey)))).toBe('VERIFY_SIGNATURE');
    expect(toHex(encodeDcgkaState(a.state!))).toBe(before);
  });

  it('a tampered PQ ciphertext in a direct part is refused and changes no state', () => {
    const sim = new DcgkaSim(['A', 'B', 'C'], undefined, { pq: true });
    sim.create('A', ['B', 'C']);
    sim.settle();
    sim.update('A');
    const b = sim.peer('B');
    const message = sim.wire[sim.wire.length - 1]!;
    const direct = message.direct.get(b.id)!;
    const fields = decodeCanonical(direct, 't') as unknown[];
    expect(fields[1]).toBe(3); // X-Wing HPKE
    for (const index of [4, 5]) {
      const flipped = Uint8Array.from(fields[index] as Uint8Array);
      flipped[10] = (flipped[10] as number) ^ 1;
      const forged = encodeCanonical(fields.map((f, i) => (i === index ? flipped : f)));
      const before = toHex(encodeDcgkaState(b.state!));
      // as relayed, the signed manifest of direct parts already refuses the swap
      expect(codeOf(() => processControl(b.state!, sim.ctx(b), { broadcast: message.broadcast, direct: forged }))).toBe('VERIFY_COMMITMENT');
      // a sender that signs the bad ciphertext itself gets past the manifest: the PQ AEAD refuses it
      const parts = [...message.direct].map(([recipient, bytes]) => ({ recipient, bytes: recipient === b.id ? forged : bytes }));
      const resigned = encodeControl({ ...decodeControl(message.broadcast, sim.deps), manifest: manifestOf(sim.deps, parts) }, identityOf(sim.peer('A').keys), sim.deps);
      expect(codeOf(() => processControl(b.state!, sim.ctx(b), { broadcast: resigned, direct: forged }))).toBe('VERIFY_AEAD');
      expect(toHex(encodeDcgkaState(b.state!))).toBe(before);
    }
    const ok = processControl(b.state!, sim.ctx(b), { broadcast: message.broadcast, direct });
    expect(ok.outputs.some((o) => o.kind === 'update-secret')).toBe(true);
  });
});
