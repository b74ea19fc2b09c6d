/**
 * Secret bundles of a welcome: what the adder exports (all, all but the joiner's, or the listed keys) and what the
 * joiner accepts (never its own secrets, only members ever in the group, only epochs the welcome covers).
 */
import { describe, expect, it } from 'vitest';
import { defaultCryptoProvider, type Deps } from '../../src/crypto/index.js';
import { applyUpdateSecret, createDataState, exportSecretBundle, importSecretBundle, type DataState } from '../../src/data/index.js';
import { codeOf } from '../helpers/errors.js';

const deps: Deps = { crypto: defaultCryptoProvider(), now: () => 1000 };
const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const J = 'cc'.repeat(32);


function held(): DataState {
  let s = createDataState();
  for (const [member, epoch] of [[A, 1], [A, 2], [B, 1], [J, 3]] as const) s = applyUpdateSecret(s, { member, epoch, secret: new Uint8Array(32).fill(epoch) }, deps).state;
  return s;
}
const keysOf = (bundle: Uint8Array, checks = {}) => Object.keys(importSecretBundle(createDataState(), bundle, deps, checks).secrets).sort();

describe('exportSecretBundle', () => {
  it('exports everything, everything but one member, or exactly the listed keys', () => {
    const state = held();
    expect(keysOf(exportSecretBundle(state))).toEqual([`${A}:1`, `${A}:2`, `${B}:1`, `${J}:3`]);
    expect(keysOf(exportSecretBundle(state, { exclude: J }))).toEqual([`${A}:1`, `${A}:2`, `${B}:1`]);
    expect(keysOf(exportSecretBundle(state, { only: [`${A}:2`, `${J}:3`] }))).toEqual([`${A}:2`, `${J}:3`]);
    expect(keysOf(exportSecretBundle(state, { only: [`${A}:2`, `${J}:3`], exclude: J }))).toEqual([`${A}:2`]);
    expect(keysOf(exportSecretBundle(state, { only: [] }))).toEqual([]);
  });
});

describe('importSecretBundle checks', () => {
  const bundle = exportSecretBundle(held());
  it('drops my own secrets', () => {
    expect(keysOf(bundle, { me: J })).toEqual([`${A}:1`, `${A}:2`, `${B}:1`]);
  });

  it('takes only the secrets of `onlyMember` when set (a non-adder vouches for its own secrets only), still never mine', () => {
    expect(keysOf(bundle, { onlyMember: A })).toEqual([`${A}:1`, `${A}:2`]);
    expect(keysOf(bundle, { onlyMember: B, me: J })).toEqual([`${B}:1`]);
    expect(keysOf(bundle, { onlyMember: J, me: J })).toEqual([]);
    expect(keysOf(bundle, { onlyMember: 'dd'.repeat(32) })).toEqual([]);
  });

  it('refuses a secret of someone never in the group (VERIFY_GROUP), state unchanged', () => {
    const state = createDataState();
    expect(codeOf(() => importSecretBundle(state, bundle, deps, { everMember: (m) => m !== B }))).toBe('VERIFY_GROUP');
    expect(state.secrets).toEqual({});
    expect(keysOf(bundle, { everMember: () => true })).toHaveLength(4);
  });

  it('refuses an epoch at or beyond the welcome clock of its member', () => {
    const clock = (m: string) => (m === A ? 3 : 4);
    expect(keysOf(bundle, { clock })).toHaveLength(4);
    expect(codeOf(() => keysOf(bundle, { clock: (m: string) => (m === A ? 2 : 4) }))).toBe('VERIFY_GROUP');
    expect(codeOf(() => keysOf(bundle, { clock: (m: string) => (m === J ? 3 : 4) }))).toBe('VERIFY_GROUP');
    expect(keysOf(bundle, { me: J, clock: (m: string) => (m === J ? 0 : 4) })).toHaveLength(3); // my own are dropped first
  });
});
