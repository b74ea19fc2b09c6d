/* global process, Buffer */
// The engine floor of bench/swarm.ts: a bare Hypercore writer or reader on
// the local testnet (no groupcrypt). Writer: prints {"key"}, appends N blocks
// of SIZE bytes per stdin line "N SIZE". Reader: replicates the writer's core
// and prints {"have":contiguousLength} whenever it grows.
import Corestore from 'corestore';
import Hyperswarm from 'hyperswarm';
import HyperDHT from 'hyperdht';
import { createInterface } from 'node:readline';

const [role, dir, bootstrapText, topicHex, keyHex] = process.argv.slice(2);
const bootstrap = bootstrapText.split(',').map((hp) => ({ host: hp.split(':')[0], port: Number(hp.split(':')[1]) }));
const store = new Corestore(dir);
const core = role === 'writer' ? store.get({ name: 'floor' }) : store.get({ key: Buffer.from(keyHex, 'hex') });
await core.ready();
const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap, host: '127.0.0.1', firewalled: false }) });
swarm.on('connection', (connection) => {
  connection.on('error', () => {});
  store.replicate(connection);
});
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
if (role === 'reader') {
  core.download({ start: 0, end: -1 });
  let last = -1;
  const report = () => {
    if (core.contiguousLength !== last) {
      last = core.contiguousLength;
      print({ have: last });
    }
  };
  core.on('download', report);
  core.on('append', report);
}
await swarm.join(Buffer.from(topicHex, 'hex'), { server: true, client: true }).flushed();
print({ ready: core.key.toString('hex') });
for await (const line of createInterface({ input: process.stdin })) {
  const [count, size] = line.split(' ').map(Number);
  for (let i = 0; i < count; i++) await core.append(Buffer.alloc(size, i % 251));
  print({ appended: core.length });
}
await swarm.destroy();
await store.close();
