/**
 * Synthetic run directories in the formats of docs/results-format.md, with known numbers, so
 * that report, export and compare tests can check exact values.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from '../../../lab/bench/output.js';
import { createHistogram, recordUs, summarize } from '../../../lab/metrics/hdr.js';
import { formatHlog } from '../../../lab/metrics/hlog.js';
import { formatCsv } from '../../../lab/reports/csv.js';

export function tmpDir(prefix = 'memlab-reports-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface BenchSpec {
  id: string;
  modes: { mode: string; throughput: number; baseUs: number }[];
  workload?: string;
  /** Fault events (bench with faults), at seconds in the window. */
  faults?: { atS: number; event: string; target: string }[];
  seconds?: number;
  monthlyCostUsd?: number;
}

/**
 * A bench run: ops get (90%) and set (10%); each mode's latencies are baseUs..10*baseUs plus a
 * tail; the summary rows are computed from the same histograms written to the hlogs.
 */
export function writeBenchRun(root: string, spec: BenchSpec): string {
  const dir = path.join(root, spec.id);
  mkdirSync(dir, { recursive: true });
  const seconds = spec.seconds ?? 3;
  const workload = spec.workload ?? 'cache-90-10';
  const startMs = Date.UTC(2026, 0, 2, 3, 4, 5);
  const summary: Record<string, string | number>[] = [];
  const series: Record<string, string | number>[] = [];
  const modesJson: unknown[] = [];
  for (const m of spec.modes) {
    const perOp: Record<string, ReturnType<typeof createHistogram>[]> = { get: [], set: [] };
    for (let s = 0; s < seconds; s++) {
      for (const op of ['get', 'set'] as const) {
        const h = createHistogram();
        const n = op === 'get' ? 900 : 100;
        for (let i = 0; i < n; i++) recordUs(h, m.baseUs + ((i * 9 * m.baseUs) / n) * (op === 'set' ? 1.5 : 1));
        // A tail that grows in the second second (a fault there).
        recordUs(h, m.baseUs * (s === 1 ? 200 : 40));
        perOp[op].push(h);
      }
    }
    const total = (op: string) => {
      const h = createHistogram();
      for (const x of op === 'all' ? [...perOp.get, ...perOp.set] : perOp[op]) h.add(x);
      return h;
    };
    for (const op of ['get', 'set', 'all'] as const) {
      const h = total(op);
      const sum = summarize(h);
      const share = op === 'all' ? 1 : op === 'get' ? 0.9 : 0.1;
      const isAll = op === 'all';
      summary.push({
        run: spec.id,
        mode: m.mode,
        target: 'redis://127.0.0.1:7001',
        workload,
        op,
        kind: op === 'get' ? 'read' : op === 'set' ? 'write' : 'all',
        loop: 'closed',
        rate_target: '',
        connections: 50,
        pipeline: 1,
        duration_s: seconds,
        count: sum.count,
        errors: op === 'set' ? 2 : op === 'all' ? 2 : 0,
        acked: m.mode === 'wait' && op !== 'get' ? 300 : 0,
        under_acked: 0,
        nil: 0,
        throughput_ops: m.throughput * share,
        p50_us: sum.p50,
        p90_us: sum.p90,
        p99_us: sum.p99,
        p999_us: sum.p999,
        max_us: sum.max,
        mean_us: sum.mean,
        bytes_written: op === 'get' ? 0 : 123456,
        log_bytes: '',
        nodes: isAll ? 3 : '',
        node_type: isAll ? 'cache.r7g.large' : '',
        cost_per_gb_usd: isAll ? 0.3939 : '',
        cost_per_million_writes_usd: isAll ? 0.1154 : '',
        monthly_cost_usd: isAll ? (spec.monthlyCostUsd ?? 479.61) : '',
        pricing_verified: isAll ? 'false' : '',
        client_cpu_pct: isAll ? 25 : '',
        client_saturated: isAll ? 'false' : '',
      });
    }
    for (let s = 0; s < seconds; s++) {
      for (const op of ['get', 'set', 'all'] as const) {
        const h = createHistogram();
        for (const x of op === 'all' ? [perOp.get[s], perOp.set[s]] : [perOp[op][s]]) h.add(x);
        series.push({
          run: spec.id,
          mode: m.mode,
          op,
          second: s,
          ops: h.totalCount,
          errors: 0,
          acked: 0,
          under_acked: 0,
          p50_us: h.getValueAtPercentile(50),
          p99_us: h.getValueAtPercentile(99),
          max_us: h.maxValue,
        });
      }
    }
    for (const op of ['get', 'set'] as const) {
      writeFileSync(
        path.join(dir, `${m.mode}-${op}.hlog`),
        formatHlog(startMs, perOp[op].map((h, s) => ({ startSec: s, lengthSec: 1, histogram: h }))),
      );
    }
    writeFileSync(
      path.join(dir, `${m.mode}.hlog`),
      formatHlog(startMs, Array.from({ length: seconds }, (_, s) => s).flatMap((s) => (['get', 'set'] as const).map((op) => ({ startSec: s, lengthSec: 1, histogram: perOp[op][s], tag: op })))),
    );
    modesJson.push({ mode: m.mode, startedAt: new Date(startMs).toISOString(), warnings: m.mode === 'wait' ? ['2 operations failed: ERR 2'] : [] });
  }
  writeFileSync(path.join(dir, 'summary.csv'), formatCsv(SUMMARY_COLUMNS, summary));
  writeFileSync(path.join(dir, 'timeseries.csv'), formatCsv(TIMESERIES_COLUMNS, series));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ run: spec.id, warnings: ["pricing profile 'aws-us-east-1' is not verified"], modes: modesJson }, null, 2));
  writeFileSync(path.join(dir, 'command.txt'), `memlab bench --target redis://127.0.0.1:7001 --duration ${seconds}s --label <synthetic>\n`);
  writeFileSync(path.join(dir, 'profile.yaml'), `name: ${workload}\nops:\n  get: 90\n  set: 10\nconnections: 50\n`);
  if (spec.faults) {
    writeFileSync(
      path.join(dir, 'faults.csv'),
      formatCsv(
        ['run', 'mode', 'scenario', 'round', 'at_s', 'event', 'target', 'detail'],
        spec.modes.flatMap((m) => spec.faults!.map((f) => ({ run: spec.id, mode: m.mode, scenario: '', round: '', at_s: f.atS, event: f.event, target: f.target, detail: '' }))),
      ),
    );
  }
  return dir;
}

export const CHAOS_COLUMNS = [
  'run', 'mode', 'scenario', 'rounds', 'acknowledged', 'lost', 'loss_pct', 'under_replicated', 'under_replicated_lost', 'unacked_survived',
  'unknown', 'stale_reads', 'unavailability_p50_ms', 'unavailability_max_ms', 'linearizable', 'nonlinearizable_rounds',
];

export interface ChaosCell {
  mode: string;
  scenario: string;
  acknowledged: number;
  lost: number;
  p50: number;
  max: number;
  linearizable: 'yes' | 'no';
}

/** A chaos run with two rounds per mode and scenario. */
export function writeChaosRun(root: string, id: string, cells: ChaosCell[]): string {
  const dir = path.join(root, id);
  mkdirSync(path.join(dir, 'history'), { recursive: true });
  const rounds = 2;
  writeFileSync(
    path.join(dir, 'chaos.csv'),
    formatCsv(
      CHAOS_COLUMNS,
      cells.map((c) => ({
        run: id,
        mode: c.mode,
        scenario: c.scenario,
        rounds,
        acknowledged: c.acknowledged,
        lost: c.lost,
        loss_pct: c.acknowledged ? Math.round((10000 * c.lost) / c.acknowledged) / 100 : '',
        under_replicated: c.mode === 'wait' ? 7 : '',
        under_replicated_lost: c.mode === 'wait' ? 3 : '',
        unacked_survived: 1,
        unknown: 4,
        stale_reads: 0,
        unavailability_p50_ms: c.p50,
        unavailability_max_ms: c.max,
        linearizable: c.linearizable,
        nonlinearizable_rounds: c.linearizable === 'no' ? 1 : 0,
      })),
    ),
  );
  const series: Record<string, string | number>[] = [];
  const faults: Record<string, string | number>[] = [];
  for (const c of cells) {
    const startMs = Date.UTC(2026, 0, 3, 0, 0, 0);
    const hists = [];
    for (let r = 1; r <= rounds; r++) {
      for (let s = 0; s < 6; s++) {
        const spike = s === 2 || s === 3;
        series.push({
          run: id, mode: c.mode, op: 'all', second: s, ops: 1000, errors: spike ? 5 : 0, acked: 0, under_acked: 0,
          p50_us: 400, p99_us: spike ? c.p50 * 1000 : 900 + r * 50, max_us: spike ? c.max * 1000 : 2000, scenario: c.scenario, round: r,
        });
        const h = createHistogram();
        for (let i = 0; i < 200; i++) recordUs(h, 300 + i * 5);
        if (spike) recordUs(h, c.max * 1000);
        hists.push({ startSec: s, lengthSec: 1, histogram: h });
      }
      faults.push({ run: id, mode: c.mode, scenario: c.scenario, round: r, at_s: 2.1, event: 'kill', target: 'n1', detail: 'SIGKILL' });
      faults.push({ run: id, mode: c.mode, scenario: c.scenario, round: r, at_s: 3.4, event: 'failover', target: 'n2', detail: '' });
      writeFileSync(path.join(dir, 'history', `${c.mode}-${c.scenario}-${r}.jsonl`), '');
    }
    writeFileSync(path.join(dir, `${c.mode}-${c.scenario}.hlog`), formatHlog(startMs, hists));
  }
  writeFileSync(path.join(dir, 'timeseries.csv'), formatCsv([...TIMESERIES_COLUMNS, 'scenario', 'round'], series));
  writeFileSync(path.join(dir, 'faults.csv'), formatCsv(['run', 'mode', 'scenario', 'round', 'at_s', 'event', 'target', 'detail'], faults));
  writeFileSync(path.join(dir, 'chaos.json'), JSON.stringify({ run: id, startedAt: '2026-01-03T00:00:00.000Z', workload: { name: 'registers' }, warnings: [] }));
  writeFileSync(path.join(dir, 'command.txt'), 'memlab chaos --rounds 2\n');
  return dir;
}
