import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { haveRedisServer, startRealRedis, type RealRedis } from '../../helpers/redis-server.js';
import { replicationOf } from '../../../engine/replication/replication.js';
import { datasetDigest } from '../../../engine/store/digest.js';
import { info, randomWorkload, rep, waitFor } from './helpers.js';

const have = haveRedisServer();
if (!have) console.log('skipping real-redis replication tests: redis-server is not installed');

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function real(args: string[] = []): Promise<RealRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlab-repl-'));
  const r = await startRealRedis(['--dir', dir, '--enable-debug-command', 'yes', ...args]);
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => r.stop());
  return r;
}

async function engine(): Promise<TestEngine> {
  const e = await startEngine();
  replicationOf(e.server);
  cleanup.push(async () => {
    rep(e).stop();
    await e.stop();
  });
  return e;
}

/** Values of every type, a few binary, some with TTLs, a long compressible one. */
async function seed(c: Redis): Promise<void> {
  const p = c.pipeline();
  p.set('str', 'hello');
  p.set(Buffer.from([0, 1, 255]), Buffer.from([10, 13, 0, 200]));
  p.set('big', 'abc'.repeat(5000));
  p.set('int', '12345');
  p.set('ttl', 'v', 'EX', 1000);
  p.hset('h', 'a', '1', 'b', 'x'.repeat(100));
  p.rpush('l', 'a', 'b', 'c', '1234567890123');
  p.sadd('s', 'x', 'y', 'z');
  p.sadd('is', '1', '2', '3');
  p.zadd('z', 1.5, 'a', -2, 'b', 1e300, 'c');
  p.select(5);
  p.set('db5', 'yes');
  p.select(0);
  await p.exec();
}

async function realDigest(c: Redis): Promise<string> {
  return (await c.call('DEBUG', 'DIGEST')) as string;
}

describe.skipIf(!have)('interop with redis-server 7.0', () => {
  it('a real redis replicates a memlab primary: snapshot, stream, WAIT, partial resync after a dropped link', async () => {
    const m = await engine();
    const mc = m.client();
    await seed(mc);
    const r = await real(['--replicaof', '127.0.0.1', String(m.port)]);
    const rc = r.client();
    await waitFor('real replica link up', async () => (await info(rc, 'replication')).get('master_link_status') === 'up');
    await randomWorkload(mc, m.client(), 1500, 11);
    await seed(mc);
    // The real replica's ACKs count for WAIT.
    expect(await mc.wait(1, 5000)).toBe(1);
    const mi = await info(mc, 'replication');
    expect(mi.get('slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${r.port},state=online,offset=\\d+,lag=\\d+$`));
    await waitFor('same offset', async () => (await info(rc, 'replication')).get('master_repl_offset') === String(rep(m).state.offset));
    expect(await realDigest(rc)).toBe(datasetDigest(m.server.dbs));
    expect(await realDigest(rc)).toBe(await mc.debug('digest'));

    // Drop the link: the real replica comes back with PSYNC and continues.
    const partial = m.server.stats.syncPartialOk;
    expect(await mc.client('KILL', 'TYPE', 'replica')).toBe(1);
    await mc.set('after-kill', '1');
    await waitFor('partial resync', () => m.server.stats.syncPartialOk === partial + 1);
    expect(await mc.wait(1, 5000)).toBe(1);
    await waitFor('same offset again', async () => (await info(rc, 'replication')).get('master_repl_offset') === String(rep(m).state.offset));
    expect(await realDigest(rc)).toBe(datasetDigest(m.server.dbs));
    expect(m.server.stats.syncFull).toBe(1);
  });

  for (const mode of ['diskless', 'disk'] as const) {
    it(`memlab replicates a real redis primary (${mode} sync) and stays equal under writes`, async () => {
      const r = await real(mode === 'diskless' ? ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'] : ['--repl-diskless-sync', 'no']);
      const rc = r.client();
      await seed(rc);
      const m = await engine();
      replicationOf(m.server).replicaOf('127.0.0.1', r.port, false);
      await waitFor('memlab link up', () => rep(m).link?.state === 'connected');
      await randomWorkload(rc, r.client(), 1500, 12);
      expect(await rc.wait(1, 5000)).toBe(1);
      await waitFor('same offset', async () => rep(m).link!.reploff === Number((await info(rc, 'replication')).get('master_repl_offset')));
      expect(datasetDigest(m.server.dbs)).toBe(await realDigest(rc));
      const mi = await info(m.client(), 'replication');
      expect(mi.get('master_replid')).toBe((await info(rc, 'replication')).get('master_replid'));
      // The real primary sees memlab as an online replica on its listening port.
      expect((await info(rc, 'replication')).get('slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${m.port},state=online,`));
    });
  }

  it('INFO replication and ROLE have the shapes of redis-server 7.0', async () => {
    const rp = await real();
    const rr = await real(['--replicaof', '127.0.0.1', String(rp.port)]);
    const mp = await engine();
    const mr = await engine();
    replicationOf(mr.server).replicaOf('127.0.0.1', mp.port, false);
    await waitFor('links up', async () => (await info(rr.client(), 'replication')).get('master_link_status') === 'up' && rep(mr).link?.state === 'connected');
    await rp.client().set('k', 'v');
    await mp.client().set('k', 'v');
    expect(await rp.client().wait(1, 3000)).toBe(1);
    expect(await mp.client().wait(1, 3000)).toBe(1);
    const shape = (v: unknown): unknown => (Array.isArray(v) ? v.map(shape) : typeof v);
    for (const [realNode, ours] of [
      [rp, mp],
      [rr, mr],
    ] as const) {
      const a = await info(realNode.client(), 'replication');
      const b = await info(ours.client(), 'replication');
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const k of ['role', 'master_link_status', 'master_sync_in_progress', 'slave_priority', 'slave_read_only', 'connected_slaves', 'master_failover_state', 'repl_backlog_active']) {
        expect(b.get(k)).toBe(a.get(k));
      }
      expect(shape(await ours.client().role())).toEqual(shape(await realNode.client().role()));
    }
    // The replica's link down: both report the same fields.
    const realDown = await real(['--replicaof', '127.0.0.1', '1']);
    const oursDown = await engine();
    replicationOf(oursDown.server).replicaOf('127.0.0.1', 1, false);
    await new Promise((res) => setTimeout(res, 300));
    const a = await info(realDown.client(), 'replication');
    const b = await info(oursDown.client(), 'replication');
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect(b.get('master_link_down_since_seconds')).toBe(a.get('master_link_down_since_seconds'));
    expect(b.get('slave_repl_offset')).toBe(a.get('slave_repl_offset'));
    expect(shape(await oursDown.client().role())).toEqual(shape(await realDown.client().role()));
  });
});
