/**
 * Test helper: the v1/v2 encoding of a membership state (maps of text ids
 * and bit sets), as src/membership/codec.ts wrote it before v3, so that the
 * tests can check such states still decode.
 */
import { encodeCanonical } from '../../src/crypto/index.js';
import type { MembershipState } from '../../src/membership/index.js';

/** The state as v1 (nothing compacted) or v2 (with a base) wrote it. */
export function encodeMembershipV2(state: MembershipState): Uint8Array {
  const seen: Record<string, Uint8Array> = {};
  for (const [key, bits] of state.seen) {
    Object.defineProperty(seen, key, { value: bits, enumerable: true, writable: true, configurable: true });
  }
  const ops = state.ops.map((op) => ({ id: op.id, kind: op.kind, actor: op.actor, targets: [...op.targets], past: op.past }));
  if (state.base === null) return encodeCanonical({ v: 1, ops, seen });
  const { count, create, marks, members, named } = state.base;
  return encodeCanonical({ v: 2, base: { count, create, marks: { ...marks }, members: [...members], named: [...named] }, ops, seen });
}
