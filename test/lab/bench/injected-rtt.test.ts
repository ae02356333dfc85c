/**
 * Honesty check of `memlab bench` against the lab cluster (issue 6): with an injected
 * cross-AZ round trip R, wait and durable mode's p50 write latency exceeds plain mode's by
 * roughly R (between 0.8 R and 1.5 R + the disk's fsync p50) and read latency does not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClusterProvider } from '../../../lab/cluster/bench-provider.js';
import { runBench } from '../../../lab/bench/runner.js';
import { diskFsyncP50 } from '../../../lab/metrics/disk-fsync.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { built, notBuiltReason, tmpDir } from '../cluster/helpers.js';

if (!built) console.log(`skipping the injected-RTT bench check: ${notBuiltReason}`);

// Large enough that what durable mode adds besides R stays inside the band: on this 2-core VM
// about 2 ms (the log replicas' fsync under three concurrent writers ~0.6-0.9 ms, the delay
// line's overshoot ~0.3 ms, and four more process hops n1 -> proxy -> log replica -> proxy -> n1,
// each a wake-up that may preempt). At R = 4 ms that put durable at 1.8 R with 4 connections.
const R = 10;
const savedStateDir = process.env.MEMLAB_STATE_DIR;
afterAll(() => {
  if (savedStateDir === undefined) delete process.env.MEMLAB_STATE_DIR;
  else process.env.MEMLAB_STATE_DIR = savedStateDir;
});

describe.skipIf(!built)('bench with an injected round trip', () => {
  it(`wait and durable writes pay about R = ${R} ms over plain, reads do not`, { timeout: 180_000 }, async () => {
    const dir = tmpDir('memlab-rtt-');
    process.env.MEMLAB_STATE_DIR = dir;
    const fsync = diskFsyncP50(dir, 100);
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
    const r = await runBench({ workload, modes: ['plain', 'wait', 'durable'], topology: { rttMs: R, jitterMs: 0 }, workers: 1, progress: 'none', log: () => {} }, createClusterProvider());
    const p50 = (mode: string, op: string) => {
      const o = r.modes.find((m) => m.mode === mode)!.ops.find((x) => x.op === op)!;
      expect(o.errors).toBe(0);
      expect(o.count).toBeGreaterThan(50);
      return o.latencyUs.p50 / 1000;
    };
    const plainSet = p50('plain', 'set');
    const plainGet = p50('plain', 'get');
    const seen = Object.fromEntries(['wait', 'durable'].map((m) => [m, { set: p50(m, 'set') - plainSet, get: p50(m, 'get') - plainGet }]));
    console.log(`injected RTT ${R} ms, fsync p50 ${fsync.toFixed(3)} ms: plain set ${plainSet.toFixed(3)} / get ${plainGet.toFixed(3)} ms; over plain: ${JSON.stringify(seen)}`);
    for (const m of ['wait', 'durable']) {
      expect(seen[m].set).toBeGreaterThanOrEqual(0.8 * R);
      expect(seen[m].set).toBeLessThanOrEqual(1.5 * R + fsync);
      // Reads are answered by the primary at once (durable: no pending write on the key).
      expect(seen[m].get).toBeLessThan(0.25 * R);
    }
  });
});
