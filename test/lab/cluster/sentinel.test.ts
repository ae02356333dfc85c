/** The supervisor's Sentinel endpoint, spoken to by ioredis as it speaks to a real Sentinel. */
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelServer, type SentinelView } from '../../../lab/cluster/sentinel.js';

let view: SentinelView = {
  masterName: 'memlab',
  primary: { id: 'n1', host: '127.1.1.1', port: 7001, down: false },
  replicas: [
    { id: 'n2', host: '127.1.2.2', port: 7002, down: false, offset: 90, linkUp: true },
    { id: 'n3', host: '127.1.3.3', port: 7003, down: true },
  ],
  epoch: 0,
  downAfterMs: 1000,
  failoverTimeoutMs: 5000,
};
const server = new SentinelServer(() => view);
let r: Redis;

beforeAll(async () => {
  await server.listen('127.0.0.1', 0);
  r = new Redis({ host: server.endpoint.host, port: server.endpoint.port, enableReadyCheck: false });
});
afterAll(async () => {
  r.disconnect();
  await server.close();
});

describe('Sentinel endpoint', () => {
  it('answers the queries clients make', async () => {
    expect(await r.ping()).toBe('PONG');
    expect(await r.call('SENTINEL', 'get-master-addr-by-name', 'memlab')).toEqual(['127.1.1.1', '7001']);
    expect(await r.call('SENTINEL', 'get-master-addr-by-name', 'other')).toBeNull();
    expect(await r.call('SENTINEL', 'sentinels', 'memlab')).toEqual([]);
    const reps = (await r.call('SENTINEL', 'replicas', 'memlab')) as string[][];
    const asMap = reps.map((a) => Object.fromEntries(a.flatMap((v, i) => (i % 2 ? [] : [[v, a[i + 1]]]))));
    expect(asMap.map((m) => [m.name, m.flags, m['slave-repl-offset'], m['master-host']])).toEqual([
      ['127.1.2.2:7002', 'slave', '90', '127.1.1.1'],
      ['127.1.3.3:7003', 'slave,s_down', '0', '127.1.1.1'],
    ]);
    const masters = (await r.call('SENTINEL', 'masters')) as string[][];
    expect(masters[0].slice(0, 6)).toEqual(['name', 'memlab', 'ip', '127.1.1.1', 'port', '7001']);
    await expect(r.call('SENTINEL', 'master', 'nope')).rejects.toThrow('ERR No such master with that name');
    await expect(r.call('SENTINEL', 'frobnicate')).rejects.toThrow(/Unknown sentinel subcommand/);
  });

  it('publishes +switch-master to subscribers and answers the new primary after it', async () => {
    const sub = new Redis({ host: server.endpoint.host, port: server.endpoint.port, enableReadyCheck: false });
    try {
      const got = new Promise<[string, string]>((resolve) => sub.on('message', (ch: string, msg: string) => resolve([ch, msg])));
      await sub.subscribe('+switch-master');
      view = { ...view, primary: { id: 'n2', host: '127.1.2.2', port: 7002, down: false }, epoch: 1 };
      expect(server.publish('+switch-master', 'memlab 127.1.1.1 7001 127.1.2.2 7002')).toBe(1);
      expect(await got).toEqual(['+switch-master', 'memlab 127.1.1.1 7001 127.1.2.2 7002']);
      expect(await r.call('SENTINEL', 'get-master-addr-by-name', 'memlab')).toEqual(['127.1.2.2', '7002']);
    } finally {
      sub.disconnect();
    }
  });
});
