/**
 * The lab cluster as a library (docs/cluster.md): `up` runs a supervisor in this process,
 * `connect` reaches one running elsewhere (memlab up --detach) through its control endpoint,
 * `down` stops whatever a state file lists. Bench and chaos use these.
 */
import type { Endpoint } from '../network/delay-line.js';
import { ClusterControl } from './control.js';
import { down, type DownReport } from './down.js';
import type { FaultRequest, FaultResult } from './faults.js';
import { resolveSpec, type UpOverrides } from './profile.js';
import { isAlive } from './procs.js';
import { readState, DEFAULT_STATE_PATH, type ClusterState } from './state.js';
import { offlineStatus, type ClusterStatus, type LinkProbeOptions } from './status.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';
import { respOnce } from './resp.js';
import { parseInfo } from './info.js';

export { ClusterError, Supervisor, type SupervisorEvent } from './supervisor.js';
export { down, type DownReport } from './down.js';
export { FAULT_KINDS, type FaultKind, type FaultRequest, type FaultResult } from './faults.js';
export { MODES, resolveSpec, loadTopologyProfile, type ClusterSpec, type Mode, type UpOverrides } from './profile.js';
export { DEFAULT_STATE_PATH, readState, type ClusterState, type NodeState } from './state.js';
export { formatStatus, type ClusterStatus, type LinkStatus, type NodeStatus } from './status.js';
export { DURABLE_UNAVAILABLE } from './caps.js';

/** What bench and chaos hold on a running cluster, wherever its supervisor runs. */
export interface ClusterApi {
  /** The state as the supervisor has it now (primary, PIDs, faults...). */
  state(): Promise<ClusterState>;
  status(opts?: { probe?: boolean } & LinkProbeOptions): Promise<ClusterStatus>;
  fault(req: FaultRequest): Promise<FaultResult>;
  down(): Promise<void>;
  /** Drop the control connection (remote clusters); the cluster keeps running. */
  close(): void;
}

export interface Cluster extends ClusterApi {
  /** The primary as seen from the client AZ, at start (follow failovers via `sentinels`). */
  endpoint: Endpoint;
  primaryAz: string;
  /** Sentinel endpoints for clients that follow failovers (ioredis `sentinels`, `name`). */
  sentinels: Endpoint[];
  masterName: string;
  /** Engine nodes (billed). */
  nodes: number;
  statePath: string;
  /** Cumulative counters for bench: bytes the durable log took, when the nodes report it. */
  stats(): Promise<{ logBytes?: number }>;
  supervisor: Supervisor;
}

export interface UpOptions extends UpOverrides {
  /** State file (default .memlab/state.json under the current directory). */
  statePath?: string;
  log?: SupervisorOptions['log'];
  keepRunDir?: boolean;
  detectNetem?: SupervisorOptions['detectNetem'];
  /** Failover steps and faults as they happen. */
  onEvent?: SupervisorOptions['onEvent'];
}

/** Bring a cluster up with the supervisor in this process; resolves when it is ready. */
export async function up(opts: UpOptions = {}): Promise<Cluster> {
  const spec = resolveSpec(opts);
  const statePath = opts.statePath ?? DEFAULT_STATE_PATH;
  const sup = await Supervisor.start({
    spec,
    statePath,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.keepRunDir ? { keepRunDir: true } : {}),
    ...(opts.detectNetem ? { detectNetem: opts.detectNetem } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const s = sup.state;
  return {
    endpoint: s.endpoint,
    primaryAz: s.primaryAz,
    sentinels: [{ host: s.sentinel.host, port: s.sentinel.port }],
    masterName: s.sentinel.masterName,
    nodes: s.nodes.filter((n) => n.kind === 'engine').length,
    statePath,
    supervisor: sup,
    state: async () => sup.state,
    status: (o) => sup.status(o),
    fault: (r) => sup.fault(r),
    stats: () => logStats(sup.state),
    down: () => sup.stop(),
    close: () => {},
  };
}

/** Reach a running cluster (any process) through its state file. */
export async function connect(statePath = DEFAULT_STATE_PATH): Promise<ClusterApi> {
  const s = readState(statePath);
  if (!s) throw new Error(`no cluster: no state file at ${statePath} (memlab up first)`);
  if (!isAlive({ pid: s.supervisor.pid, startTime: s.supervisor.startTime })) {
    throw new Error(`the supervisor of ${statePath} (pid ${s.supervisor.pid}) is gone; run memlab down to clean up`);
  }
  const c = await ClusterControl.connect(s.supervisor.control);
  return {
    state: () => c.call<ClusterState>('state'),
    status: (o = {}) => c.call<ClusterStatus>('status', o),
    fault: (r) => c.call<FaultResult>('fault', r),
    down: async () => {
      c.close();
      await down(statePath);
    },
    close: () => c.close(),
  };
}

/** Status of the cluster of a state file: live from its supervisor, else from the nodes. */
export async function statusOf(statePath = DEFAULT_STATE_PATH, opts: { probe?: boolean } & LinkProbeOptions = {}): Promise<ClusterStatus | null> {
  const s = readState(statePath);
  if (!s) return null;
  if (isAlive({ pid: s.supervisor.pid, startTime: s.supervisor.startTime })) {
    try {
      const c = await ClusterControl.connect(s.supervisor.control);
      try {
        return await c.call<ClusterStatus>('status', opts);
      } finally {
        c.close();
      }
    } catch {
      // fall through: answer from the state file and the nodes
    }
  }
  return offlineStatus(s, opts);
}

/** Durable mode: the log's byte counter from the primary's INFO, when it reports one. */
async function logStats(s: ClusterState): Promise<{ logBytes?: number }> {
  if (s.mode !== 'durable') return {};
  const p = s.nodes.find((n) => n.id === s.primary);
  if (!p) return {};
  try {
    const r = await respOnce({ host: p.host, port: p.port }, ['INFO'], { timeoutMs: 1000 });
    if (typeof r !== 'string') return {};
    const f = parseInfo(r);
    for (const k of ['log_bytes', 'log_appended_bytes', 'log_bytes_written']) if (f[k] !== undefined && Number.isFinite(Number(f[k]))) return { logBytes: Number(f[k]) };
  } catch {
    // no number: the bench reports log bytes as unknown
  }
  return {};
}

export type { DownReport as DownResult };
