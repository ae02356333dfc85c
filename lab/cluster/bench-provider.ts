/**
 * `memlab bench`'s way to the lab cluster (lab/bench/provider.ts loads this file): one
 * cluster per mode, supervisor in the bench process, its own state file so a
 * `memlab status --state .memlab/bench-<pid>.json` can watch it (MEMLAB_STATE_DIR moves it).
 */
import path from 'node:path';
import type { ClusterHandle, ClusterProvider, Mode, TopologyOverrides } from '../bench/types.js';
import type { NetRequest } from '../network/netem.js';
import { up, type UpOptions } from './index.js';

export function benchStatePath(): string {
  return path.join(process.env.MEMLAB_STATE_DIR ?? '.memlab', `bench-${process.pid}.json`);
}

/** The cluster `memlab bench` asks for, as `up` options (pure: tested without a cluster). */
export function benchUpOptions(mode: Mode, o: TopologyOverrides): UpOptions {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    mode,
    statePath: benchStatePath(),
    ...(typeof o.profile === 'string' ? { topology: o.profile } : {}),
    ...(num(o.rttMs) !== undefined ? { rttMs: num(o.rttMs)! } : {}),
    ...(num(o.jitterMs) !== undefined ? { jitterMs: num(o.jitterMs)! } : {}),
    ...(num(o.replicas) !== undefined ? { replicas: num(o.replicas)! } : {}),
    ...(num(o.azs) !== undefined ? { azs: num(o.azs)! } : {}),
    ...(typeof o.net === 'string' ? { net: o.net as NetRequest } : {}),
    ...(o.sameAz === 'proxy' || o.sameAz === 'direct' ? { sameAz: o.sameAz } : {}),
    log: () => {},
  };
}

export function createClusterProvider(): ClusterProvider {
  return {
    async up(mode: Mode, o: TopologyOverrides): Promise<ClusterHandle> {
      const c = await up(benchUpOptions(mode, o));
      return { endpoint: c.endpoint, primaryAz: c.primaryAz, nodes: c.nodes, stats: () => c.stats(), down: () => c.down() };
    },
  };
}
