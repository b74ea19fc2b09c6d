/** Shared fixtures for the Secret Group tests: deps, identities, a small network of members. */
import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl } from 'ts-mls';
import { defaultDeps } from '../../src/crypto/index.js';
import {
  commitSecretGroup, createKeyPackage, createMlsCiphersuite, createMemberKeyStore, createSecretGroup, joinSecretGroup, encodeSecretGroupState, type MemberKeyStore, type MlsDeps, type SecretGroupState,
} from '../../src/mls/index.js';

let stock: CiphersuiteImpl | undefined;

/** Deps with stock ts-mls (AES-128-GCM suite) and groupcrypt's default provider. */
export async function stockDeps(): Promise<MlsDeps> {
  stock ??= await getCiphersuiteImpl(getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'));
  return { ...defaultDeps(), mls: stock };
}

/** Deps with groupcrypt's ciphersuite implementation on the default provider. */
export function nodeDeps(): MlsDeps {
  return { ...defaultDeps(), mls: createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519') };
}

/** A fresh identity with `count` published key packages; returns the store and documents. */
export async function newMember(deps: MlsDeps, count = 1): Promise<{ store: MemberKeyStore; packages: Uint8Array[] }> {
  let store = createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32));
  const packages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const made = await createKeyPackage(store, deps);
    store = made.state;
    packages.push(made.document);
  }
  return { store, packages };
}

/** Encoded form of a state, to check a call left it unchanged. */
export function snapshot(state: SecretGroupState): string {
  return Buffer.from(encodeSecretGroupState(state)).toString('hex');
}

/** Runs `run`, expects a groupcrypt error with `code`, returns it. */
export async function expectCode(run: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected error ${code}, got success`);
  const actual = (caught as { code?: string }).code;
  if (actual !== code) throw new Error(`expected error ${code}, got ${actual ?? String(caught)}`, { cause: caught });
}

/** UTF-8 bytes. */
export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** A group of owner + alice + bob where everybody processed everything. */
export async function smallGroup(deps: MlsDeps): Promise<{
  groupDoc: Uint8Array; commit: Uint8Array; owner: SecretGroupState; alice: SecretGroupState; bob: SecretGroupState;
  ids: { owner: MemberKeyStore; alice: MemberKeyStore; bob: MemberKeyStore };
}> {
  const owner = await newMember(deps, 0);
  const alice = await newMember(deps);
  const bob = await newMember(deps);
  const created = await createSecretGroup({ identity: owner.store, ltsCiphersuite: 0x03 }, deps);
  const groupDoc = created.outputs[0].document;
  const added = await commitSecretGroup(created.state, { add: [alice.packages[0]!, bob.packages[0]!] }, deps);
  const commit = added.outputs[0].document;
  const a = await joinSecretGroup({ identity: alice.store, group: groupDoc, commit }, deps);
  const b = await joinSecretGroup({ identity: bob.store, group: groupDoc, commit }, deps);
  return { groupDoc, commit, owner: added.state, alice: a.state, bob: b.state, ids: { owner: owner.store, alice: a.identity, bob: b.identity } };
}
