/**
 * Honesty check of `memlab bench` against the lab cluster (issue 6): with an injected
 * cross-AZ round trip R, wait and durable mode's p50 write latency exceeds plain mode's by
 * roughly R (between 0.8 R and 1.5 R + the disk's fsync p50) and read latency does not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { benchStatePath, createClusterProvider } from '../../../lab/cluster/bench-provider.js';
import { readState } from '../../../lab/cluster/state.js';
import { requestStats } from '../../../engine/log/node/stats-request.js';
import type { ClusterProvider } from '../../../lab/bench/types.js';
import { runBench } from '../../../lab/bench/runner.js';
import { diskFsyncP50 } from '../../../lab/metrics/disk-fsync.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { built, notBuiltReason, tmpDir } from '../cluster/helpers.js';

if (!built) console.log(`skipping the injected-RTT bench check: ${notBuiltReason}`);

// Large enough that what durable mode adds besides R stays inside the band: on this 2-core VM
// about 2 ms (the log replicas' fsync under three concurrent writers ~0.6-0.9 ms, the delay
// line's overshoot ~0.3 ms, and four more process hops n1 -> proxy -> log replica -> proxy -> n1,
// each a wake-up that may preempt); under the whole test suite's load, 3-4 ms at R = 10 ms.
const R = 15;

/** The lab cluster, and the log replicas' own fsync p50 read just before the durable one stops. */
function providerNotingFsync(): { provider: ClusterProvider; logFsyncP50: () => number } {
  const inner = createClusterProvider();
  let fsync = 0;
  const provider: ClusterProvider = {
    async up(mode, o) {
      const h = await inner.up(mode, o);
      return {
        ...h,
        down: async () => {
          const s = readState(benchStatePath());
          const logs = (s?.nodes ?? []).filter((n) => n.kind === 'log');
          const p50s = await Promise.all(logs.map((n) => requestStats({ id: n.id, host: n.host, port: n.port, from: 'test', timeoutMs: 3000 }).then((x) => Number(x.fsyncP50Ms))));
          if (p50s.length) fsync = [...p50s].sort((a, b) => a - b)[p50s.length >> 1];
          await h.down();
        },
      };
    },
  };
  return { provider, logFsyncP50: () => fsync };
}
const savedStateDir = process.env.MEMLAB_STATE_DIR;
afterAll(() => {
  if (savedStateDir === undefined) delete process.env.MEMLAB_STATE_DIR;
  else process.env.MEMLAB_STATE_DIR = savedStateDir;
});

describe.skipIf(!built)('bench with an injected round trip', () => {
  it(`wait and durable writes pay about R = ${R} ms over plain, reads do not`, { timeout: 180_000 }, async () => {
    const dir = tmpDir('memlab-rtt-');
    process.env.MEMLAB_STATE_DIR = dir;
    const diskFsync = diskFsyncP50(dir, 100);
    const { provider, logFsyncP50 } = providerNotingFsync();
    const workload = workloadFrom({
      name: 'injected-rtt',
      ops: { get: 50, set: 50 },
      keys: { count: 10_000 },
      values: { min: 100, max: 100 },
      connections: 4,
      pipeline: 1,
      duration: '2s',
      warmup: '500ms',
      prefill: true,
    });
    const r = await runBench({ workload, modes: ['plain', 'wait', 'durable'], topology: { rttMs: R, jitterMs: 0 }, workers: 1, progress: 'none', log: () => {} }, provider);
    // The fsync the log replicas measured under this run (three of them share one disk here).
    const fsync = Math.max(diskFsync, logFsyncP50());
    const p50 = (mode: string, op: string) => {
      const o = r.modes.find((m) => m.mode === mode)!.ops.find((x) => x.op === op)!;
      expect(o.errors).toBe(0);
      expect(o.count).toBeGreaterThan(50);
      return o.latencyUs.p50 / 1000;
    };
    const plainSet = p50('plain', 'set');
    const plainGet = p50('plain', 'get');
    const seen = Object.fromEntries(['wait', 'durable'].map((m) => [m, { set: p50(m, 'set') - plainSet, get: p50(m, 'get') - plainGet }]));
    console.log(`injected RTT ${R} ms, fsync p50 ${fsync.toFixed(3)} ms (disk at rest ${diskFsync.toFixed(3)}, log replicas ${logFsyncP50().toFixed(3)}): plain set ${plainSet.toFixed(3)} / get ${plainGet.toFixed(3)} ms; over plain: ${JSON.stringify(seen)}`);
    for (const m of ['wait', 'durable']) {
      expect(seen[m].set).toBeGreaterThanOrEqual(0.8 * R);
      expect(seen[m].set).toBeLessThanOrEqual(1.5 * R + fsync);
      // Reads are answered by the primary at once (durable: no pending write on the key).
      expect(seen[m].get).toBeLessThan(0.25 * R);
    }
  });
});
