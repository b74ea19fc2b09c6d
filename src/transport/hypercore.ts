/**
 * transport/hypercore — peers online on Hyperswarm, each writing one
 * append-only Hypercore (Holepunch) in its home.
 *
 * - Every peer appends its signed bundle and the group messages it writes to
 *   its OWN log (a Hypercore in a Corestore folder). A block is one item: a
 *   kind byte (1 bundle, 2 msg) and the item's bytes. Logs are signed by their
 *   writer's log key, but that key says nothing about who wrote an item: the
 *   layers above check the items' own signatures.
 * - Peers meet on a rendezvous topic: `topicOf(name)` = SHA-256 of the UTF-8
 *   bytes of "groupcrypt/topic/v1", a zero byte, and the application-chosen
 *   name. A group id is never put on the DHT.
 * - On every connection the two peers open a small channel
 *   ("groupcrypt/logs/v1") and send each other the keys of every log they hold;
 *   a key learnt later is passed on to every open connection. Each peer opens,
 *   downloads and keeps every log it learns of, and serves every log it holds,
 *   so a peer that was offline catches up from whoever is online, not only
 *   from the authors.
 *
 * What the DHT (any DHT node, and whoever watches it) learns: the topic hash
 * (so whoever knows or guesses the name can tell that this address uses it;
 * pick an unguessable name for privacy), the IP addresses and ports of the
 * peers announcing or looking up that topic, when they are online, and each
 * process's Noise public key (fresh per process, not the identity). It does
 * not learn log keys, identities, group ids or any content: those travel only
 * inside the end-to-end encrypted (Noise) connections between peers.
 * Everyone who joins the topic, though, is served every log: they see the
 * signed bundles (identity keys, names) and the group messages' envelopes
 * (sizes, timing and the cleartext envelope fields), never the plaintext.
 *
 * The Holepunch packages are loaded here only, by dynamic import when a
 * transport is opened: importing `groupcrypt/peer` never loads them. Tests,
 * demos and benches always pass a local bootstrap; with every bootstrap node
 * on loopback the DHT binds 127.0.0.1 (a local DHT only works that way) and
 * is told it is not behind a firewall (there is no NAT on loopback).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, UsageError } from '../errors.js';
import type { CatchUpOptions, IsKnown, ItemRef, Transport, TransportItem, TransportKind, TransportProblem } from './types.js';

/** Domain separator of the rendezvous topic hash. */
export const TOPIC_LABEL = 'groupcrypt/topic/v1';
/** The topic name used when the application chooses none. */
export const DEFAULT_TOPIC_NAME = 'groupcrypt';
/** Name of the key-exchange channel opened on every connection. */
const LOGS_PROTOCOL = 'groupcrypt/logs/v1';
/** Most log keys one peer keeps (a flood of keys from the topic stops here). */
export const MAX_LOGS = 10_000;
/** Largest item appended or read (same bound as the folder transport). */
export const MAX_ITEM_BYTES = 64 * 1024 * 1024;

const KIND_BYTE: Record<TransportKind, number> = { bundle: 1, msg: 2 };
const KEYS_FILE = 'groupcrypt-logs.json';

/** A DHT bootstrap node. */
export interface BootstrapNode {
  readonly host: string;
  readonly port: number;
}

/** Options of `openHypercoreTransport`. */
export interface HypercoreTransportOptions {
  /** The Corestore folder (inside the peer's home); created when missing. */
  readonly dir: string;
  /** DHT bootstrap nodes, or `'public'` for the public DHT (never in tests). */
  readonly bootstrap: readonly BootstrapNode[] | 'public';
  /** Rendezvous name; the DHT sees only `topicOf(name)`. Default `groupcrypt`. */
  readonly topic?: string;
  /** Address the DHT node binds; default 127.0.0.1 when every bootstrap node is loopback. */
  readonly host?: string;
}

/** What a running hypercore transport can tell about itself (reports, tests, benches). */
export interface HypercoreStatus {
  /** Hex key of this peer's own log. */
  readonly key: string;
  /** Open connections to other peers. */
  readonly connections: number;
  /** Logs held, own included: key hex → blocks held locally / blocks known to exist. */
  readonly logs: ReadonlyArray<{ readonly key: string; readonly local: number; readonly length: number }>;
}

/** The hypercore transport: the `Transport` interface plus swarm-specific controls. */
export interface HypercoreTransport extends Transport {
  /** Hex key of this peer's own log. */
  readonly key: string;
  /** Joins the topic (announce and look up); resolves once the first DHT round is done. */
  join(): Promise<void>;
  /**
   * Resolves once nothing has happened (a block downloaded or served, a log
   * learnt, a connection) for `quietMs` milliseconds; `maxMs` bounds the wait.
   */
  whenQuiet(quietMs: number, maxMs?: number): Promise<void>;
  /** Calls `listener` with the count whenever a connection opens or closes. */
  onConnections(listener: (connections: number) => void): () => void;
  status(): HypercoreStatus;
}

/** The rendezvous topic of an application-chosen name (32 bytes). */
export function topicOf(name: string): Uint8Array {
  const hash = createHash('sha256');
  hash.update(TOPIC_LABEL, 'utf8');
  hash.update(new Uint8Array([0]));
  hash.update(name, 'utf8');
  return new Uint8Array(hash.digest());
}

/**
 * Parses `host:port[,host:port…]` (or `public`) as given to `--swarm`.
 * @throws UsageError `USAGE_ARGUMENT` for anything else.
 */
export function parseBootstrap(text: string): readonly BootstrapNode[] | 'public' {
  const trimmed = text.trim();
  if (trimmed === 'public') return 'public';
  const nodes: BootstrapNode[] = [];
  for (const part of trimmed.split(',')) {
    const match = /^\[?([^\s\]]+?)\]?:(\d{1,5})$/.exec(part.trim());
    const port = match === null ? NaN : Number(match[2]);
    if (match === null || !(port > 0 && port < 65536)) {
      throw new UsageError('USAGE_ARGUMENT', `bootstrap node ${JSON.stringify(part)} is not host:port`);
    }
    nodes.push({ host: match[1] as string, port });
  }
  return nodes;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// ---- the few parts of the Holepunch APIs used here (they ship no types) ----

interface Core {
  readonly key: Uint8Array;
  readonly length: number;
  readonly contiguousLength: number;
  ready(): Promise<void>;
  append(block: Uint8Array): Promise<unknown>;
  get(index: number, opts: { wait: boolean }): Promise<Uint8Array | null>;
  download(range: { start: number; end: number }): unknown;
  update(opts: { wait: boolean }): Promise<boolean>;
  on(event: 'append' | 'download' | 'upload', listener: () => void): void;
  close(): Promise<void>;
}
interface CoreStore {
  get(opts: { name: string } | { key: Uint8Array }): Core;
  ready(): Promise<void>;
  replicate(connection: unknown): ReplicationStream;
  close(): Promise<void>;
}
interface ReplicationStream {
  on(event: 'error' | 'close', listener: () => void): void;
}
interface Channel {
  open(): void;
  close(): void;
  readonly messages: ReadonlyArray<{ send(bytes: Uint8Array): boolean }>;
}
interface Muxer {
  createChannel(opts: {
    protocol: string;
    messages: Array<{ onmessage: (bytes: Uint8Array) => void }>;
    onopen?: () => void;
    onclose?: () => void;
  }): Channel | null;
}
interface Connection {
  on(event: 'error' | 'close', listener: () => void): void;
}
interface Discovery {
  flushed(): Promise<void>;
  refresh(): Promise<void>;
}
interface Swarm {
  on(event: 'connection', listener: (connection: Connection) => void): void;
  join(topic: Uint8Array, opts: { server: boolean; client: boolean }): Discovery;
  flush(): Promise<void>;
  destroy(): Promise<void>;
}
interface Holepunch {
  Corestore: new (dir: string) => CoreStore;
  Hyperswarm: new (opts: { dht: unknown }) => Swarm;
  HyperDHT: new (opts: { bootstrap?: BootstrapNode[]; host?: string; firewalled?: boolean }) => unknown;
  getProtocolMuxer(stream: ReplicationStream): Muxer;
}

/** First wait before looking the topic up again while no peer is connected (see `nextRediscovery`). */
export const REDISCOVERY_FIRST_MS = 2_000;
/** Longest wait between two lookups while no peer is connected. */
export const REDISCOVERY_MAX_MS = 60_000;

/**
 * The wait before the next lookup of the topic, while no peer is connected:
 * doubling from REDISCOVERY_FIRST_MS up to REDISCOVERY_MAX_MS. Hyperswarm
 * looks a topic up when it joins and then about every 10 minutes: two peers
 * that join at the same moment can each look up before the other's
 * announcement lands, and would then not meet for 10 minutes.
 */
export function nextRediscovery(waitedMs: number): number {
  return Math.min(Math.max(waitedMs * 2, REDISCOVERY_FIRST_MS), REDISCOVERY_MAX_MS);
}

async function loadHolepunch(): Promise<Holepunch> {
  // Non-literal specifiers: bundlers and type checking leave these packages alone.
  const load = (name: string): Promise<{ default: unknown }> => import(name) as Promise<{ default: unknown }>;
  const [corestore, hyperswarm, hyperdht, hypercore] = await Promise.all(
    ['corestore', 'hyperswarm', 'hyperdht', 'hypercore'].map(load),
  );
  const Hypercore = hypercore?.default as { getProtocolMuxer(stream: ReplicationStream): Muxer };
  return {
    Corestore: corestore?.default as Holepunch['Corestore'],
    Hyperswarm: hyperswarm?.default as Holepunch['Hyperswarm'],
    HyperDHT: hyperdht?.default as Holepunch['HyperDHT'],
    getProtocolMuxer: (stream) => Hypercore.getProtocolMuxer(stream),
  };
}

// ---- the transport ----

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** One log held: the core, how far the live pump has read, and the ids read so far. */
interface Log {
  readonly core: Core;
  readonly hex: string;
  /** Next block the live pump hands to subscribers. */
  next: number;
  pumping: boolean;
  /** Ids of blocks already read (index = block), so catch-up skips known ones without reading. */
  readonly ids: Array<string | undefined>;
  /** Kinds of blocks already read (index = block), for catch-up by kind. */
  readonly kinds: Array<TransportKind | 'problem' | undefined>;
}

type Listener = (item: TransportItem | TransportProblem) => void;

/**
 * Opens (creating when missing) the peer's Corestore in `dir` and its
 * Hyperswarm node. Call `join()` to go online.
 * @throws StoreError `STORE_IO` when the corestore cannot be opened (another
 *   process holds it, unwritable folder); UsageError `USAGE_ARGUMENT` for bad options.
 */
export async function openHypercoreTransport(options: HypercoreTransportOptions): Promise<HypercoreTransport> {
  const { bootstrap } = options;
  if (bootstrap !== 'public' && bootstrap.length === 0) throw new UsageError('USAGE_ARGUMENT', 'no bootstrap node given');
  const loopback = bootstrap !== 'public' && bootstrap.every((node) => isLoopbackHost(node.host));
  const host = options.host ?? (loopback ? '127.0.0.1' : undefined);
  const topic = topicOf(options.topic ?? DEFAULT_TOPIC_NAME);

  const holepunch = await loadHolepunch();
  let store: CoreStore;
  let own: Core;
  try {
    await mkdir(options.dir, { recursive: true });
    store = new holepunch.Corestore(options.dir);
    await store.ready();
    own = store.get({ name: 'groupcrypt-log' });
    await own.ready();
  } catch (cause) {
    throw new StoreError('STORE_IO', `cannot open the log store ${options.dir}: ${(cause as Error).message}`, { cause });
  }
  const ownHex = toHex(own.key);

  const logs = new Map<string, Log>();
  const channels = new Set<Channel>();
  const listeners = new Set<Listener>();
  const connectionListeners = new Set<(count: number) => void>();
  const ownIds = new Set<string>();
  let connections = 0;
  let lastActivity = Date.now();
  let closed = false;
  let swarm: Swarm | null = null;
  let discovery: Discovery | null = null;
  let rediscovery: ReturnType<typeof setTimeout> | undefined;
  let persistChain: Promise<void> = Promise.resolve();
  let persistPending = false;
  const touch = (): void => {
    lastActivity = Date.now();
  };

  const keysPath = join(options.dir, KEYS_FILE);
  /** Writes the known log keys (coalesced: one write for a burst of new keys). */
  const persistKeys = (): Promise<void> => {
    if (persistPending) return persistChain;
    persistPending = true;
    persistChain = persistChain.then(async () => {
      persistPending = false;
      if (closed) return;
      const text = JSON.stringify([...logs.keys()].filter((hex) => hex !== ownHex));
      const temp = `${keysPath}.tmp`;
      await writeFile(temp, text);
      await rename(temp, keysPath);
    }).catch(() => undefined);
    return persistChain;
  };

  const decodeBlock = (log: Log, seq: number, block: Uint8Array): TransportItem | TransportProblem => {
    const origin = `log:${log.hex}:${seq}`;
    const position = { log: log.hex, seq };
    const kindByte = block[0];
    const kind: TransportKind | undefined = kindByte === 1 ? 'bundle' : kindByte === 2 ? 'msg' : undefined;
    const bytes = block.subarray(1);
    const id = sha256Hex(bytes);
    if (kind === undefined || bytes.byteLength === 0) {
      return { kind: 'problem', origin, reason: 'not a groupcrypt item (unknown kind byte or empty)', permanent: true, id, position };
    }
    if (bytes.byteLength > MAX_ITEM_BYTES) {
      return { kind: 'problem', origin, reason: `item of ${bytes.byteLength} bytes exceeds ${MAX_ITEM_BYTES}`, permanent: true, id, position };
    }
    return { kind, id, bytes: new Uint8Array(bytes), origin, position };
  };

  const readLocal = async (log: Log, seq: number): Promise<TransportItem | TransportProblem | null> => {
    const block = await log.core.get(seq, { wait: false });
    if (block === null) return null;
    const item = decodeBlock(log, seq, block);
    if (item.id !== undefined) log.ids[seq] = item.id;
    log.kinds[seq] = item.kind;
    return item;
  };

  /** Hands every block that is now local, in log order, to the subscribers. */
  const pump = async (log: Log): Promise<void> => {
    if (log.pumping || closed) return;
    if (log.hex === ownHex) {
      log.next = log.core.length; // our own appends are not arrivals
      return;
    }
    log.pumping = true;
    try {
      while (!closed && log.next < log.core.length) {
        const item = await readLocal(log, log.next);
        if (item === null) break; // not downloaded yet; a 'download' event runs the pump again
        log.next++;
        touch();
        for (const listener of listeners) listener(item);
      }
    } catch {
      // A closing core: nothing more to hand out.
    } finally {
      log.pumping = false;
    }
    if (!closed && log.next < log.core.length && (await log.core.get(log.next, { wait: false }).catch(() => null)) !== null) void pump(log);
  };

  const addLog = async (key: Uint8Array, fromDisk: boolean): Promise<void> => {
    const hex = toHex(key);
    if (logs.has(hex) || closed || logs.size >= MAX_LOGS) return;
    const core = hex === ownHex ? own : store.get({ key });
    const log: Log = { core, hex, next: 0, pumping: false, ids: [], kinds: [] };
    logs.set(hex, log);
    await core.ready();
    // What was local when this process opened the log is catch-up's to hand out; the rest is live.
    if (fromDisk) log.next = core.contiguousLength;
    core.on('append', () => {
      touch();
      void pump(log);
    });
    core.on('download', () => {
      touch();
      void pump(log);
    });
    // Serving counts as activity too: `whenQuiet` then also waits for others to fetch what we hold.
    core.on('upload', touch);
    if (hex !== ownHex) {
      core.download({ start: 0, end: -1 });
      void core.update({ wait: true }).catch(() => false);
      void persistKeys();
      announce([key]);
    }
    touch();
    void pump(log);
  };

  const announce = (keys: Uint8Array[]): void => {
    if (keys.length === 0) return;
    const message = new Uint8Array(32 * keys.length);
    keys.forEach((key, index) => message.set(key, 32 * index));
    for (const channel of channels) channel.messages[0]?.send(message);
  };

  const onKeys = (message: Uint8Array): void => {
    if (message.byteLength % 32 !== 0) return; // a malformed announcement is ignored
    for (let offset = 0; offset < message.byteLength; offset += 32) {
      void addLog(message.slice(offset, offset + 32), false).catch(() => undefined);
    }
  };

  // Own log first: its ids make publish idempotent across restarts.
  await addLog(own.key, true);
  const ownLog = logs.get(ownHex) as Log;
  for (let seq = 0; seq < own.length; seq++) {
    const item = await readLocal(ownLog, seq);
    if (item !== null && item.id !== undefined) ownIds.add(item.id);
  }
  try {
    const known = JSON.parse(await readFile(keysPath, 'utf8')) as unknown;
    if (Array.isArray(known)) {
      for (const hex of known) {
        if (typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex)) await addLog(Buffer.from(hex, 'hex'), true);
      }
    }
  } catch {
    // No keys file yet (a new home) or a damaged one: logs are learnt again from peers.
  }

  const onConnection = (connection: Connection): void => {
    connection.on('error', () => undefined);
    const stream = store.replicate(connection);
    stream.on('error', () => undefined);
    const muxer = holepunch.getProtocolMuxer(stream);
    const channel = muxer.createChannel({
      protocol: LOGS_PROTOCOL,
      messages: [{ onmessage: onKeys }],
      onopen: () => {
        channels.add(channel as Channel);
        const all = [...logs.values()].map((log) => log.core.key);
        for (let start = 0; start < all.length; start += 1024) {
          const batch = all.slice(start, start + 1024);
          const message = new Uint8Array(32 * batch.length);
          batch.forEach((key, index) => message.set(key, 32 * index));
          channel?.messages[0]?.send(message);
        }
      },
      onclose: () => {
        channels.delete(channel as Channel);
      },
    });
    channel?.open();
    connections++;
    clearTimeout(rediscovery);
    touch();
    for (const listener of connectionListeners) listener(connections);
    connection.on('close', () => {
      connections--;
      if (connections === 0) rediscoverAfter(REDISCOVERY_FIRST_MS);
      touch();
      for (const listener of connectionListeners) listener(connections);
    });
  };

  // Looks the topic up again after `wait`, then ever less often (nextRediscovery): scheduled only while no peer is
  // connected (the first connection stops it, the last one closing starts it again); never keeps the process alive.
  function rediscoverAfter(wait: number): void {
    clearTimeout(rediscovery);
    rediscovery = setTimeout(() => {
      if (closed || connections > 0 || discovery === null) return;
      discovery.refresh().catch(() => undefined);
      rediscoverAfter(nextRediscovery(wait));
    }, wait);
    (rediscovery as { unref?: () => void }).unref?.();
  }

  const transport: HypercoreTransport = {
    key: ownHex,

    async join() {
      if (closed) throw new UsageError('USAGE_ARGUMENT', 'the transport is closed');
      if (swarm === null) {
        const dht = new holepunch.HyperDHT({
          ...(bootstrap === 'public' ? {} : { bootstrap: bootstrap.map((node) => ({ ...node })) }),
          ...(host === undefined ? {} : { host }),
          // On loopback there is no NAT: firewall detection misfires there and
          // leaves some connections half-open until they time out (~13 s).
          ...(loopback ? { firewalled: false } : {}),
        });
        swarm = new holepunch.Hyperswarm({ dht });
        swarm.on('connection', onConnection);
        discovery = swarm.join(topic, { server: true, client: true });
        await discovery.flushed();
        if (connections === 0) rediscoverAfter(REDISCOVERY_FIRST_MS);
      }
      await swarm.flush();
    },

    async publish(kind, bytes) {
      if (closed) throw new StoreError('STORE_CLOSED', 'the transport is closed');
      if (bytes.byteLength === 0 || bytes.byteLength > MAX_ITEM_BYTES) {
        throw new UsageError('USAGE_ARGUMENT', `an item must have 1 to ${MAX_ITEM_BYTES} bytes`);
      }
      const id = sha256Hex(bytes);
      if (ownIds.has(id)) return id;
      ownIds.add(id);
      const block = new Uint8Array(bytes.byteLength + 1);
      block[0] = KIND_BYTE[kind];
      block.set(bytes, 1);
      try {
        await own.append(block);
      } catch (cause) {
        ownIds.delete(id);
        throw new StoreError('STORE_IO', `cannot append to the own log: ${(cause as Error).message}`, { cause });
      }
      return id;
    },

    async *catchUp(isKnown: IsKnown, options: CatchUpOptions = {}) {
      const wanted = (kind: TransportKind | 'problem' | undefined): boolean =>
        kind === undefined || kind === 'problem' || options.kinds === undefined || options.kinds.includes(kind);
      for (const log of [...logs.values()]) {
        const end = log.core.length;
        // blocks the caller settled for good are neither read nor hashed again
        for (let seq = Math.max(0, options.settled?.get(log.hex) ?? 0); seq < end && !closed; seq++) {
          if (!wanted(log.kinds[seq])) continue;
          const knownId = log.ids[seq];
          if (knownId !== undefined && (await isKnown(knownId, { log: log.hex, seq }))) continue;
          const item = await readLocal(log, seq).catch(() => null);
          if (item === null) continue; // not held here (yet)
          if (!wanted(item.kind)) continue;
          if (item.kind !== 'problem' && (await isKnown(item.id, item.position))) continue;
          yield item;
        }
      }
    },

    async fetch(ref: ItemRef) {
      const match = /^log:([0-9a-f]{64}):(\d+)$/.exec(ref.origin);
      const log = match === null ? undefined : logs.get(match[1] as string);
      const problem = (reason: string): TransportProblem => ({ kind: 'problem', origin: ref.origin, reason, permanent: false, id: ref.id });
      if (match === null || log === undefined) return problem('no such log item here');
      const item = await readLocal(log, Number(match[2])).catch(() => null);
      if (item === null) return problem('log block not held here');
      if (item.kind === 'problem' || item.id !== ref.id || item.kind !== ref.kind) return problem('log block does not match the item found earlier');
      return item.bytes;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    whenQuiet(quietMs, maxMs = Infinity) {
      const started = Date.now();
      return new Promise((resolve) => {
        const check = (): void => {
          const now = Date.now();
          const idle = now - lastActivity;
          if (closed || idle >= quietMs || now - started >= maxMs) return resolve();
          setTimeout(check, Math.min(quietMs - idle, Math.max(1, maxMs - (now - started))) + 1);
        };
        check();
      });
    },

    onConnections(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },

    status() {
      return {
        key: ownHex,
        connections,
        logs: [...logs.values()].map((log) => ({ key: log.hex, local: log.core.contiguousLength, length: log.core.length })),
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(rediscovery);
      listeners.clear();
      connectionListeners.clear();
      await persistChain;
      if (swarm !== null) await swarm.destroy().catch(() => undefined);
      await store.close().catch(() => undefined);
    },
  };
  return transport;
}
