/**
 * The read order of a group's application messages (CLI.md "Order of read"):
 * one total order that extends causality and depends only on the messages.
 *
 * Every application envelope carries, signed, its sender's Lamport time: one
 * more than the highest Lamport time of every application message the sender
 * had delivered or sent before. So if the sender of b had read (or sent) a,
 * lamport(a) < lamport(b). Sorting by (lamport, sender, epoch, counter, id)
 * therefore extends causality; each field is in the signed message, so two
 * peers holding the same messages list them identically, whatever their
 * arrival order. `(sender, epoch, counter)` is unique for an honest sender;
 * the message id (SHA-256 of the signed bytes) breaks ties between two
 * versions a dishonest sender signed for one position.
 */

/** Where a delivered (or sent) application message stands in the read order. */
export interface ReadPosition {
  /** Message id: hex SHA-256 of the signed bytes of the envelope. */
  readonly id: string;
  /** Authenticated sender (hex member id). */
  readonly sender: string;
  /** Lamport time from the envelope (0 for a version-1 envelope). */
  readonly lamport: number;
  /** The sender's epoch (seq of the control message whose secret it used). */
  readonly epoch: number;
  /** The sender's counter within that epoch. */
  readonly counter: number;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two messages in read order (negative: `a` is read first).
 * @example outputs.filter((o) => o.kind === 'application').sort(compareReadOrder)
 */
export function compareReadOrder(a: ReadPosition, b: ReadPosition): number {
  return a.lamport - b.lamport || compareText(a.sender, b.sender) || a.epoch - b.epoch || a.counter - b.counter || compareText(a.id, b.id);
}

const pad = (n: number): string => n.toString(16).padStart(14, '0');

/**
 * A string whose code-unit order is the read order (for stores that sort by
 * key, e.g. an SQL index): fixed-width hex of lamport, then sender, epoch,
 * counter and id.
 * @example readOrderKey(p) < readOrderKey(q) === compareReadOrder(p, q) < 0
 */
export function readOrderKey(p: ReadPosition): string {
  return `${pad(p.lamport)}.${p.sender}.${pad(p.epoch)}.${pad(p.counter)}.${p.id}`;
}
