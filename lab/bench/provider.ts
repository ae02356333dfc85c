/**
 * How `memlab bench` finds the lab cluster without a hard dependency on it: the cluster
 * code exports `createClusterProvider(): ClusterProvider | Promise<ClusterProvider>` from
 * lab/cluster/bench-provider.ts. Until that file exists the CLI requires --target.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClusterProvider } from './types.js';

export const CLUSTER_PROVIDER_MODULE = 'lab/cluster/bench-provider.ts';

export async function loadClusterProvider(): Promise<ClusterProvider | undefined> {
  const js = new URL('../cluster/bench-provider.js', import.meta.url);
  const ts = new URL('../cluster/bench-provider.ts', import.meta.url);
  if (!existsSync(fileURLToPath(js)) && !existsSync(fileURLToPath(ts))) return undefined;
  const mod = (await import(js.href)) as { createClusterProvider?: () => ClusterProvider | Promise<ClusterProvider> };
  if (typeof mod.createClusterProvider !== 'function') {
    throw new Error(`${CLUSTER_PROVIDER_MODULE} must export createClusterProvider(): ClusterProvider`);
  }
  return await mod.createClusterProvider();
}
