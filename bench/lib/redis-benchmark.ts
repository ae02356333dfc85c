/** Running redis-benchmark and reading its --csv output. */
import { spawnSync } from 'node:child_process';
import { pinned } from './servers.js';

/**
 * Run `redis-benchmark ARGS --csv` for one test and return the cells of its result row:
 * "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
 * (older versions print test and rps only). A row needs at least `minCells` cells.
 */
export function redisBenchmarkRow(args: string[], minCells = 2, cpus: string | null = null): string[] {
  const r = spawnSync(...pinned('redis-benchmark', [...args, '--csv'], cpus), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  for (const line of r.stdout.split('\n')) {
    const cols = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cols.length >= minCells && cols[0] !== 'test' && !Number.isNaN(Number(cols[1]))) return cols;
  }
  throw new Error(`could not parse redis-benchmark output: ${r.stdout}`);
}
