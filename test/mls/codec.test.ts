import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/crypto/index.js';
import {
  decodeKeyPackageDocument, decodeKeyPackageRegistry, decodeLongTermSecretCiphertext, decodeLongTermSecrets, decodeMemberKeyStore,
  decodeSecretGroup, decodeSecretGroupCommit, decodeSecretGroupState, encodeKeyPackageDocument, encodeKeyPackageRegistry, encodeLongTermSecrets, encodeMemberKeyStore,
  encodeSecretGroup, encodeSecretGroupCommit, encodeSecretGroupState, encryptLongTerm, createKeyPackageRegistry, registerKeyPackage,
  type LongTermSecret, type MlsDeps,
} from '../../src/mls/index.js';
import { expectCode, newMember, smallGroup, stockDeps, text } from './helpers.js';

type Group = Awaited<ReturnType<typeof smallGroup>>;

function withField(bytes: Uint8Array, field: string, value: unknown): Uint8Array {
  return encodeCanonical({ ...(decodeCanonical(bytes, 'test') as Record<string, unknown>), [field]: value });
}

/** Round trip plus truncation, trailing bytes, wrong version and non-canonical input. */
async function checkCodec(bytes: Uint8Array, decode: (b: Uint8Array) => unknown, encode: (v: never) => Uint8Array): Promise<void> {
  expect(encode(decode(bytes) as never)).toEqual(bytes);
  await expectCode(() => decode(bytes.slice(0, bytes.length - 1)), 'DECODE_MALFORMED');
  const trailing = new Uint8Array(bytes.length + 1);
  trailing.set(bytes);
  await expectCode(() => decode(trailing), 'DECODE_TRAILING_BYTES');
  await expectCode(() => decode(withField(bytes, 'v', 99)), 'DECODE_VERSION_UNSUPPORTED');
  // the same map with the shortest key ("v": 1 or 2, first in canonical order) moved to the end
  const version = bytes[3]!;
  expect(Array.from(bytes.slice(1, 4))).toEqual([0x61, 0x76, version]);
  expect([1, 2]).toContain(version);
  const reordered = new Uint8Array([bytes[0]!, ...bytes.slice(4), 0x61, 0x76, version]);
  await expectCode(() => decode(reordered), 'DECODE_NON_CANONICAL');
}

describe('Secret Group codecs', () => {
  let deps: MlsDeps;
  let g: Group;
  beforeAll(async () => {
    deps = await stockDeps();
    g = await smallGroup(deps);
  }, 30_000);

  it('SecretGroup and SecretGroupCommit documents', async () => {
    await checkCodec(g.groupDoc, decodeSecretGroup, encodeSecretGroup);
    await checkCodec(g.commit, decodeSecretGroupCommit, encodeSecretGroupCommit);
    await expectCode(() => decodeSecretGroup(withField(g.groupDoc, 'lts_ciphersuite', 4)), 'DECODE_FIELD');
    await expectCode(() => decodeSecretGroup(withField(g.groupDoc, 'mls_ciphersuite', 2)), 'DECODE_FIELD');
    await expectCode(() => decodeSecretGroupCommit(withField(g.commit, 'previous', new Uint8Array(5))), 'DECODE_FIELD');
    await expectCode(() => decodeSecretGroupCommit(withField(g.commit, 'type', 'secret_group')), 'DECODE_FIELD');
  });

  it('group state, member key store, registry', async () => {
    await checkCodec(encodeSecretGroupState(g.alice), decodeSecretGroupState, encodeSecretGroupState);
    await checkCodec(encodeSecretGroupState(g.owner), decodeSecretGroupState, encodeSecretGroupState);
    const member = await newMember(deps, 2);
    await checkCodec(encodeMemberKeyStore(member.store), (b) => decodeMemberKeyStore(b, deps.crypto), encodeMemberKeyStore);
    await checkCodec(member.packages[1]!, decodeKeyPackageDocument, encodeKeyPackageDocument);
    let registry = createKeyPackageRegistry();
    for (const doc of member.packages) registry = (await registerKeyPackage(registry, doc, deps)).state;
    await checkCodec(encodeKeyPackageRegistry(registry), decodeKeyPackageRegistry, encodeKeyPackageRegistry);
    await expectCode(() => decodeSecretGroupState(withField(encodeSecretGroupState(g.alice), 'status', 'gone')), 'DECODE_FIELD');
  });

  it('long-term secrets (TLS) and ciphertexts', async () => {
    const secrets: LongTermSecret[] = [
      { groupId: g.alice.groupId, ciphersuite: 0x01, longTermEpoch: 0, value: new Uint8Array(16).fill(1) },
      { groupId: g.alice.groupId, ciphersuite: 0x02, longTermEpoch: 7, value: new Uint8Array(32).fill(2) },
      { groupId: g.alice.groupId, ciphersuite: 0x03, longTermEpoch: 2 ** 40, value: new Uint8Array(32).fill(3) },
    ];
    const encoded = encodeLongTermSecrets([secrets[2]!, secrets[0]!, secrets[1]!]);
    // u32 length, then group_id<u8> = 32, suite, u64 epoch, value<u8>
    expect(Array.from(encoded.slice(0, 6))).toEqual([0, 0, 0, encoded.length - 4, 32, g.alice.groupId[0]]);
    expect(decodeLongTermSecrets(encoded, g.alice.groupId)).toEqual(secrets);
    await expectCode(() => decodeLongTermSecrets(encoded.slice(0, -1), g.alice.groupId), 'DECODE_MALFORMED');
    await expectCode(() => decodeLongTermSecrets(new Uint8Array([...encoded, 0]), g.alice.groupId), 'DECODE_TRAILING_BYTES');
    await expectCode(() => decodeLongTermSecrets(encoded, new Uint8Array(32)), 'DECODE_FIELD');
    const duplicated = encodeLongTermSecrets([secrets[0]!, secrets[0]!]);
    await expectCode(() => decodeLongTermSecrets(duplicated, g.alice.groupId), 'DECODE_FIELD');

    const message = (await encryptLongTerm(g.alice, text('x'), deps)).outputs[0].message;
    const decoded = decodeLongTermSecretCiphertext(message);
    expect(decoded.longTermEpoch).toBe(0);
    expect(decoded.nonce).toHaveLength(12);
    await expectCode(() => decodeLongTermSecretCiphertext(message.slice(0, -1)), 'DECODE_MALFORMED');
    await expectCode(() => decodeLongTermSecretCiphertext(withField(message, 'v', 2)), 'DECODE_VERSION_UNSUPPORTED');
    await expectCode(() => decodeLongTermSecretCiphertext(withField(message, 'nonce', new Uint8Array(11))), 'DECODE_FIELD');
  });
});
