/**
 * results/<run>/ (docs/bench.md lists every file and column):
 *   summary.csv      one row per mode and op, plus an `all` row per mode (cost columns there)
 *   timeseries.csv   per second, mode and op (and `all`)
 *   <mode>-<op>.hlog one HdrHistogram interval log per mode and op (untagged, 1 s intervals)
 *   <mode>.hlog      every op of the mode in one log, tagged Tag=<op>
 *   summary.json     everything in summary.csv plus client stats, warnings, pricing sources
 *   command.txt      the exact command line
 *   profile.yaml     the resolved workload (defaults and overrides applied)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import YAML from 'yaml';
import { formatHlog, type HlogInterval } from '../metrics/hlog.js';
import type { BenchOptions } from './runner.js';
import type { BenchResult, ModeResult, OpResult } from './types.js';

/** Stable: append new columns at the end, never rename or reorder. */
export const SUMMARY_COLUMNS = [
  'run',
  'mode',
  'target',
  'workload',
  'op',
  'kind',
  'loop',
  'rate_target',
  'connections',
  'pipeline',
  'duration_s',
  'count',
  'errors',
  'acked',
  'under_acked',
  'nil',
  'throughput_ops',
  'p50_us',
  'p90_us',
  'p99_us',
  'p999_us',
  'max_us',
  'mean_us',
  'bytes_written',
  'log_bytes',
  'nodes',
  'node_type',
  'cost_per_gb_usd',
  'cost_per_million_writes_usd',
  'monthly_cost_usd',
  'pricing_verified',
  'client_cpu_pct',
  'client_saturated',
] as const;

export const TIMESERIES_COLUMNS = ['run', 'mode', 'op', 'second', 'ops', 'errors', 'acked', 'under_acked', 'p50_us', 'p99_us', 'max_us'] as const;

type Row = Record<string, string | number>;

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

function opRow(runId: string, m: ModeResult, o: OpResult): Row {
  const isAll = o.kind === 'all';
  const c = isAll ? m.cost : undefined;
  return {
    run: runId,
    mode: m.mode,
    target: m.target,
    workload: m.workload,
    op: o.op,
    kind: o.kind,
    loop: m.loop,
    rate_target: m.rate ?? '',
    connections: m.connections,
    pipeline: m.pipeline,
    duration_s: round(m.durationSec, 3),
    count: o.count,
    errors: o.errors,
    acked: o.acked,
    under_acked: o.underAcked,
    nil: o.nil,
    throughput_ops: round(o.throughput, 1),
    p50_us: o.latencyUs.p50,
    p90_us: o.latencyUs.p90,
    p99_us: o.latencyUs.p99,
    p999_us: o.latencyUs.p999,
    max_us: o.latencyUs.max,
    mean_us: o.latencyUs.mean,
    bytes_written: o.bytesWritten,
    log_bytes: isAll && m.logBytes !== undefined ? m.logBytes : '',
    nodes: isAll ? m.nodes : '',
    node_type: c?.nodeType ?? '',
    cost_per_gb_usd: c?.costPerGbUsd != null ? round(c.costPerGbUsd, 4) : '',
    cost_per_million_writes_usd: c?.costPerMillionWritesUsd != null ? round(c.costPerMillionWritesUsd, 4) : '',
    monthly_cost_usd: c ? round(c.monthlyCostUsd, 2) : '',
    pricing_verified: c ? String(c.verified) : '',
    client_cpu_pct: isAll ? m.client.cpuPct : '',
    client_saturated: isAll ? String(m.client.saturated) : '',
  };
}

export function summaryRows(r: BenchResult): Row[] {
  const rows: Row[] = [];
  for (const m of r.modes) {
    for (const o of m.ops) rows.push(opRow(r.runId, m, o));
    rows.push(opRow(r.runId, m, m.all));
  }
  return rows;
}

export function timeseriesRows(r: BenchResult): Row[] {
  const rows: Row[] = [];
  for (const m of r.modes) {
    const ops = m.ops.map((o) => o.op);
    for (const second of m.series.allSeconds()) {
      for (const op of [...ops, 'all']) {
        const iv = op === 'all' ? m.series.secondTotal(second) : m.series.at(op, second);
        if (!iv || iv.isEmpty()) continue;
        rows.push({
          run: r.runId,
          mode: m.mode,
          op,
          second,
          ops: iv.count,
          errors: iv.errorCount,
          acked: iv.acked,
          under_acked: iv.underAcked,
          p50_us: iv.count ? iv.hist.getValueAtPercentile(50) : '',
          p99_us: iv.count ? iv.hist.getValueAtPercentile(99) : '',
          max_us: iv.count ? iv.hist.maxValue : '',
        });
      }
    }
  }
  return rows;
}

function csv(columns: readonly string[], rows: Row[]): string {
  return stringify(rows, { header: true, columns: [...columns] });
}

function hlogFor(m: ModeResult, ops: string[], tagged: boolean): string {
  const intervals: HlogInterval[] = [];
  for (const second of m.series.allSeconds()) {
    for (const op of ops) {
      const iv = m.series.at(op, second);
      if (!iv || iv.count === 0) continue;
      intervals.push({ startSec: second, lengthSec: 1, histogram: iv.hist, tag: tagged ? op : undefined });
    }
  }
  const comments = [
    `memlab bench: mode ${m.mode}, workload ${m.workload}, ${tagged ? `ops ${ops.join(' ')} (tagged)` : `op ${ops[0]}`}, target ${m.target}`,
    'values are latencies in microseconds; Interval_Max is in milliseconds (HistogramLogProcessor: -outputValueUnitRatio 1000)',
  ];
  return formatHlog(m.startedAtMs, intervals, comments);
}

function jsonSummary(r: BenchResult, options: BenchOptions): unknown {
  return {
    run: r.runId,
    command: options.command,
    workload: options.workload,
    pricing: options.pricing
      ? { name: options.pricing.name, path: options.pricingPath, verified: options.pricing.verified, note: options.pricing.note }
      : undefined,
    warnings: r.warnings,
    modes: r.modes.map((m) => ({
      mode: m.mode,
      target: m.target,
      workload: m.workload,
      loop: m.loop,
      rate: m.rate,
      connections: m.connections,
      pipeline: m.pipeline,
      startedAt: new Date(m.startedAtMs).toISOString(),
      durationSec: m.durationSec,
      ops: m.ops,
      all: m.all,
      client: m.client,
      logBytes: m.logBytes,
      nodes: m.nodes,
      cost: m.cost,
      warnings: m.warnings,
    })),
  };
}

export function writeResults(dir: string, r: BenchResult, options: BenchOptions): void {
  writeFileSync(path.join(dir, 'summary.csv'), csv(SUMMARY_COLUMNS, summaryRows(r)));
  writeFileSync(path.join(dir, 'timeseries.csv'), csv(TIMESERIES_COLUMNS, timeseriesRows(r)));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(jsonSummary(r, options), null, 2) + '\n');
  writeFileSync(path.join(dir, 'command.txt'), (options.command ?? '(called as a library: runBench)') + '\n');
  writeFileSync(path.join(dir, 'profile.yaml'), YAML.stringify(options.profile ?? options.workload));
  for (const m of r.modes) {
    const ops = m.ops.filter((o) => o.count > 0).map((o) => o.op);
    for (const op of ops) writeFileSync(path.join(dir, `${m.mode}-${op}.hlog`), hlogFor(m, [op], false));
    writeFileSync(path.join(dir, `${m.mode}.hlog`), hlogFor(m, ops, true));
  }
}
