import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from '../../../lab/bench/output.js';
import { CLI, REPO, haveRedisBenchmark, haveRedisServer, startRealRedis, tmpDir } from './helpers.js';

/** Our CSVs have no quoted fields (no commas or quotes in any value), so a split suffices. */
function parseCsv(text: string, _o: { columns: true }): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    expect(cells.length).toBe(cols.length);
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}

function memlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('memlab bench: input errors', () => {
  it('a bad override names the profile file, the field and what is allowed', async () => {
    const r = await memlab(['bench', '--target', 'redis://127.0.0.1:1', '--set', 'keys.distribution=zipf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cache-90-10\.yaml with --set keys\.distribution=zipf: field 'keys\.distribution' must be one of "uniform", "zipfian", "sequential"/);
  });

  it('rejects --modes with --target, and unknown modes', async () => {
    expect((await memlab(['bench', '--target', 'redis://127.0.0.1:1', '--modes', 'plain'])).stderr).toMatch(/with --target use --mode/);
    expect((await memlab(['bench', '--target', 'redis://127.0.0.1:1', '--mode', 'strong'])).stderr).toMatch(/unknown mode 'strong'/);
  });

  it('rejects a bad --same-az', async () => {
    const r = await memlab(['bench', '--same-az', 'sideways']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--same-az must be direct or proxy, got 'sideways'/);
  });

  it('reports an unreachable target as an error, not as results', async () => {
    const r = await memlab(['bench', '--target', 'redis://127.0.0.1:1', '--duration', '1s', '--out', tmpDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to redis:\/\/127\.0\.0\.1:1/);
  });

  it('--list shows the workloads', async () => {
    const r = await memlab(['bench', '--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cache-90-10\s+read-heavy cache/m);
    expect(r.stdout).toMatch(/^queue\s+/m);
  });
});

const noRedis = !haveRedisServer();
if (noRedis) console.log('skipping memlab bench --target against redis-server: redis-server is not installed (apt-get install redis-server)');

describe.skipIf(noRedis)('memlab bench --target against Debian redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRealRedis>>;
  beforeAll(async () => {
    redis = await startRealRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('writes every result file and reports throughput comparable to redis-benchmark', { timeout: 90_000 }, async () => {
    const out = tmpDir();
    const args = ['bench', '--target', `redis://127.0.0.1:${redis.port}`, '--mix', 'set=100', '--value-size', '3', '--keys', '100000', '--connections', '20', '--pipeline', '1'];
    const r = await memlab([...args, '--duration', '2s', '--warmup', '500ms', '--out', out, '--progress', 'plain', '--label', 'cli-test']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[plain\] 1\/2s \d+ ops\/s p99 [\d.]+ ms errors 0/);
    expect(r.stdout).toMatch(/throughput ops\/s/);
    const [dirName] = readdirSync(out);
    expect(dirName).toMatch(/^\d{8}-\d{6}-cli-test$/);
    const dir = path.join(out, dirName);
    for (const f of ['summary.csv', 'timeseries.csv', 'summary.json', 'command.txt', 'profile.yaml', 'plain-set.hlog', 'plain.hlog']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    expect(r.stdout).toContain(`results: ${dir}`);
    expect(readFileSync(path.join(dir, 'command.txt'), 'utf8')).toMatch(/^memlab bench --target redis:\/\/127\.0\.0\.1:\d+ --mix set=100 /);
    expect(YAML.parse(readFileSync(path.join(dir, 'profile.yaml'), 'utf8'))).toMatchObject({ connections: 20, ops: { set: 100 }, values: { min: 3, max: 3 } });

    const csvText = readFileSync(path.join(dir, 'summary.csv'), 'utf8');
    expect(csvText.split('\n')[0]).toBe(SUMMARY_COLUMNS.join(','));
    const rows = parseCsv(csvText, { columns: true });
    expect(rows.map((x) => x.op)).toEqual(['set', 'all']);
    const set = rows[0];
    expect(set).toMatchObject({ mode: 'plain', workload: 'cache-90-10', kind: 'write', loop: 'closed', connections: '20', errors: '0' });
    expect(Number(set.count)).toBeGreaterThan(1000);
    expect(Number(set.p50_us)).toBeGreaterThan(0);
    expect(Number(set.p50_us)).toBeLessThanOrEqual(Number(set.p99_us));
    // Key 'memlab:cache:NNNNN' (18 bytes) + 3-byte value.
    expect(Number(set.bytes_written)).toBe(Number(set.count) * 21);
    expect(Number(rows[1].monthly_cost_usd)).toBeGreaterThan(0);
    expect(rows[1].pricing_verified).toBe('false');
    const ts = readFileSync(path.join(dir, 'timeseries.csv'), 'utf8');
    expect(ts.split('\n')[0]).toBe(TIMESERIES_COLUMNS.join(','));
    const tsRows = parseCsv(ts, { columns: true }).filter((x) => x.op === 'set');
    expect(tsRows.reduce((a, x) => a + Number(x.ops), 0)).toBe(Number(set.count));
    const memlabOps = Number(set.throughput_ops);

    if (!haveRedisBenchmark()) {
      console.log('skipping the redis-benchmark comparison: redis-benchmark is not installed (apt-get install redis-tools)');
      return;
    }
    // Same op, value size, key space, connections and pipeline.
    const rb = spawnSync('redis-benchmark', ['-p', String(redis.port), '-t', 'set', '-d', '3', '-r', '100000', '-c', '20', '-P', '1', '-n', String(Math.max(20_000, Math.round(memlabOps * 2))), '--csv'], {
      encoding: 'utf8',
    });
    expect(rb.status).toBe(0);
    const rbOps = Number(/"SET","([\d.]+)"/.exec(rb.stdout)![1]);
    console.log(`memlab bench ${Math.round(memlabOps)} ops/s, redis-benchmark ${Math.round(rbOps)} ops/s (SET, 20 connections, pipeline 1)`);
    // The issue asks for within 20%, which bench/bench-vs-redis-benchmark.ts measures on a quiet
    // machine. Test machines share cores with other jobs and the two runs are seconds apart,
    // so here only a gross error (a factor of 3) fails.
    expect(memlabOps).toBeGreaterThan(rbOps / 3);
    expect(memlabOps).toBeLessThan(rbOps * 3);
  });
});
