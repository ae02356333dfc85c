/**
 * What memlab chaos needs from a cluster, as an interface of its own (docs/chaos.md,
 * "cluster interface"). Two implementations:
 *
 *   local  lab/chaos/local-cluster.ts: nodes (redis-server or `memlab server`) behind the
 *          delay line, with an in-process supervisor applying lab/cluster/failover.ts
 *          (Sentinel's rules). plain and wait only.
 *   lab    lab/chaos/lab-cluster.ts: the lab cluster of `memlab up` (lab/cluster/**),
 *          memlab server nodes (and log replicas in durable mode), adapted to this interface.
 */

import type { Mode } from '../bench/types.js';

export { MODES, type Mode } from '../bench/types.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface ClusterNode {
  id: string;
  az: string;
  kind: 'engine' | 'log';
}

/** Who a cut separates its target from. `primary`: the primary at the time of the cut. */
export type CutPeer = 'primary' | 'replicas' | 'log' | 'supervisor' | 'clients' | { node: string };

/** A fault on concrete nodes (the scenario runner resolves roles such as "primary" first). */
export type Fault =
  | { kind: 'kill' | 'crash' | 'pause' | 'resume'; nodes: string[] }
  | { kind: 'restart'; nodes: string[]; empty: boolean }
  | { kind: 'cut'; nodes: string[]; from: CutPeer[] }
  /** Lift every cut (and the black holes of crashed links). */
  | { kind: 'heal' };

export interface ClusterEvent {
  /** Microseconds on the chaos clock (the same one as the history's). */
  at: number;
  kind: 'promote' | 'switch-primary' | 'replicaof' | 'log' | 'fault';
  node?: string;
  message: string;
}

export interface PrimaryInfo {
  node: string;
  /** Where clients dial it (as seen from the client AZ). */
  endpoint: Endpoint;
}

export interface ChaosCluster {
  readonly mode: Mode;
  /** One line saying what runs: backend, server binary and version. */
  readonly description: string;
  readonly nodes: readonly ClusterNode[];
  /** The primary clients should use now, as the supervisor (Sentinel) announces it; null while it knows none. */
  primary(): PrimaryInfo | null;
  /** Called after the announced primary changes (Sentinel's +switch-master). Returns an unsubscribe. */
  onPrimaryChange(cb: (p: PrimaryInfo) => void): () => void;
  /** Where clients dial a given engine node. */
  endpointOf(node: string): Endpoint;
  fault(f: Fault): Promise<void>;
  /** No failover in progress, the announced primary answers as a primary and every reachable engine node follows it. */
  settled(): Promise<boolean>;
  /** Engine nodes that are alive (not killed, crashed or awaiting restart); paused ones count as alive. */
  running(): string[];
  events(): ClusterEvent[];
  down(): Promise<void>;
}

export interface ClusterRequest {
  mode: Mode;
  /** Replica priority per engine node (Sentinel: lower is preferred, 0 never promoted); default 100. */
  priorities: Record<string, number>;
  rttMs: number;
  jitterMs: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  probeIntervalMs: number;
  /** The chaos clock, microseconds. */
  clock: () => number;
  /** Where node logs and data go. */
  dir: string;
}

export interface ChaosClusterProvider {
  readonly name: string;
  /** null when the provider can run `mode`, else why not. */
  unsupported(mode: Mode): string | null;
  up(req: ClusterRequest): Promise<ChaosCluster>;
}
