/**
 * The state file (default .memlab/state.json): what `memlab status`, `down`, `fault`,
 * `bench` and `chaos` read. The supervisor rewrites it (atomically: temp file + rename)
 * whenever a role, PID or fault changes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../network/delay-line.js';
import type { Topology } from '../network/topology.js';
import type { NodeKind, Role } from './plan.js';
import type { Backend, ClusterSpec, Mode } from './profile.js';

export const DEFAULT_STATE_PATH = '.memlab/state.json';

export interface NodeState {
  id: string;
  kind: NodeKind;
  az: string;
  /** Role as last observed (engine: primary/replica; 'down' when unreachable). */
  role: Role | 'down';
  /** Where it listens. */
  host: string;
  port: number;
  /** The address each AZ dials to reach it (through that AZ's link). */
  views: Record<string, Endpoint>;
  pid: number | null;
  startTime: string | null;
  /** running | paused | killed | crashed | exited (unexpectedly) */
  status: 'running' | 'paused' | 'killed' | 'crashed' | 'exited';
  dataDir: string;
  logFile: string;
  /**
   * Engine: the primary it was last told to follow (null: primary), as Sentinel's CONFIG
   * REWRITE leaves it in the node's config; a restart comes back that way.
   */
  replicaof: string | null;
  /** `memlab ...` arguments it was (last) started with. */
  args: string[];
  restarts: number;
}

export interface ActiveFault {
  kind: 'cut' | 'crash';
  target: string;
  from: string[];
  at: string;
}

export interface ClusterState {
  version: 1;
  name: string;
  mode: Mode;
  backend: Backend;
  /** False while starting; true once every node answers and replicas are attached. */
  ready: boolean;
  startedAt: string;
  updatedAt: string;
  statePath: string;
  runDir: string;
  spec: ClusterSpec;
  net: {
    backend: 'proxy' | 'netem' | 'none';
    reason: string;
    /** Undo commands of what the netem runner created (namespaces, qdiscs), newest last. */
    created: string[][];
  };
  /** The engine node clients should use, as seen from the client AZ. */
  endpoint: Endpoint;
  clientAz: string;
  primary: string;
  primaryAz: string;
  sentinel: Endpoint & { masterName: string };
  proxy: { pid: number; startTime: string | null; control: Endpoint } | null;
  supervisor: { pid: number; startTime: string | null; control: Endpoint; az: string; address: string };
  nodes: NodeState[];
  topology: Topology;
  failovers: { at: string; from: string; to: string; epoch: number }[];
  faults: ActiveFault[];
  /** Replication / log facilities of this build that are missing, and similar notes. */
  warnings: string[];
}

export function writeState(file: string, s: ClusterState): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ...s, updatedAt: new Date().toISOString() }, null, 2) + '\n');
  renameSync(tmp, file);
}

export function readState(file: string): ClusterState | null {
  if (!existsSync(file)) return null;
  let s: ClusterState;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch (e) {
    throw new Error(`${file}: not a memlab state file (${(e as Error).message})`);
  }
  if (s.version !== 1 || !Array.isArray(s.nodes)) throw new Error(`${file}: not a memlab state file (version ${String(s.version)})`);
  return s;
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** The run directory next to a state file: .memlab/state.json -> .memlab/state.d */
export function runDirFor(statePath: string): string {
  const abs = path.resolve(statePath);
  return path.join(path.dirname(abs), `${path.basename(abs).replace(/\.json$/, '')}.d`);
}
