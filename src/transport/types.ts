/**
 * transport — how bytes travel between peers, behind one small interface.
 *
 * A transport moves two kinds of opaque, self-authenticating items: a peer's
 * signed key bundle (`bundle`) and group messages (`msg`). It never decides
 * who wrote an item: where an item was found says nothing about its author
 * (the layers above check signatures). Every item is named by the SHA-256 of
 * its bytes, which is also its message id, so the same bytes seen twice, from
 * two places, are one item.
 *
 * Implementations: `folder` (CLI.md "Shared-folder rules"), `hypercore`
 * (one append-only Hypercore per peer, replicated over Hyperswarm; its
 * packages are loaded only by that module), `broadcast-channel` (browser
 * tabs). This interface only grows additively.
 */

/**
 * Where an item sits on a transport made of append-only logs (Hypercore:
 * its log and block index; a shared folder: `folder:<peer id>` and the seq
 * in the file's name). A transport that gives positions lets a caller keep
 * one settled mark per log instead of one processed id per item.
 */
export interface LogPosition {
  /** The log: a Hypercore's hex key, or `folder:<peer id>` (folder.ts `folderLog`). */
  readonly log: string;
  /** Index of the block in that log, from 0. */
  readonly seq: number;
}

/** What an item is. */
export type TransportKind = 'bundle' | 'msg';

/** One item found on the transport. */
export interface TransportItem {
  readonly kind: TransportKind;
  /** Lower-case hex SHA-256 of `bytes`: the message id. */
  readonly id: string;
  readonly bytes: Uint8Array;
  /** Where it was found (a path, `log:<key>:<seq>`, …), for reports only. */
  readonly origin: string;
  /** Its log position, on a log transport (absent on the others). */
  readonly position?: LogPosition;
}

/** Something on the transport that is not a readable item (reported, never fatal). */
export interface TransportProblem {
  readonly kind: 'problem';
  readonly origin: string;
  readonly reason: string;
  /** False for a half-written item that must be read again later; true when it is complete and can never become valid. */
  readonly permanent: boolean;
  /** The content hash when known (lets callers remember permanent rejects). */
  readonly id?: string;
  /** Its log position, on a log transport. */
  readonly position?: LogPosition;
}

/**
 * Lets a transport skip items already handled without reading their bytes.
 * A log transport passes each item's position too, so the caller learns
 * where its known items sit.
 */
export type IsKnown = (id: string, position?: LogPosition) => boolean | Promise<boolean>;

/** Options of `Transport.catchUp`. */
export interface CatchUpOptions {
  /** Only items of these kinds (e.g. `['bundle']` to refresh the peers without reading messages). */
  readonly kinds?: readonly TransportKind[];
  /**
   * Per log, how many blocks from its start the caller has settled for good:
   * a log transport skips them without reading (a folder only those no
   * other name claims). Others ignore it.
   */
  readonly settled?: ReadonlyMap<string, number>;
}

/** An item found earlier by `catchUp`, to read again (see `Transport.fetch`). */
export interface ItemRef {
  readonly kind: TransportKind;
  readonly id: string;
  readonly origin: string;
}

/** The interface every transport implements. */
export interface Transport {
  /**
   * Publishes one write-once item and returns its id. Idempotent: the same
   * bytes published again are a no-op. Resolves once the item is durable on
   * this peer (written file, appended log block).
   */
  publish(kind: TransportKind, bytes: Uint8Array): Promise<string>;
  /**
   * Streams every item available now whose id `isKnown` does not accept,
   * plus problems. Bounded memory: one item's bytes at a time.
   */
  catchUp(isKnown: IsKnown, options?: CatchUpOptions): AsyncIterable<TransportItem | TransportProblem>;
  /**
   * Optional: reads an item found by `catchUp` again (its bytes checked
   * against its id), so a caller ordering a long backlog keeps only ids and
   * order keys in memory. A transport without it has callers keep the bytes.
   */
  fetch?(item: ItemRef): Promise<Uint8Array | TransportProblem>;
  /**
   * Live arrivals (push transports). Returns an unsubscribe function. A
   * transport with nothing live (a folder read by one-shot commands) may
   * never call the listener.
   */
  subscribe(listener: (item: TransportItem | TransportProblem) => void): () => void;
  /** Releases files, sockets and logs; idempotent. */
  close(): Promise<void>;
}
