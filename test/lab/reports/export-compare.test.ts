import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPARE_COLUMNS, compareRuns, formatComparison } from '../../../lab/reports/compare.js';
import { parseCsv } from '../../../lab/reports/csv.js';
import { EXPORT_COLUMNS, exportJson, exportRows } from '../../../lab/reports/export.js';
import { listRuns } from '../../../lab/reports/run.js';
import { tmpDir, writeBenchRun, writeChaosRun } from './fixtures.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(REPO, 'dist/cli/main.js');

function memlab(args: string[], cwd = REPO): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Two bench runs of the same workload (B: 1.5x throughput, 2x latency, double cost) and a chaos run. */
function threeRuns() {
  const root = tmpDir();
  const a = writeBenchRun(root, { id: '20260101-000000-a', modes: [{ mode: 'plain', throughput: 10_000, baseUs: 200 }, { mode: 'wait', throughput: 4_000, baseUs: 800 }] });
  const b = writeBenchRun(root, { id: '20260102-000000-b', modes: [{ mode: 'plain', throughput: 15_000, baseUs: 400 }, { mode: 'wait', throughput: 5_000, baseUs: 1600 }], monthlyCostUsd: 959.22 });
  const c = writeChaosRun(root, '20260103-000000-c', [
    { mode: 'plain', scenario: 'crash-primary', acknowledged: 4000, lost: 120, p50: 1400, max: 2100, linearizable: 'no' },
    { mode: 'durable', scenario: 'crash-primary', acknowledged: 3500, lost: 0, p50: 900, max: 1300, linearizable: 'yes' },
  ]);
  mkdirSync(path.join(root, 'not-a-run'));
  return { root, a, b, c };
}

describe('export', () => {
  it('one row per bench summary row and chaos row, in the documented columns', () => {
    const { root, a, c } = threeRuns();
    expect(listRuns(root).map((d) => path.basename(d))).toEqual(['20260101-000000-a', '20260102-000000-b', '20260103-000000-c']);
    const rows = exportRows(listRuns(root));
    expect(rows).toHaveLength(6 + 6 + 2);
    for (const r of rows) expect(Object.keys(r)).toEqual([...EXPORT_COLUMNS]);

    const src = parseCsv(readFileSync(path.join(a, 'summary.csv'), 'utf8')).find((r) => r.mode === 'wait' && r.op === 'set')!;
    const wset = rows.find((r) => r.run === '20260101-000000-a' && r.mode === 'wait' && r.op === 'set')!;
    expect(wset).toMatchObject({ kind: 'bench', date: '2026-01-02T03:04:05Z', workload: 'cache-90-10', scenario: '', p99_us: src.p99_us, throughput_ops: '400', errors: '2', lost: '' });
    const all = rows.find((r) => r.run === '20260101-000000-a' && r.mode === 'plain' && r.op === 'all')!;
    expect(all).toMatchObject({ monthly_cost_usd: '479.61', nodes: '3', pricing_verified: 'false' });

    const chaos = rows.filter((r) => r.kind === 'chaos');
    expect(chaos.map((r) => [r.mode, r.scenario, r.op, r.workload, r.acknowledged, r.lost, r.loss_pct, r.linearizable])).toEqual([
      ['plain', 'crash-primary', 'all', 'registers', '4000', '120', '3', 'no'],
      ['durable', 'crash-primary', 'all', 'registers', '3500', '0', '0', 'yes'],
    ]);
    expect(chaos[0]).toMatchObject({ run: path.basename(c), date: '2026-01-03T00:00:00Z', throughput_ops: '', p99_us: '' });
  });

  it('JSON: numbers as numbers, booleans as booleans, empty as null', () => {
    const { root } = threeRuns();
    const j = JSON.parse(exportJson(exportRows(listRuns(root))));
    expect(j.format).toBe('memlab-export/1');
    expect(j.columns).toEqual([...EXPORT_COLUMNS]);
    const all = j.rows.find((r: Record<string, unknown>) => r.run === '20260102-000000-b' && r.mode === 'plain' && r.op === 'all');
    expect(all).toMatchObject({ kind: 'bench', throughput_ops: 15000, monthly_cost_usd: 959.22, pricing_verified: false, client_saturated: false, lost: null, node_type: 'cache.r7g.large' });
    const chaos = j.rows.find((r: Record<string, unknown>) => r.kind === 'chaos' && r.mode === 'plain');
    expect(chaos).toMatchObject({ lost: 120, loss_pct: 3, linearizable: 'no', unavailability_max_ms: 2100, p99_us: null });
  });

  it('memlab export: every run under --results by default, --csv and --json files, or named runs', async () => {
    const { root, b } = threeRuns();
    const out = tmpDir();
    const r = await memlab(['export', '--results', root, '--csv', path.join(out, 'all.csv'), '--json', path.join(out, 'all.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('memlab export: 14 rows from 3 runs\n');
    const csv = readFileSync(path.join(out, 'all.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(parseCsv(csv)).toHaveLength(14);
    expect(JSON.parse(readFileSync(path.join(out, 'all.json'), 'utf8')).rows).toHaveLength(14);

    const one = await memlab(['export', b, '--csv', '-']);
    expect(one.code).toBe(0);
    const rows = parseCsv(one.stdout);
    expect(new Set(rows.map((x) => x.run))).toEqual(new Set(['20260102-000000-b']));
    // A run id resolves under --results.
    const byId = await memlab(['export', '20260103-000000-c', '--results', root]);
    expect(parseCsv(byId.stdout).map((x) => x.kind)).toEqual(['chaos', 'chaos']);

    const bad = await memlab(['export', path.join(root, 'not-a-run')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not-a-run: not a run directory/);
    const empty = await memlab(['export', '--results', tmpDir()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no runs under/);
  });
});

describe('compare', () => {
  it('matches rows by mode and op and gives B/A and B−A', () => {
    const { a, b } = threeRuns();
    const cmp = compareRuns(a, b);
    expect(cmp.relaxed).toEqual([]);
    const get = (mode: string, op: string, metric: string) => cmp.rows.find((r) => r.mode === mode && r.op === op && r.metric === metric)!;
    expect(get('plain', 'all', 'throughput_ops')).toMatchObject({ a: '10000', b: '15000', ratio: '1.5', diff: '5000' });
    expect(get('wait', 'get', 'throughput_ops')).toMatchObject({ a: '3600', b: '4500', ratio: '1.25' });
    expect(get('plain', 'all', 'monthly_cost_usd')).toMatchObject({ a: '479.61', b: '959.22', ratio: '2' });
    // Latencies double (within the histogram's precision).
    const p99 = get('wait', 'set', 'p99_us');
    expect(Number(p99.ratio)).toBeCloseTo(Number(p99.b) / Number(p99.a), 10);
    expect(Number(p99.ratio)).toBeGreaterThan(1.99);
    expect(Number(p99.ratio)).toBeLessThan(2.01);
    expect(get('plain', 'set', 'errors')).toMatchObject({ a: '2', b: '2', diff: '0' });
    // Every row has the stable columns, and both run ids.
    for (const r of cmp.rows) expect(Object.keys(r)).toEqual([...COMPARE_COLUMNS]);
    expect(new Set(cmp.rows.map((r) => `${r.run_a} ${r.run_b}`))).toEqual(new Set(['20260101-000000-a 20260102-000000-b']));
  });

  it('matches a one-mode run against another one-mode run (plain vs wait on one target)', () => {
    const root = tmpDir();
    const a = writeBenchRun(root, { id: '20260101-000000-plain', modes: [{ mode: 'plain', throughput: 10_000, baseUs: 200 }] });
    const b = writeBenchRun(root, { id: '20260101-000100-wait', modes: [{ mode: 'wait', throughput: 2_500, baseUs: 1000 }] });
    const cmp = compareRuns(a, b);
    expect(cmp.relaxed).toEqual(['mode']);
    const t = cmp.rows.find((r) => r.op === 'all' && r.metric === 'throughput_ops')!;
    expect(t).toMatchObject({ mode: 'plain→wait', ratio: '0.25' });
    expect(cmp.rows.some((r) => r.a === '' || r.b === '')).toBe(false);
    expect(formatComparison(cmp)).toContain('(matched across different mode: each run has one)');
  });

  it('chaos runs: differences for lost writes; rows only in one run are shown as such', () => {
    const root = tmpDir();
    const a = writeChaosRun(root, '20260101-000000-ca', [
      { mode: 'plain', scenario: 'crash-primary', acknowledged: 4000, lost: 120, p50: 1400, max: 2100, linearizable: 'no' },
      { mode: 'wait', scenario: 'crash-primary', acknowledged: 3000, lost: 10, p50: 1500, max: 2000, linearizable: 'no' },
    ]);
    const b = writeChaosRun(root, '20260102-000000-cb', [
      { mode: 'plain', scenario: 'crash-primary', acknowledged: 4100, lost: 95, p50: 2800, max: 3000, linearizable: 'no' },
      { mode: 'durable', scenario: 'crash-primary', acknowledged: 3000, lost: 0, p50: 900, max: 1000, linearizable: 'yes' },
    ]);
    const cmp = compareRuns(a, b);
    const get = (mode: string, metric: string) => cmp.rows.find((r) => r.mode === mode && r.metric === metric)!;
    expect(get('plain', 'lost')).toMatchObject({ a: '120', b: '95', diff: '-25' });
    expect(get('plain', 'unavailability_p50_ms')).toMatchObject({ ratio: '2' });
    expect(get('plain', 'linearizable')).toMatchObject({ a: 'no', b: 'no', ratio: '', diff: '' });
    expect(get('wait', 'lost')).toMatchObject({ a: '10', b: '' });
    expect(get('durable', 'lost')).toMatchObject({ a: '', b: '0' });
    const table = formatComparison(cmp);
    expect(table).toMatch(/^plain\s+crash-primary\s+all\s+rounds\s+2\s+2\s+0\n\s+acknowledged\s+4,000\s+4,100\s+\+100$/m);
    // The plain group comes first; the key is printed once per group.
    expect(table.split('\n').filter((l) => /^\s+lost\s/.test(l))[0]).toMatch(/120\s+95\s+-25$/);
    expect(table).toMatch(/^\s+loss pct\s+3%\s+2\.32%\s+-0\.68 pp$/m);
    expect(table).toMatch(/unavailability p50 ms\s+1,400\s+2,800\s+×2\.000$/m);
    expect(table).toMatch(/^wait\s+crash-primary\s+all\s+rounds\s+2\s+–\s+only in A$/m);
    expect(table).toMatch(/^durable\s+crash-primary\s+all\s+rounds\s+–\s+2\s+only in B$/m);
  });

  it('memlab compare: terminal table and --csv', async () => {
    const { root, a, b } = threeRuns();
    const out = path.join(tmpDir(), 'cmp.csv');
    const r = await memlab(['compare', a, path.basename(b), '--results', root, '--csv', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^A = 20260101-000000-a\nB = 20260102-000000-b\n/);
    expect(r.stdout).toMatch(/^plain\s+cache-90-10\s+all\s+throughput ops\s+10,000\s+15,000\s+×1\.500$/m);
    expect(r.stdout).toMatch(/^\s+monthly cost usd\s+\$479\.61\s+\$959\.22\s+×2\.000$/m);
    const csv = readFileSync(out, 'utf8');
    expect(csv.split('\n')[0]).toBe(COMPARE_COLUMNS.join(','));
    expect(parseCsv(csv).find((x) => x.mode === 'plain' && x.op === 'all' && x.metric === 'throughput_ops')).toMatchObject({ ratio: '1.5', diff: '5000' });
    const missing = await memlab(['compare', a, path.join(root, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such run directory/);
  });
});
