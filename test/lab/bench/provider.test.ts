/** The ClusterProvider contract the lab cluster plugs into, exercised with a real endpoint. */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoClusterError, runBench } from '../../../lab/bench/runner.js';
import type { ClusterProvider, Mode, TopologyOverrides } from '../../../lab/bench/types.js';
import { loadPricing } from '../../../lab/cost/pricing.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { freePort } from '../../helpers/redis-server.js';
import { startServer, tmpDir, type Server } from './helpers.js';

let server: Server;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

// WAIT 0: the test server has no replicas, and WAIT 1 would hold each write for the timeout.
const workload = workloadFrom({ name: 'prov', ops: { get: 1, set: 1 }, keys: { count: 100 }, connections: 2, duration: '300ms', warmup: '100ms', wait: { replicas: 0, timeoutMs: 10 } });

describe('runBench with a ClusterProvider', () => {
  it('brings up one cluster per mode in order, takes log bytes across the window, and tears each down', { timeout: 60_000 }, async () => {
    const calls: string[] = [];
    let statsCalls = 0;
    const provider: ClusterProvider = {
      async up(mode: Mode, topo: TopologyOverrides) {
        calls.push(`up ${mode} rtt=${topo.rttMs}`);
        return {
          endpoint: { host: '127.0.0.1', port: server.port },
          primaryAz: 'az-a',
          nodes: 3,
          // A cumulative counter: 1000 bytes more at each call.
          stats: async () => ({ logBytes: mode === 'durable' ? ++statsCalls * 1000 : undefined }),
          down: async () => {
            calls.push(`down ${mode}`);
          },
        };
      },
    };
    const out = tmpDir();
    const r = await runBench({ workload, progress: 'none', log: () => {}, outDir: out, pricing: loadPricing('aws-us-east-1').pricing }, provider);
    expect(calls).toEqual(['up plain rtt=1', 'down plain', 'up wait rtt=1', 'down wait', 'up durable rtt=1', 'down durable']);
    expect(r.modes.map((m) => m.mode)).toEqual(['plain', 'wait', 'durable']);
    expect(r.modes[2].logBytes).toBe(1000);
    expect(r.modes[2].cost?.billedBytesBasis).toBe('log');
    expect(r.modes[2].cost?.service).toBe('memorydb');
    expect(r.modes[0].logBytes).toBeUndefined();
    expect(r.modes[0].cost?.service).toBe('elasticache');
    for (const m of ['plain', 'wait', 'durable']) expect(existsSync(`${r.dir}/${m}-set.hlog`)).toBe(true);
  });

  it('tears the cluster down when the run fails, and creates no results folder', async () => {
    const calls: string[] = [];
    const dead = await freePort();
    const provider: ClusterProvider = {
      up: async (mode) => ({
        endpoint: { host: '127.0.0.1', port: dead },
        primaryAz: 'az-a',
        stats: async () => ({}),
        down: async () => {
          calls.push(`down ${mode}`);
        },
      }),
    };
    const out = tmpDir();
    await expect(runBench({ workload, modes: ['wait'], progress: 'none', log: () => {}, outDir: out }, provider)).rejects.toThrow(/cannot connect to redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(calls).toEqual(['down wait']);
    expect(existsSync(out) && (await import('node:fs')).readdirSync(out)).toEqual([]);
  });

  it('without a target or a provider it says that --target is needed', async () => {
    await expect(runBench({ workload })).rejects.toBeInstanceOf(NoClusterError);
  });
});
