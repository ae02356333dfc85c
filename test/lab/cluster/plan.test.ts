/** The cluster plan, faults, netem and docker plans as data: no process starts here. */
import { describe, expect, it } from 'vitest';
import { dockerPlan, startDockerCluster } from '../../../lab/cluster/docker.js';
import { cutActions, targetNodes } from '../../../lab/cluster/faults.js';
import { replicationInfo } from '../../../lab/cluster/info.js';
import { netemClusterPlan } from '../../../lab/cluster/netem-cluster.js';
import { dialFrom, launchArgs, nodeAt, planCluster, type Capabilities } from '../../../lab/cluster/plan.js';
import { resolveSpec } from '../../../lab/cluster/profile.js';
import { ReplyParser, RespError } from '../../../lab/cluster/resp.js';

const caps: Capabilities = { replicaofFlag: true, lognode: true };
const ports = (ids: string[]) => Object.fromEntries(ids.map((id, i) => [id, 7001 + i]));
const plain = planCluster(resolveSpec({ net: 'proxy' }), '/run', ports(['n1', 'n2', 'n3']));
const durable = planCluster(resolveSpec({ mode: 'durable', net: 'proxy' }), '/run', ports(['n1', 'n2', 'n3', 'l1', 'l2', 'l3']));
const sup = { az: 'az-a', host: plain.supervisorHost };

describe('cluster plan', () => {
  it('one engine node per AZ, primary first; log replicas one per AZ in durable mode', () => {
    expect(plain.nodes.map((n) => [n.id, n.kind, n.az, n.role, `${n.host}:${n.port}`])).toEqual([
      ['n1', 'engine', 'az-a', 'primary', '127.0.1.1:7001'],
      ['n2', 'engine', 'az-b', 'replica', '127.0.2.2:7002'],
      ['n3', 'engine', 'az-c', 'replica', '127.0.3.3:7003'],
    ]);
    expect(durable.nodes.filter((n) => n.kind === 'log').map((n) => [n.id, n.az, n.host])).toEqual([
      ['l1', 'az-a', '127.0.1.4'],
      ['l2', 'az-b', '127.0.2.5'],
      ['l3', 'az-c', '127.0.3.6'],
    ]);
    expect(plain.supervisorHost).toBe('127.0.1.199');
    // Four replicas over three AZs wrap round-robin.
    const five = planCluster(resolveSpec({ replicas: 4 }), '/run', ports(['n1', 'n2', 'n3', 'n4', 'n5']));
    expect(five.nodes.map((n) => n.az)).toEqual(['az-a', 'az-b', 'az-c', 'az-a', 'az-b']);
  });

  it('replicas dial the primary through their own AZ link, from their own address', () => {
    const n2 = launchArgs(plain, 'n2', { replicaof: 'n1', net: 'proxy', caps });
    expect(n2.join(' ')).toBe('server --port 7002 --bind 127.0.2.2 --name n2 --source-addr 127.0.2.2 --exit-with-parent -c dir=/run/data/n2 --replicaof 127.2.1.1 7001');
    expect(launchArgs(plain, 'n1', { replicaof: null, net: 'proxy', caps })).not.toContain('--replicaof');
    // Without the flag the supervisor sends REPLICAOF after start instead.
    expect(launchArgs(plain, 'n2', { replicaof: 'n1', net: 'proxy', caps: { ...caps, replicaofFlag: false } })).not.toContain('--replicaof');
    // --net none: no links, real addresses.
    expect(launchArgs(plain, 'n3', { replicaof: 'n1', net: 'none', caps }).slice(-3)).toEqual(['--replicaof', '127.0.1.1', '7001']);
  });

  it('durable engine nodes get the log replicas as seen from their AZ and read from their own AZ\'s; log replicas keep a directory', () => {
    const n2 = launchArgs(durable, 'n2', { replicaof: 'n1', net: 'proxy', caps });
    expect(n2).not.toContain('--replicaof');
    expect(n2.slice(n2.indexOf('--mode'))).toEqual(['--mode', 'durable', '--log', 'l1=127.2.1.4:7004,l2=127.2.2.5:7005,l3=127.2.3.6:7006', '--log-local', 'l2', '--snapshot-dir', '/run/snapshots']);
    // Each engine node reads the log from the replica in its own AZ.
    const n1 = launchArgs(durable, 'n1', { replicaof: null, net: 'proxy', caps });
    expect(n1[n1.indexOf('--log-local') + 1]).toBe('l1');
    expect(launchArgs(durable, 'l2', { replicaof: null, net: 'proxy', caps })).toEqual(['lognode', '--id', 'l2', '--bind', '127.0.2.5', '--port', '7005', '--dir', '/run/data/l2', '--exit-with-parent']);
  });

  it('maps INFO master_host:port, real or a view address, back to the node', () => {
    expect(nodeAt(plain, '127.3.1.1', 7001)).toBe('n1');
    expect(nodeAt(plain, '127.0.2.2', 7002)).toBe('n2');
    expect(nodeAt(plain, '127.3.1.1', 7002)).toBeNull();
    expect(dialFrom(plain, 'proxy', 'az-c', 'n2')).toEqual({ host: '127.3.2.2', port: 7002 });
  });

  it('parses INFO replication of a replica and of a primary', () => {
    const r = replicationInfo('# Replication\r\nrole:slave\r\nmaster_host:127.2.1.1\r\nmaster_port:7001\r\nmaster_link_status:down\r\nslave_repl_offset:42\r\nmaster_link_down_since_seconds:3\r\nslave_priority:50\r\n');
    expect(r).toMatchObject({ role: 'slave', offset: 42, masterHost: '127.2.1.1', masterPort: 7001, linkUp: false, linkDownMs: 3000, priority: 50 });
    const p = replicationInfo('role:master\r\nmaster_repl_offset:99\r\nslave0:ip=127.0.2.2,port=7002,state=online,offset=90,lag=1\r\nlog_commit_index:7\r\n');
    expect(p.replicas).toEqual([{ ip: '127.0.2.2', port: 7002, state: 'online', offset: 90, lag: 1 }]);
    expect(p.log).toEqual({ log_commit_index: '7' });
  });

  it('parses RESP replies split anywhere', () => {
    const wire = Buffer.from('+PONG\r\n$5\r\nhello\r\n*2\r\n:1\r\n-ERR no\r\n$-1\r\n');
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new ReplyParser();
      const out: unknown[] = [];
      for (const part of [wire.subarray(0, cut), wire.subarray(cut)]) {
        p.feed(part);
        for (let v = p.next(); v !== undefined; v = p.next()) out.push(v);
      }
      expect(out).toEqual(['PONG', 'hello', [1, new RespError('ERR no')], null]);
    }
  });
});

describe('fault targets', () => {
  const t = plain.topology;
  const ids = (a: { link: string; sources?: string[] }[]) => a.map((x) => `${x.link}${x.sources ? `[${x.sources.join(' ')}]` : ''}`).sort();

  it('cutting a node from everything covers every link to it (the supervisor probes too) and what it dials', () => {
    expect(ids(cutActions(t, 'n1', undefined, sup))).toEqual(['az-a->n1', 'az-a->n2[127.0.1.1]', 'az-a->n3[127.0.1.1]', 'az-b->n1', 'az-c->n1']);
  });

  it('--from peers spares the supervisor; --from supervisor cuts only its probes', () => {
    const a = cutActions(t, 'n1', ['n2', 'n3'], sup);
    expect(ids(a)).toEqual(['az-a->n2[127.0.1.1]', 'az-a->n3[127.0.1.1]', 'az-b->n1[127.0.2.2]', 'az-c->n1[127.0.3.3]']);
    expect(a.some((x) => x.link === 'az-a->n1')).toBe(false);
    expect(ids(cutActions(t, 'n1', ['supervisor'], sup))).toEqual(['az-a->n1[127.0.1.199]']);
  });

  it('an AZ is cut from the other AZs, its own paths untouched', () => {
    const a = ids(cutActions(t, 'az-b', undefined, sup));
    expect(a).toContain('az-a->n2');
    expect(a).toContain('az-b->n1');
    expect(a).not.toContain('az-b->n2');
    expect(targetNodes(t, 'az-b')).toEqual(['n2']);
    expect(() => targetNodes(t, 'n9')).toThrow(/no node or AZ 'n9' \(nodes: n1, n2, n3; AZs: az-a, az-b, az-c\)/);
    expect(() => cutActions(t, 'n1', ['martians'], sup)).toThrow(/--from martians: not a node, an AZ/);
  });
});

describe('netem backend plan (this kernel has no sch_netem: checked as data)', () => {
  const np = netemClusterPlan(plain, 'ml-t');
  const steps = np.steps.map((s) => s.argv.join(' '));

  it('moves nodes into namespaces and gives the root namespace one veth onto the bridge', () => {
    expect(np.plan.nodes.map((n) => n.host)).toEqual(['10.200.1.1', '10.200.2.2', '10.200.3.3']);
    expect(np.prefix('n2')).toEqual(['ip', 'netns', 'exec', 'ml-t-n2']);
    expect(steps).toContain('ip -n ml-t-hub link add hr0 type veth peer name ml-t-r netns 1');
    expect(steps).toContain('ip addr add 10.200.1.199/16 dev ml-t-r');
    expect(np.steps.filter((s) => s.undo).map((s) => s.undo!.join(' '))).toContain('ip link del ml-t-r');
    expect(launchArgs(np.plan, 'n2', { replicaof: 'n1', net: 'netem', caps }).slice(-3)).toEqual(['--replicaof', '10.200.1.1', '7001']);
  });

  it('delays cross-AZ egress of every member and of the root end, never same-AZ traffic', () => {
    expect(steps).toContain('tc -n ml-t-n2 filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.200.1.0/24 flowid 1:4');
    const root = steps.filter((s) => s.startsWith('tc qdisc') || s.startsWith('tc filter'));
    expect(root).toEqual([
      'tc qdisc add dev ml-t-r root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1',
      'tc qdisc add dev ml-t-r parent 1:4 handle 40: netem delay 500us 50us rate 100gbit limit 100000',
      'tc filter add dev ml-t-r parent 1: protocol ip prio 1 u32 match ip dst 10.200.2.0/24 flowid 1:4',
      'tc filter add dev ml-t-r parent 1: protocol ip prio 1 u32 match ip dst 10.200.3.0/24 flowid 1:4',
    ]);
  });
});

describe('docker backend plan', () => {
  it('one container per node with NET_ADMIN, the repo mounted, tc-netem toward the other AZs', () => {
    const dp = dockerPlan(durable, 't1');
    expect(dp.containers.map((c) => c.name)).toEqual(['memlab-t1-n1', 'memlab-t1-n2', 'memlab-t1-n3', 'memlab-t1-l1', 'memlab-t1-l2', 'memlab-t1-l3']);
    for (const c of dp.containers) expect(c.capabilities).toEqual(['NET_ADMIN']);
    expect(dp.containers[1].command).toEqual(expect.arrayContaining(['--mode', 'durable', '--log', 'l1=l1:7004,l2=l2:7005,l3=l3:7006']));
    expect(dp.containers[3].command.slice(2, 4)).toEqual(['lognode', '--id']);
    expect(dp.dockerfile).toMatch(/FROM node:20-bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends iproute2/);
    const ips = Object.fromEntries(dp.containers.map((c, i) => [c.node, `172.30.0.${i + 2}`]));
    const tc = dp.tc(ips);
    // n1 (az-a) delays traffic to n2, n3, l2, l3 and not to l1 (same AZ).
    expect(tc.n1.filter((a) => a[1] === 'filter').map((a) => a.at(-3))).toEqual(['172.30.0.3/32', '172.30.0.4/32', '172.30.0.6/32', '172.30.0.7/32']);
    expect(tc.n1[1].join(' ')).toBe('tc qdisc add dev eth0 parent 1:4 handle 40: netem delay 500us 50us rate 100gbit limit 100000');
    const plainDp = dockerPlan(plain, 't2');
    expect(plainDp.containers[2].command.slice(-3)).toEqual(['--replicaof', 'n1', '7001']);
  });

  it('without a container engine, up --backend docker fails with the reason', async () => {
    await expect(startDockerCluster(resolveSpec({ backend: 'docker' }), async () => ({ ok: false, reason: 'docker backend unavailable: no container engine found (x)' }))).rejects.toThrow(
      'docker backend unavailable: no container engine found',
    );
  });
});
