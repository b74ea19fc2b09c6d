/**
 * transport — the one small interface through which peers exchange signed
 * bundles and group messages (see types.ts), and its implementations:
 * `FolderTransport` (a shared folder, Node), `BroadcastChannelTransport`
 * (browser tabs), `MemoryTransport` (tests, in-process). The hypercore one is
 * imported from its own subpath so that nobody loads the Holepunch packages
 * without using them.
 */
export type { CatchUpOptions, IsKnown, ItemRef, LogPosition, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';
export { FolderTransport, MAX_FOLDER_FILE_BYTES, folderLog, parseFolderFileName } from './folder.js';
export type { FolderFileName, FolderTransportOptions } from './folder.js';
export { BroadcastChannelTransport } from './broadcast-channel.js';
export type { BroadcastChannelTransportOptions, ChannelLike } from './broadcast-channel.js';
export { MemoryNet, MemoryTransport } from './memory.js';
