/**
 * The Secret Group every MLS benchmark starts from: an owner that added n−1
 * members in one commit, member 2 (index 1) joined as the timed recipient,
 * and one more user's key package for the add sample. Shared by bench/mls.ts,
 * bench/profile-mls.ts and bench/mls-op-counts.ts so that they measure the
 * same thing.
 */
import type { CiphersuiteImpl } from 'ts-mls';
import { defaultDeps } from '../src/crypto/index.js';
import {
  commitSecretGroup, createKeyPackage, createMemberKeyStore, createSecretGroup, joinSecretGroup,
  type MemberKeyStore, type MlsDeps, type SecretGroupState,
} from '../src/mls/index.js';

/** The settled group of n and the inputs of each op. */
export interface SettledSecretGroup {
  readonly deps: MlsDeps;
  /** The owner's state after the add of n−1 members. */
  readonly owner: SecretGroupState;
  /** Member 2's state after joining through that commit. */
  readonly recipient: SecretGroupState;
  /** The user the add input adds (its key store, for joining from that commit), and the group's creation document. */
  readonly joiner: { readonly store: MemberKeyStore; readonly group: Uint8Array };
  /** The commit input of each op: update (empty), remove member 1, add one more user. */
  readonly inputs: { readonly update: object; readonly remove: { readonly remove: Uint8Array[] }; readonly add: { readonly add: Uint8Array[] } };
}

/** Builds the group of n on `mls` (untimed). */
export async function settledSecretGroup(mls: CiphersuiteImpl, n: number): Promise<SettledSecretGroup> {
  const deps: MlsDeps = { ...defaultDeps(), mls };
  const ownerId = createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32));
  const members: { store: MemberKeyStore; document: Uint8Array }[] = [];
  for (let i = 1; i <= n; i++) {
    const store = createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32));
    const kp = await createKeyPackage(store, deps);
    members.push({ store: kp.state, document: kp.document });
  }
  const extra = members.pop()!;
  const created = await createSecretGroup({ identity: ownerId, ltsCiphersuite: 0x01 }, deps);
  const added = await commitSecretGroup(created.state, { add: members.map((m) => m.document) }, deps);
  const recipient = (await joinSecretGroup({ identity: members[1]!.store, group: created.outputs[0].document, commit: added.outputs[0].document }, deps)).state;
  return {
    deps, owner: added.state, recipient, joiner: { store: extra.store, group: created.outputs[0].document },
    inputs: { update: {}, remove: { remove: [members[0]!.store.publicKey] }, add: { add: [extra.document] } },
  };
}
