/**
 * memlab bench --target against redis-benchmark, same real redis-server, same settings:
 * one operation (SET or GET), 100-byte values (-d 100), 100,000 keys (-r 100000), the same
 * connections (-c) and pipeline depth (-P). Rounds alternate which tool goes first; the
 * table shows the median throughput of each and the ratio (the issue asks for within 20%).
 *
 *   node dist/bench/bench-vs-redis-benchmark.js [--quick] [--rounds N] [--duration 5s]
 *        [--workers N] [--connections 50] [--pipelines 1,16] [--tests set,get] [--json FILE]
 *
 * Latency columns are not comparable one to one: redis-benchmark records one latency per
 * pipeline batch and measures from its own (closed-loop) send time; memlab records every
 * request. Run on a quiet machine: both tools and the server share its cores.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { runBench } from '../lab/bench/runner.js';
import { parseDuration } from '../lab/profiles/units.js';
import { workloadFrom } from '../lab/workloads/profile.js';
import { flag, opt } from './lib/args.js';
import { redisBenchmarkRow } from './lib/redis-benchmark.js';
import { startRedisServer } from './lib/servers.js';

const quick = flag('--quick');
const rounds = Number(opt('--rounds', quick ? '1' : '3'));
const durationMs = parseDuration(opt('--duration', quick ? '2s' : '5s')) ?? 5000;
const workers = opt('--workers', '') ? Number(opt('--workers', '')) : undefined;
const connections = Number(opt('--connections', '50'));
const pipelines = opt('--pipelines', '1,16').split(',').map(Number);
const tests = opt('--tests', 'set,get').split(',');
const jsonOut = opt('--json', '');

interface Measure {
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

function redisBenchmark(port: number, test: string, pipeline: number, n: number): Measure {
  const cols = redisBenchmarkRow(
    ['-h', '127.0.0.1', '-p', String(port), '-c', String(connections), '-n', String(n), '-r', '100000', '-d', '100', '-P', String(pipeline), '-t', test],
    7,
  );
  return { rps: Number(cols[1]), p50Ms: Number(cols[4]), p99Ms: Number(cols[6]) };
}

async function memlab(port: number, test: string, pipeline: number): Promise<Measure> {
  const workload = workloadFrom({
    name: `vs-rb-${test}`,
    ops: { [test]: 1 },
    keys: { count: 100_000, distribution: 'uniform' },
    values: { min: 100, max: 100 },
    connections,
    pipeline,
    duration: `${durationMs}ms`,
    warmup: '1s',
    prefill: test === 'get',
  });
  const r = await runBench({ workload, target: `redis://127.0.0.1:${port}`, workers, progress: 'none', log: () => {} });
  const m = r.modes[0];
  const o = m.ops.find((x) => x.op === test)!;
  if (m.client.saturated) process.stderr.write(`  (memlab client saturated: ${m.client.cpuPct}% of its cores)\n`);
  return { rps: o.throughput, p50Ms: o.latencyUs.p50 / 1000, p99Ms: o.latencyUs.p99 / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (spawnSync('redis-benchmark', ['--version']).status !== 0 || spawnSync('redis-server', ['--version']).status !== 0) {
    console.error('needs redis-server and redis-benchmark (Debian: apt-get install redis-server redis-tools)');
    process.exit(2);
  }
  const { port, proc } = await startRedisServer();
  const rows: { test: string; pipeline: number; redisBenchmark: Measure; memlab: Measure; ratio: number }[] = [];
  try {
    console.log(`redis-server ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2]}, ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`);
    console.log(`-c ${connections} -d 100 -r 100000, memlab ${durationMs / 1000}s windows, ${rounds} alternating round(s), medians`);
    console.log('test  -P   redis-benchmark rps   memlab rps   memlab/rb   rb p50/p99 ms   memlab p50/p99 ms');
    for (const test of tests) {
      for (const p of pipelines) {
        const rb: Measure[] = [];
        const ml: Measure[] = [];
        for (let i = 0; i < rounds; i++) {
          // redis-benchmark gets as many requests as memlab did in its window (at least 20k).
          const runRb = () => rb.push(redisBenchmark(port, test, p, Math.max(20_000, Math.round((ml.at(-1)?.rps ?? 50_000) * (durationMs / 1000)))));
          if (i % 2 === 0) {
            ml.push(await memlab(port, test, p));
            runRb();
          } else {
            runRb();
            ml.push(await memlab(port, test, p));
          }
        }
        const pick = (xs: Measure[]): Measure => ({ rps: median(xs.map((x) => x.rps)), p50Ms: median(xs.map((x) => x.p50Ms)), p99Ms: median(xs.map((x) => x.p99Ms)) });
        const a = pick(rb);
        const b = pick(ml);
        const ratio = b.rps / a.rps;
        rows.push({ test, pipeline: p, redisBenchmark: a, memlab: b, ratio });
        console.log(
          `${test.padEnd(5)} ${String(p).padStart(2)}   ${Math.round(a.rps).toLocaleString('en-US').padStart(15)}   ${Math.round(b.rps).toLocaleString('en-US').padStart(10)}   ${ratio.toFixed(2).padStart(9)}   ${`${a.p50Ms.toFixed(3)}/${a.p99Ms.toFixed(3)}`.padStart(13)}   ${`${b.p50Ms.toFixed(3)}/${b.p99Ms.toFixed(3)}`.padStart(17)}`,
        );
      }
    }
  } finally {
    proc.kill('SIGKILL');
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2) + '\n');
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
