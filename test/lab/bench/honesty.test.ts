/**
 * Honesty checks of `memlab bench` (issue 6): the numbers it reports are the numbers that
 * happened. Runs need the compiled worker (dist/), which `npm test` builds first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HistogramLogReader } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../lab/bench/runner.js';
import { loadPricing } from '../../../lab/cost/pricing.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { haveRedisServer, startServer, tmpDir, type Server } from './helpers.js';

/** Nearest-rank percentile of sorted integers. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

let server: Server;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('percentiles match the raw samples', () => {
  it('p50/p90/p99/p99.9/max/mean/count from the merged worker histograms, the time series and the hlogs', { timeout: 60_000 }, async () => {
    const out = tmpDir();
    const workload = workloadFrom({
      name: 'honesty',
      ops: { get: 70, set: 30 },
      keys: { count: 1000 },
      values: { min: 16, max: 64 },
      connections: 8,
      pipeline: 2,
      duration: '1500ms',
      warmup: '300ms',
    });
    const r = await runBench({ workload, target: server.url, workers: 2, keepRawSamples: true, progress: 'none', outDir: out, pricing: loadPricing('aws-us-east-1').pricing, log: () => {} });
    const m = r.modes[0];
    expect(m.all.errors).toBe(0);
    // Plain mode: every successful write reply is its acknowledgement; reads acknowledge nothing.
    const setOp = m.ops.find((x) => x.op === 'set')!;
    expect(setOp.acked).toBe(setOp.count);
    expect(m.ops.find((x) => x.op === 'get')!.acked).toBe(0);
    for (const op of ['get', 'set']) {
      const o = m.ops.find((x) => x.op === op)!;
      const raw = [...m.raw![op]].sort((a, b) => a - b);
      expect(o.count).toBeGreaterThan(200);
      expect(o.count).toBe(raw.length);
      const l = o.latencyUs;
      for (const [p, got] of [
        [50, l.p50],
        [90, l.p90],
        [99, l.p99],
        [99.9, l.p999],
        [100, l.max],
      ] as const) {
        const want = exact(raw, p);
        // HDR reports the highest value equivalent to the sample: >= it, within 1/1024 (3 digits).
        expect(got, `${op} p${p}`).toBeGreaterThanOrEqual(want);
        expect(got, `${op} p${p}`).toBeLessThanOrEqual(want + want / 1024 + 1);
      }
      const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
      expect(Math.abs(l.mean - mean)).toBeLessThanOrEqual(mean / 1000 + 1);
      // The per-second series and the hlog hold the same samples.
      let seriesCount = 0;
      for (const s of m.series.seconds(op)) seriesCount += m.series.at(op, s)!.count;
      expect(seriesCount).toBe(o.count);
      const reader = new HistogramLogReader(readFileSync(path.join(r.dir!, `plain-${op}.hlog`), 'utf8'));
      let hlogCount = 0;
      for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) hlogCount += h.totalCount;
      expect(hlogCount).toBe(o.count);
    }
    // Throughput is successful ops over the measured window.
    expect(m.all.throughput).toBeCloseTo(m.all.count / m.durationSec, 6);
    expect(m.durationSec).toBeGreaterThan(1.4);
    expect(m.durationSec).toBeLessThan(1.7);
    // Bytes written: key + value of each successful SET (key 'memlab:NNN', value 16..64 bytes).
    const set = m.ops.find((x) => x.op === 'set')!;
    expect(set.bytesWritten).toBeGreaterThanOrEqual(set.count * (10 + 16));
    expect(set.bytesWritten).toBeLessThanOrEqual(set.count * (10 + 64));
    expect(m.ops.find((x) => x.op === 'get')!.bytesWritten).toBe(0);
    expect(m.cost?.costPerMillionWritesUsd).toBeGreaterThan(0);
  });
});

describe('open loop does not hide a stall (coordinated omission)', () => {
  const stallMs = 300;

  /** Pause the server process with SIGSTOP for stallMs, 500 ms into the window; returns the real pause. */
  async function runWithStall(rate: number | null, connections: number) {
    // maxInFlight 1: requests due while the server is paused wait in the client, unsent, so
    // the run can only report the stall if it measures from the intended send time.
    const workload = workloadFrom({ name: 'stall', ops: { get: 1 }, keys: { count: 100 }, connections, maxInFlight: 1, duration: '1500ms', warmup: '200ms', rate });
    let pauseDone: Promise<number> | undefined;
    const pause = () => {
      pauseDone = new Promise<number>((resolve) =>
        setTimeout(() => {
          server.proc.kill('SIGSTOP');
          const t = performance.now();
          setTimeout(() => {
            server.proc.kill('SIGCONT');
            resolve(performance.now() - t);
          }, stallMs);
        }, 500),
      );
    };
    const r = await runBench({ workload, target: server.url, workers: 1, progress: 'none', log: () => {}, onWindowStart: pause });
    const stalled = await pauseDone!;
    expect(stalled).toBeGreaterThanOrEqual(stallMs);
    return { get: r.modes[0].ops.find((o) => o.op === 'get')!, lag: r.modes[0].client.sendLagUs, stalledUs: stalled * 1000 };
  }

  it('open loop: p99 from the intended send time includes the stall; closed loop: only max shows it', { timeout: 60_000 }, async () => {
    // 1000/s for 1.5 s: the 300 requests due during the pause wait 0..300 ms, so the top 1%
    // of all requests (15) waited nearly the whole pause.
    const open = await runWithStall(1000, 1);
    expect(open.get.errors).toBe(0);
    // They were sent late (queued behind the one request in flight) ...
    expect(open.lag!.p99).toBeGreaterThanOrEqual(0.5 * open.stalledUs);
    // ... and the latency still counts from when they were due.
    expect(open.get.count).toBeGreaterThan(1400);
    expect(open.get.latencyUs.p99).toBeGreaterThanOrEqual(0.8 * open.stalledUs);
    expect(open.get.latencyUs.max).toBeGreaterThanOrEqual(0.9 * open.stalledUs);

    // One connection, one request in flight: the stall delays a single request, so p99 stays low.
    const closed = await runWithStall(null, 1);
    expect(closed.get.count).toBeGreaterThan(300);
    expect(closed.get.latencyUs.max).toBeGreaterThanOrEqual(0.9 * closed.stalledUs);
    expect(closed.get.latencyUs.p99).toBeLessThan(closed.stalledUs / 3);
  });
});

describe('replies that never come', () => {
  it('count as errors once the drain timeout has passed, not as latencies', { timeout: 60_000 }, async () => {
    const workload = workloadFrom({ name: 'drain', ops: { get: 1 }, keys: { count: 100 }, connections: 2, pipeline: 2, duration: '600ms', warmup: '100ms' });
    let resumed: Promise<void> | undefined;
    const r = await runBench({
      workload,
      target: server.url,
      workers: 1,
      progress: 'none',
      log: () => {},
      drainTimeoutMs: 300,
      // Paused from 300 ms into the window until well after window + drain timeout.
      onWindowStart: () => {
        resumed = new Promise((resolve) =>
          setTimeout(() => {
            server.proc.kill('SIGSTOP');
            setTimeout(() => {
              server.proc.kill('SIGCONT');
              resolve();
            }, 1500);
          }, 300),
        );
      },
    });
    await resumed;
    const get = r.modes[0].ops[0];
    // 2 connections x 2 in flight were stuck.
    expect(get.errors).toBe(4);
    expect(get.errorKinds).toEqual({ NO_REPLY: 4 });
    expect(get.latencyUs.max).toBeLessThan(300_000);
    expect(r.modes[0].warnings.join('\n')).toMatch(/4 operations failed: NO_REPLY 4/);
  });
});

const noRedis = !haveRedisServer();
if (noRedis) console.log('skipping wait-mode accounting: redis-server is not installed (apt-get install redis-server)');

describe.skipIf(noRedis)('wait mode accounting against a real redis-server without replicas', () => {
  const run = (replicas: number, timeoutMs: number) =>
    runBench({
      workload: workloadFrom({ name: 'wait', ops: { get: 50, set: 50 }, keys: { count: 100 }, connections: 4, duration: '1s', warmup: '200ms', wait: { replicas, timeoutMs } }),
      target: server.url,
      targetMode: 'wait',
      workers: 1,
      progress: 'none',
      log: () => {},
    });

  it('WAIT 1 50 returns 0: every write is under-acknowledged and its latency includes the WAIT', async () => {
    expect(server.kind).toBe('redis-server');
    const m = (await run(1, 50)).modes[0];
    const set = m.ops.find((o) => o.op === 'set')!;
    const get = m.ops.find((o) => o.op === 'get')!;
    expect(set.count).toBeGreaterThan(0);
    expect(set.errors).toBe(0);
    expect(set.acked).toBe(0);
    expect(set.underAcked).toBe(set.count);
    expect(set.latencyUs.p50).toBeGreaterThanOrEqual(50_000);
    expect(get.acked + get.underAcked).toBe(0);
    expect(get.latencyUs.p50).toBeLessThan(50_000);
    expect(m.all.underAcked).toBe(set.count);
    expect(m.warnings.join('\n')).toMatch(/under-acknowledged/);
  });

  it('WAIT 0 returns at once and counts every write as acknowledged', async () => {
    const m = (await run(0, 10)).modes[0];
    const set = m.ops.find((o) => o.op === 'set')!;
    expect(set.count).toBeGreaterThan(0);
    expect(set.acked).toBe(set.count);
    expect(set.underAcked).toBe(0);
  });
});
