/**
 * The cluster plan (pure): which processes exist, where they live, what they bind and dial,
 * and the argv each is started with, per mode. Node kinds:
 *
 *   engine  n1..nK  `memlab server`, one per AZ round-robin, primary in the first AZ
 *   log     l1..lA  `memlab lognode`, durable mode only, one per AZ
 *
 * Addresses follow lab/network/topology.ts: node i of AZ A binds 127.0.A.i and AZ S reaches
 * it at 127.S.A.i (same port), through the delay line. The supervisor lives in one AZ and
 * dials from 127.0.S.199 (below the clients' 200..254), so faults can include or spare it.
 */
import net from 'node:net';
import path from 'node:path';
import { endpointFrom, nodeAddress, planTopology, type Topology } from '../network/topology.js';
import type { Endpoint } from '../network/delay-line.js';
import type { ClusterSpec, Mode } from './profile.js';

export type NodeKind = 'engine' | 'log';
export type Role = 'primary' | 'replica' | 'log';

export interface NodePlan {
  id: string;
  kind: NodeKind;
  az: string;
  /** Where it listens. */
  host: string;
  port: number;
  /** Role it starts in. */
  role: Role;
  dataDir: string;
  logFile: string;
}

export interface ClusterPlan {
  spec: ClusterSpec;
  runDir: string;
  nodes: NodePlan[];
  topology: Topology;
  /** The engine node that starts as primary. */
  primary: string;
  /** Source address of the supervisor's probes and commands. */
  supervisorHost: string;
}

/** Host octet of the supervisor in its AZ: the clients use 200..254, nodes 1..~30. */
export const SUPERVISOR_HOST_OCTET = 199;

export function supervisorAddress(azIndex: number): string {
  return `127.0.${azIndex}.${SUPERVISOR_HOST_OCTET}`;
}

export function nodeIds(spec: Pick<ClusterSpec, 'mode' | 'azs' | 'replicas'>): { id: string; kind: NodeKind; az: string }[] {
  const out: { id: string; kind: NodeKind; az: string }[] = [];
  for (let k = 0; k <= spec.replicas; k++) out.push({ id: `n${k + 1}`, kind: 'engine', az: spec.azs[k % spec.azs.length] });
  if (spec.mode === 'durable') spec.azs.forEach((az, j) => out.push({ id: `l${j + 1}`, kind: 'log', az }));
  return out;
}

/** Build the plan; `ports` gives each node's port (see allocatePorts), else basePort + i - 1. */
export function planCluster(spec: ClusterSpec, runDir: string, ports?: Record<string, number>): ClusterPlan {
  const ids = nodeIds(spec);
  const nodes: NodePlan[] = ids.map((n, i) => {
    const port = ports?.[n.id] ?? (spec.basePort === 'auto' ? 0 : spec.basePort + i);
    if (!port) throw new Error(`invariant: no port for ${n.id} (allocate ports first)`);
    return {
      ...n,
      host: nodeAddress(spec.azs.indexOf(n.az) + 1, i + 1),
      port,
      role: n.kind === 'log' ? 'log' : i === 0 ? 'primary' : 'replica',
      dataDir: path.join(runDir, 'data', n.id),
      logFile: path.join(runDir, 'logs', `${n.id}.log`),
    };
  });
  const topology = planTopology({
    azs: spec.azs,
    nodes: nodes.map((n) => ({ id: n.id, az: n.az, host: n.host, port: n.port, kind: n.kind })),
    latency: { rttMs: spec.rttMs, jitterMs: spec.jitterMs, pairs: spec.pairs },
    clientAz: spec.clientAz,
    sameAz: spec.sameAz,
  });
  return { spec, runDir, nodes, topology, primary: nodes[0].id, supervisorHost: supervisorAddress(spec.azs.indexOf(spec.supervisor.az) + 1) };
}

/** Where a process in `fromAz` dials `nodeId`: its view address, or the real one without links. */
export function dialFrom(plan: Pick<ClusterPlan, 'topology' | 'nodes'>, net: 'proxy' | 'none' | 'netem', fromAz: string, nodeId: string): Endpoint {
  if (net === 'proxy') return endpointFrom(plan.topology, fromAz, nodeId);
  const n = plan.nodes.find((x) => x.id === nodeId);
  if (!n) throw new Error(`no node '${nodeId}'`);
  return { host: n.host, port: n.port };
}

/** Which node a view (or real) address belongs to: INFO's master_host:master_port back to an id. */
export function nodeAt(plan: { nodes: { id: string; host: string; port: number }[] }, host: string, port: number): string | null {
  const m = /^127\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  for (const n of plan.nodes) {
    if (n.port !== port) continue;
    if (n.host === host) return n.id;
    const h = /^127\.0\.(\d+)\.(\d+)$/.exec(n.host);
    if (m && h && m[2] === h[1] && m[3] === h[2]) return n.id;
  }
  return null;
}

/** What the engine and log processes of this build support (detected from their --help). */
export interface Capabilities {
  /** `memlab server --replicaof HOST PORT`. */
  replicaofFlag: boolean;
  /** `memlab lognode` exists and `memlab server` takes --log (durable mode). */
  lognode: boolean;
}

/** The `memlab ...` arguments (after `node <cli>`) that start a node. */
export function launchArgs(plan: ClusterPlan, nodeId: string, opts: { replicaof: string | null; net: 'proxy' | 'none' | 'netem'; caps: Capabilities }): string[] {
  const n = plan.nodes.find((x) => x.id === nodeId);
  if (!n) throw new Error(`no node '${nodeId}'`);
  if (n.kind === 'log') {
    return ['lognode', '--id', n.id, '--bind', n.host, '--port', String(n.port), '--dir', n.dataDir, '--exit-with-parent'];
  }
  const args = ['server', '--port', String(n.port), '--bind', n.host, '--name', n.id, '--source-addr', n.host, '--exit-with-parent'];
  const config: Record<string, string> = { dir: n.dataDir, ...plan.spec.engineConfig, ...(plan.spec.nodeConfig?.[n.id] ?? {}) };
  args.push('-c', ...Object.entries(config).map(([k, v]) => `${k}=${v}`));
  if (plan.spec.mode === 'durable') {
    args.push(...durableEngineArgs(plan, n, opts.net));
  } else if (opts.replicaof && opts.replicaof !== n.id && opts.caps.replicaofFlag) {
    const p = dialFrom(plan, opts.net, n.az, opts.replicaof);
    args.push('--replicaof', p.host, String(p.port));
  }
  return args;
}

/**
 * Durable engine nodes learn the log replicas, each as seen from their own AZ (so every
 * append crosses the delay line like a real cross-AZ write); snapshots go to one directory
 * all engine nodes share (the log is trimmed below them).
 */
export function durableEngineArgs(plan: ClusterPlan, n: NodePlan, netKind: 'proxy' | 'none' | 'netem'): string[] {
  const logs = plan.nodes.filter((x) => x.kind === 'log');
  const list = logs.map((l) => {
    const e = dialFrom(plan, netKind, n.az, l.id);
    return `${l.id}=${e.host}:${e.port}`;
  });
  return ['--mode', 'durable', '--log', list.join(','), ...localLogArgs(logs, n.az), '--snapshot-dir', path.join(plan.runDir, 'snapshots')];
}

/**
 * `--log-local ID` for the log replica sharing `az` (none: no flag). A replica then reads
 * the log in its own AZ, as a MemoryDB replica reads the multi-AZ log service locally,
 * instead of crossing AZs (and the delay line) for two reads in three.
 */
export function localLogArgs(logs: readonly { id: string; az: string }[], az: string): string[] {
  const l = logs.find((x) => x.az === az);
  return l ? ['--log-local', l.id] : [];
}

/** Can `port` be bound on every one of `hosts` right now? */
async function portFree(hosts: string[], port: number): Promise<boolean> {
  const servers: net.Server[] = [];
  try {
    for (const host of hosts) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ port, host, exclusive: true }, () => resolve());
      });
    }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  }
}

/** An ephemeral port free on the node's address and on all its view addresses. */
export async function allocatePorts(spec: ClusterSpec): Promise<Record<string, number>> {
  const ids = nodeIds(spec);
  const out: Record<string, number> = {};
  const taken = new Set<number>();
  for (const [i, n] of ids.entries()) {
    const a = spec.azs.indexOf(n.az) + 1;
    const host = nodeAddress(a, i + 1);
    const hosts = [host, ...spec.azs.map((_, s) => `127.${s + 1}.${a}.${i + 1}`)];
    for (let attempt = 0; ; attempt++) {
      if (attempt > 50) throw new Error(`cannot find a free port for ${n.id} on ${hosts.join(', ')}`);
      let port: number;
      if (spec.basePort !== 'auto') port = spec.basePort + i;
      else {
        const s = net.createServer();
        port = await new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(0, host, () => resolve((s.address() as net.AddressInfo).port));
        });
        await new Promise<void>((r) => s.close(() => r()));
      }
      if (!taken.has(port) && (await portFree(hosts, port))) {
        out[n.id] = port;
        taken.add(port);
        break;
      }
      if (spec.basePort !== 'auto') throw new Error(`port ${port} for ${n.id} is in use on one of ${hosts.join(', ')}; pick another ports.base or use auto`);
    }
  }
  return out;
}

export function modeNeedsLog(mode: Mode): boolean {
  return mode === 'durable';
}
