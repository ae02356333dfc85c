/**
 * Real clusters (processes, the delay line, the supervisor in this process): state, latency,
 * every fault, failover followed by an ioredis Sentinel client, and nothing left behind.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCapabilities, DURABLE_UNAVAILABLE } from '../../../lab/cluster/caps.js';
import { up, type Cluster } from '../../../lab/cluster/index.js';
import { resolveSpec } from '../../../lab/cluster/profile.js';
import { formatStatus } from '../../../lab/cluster/status.js';
import { respOnce, RespClient } from '../../../lab/cluster/resp.js';
import { readState, type ClusterState } from '../../../lab/cluster/state.js';
import { Supervisor } from '../../../lab/cluster/supervisor.js';
import { ProxyClient } from '../../../lab/network/control.js';
import { detectNetem, NetemUnavailableError } from '../../../lab/network/netem.js';
import { probe } from '../../../lab/network/probe.js';
import { clientAddress } from '../../../lab/network/topology.js';
import { built, netnsList, notBuiltReason, pidAlive, rootQdiscs, sleep, tmpDir, waitFor } from './helpers.js';

if (!built) console.log(`skipping the lab cluster tests: ${notBuiltReason}`);

const RTT = 4;
/** Where a client of AZ `az` dials node `id`, and from which address. */
function from(s: ClusterState, az: string, id: string) {
  const n = s.nodes.find((x) => x.id === id)!;
  return { ...n.views[az], localAddress: clientAddress(s.spec.azs.indexOf(az) + 1, 3) };
}

/** One PING on a fresh connection: 'PONG', or 'timeout' when nothing answers in `ms`. */
async function ping(ep: { host: string; port: number; localAddress: string }, ms = 800): Promise<string> {
  try {
    const c = await RespClient.connect(ep, { localAddress: ep.localAddress, timeoutMs: ms });
    try {
      return String(await c.callTimeout(['PING'], ms));
    } finally {
      c.close();
    }
  } catch (e) {
    return /within|no reply/.test((e as Error).message) ? 'timeout' : `error: ${(e as Error).message}`;
  }
}

/** Everything a stopped cluster must have removed. */
async function expectGone(statePath: string, s: ClusterState, netnsBefore: string[], qdiscsBefore: string): Promise<void> {
  const procs = [s.proxy?.pid, ...s.nodes.map((n) => n.pid)].filter((p): p is number => typeof p === 'number');
  await waitFor('every process of the cluster to exit', () => procs.every((p) => !pidAlive(p)), 10_000);
  expect(existsSync(statePath)).toBe(false);
  expect(existsSync(s.runDir)).toBe(false);
  expect(netnsList()).toEqual(netnsBefore);
  expect(rootQdiscs()).toBe(qdiscsBefore);
}

describe.skipIf(!built)('plain mode cluster', { timeout: 90_000 }, () => {
  let c: Cluster;
  let s0: ClusterState;
  const statePath = path.join(tmpDir(), 'state.json');
  const netnsBefore = netnsList();
  const qdiscsBefore = rootQdiscs();

  beforeAll(async () => {
    c = await up({ statePath, rttMs: RTT, jitterMs: 0, downAfterMs: 800, log: () => {} });
    s0 = structuredClone(readState(statePath)!);
  }, 120_000);
  afterAll(async () => {
    await c?.down();
  });

  it('writes every process, address and endpoint to the state file', async () => {
    const s = readState(statePath)!;
    expect(s.ready).toBe(true);
    expect(s.mode).toBe('plain');
    // This kernel has no sch_netem: auto falls back to the delay line, and says why.
    expect(s.net.backend).toBe('proxy');
    expect(s.net.reason).toMatch(/^auto: netem unavailable \(.*\); using the userspace delay line$/);
    expect(s.nodes.map((n) => [n.id, n.kind, n.az, n.role])).toEqual([
      ['n1', 'engine', 'az-a', 'primary'],
      ['n2', 'engine', 'az-b', 'replica'],
      ['n3', 'engine', 'az-c', 'replica'],
    ]);
    for (const n of s.nodes) {
      expect(pidAlive(n.pid!)).toBe(true);
      expect(Object.keys(n.views)).toEqual(['az-a', 'az-b', 'az-c']);
    }
    expect(s.endpoint).toEqual(s.nodes[0].views['az-a']);
    expect(s.supervisor.pid).toBe(process.pid);
    expect(pidAlive(s.proxy!.pid)).toBe(true);
    expect(s.sentinel.masterName).toBe('memlab');
    // Replicas replicate, through their own AZ's link.
    await respOnce(s.endpoint, ['SET', 'k0', 'v0']);
    await waitFor('k0 on n3', async () => (await respOnce(s.nodes[2].views['az-c'], ['GET', 'k0'])) === 'v0');
  });

  it('a client in az-a sees the configured round trip to az-b and none within az-a', async () => {
    const s = readState(statePath)!;
    const cross = await probe(from(s, 'az-a', 'n2'), { count: 100, localAddress: from(s, 'az-a', 'n2').localAddress });
    const same = await probe(from(s, 'az-a', 'n1'), { count: 100, localAddress: from(s, 'az-a', 'n1').localAddress });
    // The delay line never releases early: the floor is hard; the ceiling is loose (CI machines are busy).
    expect(cross.p50).toBeGreaterThanOrEqual(RTT - 0.1);
    expect(cross.p50).toBeLessThan(RTT + 2);
    expect(same.p50).toBeLessThan(1.5);
    const st = await c.status({ probe: true, count: 30, crossAzOnly: true });
    expect(st.links).toHaveLength(6);
    for (const l of st.links) {
      expect(l.configured.rttMs).toBe(RTT);
      expect(l.achieved!.p50).toBeGreaterThanOrEqual(RTT - 0.1);
    }
    expect(st.nodes.find((n) => n.id === 'n2')).toMatchObject({ role: 'replica', following: 'n1', linkUp: true, lagBytes: 0 });
  });

  it('pause stops a node (SIGSTOP) and resume brings it back', async () => {
    const s = readState(statePath)!;
    const ep = from(s, 'az-a', 'n3');
    expect(await ping(ep)).toBe('PONG');
    await c.fault({ kind: 'pause', target: 'n3' });
    expect(readState(statePath)!.nodes[2].status).toBe('paused');
    expect(await ping(ep)).toBe('timeout');
    await c.fault({ kind: 'resume', target: 'n3' });
    expect(await ping(ep)).toBe('PONG');
  });

  it('cut black-holes a node, --from spares the others, heal undoes it', async () => {
    const s = readState(statePath)!;
    await c.fault({ kind: 'cut', target: 'n3', from: ['n1'] });
    // Cut from n1 only: a client still reaches n3, and n3 stops hearing from the primary.
    expect(await ping(from(s, 'az-a', 'n3'))).toBe('PONG');
    await respOnce(s.endpoint, ['SET', 'k1', 'during-cut']);
    await sleep(300);
    expect(await respOnce(s.nodes[2].views['az-c'], ['GET', 'k1'])).toBeNull();
    await c.fault({ kind: 'cut', target: 'n3' });
    expect(await ping(from(s, 'az-a', 'n3'))).toBe('timeout');
    expect(await ping(from(s, 'az-c', 'n3'))).toBe('timeout');
    expect(readState(statePath)!.faults.map((f) => `${f.kind} ${f.target} ${f.from.join(',')}`)).toEqual(['cut n3 n1', 'cut n3 ']);
    await c.fault({ kind: 'heal' });
    expect(await ping(from(s, 'az-a', 'n3'))).toBe('PONG');
    expect(readState(statePath)!.faults).toEqual([]);
    // The replication link was reset by the heal (it lost data) and comes back: n3 catches up.
    await waitFor('k1 on n3 after heal', async () => (await respOnce(s.nodes[2].views['az-c'], ['GET', 'k1'])) === 'during-cut', 20_000);
  });

  it('crash drops what is in flight on the node links; kill does not', async () => {
    const s = readState(statePath)!;
    const proxy = await ProxyClient.connect(s.proxy!.control);
    const raw = async (kind: 'crash' | 'kill') => {
      const ep = from(s, 'az-a', 'n3');
      const sock = net.connect({ host: ep.host, port: ep.port, localAddress: ep.localAddress });
      await new Promise((r) => sock.once('connect', r));
      sock.on('error', () => {});
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      await sleep(100);
      sock.write('*1\r\n$4\r\nPING\r\n');
      // PING lands at n3 after 300 ms; its PONG then waits 300 ms in the delay line.
      await sleep(450);
      await c.fault({ kind, target: 'n3' });
      await sleep(700);
      sock.destroy();
      return got;
    };
    try {
      await proxy.setDelay('az-a->n3', 300, 0);
      expect(await raw('kill')).toBe('+PONG\r\n');
      await c.fault({ kind: 'restart', target: 'n3' });
      expect(await raw('crash')).toBe('');
      const link = (await proxy.stats('az-a->n3')).links[0];
      expect(link.backward.droppedBytes).toBeGreaterThanOrEqual(7);
      expect(readState(statePath)!.nodes[2].status).toBe('crashed');
    } finally {
      await proxy.setDelay('az-a->n3', RTT / 2, 0);
      proxy.close();
    }
    // restart heals the crashed links (old connections get a reset) and starts it again.
    const r = await c.fault({ kind: 'restart', target: 'n3' });
    expect(pidAlive(r.pids[0])).toBe(true);
    expect(await ping(from(s, 'az-a', 'n3'))).toBe('PONG');
    expect(readState(statePath)!.faults).toEqual([]);
  });

  it('restart keeps the data directory, restart --empty wipes it', async () => {
    const s = readState(statePath)!;
    const n3 = s.nodes[2];
    await waitFor('n3 answering', async () => (await ping(from(s, 'az-c', 'n3'))) === 'PONG');
    expect(await respOnce(n3.views['az-c'], ['SAVE'])).toBe('OK');
    const dump = path.join(n3.dataDir, 'dump.rdb');
    expect(existsSync(dump)).toBe(true);
    const before = n3.pid!;
    await c.fault({ kind: 'restart', target: 'n3' });
    expect(pidAlive(before)).toBe(false);
    expect(existsSync(dump)).toBe(true);
    await c.fault({ kind: 'restart', target: 'n3', empty: true });
    expect(existsSync(dump)).toBe(false);
    expect(readState(statePath)!.nodes[2].restarts).toBe(4);
    // It comes back as the replica its config says it is, and resyncs.
    await waitFor('n3 following n1 again', async () => c.supervisor.settled(), 20_000);
    expect(await respOnce(n3.views['az-c'], ['GET', 'k0'])).toBe('v0');
  });

  it('kill -9 of the primary: Sentinel rules fail over, the state file and ioredis with sentinels follow', async () => {
    const s = readState(statePath)!;
    const client = new Redis({ sentinels: [{ host: s.sentinel.host, port: s.sentinel.port }], name: 'memlab', maxRetriesPerRequest: 1, enableOfflineQueue: true });
    client.on('error', () => {});
    try {
      await client.set('before', '1');
      const r = await c.fault({ kind: 'kill', target: 'n1' });
      expect(r.pids).toEqual([s.nodes[0].pid]);
      await waitFor('n1 gone', () => !pidAlive(s.nodes[0].pid!), 5000);
      const after = await waitFor('a new primary in the state file', () => {
        const st = readState(statePath)!;
        return st.primary !== 'n1' ? st : null;
      });
      expect(['n2', 'n3']).toContain(after.primary);
      expect(after.failovers).toHaveLength(1);
      expect(after.failovers[0]).toMatchObject({ from: 'n1', to: after.primary, epoch: 1 });
      expect(after.endpoint).toEqual(after.nodes.find((n) => n.id === after.primary)!.views['az-a']);
      expect(await respOnce(s.sentinel, ['SENTINEL', 'get-master-addr-by-name', 'memlab'])).toEqual([after.endpoint.host, String(after.endpoint.port)]);
      // ioredis asks the sentinel again and writes to the new primary.
      await waitFor('ioredis writing to the new primary', async () => (await client.set('after', '2')) === 'OK', 20_000, 200);
      const newPrimary = after.nodes.find((n) => n.id === after.primary)!;
      expect(await respOnce(newPrimary.views['az-a'], ['GET', 'after'])).toBe('2');
      expect(await respOnce(newPrimary.views['az-a'], ['GET', 'before'])).toBe('1');
    } finally {
      client.disconnect();
    }
  });

  it('down stops every process, and leaves no namespace, qdisc, run directory or state file', async () => {
    await c.down();
    await expectGone(statePath, s0, netnsBefore, qdiscsBefore);
    // Twice is fine.
    await c.down();
  });
});

describe.skipIf(!built)('wait and durable modes', { timeout: 90_000 }, () => {
  it('wait mode: WAIT counts the replicas, and down leaves nothing behind', async () => {
    const statePath = path.join(tmpDir(), 'state.json');
    const netnsBefore = netnsList();
    const qdiscs = rootQdiscs();
    const c = await up({ mode: 'wait', statePath, rttMs: 1, log: () => {} });
    const s = structuredClone(readState(statePath)!);
    try {
      expect(s.mode).toBe('wait');
      const cl = await RespClient.connect(s.endpoint, { localAddress: clientAddress(1, 4) });
      try {
        expect(await cl.call(['SET', 'w', '1'])).toBe('OK');
        expect(await cl.callTimeout(['WAIT', '2', '2000'], 3000)).toBe(2);
      } finally {
        cl.close();
      }
      const st = await c.status();
      expect(st.nodes.filter((n) => n.role === 'replica').map((n) => n.following)).toEqual(['n1', 'n1']);
    } finally {
      await c.down();
    }
    await expectGone(statePath, s, netnsBefore, qdiscs);
  });

  it('durable mode runs log replicas when this build has them, and refuses clearly when not', async () => {
    const statePath = path.join(tmpDir(), 'state.json');
    await expect(Supervisor.start({ spec: resolveSpec({ mode: 'durable' }), statePath, caps: { replicaofFlag: true, lognode: false }, log: () => {} })).rejects.toThrow(DURABLE_UNAVAILABLE);
    expect(existsSync(statePath)).toBe(false);
    const caps = await detectCapabilities();
    if (!caps.lognode) {
      console.log('skipping the durable cluster run: this build has no memlab lognode');
      return;
    }
    const netnsBefore = netnsList();
    const qdiscs = rootQdiscs();
    const c = await up({ mode: 'durable', statePath, rttMs: 1, log: () => {} });
    const s = structuredClone(readState(statePath)!);
    try {
      expect(s.nodes.map((n) => `${n.id}:${n.kind}:${n.az}`)).toEqual(['n1:engine:az-a', 'n2:engine:az-b', 'n3:engine:az-c', 'l1:log:az-a', 'l2:log:az-b', 'l3:log:az-c']);
      for (const n of s.nodes) expect(pidAlive(n.pid!)).toBe(true);
      expect(s.primary).toBe('n1');
      await waitFor('a durable write', async () => (await respOnce(s.endpoint, ['SET', 'd', '1'], { localAddress: clientAddress(1, 5) })) === 'OK', 20_000, 200);
      const st = await c.status();
      expect(st.nodes.find((n) => n.id === 'n1')!.log?.log_role).toBe('writer');
      // The writer times append to commit; status shows it for the writer only.
      expect(Number(st.nodes.find((n) => n.id === 'n1')!.log?.log_commit_p50_ms)).toBeGreaterThan(0);
      const rows = formatStatus(st).split('\n');
      expect(rows.find((l) => l.startsWith('n1 '))).toMatch(/commit_p50_ms=\d+\.\d{3}/);
      expect(rows.find((l) => l.startsWith('n2 '))).not.toMatch(/commit_p50_ms/);
    } finally {
      await c.down();
    }
    await expectGone(statePath, s, netnsBefore, qdiscs);
  });

  it('--net netem fails here with the detection message, before starting anything', async () => {
    if ((await detectNetem()).ok) {
      console.log('skipping the netem refusal check: this machine has a working netem');
      return;
    }
    const statePath = path.join(tmpDir(), 'state.json');
    const err = await Supervisor.start({ spec: resolveSpec({ net: 'netem' }), statePath, log: () => {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NetemUnavailableError);
    expect((err as Error).message).toMatch(/^netem backend unavailable: .*Use --net proxy/);
    expect(existsSync(statePath)).toBe(false);
  });
});
