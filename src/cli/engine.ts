/**
 * The CLI's narrow view of the group layer: group state as opaque encoded
 * bytes in, new encoded state + net files + decrypted data out. Keeping the
 * seam this small keeps every command a single store commit.
 */
import type { Deps } from '../crypto/index.js';
import type { KeyManagerState, KeyRegistryState } from '../keys/index.js';

/** Group encryption schemes. */
export type Scheme = 'data' | 'message';

/** Own keys and known bundles, changed by operations that use pre-keys. */
export interface EngineContext {
  readonly deps: Deps;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
}

/** Application data decrypted from the group. */
export interface Delivered {
  readonly sender: string;
  readonly data: Uint8Array;
}

/** The outcome of any group call. */
export interface EngineResult {
  readonly groupId: string;
  /** Encoded new group state. */
  readonly state: Uint8Array;
  readonly keys: KeyManagerState;
  readonly registry: KeyRegistryState;
  /** Self-contained wire messages to publish in the net. */
  readonly publish: readonly Uint8Array[];
  /** Application data decrypted by this call (oldest first). */
  readonly delivered: readonly Delivered[];
}

/** What a group state says about the group. */
export interface GroupView {
  readonly groupId: string;
  readonly scheme: Scheme;
  readonly members: readonly string[];
  readonly removed: boolean;
  /** Messages received but waiting for causal dependencies. */
  readonly pending: number;
}

/** The group operations the CLI uses. */
export interface Engine {
  create(ctx: EngineContext, scheme: Scheme): EngineResult;
  add(ctx: EngineContext, state: Uint8Array, member: string): EngineResult;
  remove(ctx: EngineContext, state: Uint8Array, member: string): EngineResult;
  update(ctx: EngineContext, state: Uint8Array): EngineResult;
  send(ctx: EngineContext, state: Uint8Array, data: Uint8Array): EngineResult;
  /** The group a wire message claims to belong to (unauthenticated routing hint). @throws DecodeError. */
  groupOf(message: Uint8Array): string;
  /**
   * Processing order of a backlog (unauthenticated hint): control messages
   * first, then application data by its sender's (epoch, counter), so a late
   * joiner records history oldest first. @throws DecodeError.
   */
  orderOf(message: Uint8Array): readonly [number, number, number];
  /**
   * Receives one wire message; `state` is undefined for a group this peer has
   * no state for yet (only a welcome to this peer can start one).
   * Returns `undefined` when the message is not (yet) for this peer.
   */
  receive(ctx: EngineContext, state: Uint8Array | undefined, message: Uint8Array): EngineResult | undefined;
  view(state: Uint8Array): GroupView;
}
