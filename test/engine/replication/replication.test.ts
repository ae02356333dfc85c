import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { replicationOf } from '../../../engine/replication/replication.js';
import { datasetDigest } from '../../../engine/store/digest.js';
import { cluster, expectConverged, info, randomWorkload, rep, waitFor } from './helpers.js';

type Cluster = Awaited<ReturnType<typeof cluster>>;
let open: Cluster[] = [];
const extra: TestEngine[] = [];
afterEach(async () => {
  for (const c of open) await c.stop();
  for (const e of extra.splice(0)) {
    rep(e).stop();
    await e.stop();
  }
  open = [];
});

async function make(n: number, config: Record<string, string | number | boolean> = {}): Promise<Cluster> {
  const c = await cluster(n, config);
  open.push(c);
  return c;
}

describe('convergence', () => {
  it('a random workload over every type leaves primary and 2 replicas with equal digests', async () => {
    const { primary, replicas } = await make(2);
    const pc = primary.client();
    await randomWorkload(pc, primary.client(), 3000, 1);
    const digest = await expectConverged(primary, replicas);
    expect(digest).not.toBe('0'.repeat(40));
    // The workload really exercised expiry, blocking pops and transactions.
    expect(primary.server.stats.expiredKeys).toBeGreaterThan(0);
    expect(await pc.debug('digest')).toBe(digest);
    expect(await replicas[1].client().debug('digest')).toBe(digest);
    // Replicas never expire keys themselves.
    expect(replicas[0].server.stats.expiredKeys).toBe(0);
  });

  it('a link cut mid-stream resumes with a partial resync and converges', async () => {
    const { primary, replicas, relays } = await make(2);
    const pc = primary.client();
    const fullBefore = primary.server.stats.syncFull;
    const work = randomWorkload(pc, primary.client(), 4000, 2);
    await new Promise((r) => setTimeout(r, 60));
    relays[0].cut();
    await new Promise((r) => setTimeout(r, 150));
    expect((await info(replicas[0].client(), 'replication')).get('master_link_status')).toBe('down');
    relays[0].heal();
    await work;
    await expectConverged(primary, replicas);
    const st = await info(pc, 'stats');
    expect(Number(st.get('sync_partial_ok'))).toBeGreaterThanOrEqual(1);
    expect(primary.server.stats.syncFull).toBe(fullBefore);
    expect(rep(replicas[0]).replicaStats).toMatchObject({ fullSyncs: 1 });
    expect(rep(replicas[0]).replicaStats.partialSyncs).toBeGreaterThanOrEqual(1);
  });

  it('a replica restarted empty gets a full resync and converges', async () => {
    const { primary, replicas } = await make(2);
    const pc = primary.client();
    await randomWorkload(pc, primary.client(), 300, 3);
    await expectConverged(primary, replicas);
    rep(replicas[1]).stop();
    await replicas[1].stop();
    await randomWorkload(pc, primary.client(), 300, 4);
    const fresh = await startEngine();
    extra.push(fresh);
    expect(datasetDigest(fresh.server.dbs)).toBe('0'.repeat(40));
    replicationOf(fresh.server).replicaOf('127.0.0.1', primary.port, false);
    const full = primary.server.stats.syncFull;
    await randomWorkload(pc, primary.client(), 300, 5);
    await expectConverged(primary, [replicas[0], fresh]);
    expect(primary.server.stats.syncFull).toBe(full + 1);
  });

  it('a backlog too small for the gap forces a full resync', async () => {
    const { primary, replicas, relays } = await make(1, { 'repl-backlog-size': 1024 * 1024 });
    const pc = primary.client();
    await pc.config('SET', 'repl-backlog-size', '16384');
    relays[0].cut();
    await waitFor('link down', () => rep(replicas[0]).link?.state !== 'connected');
    for (let i = 0; i < 200; i++) await pc.set(`k${i}`, 'x'.repeat(200));
    relays[0].heal();
    const partialErr = primary.server.stats.syncPartialErr;
    await expectConverged(primary, replicas);
    expect(primary.server.stats.syncPartialErr).toBe(partialErr + 1);
    expect(rep(replicas[0]).replicaStats.fullSyncs).toBe(2);
  });
});

describe('chained replicas (PSYNC2)', () => {
  it('a replica of a replica gets the identical stream, resumes partially from it, and follows its promotion', async () => {
    const { primary, replicas } = await make(1);
    const mid = replicas[0];
    const leaf = await startEngine();
    extra.push(leaf);
    replicationOf(leaf.server).replicaOf('127.0.0.1', mid.port, false);
    const pc = primary.client();
    await randomWorkload(pc, primary.client(), 800, 21);
    await expectConverged(primary, [mid, leaf]);
    // Same history: same ID, same offset, byte-identical backlogs.
    expect(rep(leaf).state.replid).toBe(rep(primary).state.replid);
    const off = rep(primary).state.offset;
    const from = Math.max(rep(leaf).state.backlog!.firstOffset, rep(primary).state.backlog!.firstOffset);
    expect(rep(leaf).state.backlog!.from(from).equals(rep(primary).state.backlog!.from(from))).toBe(true);
    expect(rep(leaf).state.offset).toBe(off);

    // The leaf's link drops: it continues from the middle replica's backlog.
    await mid.client().client('KILL', 'TYPE', 'replica');
    await pc.set('after', '1');
    await waitFor('leaf back', () => rep(leaf).replicaStats.partialSyncs === 1 && rep(leaf).link?.state === 'connected');
    await expectConverged(primary, [mid, leaf]);
    expect(mid.server.stats.syncPartialOk).toBe(1);

    // The middle one is promoted: the leaf reconnects and continues under the new ID.
    expect(await mid.client().replicaof('NO', 'ONE')).toBe('OK');
    await mid.client().set('promoted', '1');
    await waitFor('leaf on new history', () => rep(leaf).state.replid === rep(mid).state.replid && rep(leaf).link?.state === 'connected');
    await expectConverged(mid, [leaf]);
    expect(rep(leaf).replicaStats.fullSyncs).toBe(1);
    expect(rep(leaf).state.replid2).toBe(rep(primary).state.replid);
    expect(await leaf.client().get('promoted')).toBe('1');
  });
});

describe('WAIT', () => {
  it('counts the replicas that acknowledged, times out with fewer, blocks with timeout 0', async () => {
    const { primary, relays } = await make(2);
    const c = primary.client();
    await c.set('a', '1');
    expect(await c.wait(2, 2000)).toBe(2);
    expect(await c.wait(3, 100)).toBe(2);

    relays[1].pause();
    await c.set('b', '1');
    const t0 = Date.now();
    expect(await c.wait(2, 300)).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    // Never rolled back.
    expect(await c.get('b')).toBe('1');

    await c.set('c', '1');
    let answered: number | null = null;
    const w = c.wait(2, 0).then((n) => (answered = n));
    await new Promise((r) => setTimeout(r, 400));
    expect(answered).toBeNull();
    relays[1].resume();
    await w;
    expect(answered).toBe(2);
  });

  it('waits for the offset after the client\'s last command, read or write, as Redis does', async () => {
    const { primary, relays } = await make(1);
    const a = primary.client();
    const b = primary.client();
    await b.ping();
    relays[0].pause();
    await a.set('x', '1');
    // b's last command was before the write: already acknowledged.
    expect(await b.wait(1, 100)).toBe(1);
    await b.get('nothing');
    expect(await b.wait(1, 100)).toBe(0);
    relays[0].resume();
  });

  it('answers at once inside MULTI, errs on a replica, and checks its arguments', async () => {
    const { primary, replicas, relays } = await make(1);
    const c = primary.client();
    relays[0].pause();
    await c.set('x', '1');
    const res = await c.multi().wait(1, 0).exec();
    expect(res).toEqual([[null, 0]]);
    relays[0].resume();
    await expect(replicas[0].client().wait(1, 0)).rejects.toThrow(/^ERR WAIT cannot be used with replica instances/);
    await expect(c.call('wait', 'a', '1')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(c.call('wait', '1', '-1')).rejects.toThrow('ERR timeout is negative');
    await expect(c.call('wait', '1', 'x')).rejects.toThrow('ERR timeout is not an integer or out of range');
  });

  it('a WAIT client that disconnects is forgotten; CLIENT UNBLOCK answers with the count', async () => {
    const { primary, relays } = await make(1);
    const c = primary.client();
    const admin = primary.client();
    relays[0].pause();
    await c.set('y', '1');
    const id = await c.client('ID');
    const w = c.wait(1, 0);
    await waitFor('blocked', () => rep(primary).state.waiting === 1);
    expect(await admin.client('UNBLOCK', String(id))).toBe(1);
    expect(await w).toBe(0);
    relays[0].resume();
  });
});

describe('read-only replicas, min-replicas, ROLE, INFO, REPLICAOF', () => {
  it('replicas refuse writes; min-replicas-to-write refuses writes without enough good replicas', async () => {
    const { primary, replicas, relays } = await make(2);
    const r = replicas[0].client();
    await expect(r.set('k', 'v')).rejects.toThrow("READONLY You can't write against a read only replica.");
    expect(await r.get('k')).toBeNull();
    const c = primary.client();
    await c.config('SET', 'min-replicas-to-write', '2');
    await c.config('SET', 'min-replicas-max-lag', '1');
    expect(await c.set('k', 'v')).toBe('OK');
    expect((await info(c, 'replication')).get('min_slaves_good_slaves')).toBe('2');
    await c.config('SET', 'min-replicas-to-write', '3');
    await expect(c.set('k', 'v')).rejects.toThrow('NOREPLICAS Not enough good replicas to write.');
    expect(await c.get('k')).toBe('v');
    await expect(c.multi().set('k', 'w').exec()).rejects.toThrow(/EXECABORT/);
    await c.config('SET', 'min-replicas-to-write', '2');
    // A replica whose ACKs stop is no longer good after max-lag seconds.
    relays[1].pause();
    await waitFor('lagging replica', async () => {
      try {
        await c.set('k', 'x');
        return false;
      } catch (e) {
        return /NOREPLICAS/.test((e as Error).message);
      }
    }, 5000);
    relays[1].resume();
    await waitFor('good again', async () => (await c.set('k', 'y').catch(() => null)) === 'OK', 5000);
  });

  it('ROLE and INFO replication have Redis\'s shapes', async () => {
    const { primary, replicas } = await make(2);
    const c = primary.client();
    await c.set('a', '1');
    await c.wait(2, 1000);
    const before = rep(primary).state.offset;
    const role = (await c.role()) as unknown[];
    expect(role[0]).toBe('master');
    // (A PING may enter the stream between the two readings.)
    expect(role[1]).toBeGreaterThanOrEqual(before);
    expect(role[1]).toBeLessThanOrEqual(rep(primary).state.offset);
    const list = role[2] as string[][];
    expect(list).toHaveLength(2);
    for (const e of list) {
      expect(e[0]).toBe('127.0.0.1');
      expect(e[1]).toMatch(/^\d+$/);
      expect(Number(e[2])).toBeGreaterThan(0);
    }
    const rrole = (await replicas[0].client().role()) as unknown[];
    expect(rrole).toEqual(['slave', '127.0.0.1', rep(replicas[0]).link!.config.port, 'connected', rep(replicas[0]).link!.reploff]);
    const pi = await info(c, 'replication');
    expect([...pi.keys()]).toEqual([
      'role', 'connected_slaves', 'slave0', 'slave1', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset',
      'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen',
    ]);
    expect(pi.get('slave0')).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
    const ri = await info(replicas[0].client(), 'replication');
    expect([...ri.keys()]).toEqual([
      'role', 'master_host', 'master_port', 'master_link_status', 'master_last_io_seconds_ago', 'master_sync_in_progress',
      'slave_read_repl_offset', 'slave_repl_offset', 'slave_priority', 'slave_read_only', 'replica_announced', 'connected_slaves',
      'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active',
      'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen',
    ]);
    expect(ri.get('master_replid')).toBe(pi.get('master_replid'));
    expect(ri.get('master_link_status')).toBe('up');
  });

  it('REPLICAOF answers as Redis; a replica whose primary is gone reports the link down', async () => {
    const { primary, replicas } = await make(1);
    const r = replicas[0].client();
    const port = rep(replicas[0]).link!.config.port;
    expect(await r.call('replicaof', '127.0.0.1', String(port))).toBe('OK Already connected to specified master');
    await expect(r.call('replicaof', '127.0.0.1', 'abc')).rejects.toThrow('ERR Invalid master port');
    await expect(r.call('replicaof', '127.0.0.1', '70000')).rejects.toThrow('ERR Invalid master port');
    expect(await primary.client().call('replicaof', 'no', 'one')).toBe('OK');
    rep(primary).stop();
    await primary.stop();
    await waitFor('link down', async () => (await info(r, 'replication')).get('master_link_status') === 'down');
    const ri = await info(r, 'replication');
    expect(ri.get('master_link_down_since_seconds')).toMatch(/^\d+$/);
    expect(await r.role()).toEqual(['slave', '127.0.0.1', port, 'connect', -1]);
  });
});
