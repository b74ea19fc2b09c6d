/**
 * Replay windows: a data-scheme key is reused for many messages, so
 * duplicates are recognised by the sender's counter, not by the key.
 */
import { MAX_REPLAY_TRACKED } from './limits.js';
import type { ReplayWindow } from './types.js';

/** An empty window. */
export const EMPTY_WINDOW: ReplayWindow = { floor: 0, above: [] };

/** Whether `counter` was already seen. */
export function wasSeen(window: ReplayWindow, counter: number): boolean {
  return counter < window.floor || window.above.includes(counter);
}

/** The window after seeing `counter` (which was not seen before). */
export function markSeen(window: ReplayWindow, counter: number): ReplayWindow {
  let floor = window.floor;
  let above = [...window.above, counter].sort((a, b) => a - b);
  while (above[0] === floor) {
    above = above.slice(1);
    floor++;
  }
  while (above.length > MAX_REPLAY_TRACKED) {
    floor = (above[0] as number) + 1;
    above = above.slice(1);
  }
  return { floor, above };
}
