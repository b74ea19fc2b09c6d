import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import {
  applyKeyPackageDelete, createKeyPackageDelete, createKeyPackageRegistry, decodeKeyPackageDocument, encodeKeyPackageRegistry, registerKeyPackage,
  takeKeyPackage, verifyKeyPackageDocument, type MlsDeps,
} from '../../src/mls/index.js';
import { expectCode, newMember, stockDeps } from './helpers.js';

describe('key packages and registry', () => {
  let deps: MlsDeps;
  beforeAll(async () => {
    deps = await stockDeps();
  });

  it('chains key packages by previous, signed by the identity', async () => {
    const m = await newMember(deps, 3);
    const ids = m.packages.map((p) => deps.crypto.sha256(p));
    expect(decodeKeyPackageDocument(m.packages[0]!).previous).toBeNull();
    expect(decodeKeyPackageDocument(m.packages[1]!).previous).toEqual(ids[0]);
    expect(decodeKeyPackageDocument(m.packages[2]!).previous).toEqual(ids[1]);
    const verified = await verifyKeyPackageDocument(m.packages[2]!, deps);
    expect(verified.author).toEqual(m.store.publicKey);
    expect(m.store.last).toEqual(ids[2]);
    expect(m.store.pending).toHaveLength(3);
  });

  it('hands out the newest live package once, never a deleted one', async () => {
    const m = await newMember(deps, 3);
    let registry = createKeyPackageRegistry();
    for (const doc of m.packages) registry = (await registerKeyPackage(registry, doc, deps)).state;
    const before = encodeKeyPackageRegistry(registry);
    // delete the newest; the signature is the author's
    const newest = deps.crypto.sha256(m.packages[2]!);
    registry = applyKeyPackageDelete(registry, createKeyPackageDelete(m.store, newest, deps), deps).state;
    const first = takeKeyPackage(registry, m.store.publicKey, deps.now());
    expect(first.document).toEqual(m.packages[1]);
    const second = takeKeyPackage(first.state, m.store.publicKey, deps.now());
    expect(second.document).toEqual(m.packages[0]);
    await expectCode(() => takeKeyPackage(second.state, m.store.publicKey, deps.now()), 'STATE_NO_BUNDLE');
    // re-registering a deleted or handed-out package changes nothing
    const again = await registerKeyPackage(second.state, m.packages[2]!, deps);
    expect(encodeKeyPackageRegistry(again.state)).toEqual(encodeKeyPackageRegistry(second.state));
    expect(encodeKeyPackageRegistry(createKeyPackageRegistry())).not.toEqual(before);
  });

  it('a delete arriving before its package still wins', async () => {
    const m = await newMember(deps, 1);
    const id = deps.crypto.sha256(m.packages[0]!);
    let registry = applyKeyPackageDelete(createKeyPackageRegistry(), createKeyPackageDelete(m.store, id, deps), deps).state;
    registry = (await registerKeyPackage(registry, m.packages[0]!, deps)).state;
    await expectCode(() => takeKeyPackage(registry, m.store.publicKey, deps.now()), 'STATE_NO_BUNDLE');
  });

  it('rejects deletes by someone else and forged signatures', async () => {
    const m = await newMember(deps, 1);
    const other = await newMember(deps, 0);
    const id = deps.crypto.sha256(m.packages[0]!);
    const registry = (await registerKeyPackage(createKeyPackageRegistry(), m.packages[0]!, deps)).state;
    const before = encodeKeyPackageRegistry(registry);
    await expectCode(() => applyKeyPackageDelete(registry, createKeyPackageDelete(other.store, id, deps), deps), 'VERIFY_IDENTITY');
    const record = decodeCanonical(createKeyPackageDelete(m.store, id, deps), 't') as Record<string, unknown>;
    const forged = encodeCanonical({ ...record, author: other.store.publicKey });
    await expectCode(() => applyKeyPackageDelete(registry, forged, deps), 'VERIFY_SIGNATURE');
    expect(encodeKeyPackageRegistry(registry)).toEqual(before);
    expect(takeKeyPackage(registry, m.store.publicKey, deps.now()).document).toEqual(m.packages[0]);
  });
});
