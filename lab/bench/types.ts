/** Types shared by the bench runner, its workers, the CLI and the cluster integration. */
import type { LatencySummary } from '../metrics/hdr.js';
import type { SeriesAggregator } from '../metrics/series.js';
import type { CostResult } from '../cost/cost.js';

export const MODES = ['plain', 'wait', 'durable'] as const;
export type Mode = (typeof MODES)[number];

export interface Endpoint {
  host: string;
  port: number;
  tls?: boolean;
  password?: string;
}

/** What `memlab up` hands the bench for one mode (see docs/bench.md, "cluster integration"). */
export interface ClusterHandle {
  /** Where clients connect (the primary, as seen from the client AZ). */
  endpoint: Endpoint;
  primaryAz: string;
  /** Engine nodes (primary + replicas) billed as node-hours; default 3. */
  nodes?: number;
  /** Cumulative counters; the bench takes the difference across its measured window. */
  stats(): Promise<{ logBytes?: number }>;
  down(): Promise<void>;
}

export interface TopologyOverrides {
  /** Cross-AZ round trip, ms (default 1). */
  rttMs?: number;
  jitterMs?: number;
  /** A topology profile name or file. */
  profile?: string;
  /** Same-AZ paths (clients to the primary): through a zero-delay proxy link, or direct. */
  sameAz?: 'proxy' | 'direct';
  [key: string]: unknown;
}

export interface ClusterProvider {
  up(mode: Mode, topologyOverrides: TopologyOverrides): Promise<ClusterHandle>;
}

export interface OpResult {
  op: string;
  /** read, write, or all (every op of the mode together). */
  kind: 'read' | 'write' | 'all';
  count: number;
  errors: number;
  errorKinds: Record<string, number>;
  acked: number;
  underAcked: number;
  nil: number;
  /** Successful ops per second of the measured window. */
  throughput: number;
  latencyUs: LatencySummary;
  bytesWritten: number;
}

export interface ClientStats {
  workers: number;
  cores: number;
  /** Bench process CPU (main + workers) over the window, in cores. */
  cpuCores: number;
  /** cpuCores as a percentage of the cores the bench could use: min(cores, workers + 1). */
  cpuPct: number;
  /** Event-loop utilization of each worker over the window (0..1). */
  workerElu: number[];
  /** Open-loop: send time minus intended time, microseconds. */
  sendLagUs?: LatencySummary;
  unsent: number;
  warmupOps: number;
  connectionErrors: number;
  saturated: boolean;
}

export interface ModeResult {
  mode: Mode;
  /** Redacted URL. */
  target: string;
  workload: string;
  loop: 'closed' | 'open';
  rate: number | null;
  connections: number;
  pipeline: number;
  /** Epoch ms when the measured window began. */
  startedAtMs: number;
  durationSec: number;
  ops: OpResult[];
  all: OpResult;
  series: SeriesAggregator;
  client: ClientStats;
  /** Bytes the cluster appended to its log during the window (durable, when reported). */
  logBytes?: number;
  nodes: number;
  cost?: CostResult;
  warnings: string[];
  /** Raw latencies per op, microseconds (keepRawSamples only). */
  raw?: Record<string, number[]>;
}

export interface BenchResult {
  runId: string;
  /** results/<run>/, when written. */
  dir?: string;
  modes: ModeResult[];
  warnings: string[];
}
