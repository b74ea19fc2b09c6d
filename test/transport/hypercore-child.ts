/**
 * A peer process for the hypercore transport tests: opens the transport on
 * argv[2] (corestore dir), argv[3] (bootstrap host:port,…), argv[4] (topic),
 * joins, prints `{"ready":KEY}`, then runs one JSON command per stdin line
 * and prints one JSON reply per command. Live arrivals are printed as
 * `{"live":{…}}` lines as they happen.
 */
import { createInterface } from 'node:readline';
import { openHypercoreTransport, parseBootstrap } from '../../src/transport/hypercore.js';
import type { TransportItem, TransportProblem } from '../../src/transport/index.js';

const [dir, bootstrapText, topic] = process.argv.slice(2) as [string, string, string];
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const describe = (item: TransportItem | TransportProblem): unknown =>
  item.kind === 'problem'
    ? { problem: item.reason, origin: item.origin }
    : { kind: item.kind, id: item.id, origin: item.origin, text: Buffer.from(item.bytes).toString('utf8'), position: item.position };

const transport = await openHypercoreTransport({ dir, bootstrap: parseBootstrap(bootstrapText), topic });
transport.subscribe((item) => print({ live: describe(item) }));
transport.onConnections((connections) => print({ connections }));
await transport.join();
print({ ready: transport.key });

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line) as {
    op: string; kind?: 'bundle' | 'msg'; text?: string; count?: number; ms?: number; each?: boolean; size?: number;
    settled?: Record<string, number>; known?: string[];
  };
  if (command.op === 'publish') {
    const ids: string[] = [];
    for (let index = 0; index < (command.count ?? 1); index++) {
      const text = command.count === undefined ? (command.text as string) : `${command.text as string} ${index}`;
      const id = await transport.publish(command.kind ?? 'msg', new TextEncoder().encode(text.padEnd(command.size ?? 0, '.')));
      if (command.each === true) print({ acked: id });
      ids.push(id);
    }
    print({ published: ids });
  } else if (command.op === 'await') {
    // Waits until catch-up holds at least `count` items written by other peers.
    const deadline = Date.now() + (command.ms ?? 30_000);
    let have = 0;
    const perLog: Record<string, number> = {};
    let problems = 0;
    do {
      have = 0;
      problems = 0;
      for (const key of Object.keys(perLog)) delete perLog[key];
      for await (const item of transport.catchUp(() => false)) {
        if (item.kind === 'problem') problems++;
        else if (!item.origin.startsWith(`log:${transport.key}:`)) {
          have++;
          const log = item.origin.split(':')[1] as string;
          perLog[log] = (perLog[log] ?? 0) + 1;
        }
      }
      if (have >= (command.count ?? 1)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    print({ have, perLog, problems });
  } else if (command.op === 'catchup') {
    // optional: marks to start the logs at, and ids to answer as known (their positions are reported)
    const items: unknown[] = [];
    const knownAt: unknown[] = [];
    const known = new Set(command.known ?? []);
    const isKnown = (id: string, position?: unknown): boolean => {
      if (!known.has(id)) return false;
      knownAt.push({ id, position });
      return true;
    };
    const settled = command.settled === undefined ? undefined : new Map(Object.entries(command.settled));
    for await (const item of transport.catchUp(isKnown, settled === undefined ? {} : { settled })) items.push(describe(item));
    print({ items, knownAt });
  } else if (command.op === 'quiet') {
    await transport.whenQuiet(command.ms ?? 500, 20_000);
    print({ quiet: true });
  } else if (command.op === 'status') {
    print({ status: transport.status() });
  }
}
await transport.close();
print({ closed: true });
