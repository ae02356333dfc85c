/** `memlab export`: every run's summary rows in one table with stable columns (docs/results-format.md). */
import { num, type CsvRow } from './csv.js';
import { loadRun, type RunData } from './run.js';

/** Stable: append new columns at the end, never rename or reorder. */
export const EXPORT_COLUMNS = [
  'run',
  'date',
  'kind',
  'mode',
  'workload',
  'scenario',
  'op',
  'target',
  'loop',
  'connections',
  'pipeline',
  'duration_s',
  'count',
  'errors',
  'acked',
  'under_acked',
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
  'monthly_cost_usd',
  'cost_per_gb_usd',
  'cost_per_million_writes_usd',
  'pricing_verified',
  'client_saturated',
  'rounds',
  'acknowledged',
  'lost',
  'loss_pct',
  'under_replicated',
  'unacked_survived',
  'unknown',
  'stale_reads',
  'unavailability_p50_ms',
  'unavailability_max_ms',
  'linearizable',
] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
export type ExportRow = Record<ExportColumn, string>;

/** Columns copied as is from a bench summary.csv row. */
const BENCH_COPIED: ExportColumn[] = [
  'mode', 'workload', 'op', 'target', 'loop', 'connections', 'pipeline', 'duration_s', 'count', 'errors', 'acked', 'under_acked',
  'throughput_ops', 'p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'mean_us', 'bytes_written', 'log_bytes', 'nodes', 'node_type',
  'monthly_cost_usd', 'cost_per_gb_usd', 'cost_per_million_writes_usd', 'pricing_verified', 'client_saturated',
];
/** Columns copied as is from a chaos.csv row. */
const CHAOS_COPIED: ExportColumn[] = [
  'mode', 'scenario', 'rounds', 'acknowledged', 'lost', 'loss_pct', 'under_replicated', 'unacked_survived', 'unknown', 'stale_reads',
  'unavailability_p50_ms', 'unavailability_max_ms', 'linearizable',
];

function empty(): ExportRow {
  return Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, ''])) as ExportRow;
}

function isoSeconds(d: Date | undefined): string {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

export function runRows(run: RunData): ExportRow[] {
  const base = { run: run.id, date: isoSeconds(run.startedAt), kind: run.kind };
  const copy = (src: CsvRow, cols: ExportColumn[]) => {
    const row: ExportRow = { ...empty(), ...base };
    for (const c of cols) row[c] = src[c] ?? '';
    return row;
  };
  if (run.kind === 'chaos') {
    const workload = (run.chaosJson as { workload?: { name?: unknown } | string } | undefined)?.workload;
    const name = typeof workload === 'string' ? workload : typeof workload?.name === 'string' ? workload.name : '';
    return run.chaos.map((r) => ({ ...copy(r, CHAOS_COPIED), op: 'all', workload: name }));
  }
  return run.summary.map((r) => copy(r, BENCH_COPIED));
}

export function exportRows(dirs: string[]): ExportRow[] {
  return dirs.flatMap((d) => runRows(loadRun(d, { hlogs: false })));
}

const TEXT_COLUMNS = new Set<ExportColumn>(['run', 'date', 'kind', 'mode', 'workload', 'scenario', 'op', 'target', 'loop', 'node_type', 'linearizable']);
const BOOL_COLUMNS = new Set<ExportColumn>(['pricing_verified', 'client_saturated']);

/** JSON form: numbers as numbers, booleans as booleans, empty cells as null. */
export function exportJson(rows: ExportRow[]): string {
  const typed = rows.map((r) =>
    Object.fromEntries(
      EXPORT_COLUMNS.map((c) => {
        const v = r[c];
        if (v === '') return [c, null];
        if (TEXT_COLUMNS.has(c)) return [c, v];
        if (BOOL_COLUMNS.has(c)) return [c, v === 'true' ? true : v === 'false' ? false : v];
        return [c, num(v) ?? v];
      }),
    ),
  );
  return JSON.stringify({ format: 'memlab-export/1', columns: EXPORT_COLUMNS, rows: typed }, null, 2) + '\n';
}
