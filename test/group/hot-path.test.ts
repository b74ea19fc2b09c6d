/**
 * The per-message path of the Group API (issue 13): one SHA-256 pass over the
 * ciphertext per side, the signed bytes and AEAD data unchanged on the wire
 * (message ids of old messages stay the same). Counted, not timed.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, defaultDeps, encodeCanonical, fromHex, toHex, utf8 } from '../../src/crypto/index.js';
import type { CryptoProvider, Deps } from '../../src/crypto/index.js';
import { aeadData, signedBytes } from '../../src/group/envelope.js';
import { APPLICATION_SIGNATURE_CONTEXT } from '../../src/group/limits.js';
import { createGroup, joinGroup, receive, send } from '../../src/group/index.js';
import type { GroupResult, GroupScheme, GroupState } from '../../src/group/index.js';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from '../../src/keys/index.js';
import type { KeyManagerState, KeyRegistryState } from '../../src/keys/index.js';

/** Deps whose provider counts the bytes every sha256 call hashes. */
function hashCounting(): { deps: Deps; hashed: number[] } {
  const base = defaultDeps();
  const hashed: number[] = [];
  const crypto = Object.create(base.crypto) as CryptoProvider;
  crypto.sha256 = (data: Uint8Array) => {
    hashed.push(data.length);
    return base.crypto.sha256(data);
  };
  return { deps: { ...base, crypto }, hashed };
}

interface Member { id: string; keys: KeyManagerState; registry: KeyRegistryState; state?: GroupState }

function pair(deps: Deps, scheme: GroupScheme): { a: Member; b: Member } {
  const make = (): Member => {
    const keys = createKeyManager(deps);
    return { id: toHex(identityOf(keys).publicKey), keys, registry: createKeyRegistry() };
  };
  const a = make();
  const b = make();
  a.registry = registerBundle(a.registry, longTermBundle(b.keys), deps);
  b.registry = registerBundle(b.registry, longTermBundle(a.keys), deps);
  const take = (m: Member, r: GroupResult): void => {
    m.state = r.state;
    m.keys = r.keys;
    m.registry = r.registry;
  };
  const created = createGroup({ deps, keys: a.keys, registry: a.registry }, { scheme, members: [b.id] });
  take(a, created);
  const out = created.outputs[0];
  if (out?.kind !== 'send') throw new Error('no create');
  const joined = joinGroup({ deps, keys: b.keys, registry: b.registry }, { scheme, message: { broadcast: out.message.broadcast, direct: out.message.direct[0]!.bytes } });
  take(b, joined);
  const ack = joined.outputs.find((o) => o.kind === 'send');
  if (ack?.kind === 'send') {
    const direct = ack.message.direct.find((d) => d.recipient === a.id)?.bytes;
    take(a, receive(a.state!, { deps, keys: a.keys, registry: a.registry }, { broadcast: ack.message.broadcast, ...(direct ? { direct } : {}) }));
  }
  return { a, b };
}

describe('group hot path', () => {
  for (const scheme of ['message', 'data'] as const) {
    it(`${scheme}: send and receive each hash a 256 KiB ciphertext once, and the ids agree`, () => {
      const { deps, hashed } = hashCounting();
      const { a, b } = pair(deps, scheme);
      const plaintext = new Uint8Array(256 * 1024).fill(3);
      hashed.length = 0;
      const sent = send(a.state!, { deps, keys: a.keys, registry: a.registry }, { plaintext, ad: utf8('doc') });
      const large = (): number => hashed.filter((n) => n >= plaintext.length).length;
      expect(large()).toBe(1);
      const out = sent.outputs[0];
      if (out?.kind !== 'send') throw new Error('no send');
      hashed.length = 0;
      const got = receive(b.state!, { deps, keys: b.keys, registry: b.registry }, { broadcast: out.message.broadcast, ad: utf8('doc') });
      expect(large()).toBe(1);
      const app = got.outputs[0];
      expect(app?.kind).toBe('application');
      if (app?.kind !== 'application' || out.position === undefined) throw new Error('not read');
      expect(app.id).toBe(out.position.id);
      expect(app.plaintext).toEqual(plaintext);
    });
  }

  it('signs and binds the same bytes as the generic canonical encoder (wire and message ids unchanged)', () => {
    const deps = defaultDeps();
    const c = { scheme: 'data' as const, groupId: 'ab'.repeat(32), sender: 'cd'.repeat(32), epoch: 300, counter: 70_000, ad: utf8('app data') };
    const f = { version: 2, lamport: 1_000_000, nonce: new Uint8Array(24).fill(5), ciphertext: new Uint8Array(40).fill(9) };
    const expected = concatBytes(utf8(APPLICATION_SIGNATURE_CONTEXT), encodeCanonical([
      2, 1, fromHex(c.groupId), fromHex(c.sender), 300, 70_000, 1_000_000, f.nonce, deps.crypto.sha256(f.ciphertext), deps.crypto.sha256(c.ad),
    ]));
    expect(signedBytes(deps, c, f)).toEqual(expected);
    expect(signedBytes(deps, c, f, deps.crypto.sha256(f.ciphertext))).toEqual(expected);
    expect(signedBytes(deps, { ...c, ad: undefined }, { version: 1, lamport: 0, ciphertext: f.ciphertext })).toEqual(concatBytes(utf8(APPLICATION_SIGNATURE_CONTEXT), encodeCanonical([
      1, 1, fromHex(c.groupId), fromHex(c.sender), 300, 70_000, new Uint8Array(0), deps.crypto.sha256(f.ciphertext), new Uint8Array(0),
    ])));
    expect(aeadData(c)).toEqual(encodeCanonical([1, fromHex(c.groupId), fromHex(c.sender), 300, 70_000, c.ad]));
    expect(aeadData({ ...c, scheme: 'message', ad: undefined })).toEqual(encodeCanonical([0, fromHex(c.groupId), fromHex(c.sender), 300, 70_000, new Uint8Array(0)]));
  });
});
