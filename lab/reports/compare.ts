/** `memlab compare RUN_A RUN_B`: export rows of two runs side by side, B/A and B−A per metric. */
import { num } from './csv.js';
import { runRows, type ExportColumn, type ExportRow } from './export.js';
import { loadRun } from './run.js';

/** Stable: append new columns at the end, never rename or reorder. */
export const COMPARE_COLUMNS = ['run_a', 'run_b', 'kind', 'mode', 'workload', 'scenario', 'op', 'metric', 'a', 'b', 'ratio', 'diff'] as const;
export type CompareRow = Record<(typeof COMPARE_COLUMNS)[number], string>;

/** How the terminal shows a metric's change: a ratio (rates, latencies, costs), a difference (counts) or same/differs. */
type Show = 'ratio' | 'diff' | 'text';
const METRICS: [ExportColumn, Show][] = [
  ['throughput_ops', 'ratio'],
  ['count', 'ratio'],
  ['p50_us', 'ratio'],
  ['p90_us', 'ratio'],
  ['p99_us', 'ratio'],
  ['p999_us', 'ratio'],
  ['max_us', 'ratio'],
  ['mean_us', 'ratio'],
  ['errors', 'diff'],
  ['acked', 'diff'],
  ['under_acked', 'diff'],
  ['bytes_written', 'ratio'],
  ['log_bytes', 'ratio'],
  ['monthly_cost_usd', 'ratio'],
  ['cost_per_gb_usd', 'ratio'],
  ['cost_per_million_writes_usd', 'ratio'],
  ['rounds', 'diff'],
  ['acknowledged', 'diff'],
  ['lost', 'diff'],
  ['loss_pct', 'diff'],
  ['under_replicated', 'diff'],
  ['unacked_survived', 'diff'],
  ['unknown', 'diff'],
  ['stale_reads', 'diff'],
  ['unavailability_p50_ms', 'ratio'],
  ['unavailability_max_ms', 'ratio'],
  ['linearizable', 'text'],
];
const SHOW = new Map<string, Show>(METRICS);

const KEY: ExportColumn[] = ['kind', 'mode', 'workload', 'scenario', 'op'];

const clean = (n: number) => String(Number(n.toPrecision(12)));

export interface Comparison {
  runA: string;
  runB: string;
  rows: CompareRow[];
  /** Key fields matched across different values because each run has just one (e.g. mode plain → wait). */
  relaxed: ExportColumn[];
}

export function compareRows(a: ExportRow[], b: ExportRow[], runA: string, runB: string): Comparison {
  // A run of one mode against a run of another (plain vs wait on the same target) is the point
  // of comparing them: where each run has a single value of mode or workload, ignore it in the match.
  const relaxed = (['mode', 'workload'] as ExportColumn[]).filter((k) => {
    const va = new Set(a.map((r) => r[k]));
    const vb = new Set(b.map((r) => r[k]));
    return va.size === 1 && vb.size === 1 && [...va][0] !== [...vb][0];
  });
  const keyOf = (r: ExportRow) => KEY.map((k) => (relaxed.includes(k) ? '*' : r[k])).join('\u0000');
  const byKeyB = new Map(b.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const pairs: [ExportRow | undefined, ExportRow | undefined][] = [];
  for (const ra of a) {
    const k = keyOf(ra);
    seen.add(k);
    pairs.push([ra, byKeyB.get(k)]);
  }
  for (const rb of b) if (!seen.has(keyOf(rb))) pairs.push([undefined, rb]);

  const rows: CompareRow[] = [];
  for (const [ra, rb] of pairs) {
    const any = (ra ?? rb)!;
    const keyCell = (k: ExportColumn) => (ra && rb && ra[k] !== rb[k] ? `${ra[k]}→${rb[k]}` : any[k]);
    for (const [metric] of METRICS) {
      const va = ra?.[metric] ?? '';
      const vb = rb?.[metric] ?? '';
      if (va === '' && vb === '') continue;
      const na = num(va);
      const nb = num(vb);
      rows.push({
        run_a: runA,
        run_b: runB,
        kind: keyCell('kind'),
        mode: keyCell('mode'),
        workload: keyCell('workload'),
        scenario: keyCell('scenario'),
        op: keyCell('op'),
        metric,
        a: va,
        b: vb,
        ratio: na !== undefined && nb !== undefined && na !== 0 ? clean(nb / na) : '',
        diff: na !== undefined && nb !== undefined ? clean(nb - na) : '',
      });
    }
  }
  return { runA, runB, rows, relaxed };
}

export function compareRuns(dirA: string, dirB: string): Comparison {
  const a = loadRun(dirA, { hlogs: false });
  const b = loadRun(dirB, { hlogs: false });
  return compareRows(runRows(a), runRows(b), a.id, b.id);
}

/** Human units for the terminal: latencies in ms, big counts with separators. */
function human(metric: string, v: string): string {
  const n = num(v);
  if (n === undefined) return v === '' ? '–' : v;
  if (metric.endsWith('_us')) return (n / 1000).toFixed(3);
  if (metric.endsWith('_usd')) return n < 1 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
  if (metric === 'bytes_written' || metric === 'log_bytes') return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : `${Math.round(n)} B`;
  if (metric.endsWith('_pct')) return `${n}%`;
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function label(metric: string): string {
  return metric.endsWith('_us') ? metric.replace(/_us$/, ' ms').replace('p999', 'p99.9') : metric.replace(/_/g, ' ');
}

function change(r: CompareRow): string {
  if (r.a === '' || r.b === '') return r.a === '' ? 'only in B' : 'only in A';
  const show = SHOW.get(r.metric) ?? 'ratio';
  if (show === 'text') return r.a === r.b ? 'same' : 'differs';
  if (show === 'diff') {
    const d = num(r.diff);
    if (d === undefined) return '';
    if (d === 0) return '0';
    // A difference of percentages is in percentage points.
    return `${d > 0 ? '+' : ''}${r.metric.endsWith('_pct') ? `${d} pp` : human(r.metric, r.diff)}`;
  }
  return r.ratio === '' ? (r.a === r.b ? '×1' : 'n/a') : `×${Number(r.ratio).toFixed(Number(r.ratio) >= 100 ? 0 : 3)}`;
}

export function formatComparison(c: Comparison): string {
  if (c.rows.length === 0) return `nothing to compare: neither ${c.runA} nor ${c.runB} has summary rows\n`;
  const scen = c.rows.some((r) => r.scenario !== '');
  const head = ['mode', scen ? 'scenario' : 'workload', 'op', 'metric', 'A', 'B', 'B/A or B−A'];
  const body = c.rows.map((r) => [r.mode, scen ? r.scenario || r.workload : r.workload, r.op, label(r.metric), human(r.metric, r.a), human(r.metric, r.b), change(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const numeric = [false, false, false, false, true, true, true];
  const line = (cells: string[]) => cells.map((x, i) => (numeric[i] ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [`A = ${c.runA}`, `B = ${c.runB}`];
  if (c.relaxed.length) out.push(`(matched across different ${c.relaxed.join(' and ')}: each run has one)`);
  out.push('', line(head), line(widths.map((w) => '-'.repeat(w))));
  let prev = '';
  for (let i = 0; i < body.length; i++) {
    const group = body[i].slice(0, 3).join('|');
    // Print the row key once per group.
    const cells = group === prev ? ['', '', '', ...body[i].slice(3)] : body[i];
    prev = group;
    out.push(line(cells));
  }
  return out.join('\n') + '\n';
}
