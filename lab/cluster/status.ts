/**
 * `memlab status`: live roles, offsets (or log fields), lag, and the achieved round trip
 * of every (AZ, node) link next to the configured one, measured by PING through the link
 * from a client address of the source AZ (127.0.S.254). Served by the supervisor; when it is
 * gone, built from the state file and the nodes themselves.
 */
import type { Endpoint, LinkStats } from '../network/delay-line.js';
import { probe } from '../network/probe.js';
import { clientAddress, latencyBetween } from '../network/topology.js';
import { replicationInfo } from './info.js';
import { nodeAt } from './plan.js';
import { isAlive } from './procs.js';
import { respOnce } from './resp.js';
import type { ActiveFault, ClusterState, NodeState } from './state.js';
import { processCpuMs } from '../metrics/process-cpu.js';

export interface NodeStatus {
  id: string;
  kind: NodeState['kind'];
  az: string;
  role: NodeState['role'];
  process: NodeState['status'];
  pid: number | null;
  /** CPU time the process has used so far (user + system, ms; /proc), null when not running. */
  cpuMs?: number | null;
  /** Did the supervisor's last probe get an answer (null: not probed, e.g. log replicas). */
  reachable: boolean | null;
  /** Replication offset (master_repl_offset / slave_repl_offset). */
  offset?: number;
  following?: string | null;
  linkUp?: boolean;
  /** Bytes behind the primary's offset. */
  lagBytes?: number;
  /** Seconds since the replica's last ack, as the primary reports it. */
  lagSeconds?: number;
  /** log_* fields of INFO (durable mode), when the node reports them. */
  log?: Record<string, string>;
  error?: string;
}

export interface RttSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LinkStatus {
  id: string;
  fromAz: string;
  node: string;
  toAz: string;
  crossAz: boolean;
  configured: { rttMs: number; jitterMs: number };
  /** Round trips measured through the link (PING), ms; null when not measured. */
  achieved: RttSummary | null;
  /** The delay line's own measurement of one-way delays of all traffic on the link, ms. */
  oneWay?: { forward: { p50: number; p99: number } | null; backward: { p50: number; p99: number } | null };
  state?: string;
  error?: string;
}

export interface ClusterStatus {
  mode: ClusterState['mode'];
  ready: boolean;
  primary: string;
  endpoint: Endpoint;
  sentinel: ClusterState['sentinel'];
  net: ClusterState['net']['backend'];
  supervisor: { pid: number; alive: boolean; control: Endpoint; cpuMs?: number | null };
  proxy: { pid: number; alive: boolean; cpuUs: number | null } | null;
  failoverPhase: string | null;
  nodes: NodeStatus[];
  links: LinkStatus[];
  faults: ActiveFault[];
  failovers: ClusterState['failovers'];
  warnings: string[];
}

export interface LinkProbeOptions {
  /** Round trips per link (default 100). */
  count?: number;
  warmup?: number;
  /** Only links between AZs (default false: same-AZ links too, which should show ~0). */
  crossAzOnly?: boolean;
  timeoutMs?: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Probe each (AZ, engine node) path, one after another so probes do not queue behind each other. */
export async function probeLinks(state: ClusterState, reachable: Set<string>, opts: LinkProbeOptions = {}, proxyLinks?: LinkStats[]): Promise<LinkStatus[]> {
  const out: LinkStatus[] = [];
  const injected = state.net.backend !== 'none';
  for (const [s, az] of state.spec.azs.entries()) {
    for (const n of state.nodes) {
      if (n.kind !== 'engine') continue;
      const crossAz = az !== n.az;
      if (opts.crossAzOnly && !crossAz) continue;
      const lat = injected ? latencyBetween(state.topology.latency, az, n.az) : { rttMs: 0, jitterMs: 0 };
      const id = `${az}->${n.id}`;
      const ls: LinkStatus = { id, fromAz: az, node: n.id, toAz: n.az, crossAz, configured: { rttMs: lat.rttMs, jitterMs: lat.jitterMs }, achieved: null };
      const pl = proxyLinks?.find((l) => l.id === id);
      if (pl) {
        const one = (d: LinkStats['forward']) => (d.delay && d.delay.count > 0 ? { p50: round3(d.delay.p50), p99: round3(d.delay.p99) } : null);
        ls.oneWay = { forward: one(pl.forward), backward: one(pl.backward) };
        ls.state = pl.state;
      }
      if (!reachable.has(n.id)) {
        ls.error = `${n.id} is not answering`;
      } else {
        try {
          const r = await probe(n.views[az], {
            protocol: 'resp',
            count: opts.count ?? 100,
            warmup: opts.warmup ?? 10,
            timeoutMs: opts.timeoutMs ?? 3000,
            ...(state.net.backend === 'netem' ? {} : { localAddress: clientAddress(s + 1, 54) }),
          });
          ls.achieved = { count: r.count, min: round3(r.min), mean: round3(r.mean), p50: round3(r.p50), p90: round3(r.p90), p99: round3(r.p99), max: round3(r.max) };
        } catch (e) {
          ls.error = (e as Error).message;
        }
      }
      out.push(ls);
    }
  }
  return out;
}

/** Status without a supervisor: processes by PID, roles from the nodes themselves. */
export async function offlineStatus(state: ClusterState, opts: { probe?: boolean } & LinkProbeOptions = {}): Promise<ClusterStatus> {
  const nodes: NodeStatus[] = [];
  const infos = new Map<string, ReturnType<typeof replicationInfo>>();
  for (const n of state.nodes) {
    const alive = n.pid !== null && isAlive({ pid: n.pid, startTime: n.startTime });
    const ns: NodeStatus = { id: n.id, kind: n.kind, az: n.az, role: n.role, process: alive ? n.status : n.status === 'running' || n.status === 'paused' ? 'exited' : n.status, pid: n.pid, cpuMs: alive ? processCpuMs(n.pid!) : null, reachable: null };
    if (alive && n.kind === 'engine' && n.status !== 'paused') {
      try {
        const r = await respOnce({ host: n.host, port: n.port }, ['INFO', 'replication'], { timeoutMs: 1000 });
        if (typeof r === 'string') {
          const i = replicationInfo(r);
          infos.set(n.id, i);
          ns.reachable = true;
          ns.role = i.role === 'master' ? 'primary' : 'replica';
          ns.offset = i.offset;
          if (i.role === 'slave') {
            ns.following = nodeAt(state, i.masterHost ?? '', i.masterPort ?? 0);
            ns.linkUp = i.linkUp ?? false;
          }
          if (Object.keys(i.log).length) ns.log = i.log;
        }
      } catch (e) {
        ns.reachable = false;
        ns.error = (e as Error).message;
      }
    }
    nodes.push(ns);
  }
  const p = infos.get(state.primary);
  if (p) for (const ns of nodes) if (ns.id !== state.primary && ns.offset !== undefined && ns.role === 'replica') ns.lagBytes = Math.max(0, p.offset - ns.offset);
  const proxyAlive = !!state.proxy && isAlive({ pid: state.proxy.pid, startTime: state.proxy.startTime });
  const proxyCpuMs = proxyAlive ? processCpuMs(state.proxy!.pid) : null;
  const reachable = new Set(nodes.filter((n) => n.reachable).map((n) => n.id));
  const links = opts.probe && (proxyAlive || state.net.backend !== 'proxy') ? await probeLinks(state, reachable, opts) : [];
  return {
    mode: state.mode,
    ready: state.ready,
    primary: state.primary,
    endpoint: state.endpoint,
    sentinel: state.sentinel,
    net: state.net.backend,
    supervisor: { pid: state.supervisor.pid, alive: isAlive({ pid: state.supervisor.pid, startTime: state.supervisor.startTime }), control: state.supervisor.control },
    proxy: state.proxy ? { pid: state.proxy.pid, alive: proxyAlive, cpuUs: proxyCpuMs === null ? null : proxyCpuMs * 1000 } : null,
    failoverPhase: null,
    nodes,
    links,
    faults: state.faults,
    failovers: state.failovers,
    warnings: [...state.warnings, 'the supervisor is not running: no probes, no failover; run memlab down to clean up'],
  };
}

/** The log fields the table shows (--json has them all). */
const LOG_FIELDS = ['log_role', 'log_epoch', 'log_commit_index', 'log_applied_index', 'log_lag', 'log_serving', 'log_commit_p50_ms'];

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const fmt = (x: number | undefined | null, d = 3) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d));

export function formatStatus(st: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`mode ${st.mode}  primary ${st.primary}  clients: ${st.endpoint.host}:${st.endpoint.port}  sentinel: ${st.sentinel.host}:${st.sentinel.port} (${st.sentinel.masterName})  net ${st.net}`);
  lines.push(`supervisor pid ${st.supervisor.pid} ${st.supervisor.alive ? 'alive' : 'GONE'}${st.proxy ? `  proxy pid ${st.proxy.pid} ${st.proxy.alive ? 'alive' : 'GONE'}` : ''}${st.failoverPhase ? `  failover: ${st.failoverPhase}` : ''}${st.ready ? '' : '  (starting)'}`);
  lines.push('');
  lines.push(`${pad('node', 6)}${pad('kind', 8)}${pad('az', 8)}${pad('role', 9)}${pad('process', 9)}${pad('pid', 9)}${pad('cpu s', 8)}${pad('offset', 12)}${pad('lag', 10)}following / log`);
  for (const n of st.nodes) {
    const lag = n.lagBytes !== undefined ? `${n.lagBytes}B` : '-';
    const extra = n.log ? LOG_FIELDS.filter((k) => n.log![k] !== undefined && n.log![k] !== '').map((k) => `${k.slice(4)}=${n.log![k]}`).join(' ') : n.following !== undefined ? `${n.following ?? '?'} link ${n.linkUp ? 'up' : 'down'}` : n.error ? n.error : '';
    const cpu = typeof n.cpuMs === 'number' ? (n.cpuMs / 1000).toFixed(1) : '-';
    lines.push(`${pad(n.id, 6)}${pad(n.kind, 8)}${pad(n.az, 8)}${pad(n.role, 9)}${pad(n.process, 9)}${pad(String(n.pid ?? '-'), 9)}${pad(cpu, 8)}${pad(n.offset === undefined ? '-' : String(n.offset), 12)}${pad(lag, 10)}${extra}`);
  }
  if (st.links.length) {
    lines.push('');
    lines.push(`${pad('link', 14)}${pad('kind', 8)}${pad('rtt cfg', 10)}${pad('p50', 9)}${pad('p99', 9)}${pad('max', 9)}state`);
    for (const l of st.links) {
      const a = l.achieved;
      lines.push(
        `${pad(l.id, 14)}${pad(l.crossAz ? 'cross' : 'same', 8)}${pad(`${l.configured.rttMs}ms`, 10)}${pad(fmt(a?.p50), 9)}${pad(fmt(a?.p99), 9)}${pad(fmt(a?.max), 9)}${l.state ?? ''}${l.error ? ` ${l.error}` : ''}`,
      );
    }
    lines.push('(achieved round trips in ms, PING through the link from a client of the source AZ)');
  }
  if (st.faults.length) {
    lines.push('');
    for (const f of st.faults) lines.push(`fault: ${f.kind} ${f.target}${f.from.length ? ` from ${f.from.join(', ')}` : ''} since ${f.at}`);
  }
  for (const f of st.failovers) lines.push(`failover: ${f.from} -> ${f.to} (epoch ${f.epoch}) at ${f.at}`);
  for (const w of st.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
