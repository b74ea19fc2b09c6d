/**
 * The secret tree of a new epoch (RFC 9420 §9), the same value as ts-mls's
 * `createSecretTree`: every node's secret derived from the encryption
 * secret (ExpandWithLabel "tree" / "left" | "right"), then each node's
 * handshake and application ratchet roots.
 *
 * Why: at n = 128 that is 764 ExpandWithLabel calls, and ts-mls builds each
 * KDFLabel afresh (a TextEncoder run and a TLS encoding per call) — a fifth
 * of a commit. The four KDFLabels used here are constants, encoded once
 * (with ts-mls's own encoders, so the bytes are the same). The node secrets
 * in between are wiped as soon as the ratchet roots are derived; the
 * encryption secret given is left to the caller (ts-mls wipes it).
 */
import type { Kdf } from 'ts-mls';
import { uint16Encoder } from 'ts-mls/codec/number.js';
import { composeBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { varLenDataEncoder } from 'ts-mls/codec/variableLength.js';
import type { GenerationSecret, SecretTree, SecretTreeNode } from 'ts-mls/secretTree.js';
import { isLeaf, left, nodeWidth, right, root } from 'ts-mls/treemath.js';
import { utf8, zeroize } from '../crypto/index.js';

const encodeKdfLabel = encode(composeBufferEncoders([uint16Encoder, varLenDataEncoder, varLenDataEncoder]));

interface Labels {
  readonly left: Uint8Array;
  readonly right: Uint8Array;
  readonly handshake: Uint8Array;
  readonly application: Uint8Array;
}

/** KDFLabels by output length (the suite's hash length). */
const labelsBySize = new Map<number, Labels>();

/** `KDFLabel { uint16 length; opaque label<V> = "MLS 1.0 " + label; opaque context<V> }` (RFC 9420 §8). */
function kdfLabel(length: number, label: string, context: Uint8Array): Uint8Array {
  return encodeKdfLabel([length, utf8(`MLS 1.0 ${label}`), context]);
}

function labelsFor(size: number): Labels {
  let labels = labelsBySize.get(size);
  if (labels === undefined) {
    const empty = new Uint8Array(0);
    labels = {
      left: kdfLabel(size, 'tree', utf8('left')), right: kdfLabel(size, 'tree', utf8('right')),
      handshake: kdfLabel(size, 'handshake', empty), application: kdfLabel(size, 'application', empty),
    };
    labelsBySize.set(size, labels);
  }
  return labels;
}

function ratchetRoot(secret: Uint8Array): GenerationSecret {
  return { secret, generation: 0, unusedGenerations: {} };
}

/** ts-mls `createSecretTree(leafWidth, encryptionSecret, kdf)`, same result. */
export async function createSecretTreeFast(leafCount: number, encryptionSecret: Uint8Array, kdf: Kdf): Promise<SecretTree> {
  const labels = labelsFor(kdf.size);
  const width = nodeWidth(leafCount);
  const secrets: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(width);
  const out: SecretTreeNode[] = new Array<SecretTreeNode>(width);
  const rootIndex = root(leafCount);
  secrets[rootIndex] = encryptionSecret;
  // Top-down: a node's children are derived when the node is reached (a parent precedes its children on a stack).
  const pending: number[] = [rootIndex];
  while (pending.length > 0) {
    const index = pending.pop() as number;
    const secret = secrets[index] as Uint8Array;
    if (!isLeaf(index as never)) {
      const l = left(index as never);
      const r = right(index as never);
      secrets[l] = await kdf.expand(secret, labels.left, kdf.size);
      secrets[r] = await kdf.expand(secret, labels.right, kdf.size);
      pending.push(r, l);
    }
    const application = ratchetRoot(await kdf.expand(secret, labels.application, kdf.size));
    const handshake = ratchetRoot(await kdf.expand(secret, labels.handshake, kdf.size));
    out[index] = { handshake, application };
    if (index !== rootIndex) zeroize(secret);
    secrets[index] = undefined;
  }
  return out;
}
