/**
 * The broadcast-channel transport under Node (which has BroadcastChannel):
 * items reach every other channel of the same name, ids are content hashes,
 * what arrives before anyone listens is handed out by the next catch-up, a
 * catch-up asks the others to post what they published again, and junk on
 * the channel is a problem, not a crash.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.js';
import type { TransportItem, TransportProblem } from '../../src/transport/index.js';
import { BroadcastChannelTransport } from '../../src/transport/index.js';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await wait(10);
}

describe('BroadcastChannelTransport', () => {
  it('delivers to the others live, early arrivals by catch-up, and answers a catch-up with what it published', async () => {
    const name = `gc-test-${Math.random()}`;
    const a = new BroadcastChannelTransport({ name });
    const b = new BroadcastChannelTransport({ name });
    const heard: (TransportItem | TransportProblem)[] = [];
    b.subscribe((item) => heard.push(item));
    const id = await a.publish('msg', utf8('live'));
    await until(() => heard.length === 1);
    expect(heard).toEqual([{ kind: 'msg', id: createHash('sha256').update('live').digest('hex'), bytes: utf8('live'), origin: 'broadcast-channel' }]);
    expect(id).toBe((heard[0] as TransportItem).id);
    // c opens late: a's earlier item reaches it when it catches up (a posts it again)
    const c = new BroadcastChannelTransport({ name });
    const late: (TransportItem | TransportProblem)[] = [];
    c.subscribe((item) => late.push(item));
    for await (const item of c.catchUp(() => false)) late.push(item);
    await until(() => late.some((item) => item.kind === 'msg'));
    expect(late.filter((item) => item.kind === 'msg').map((item) => (item as TransportItem).id)).toContain(id);
    // junk on the channel
    const raw = new BroadcastChannel(name);
    raw.postMessage({ t: 'item', kind: 'msg', bytes: 'not bytes' });
    await until(() => heard.some((item) => item.kind === 'problem'));
    expect(heard.some((item) => item.kind === 'problem' && item.permanent)).toBe(true);
    raw.close();
    await Promise.all([a.close(), b.close(), c.close()]);
    await expect(a.publish('msg', utf8('x'))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('items heard before anyone subscribed wait for the next catch-up', async () => {
    const name = `gc-test-${Math.random()}`;
    const a = new BroadcastChannelTransport({ name });
    const b = new BroadcastChannelTransport({ name });
    await a.publish('bundle', utf8('early'));
    await wait(50);
    const found: (TransportItem | TransportProblem)[] = [];
    for await (const item of b.catchUp(() => false)) found.push(item);
    expect(found.map((f) => f.kind)).toEqual(['bundle']);
    const again: (TransportItem | TransportProblem)[] = [];
    for await (const item of b.catchUp(() => false)) again.push(item);
    expect(again).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
