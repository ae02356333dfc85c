/**
 * `writeReport(runDir)`: RUN_DIR/report.html, one self-contained page (inline CSS, inline SVG
 * charts rendered in Node, no scripts, no external URLs) from the run's own files
 * (docs/results-format.md). Bench and chaos call it at the end of a run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MEMLAB_VERSION } from '../../engine/server/version.js';
import {
  latencySpectrumChart,
  lossChart,
  p99OverTimeChart,
  renderSvg,
  throughputChart,
  unavailabilityChart,
  type Chart,
  type FaultMark,
  type SpectrumRow,
  type TimePoint,
} from './charts.js';
import { num, type CsvRow } from './csv.js';
import { percentileSpectrum } from './hlog-read.js';
import { recordMachine } from './machine.js';
import { loadRun, modesOf, type RunData } from './run.js';

export interface ReportOptions {
  /** Write machine.json when the run has none (true at the end of a run; false for `memlab report` on an old run). */
  recordMachine?: boolean;
  /** Output file; default RUN_DIR/report.html. */
  out?: string;
}

export interface ReportResult {
  file: string;
  /** Ids of the charts in the page. */
  charts: string[];
  /** Charts that failed to render, and files that did not parse (also shown in the page). */
  problems: string[];
}

export async function writeReport(runDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  if (opts.recordMachine ?? true) {
    try {
      recordMachine(runDir);
    } catch {
      // A read-only run dir still gets its report attempted below (which then fails loudly).
    }
  }
  const run = loadRun(runDir);
  const { html, charts, problems } = await renderReport(run);
  const file = opts.out ?? path.join(runDir, 'report.html');
  writeFileSync(file, html);
  return { file, charts, problems };
}

// ---------------------------------------------------------------- formatting

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fmtMs(us: number | undefined): string {
  if (us === undefined) return '–';
  const ms = us / 1000;
  const d = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return ms.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
const fmtInt = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const fmtUsd = (n: number | undefined) =>
  n === undefined ? '–' : n < 1 ? `$${n.toFixed(4)}` : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '–';
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size) return `${(n / size).toFixed(2)} ${unit}`;
  return `${n} B`;
}
const cell = (r: CsvRow, k: string) => num(r[k]);

interface Table {
  head: string[];
  rows: { cells: string[]; cls?: string }[];
  /** Columns aligned right (numbers). */
  numeric: boolean[];
}

function tableHtml(t: Table, cls = ''): string {
  const th = t.head.map((h, i) => `<th${t.numeric[i] ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c, i) => `<td${t.numeric[i] ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table-wrap"><table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

// ---------------------------------------------------------------- sections

function resultsTable(run: RunData): Table {
  const rows = [...run.summary].sort((a, b) => modeRank(a.mode) - modeRank(b.mode) || (a.op === 'all' ? 1 : 0) - (b.op === 'all' ? 1 : 0));
  return {
    head: ['mode', 'op', 'ops', 'errors', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'acked', 'under-acked'],
    numeric: [false, false, true, true, true, true, true, true, true, true, true, true],
    rows: rows.map((r) => ({
      cls: r.op === 'all' ? 'total' : undefined,
      cells: [
        r.mode,
        r.op,
        fmtInt(cell(r, 'count')),
        fmtInt(cell(r, 'errors')),
        fmtInt(cell(r, 'throughput_ops')),
        fmtMs(cell(r, 'p50_us')),
        fmtMs(cell(r, 'p90_us')),
        fmtMs(cell(r, 'p99_us')),
        fmtMs(cell(r, 'p999_us')),
        fmtMs(cell(r, 'max_us')),
        fmtInt(cell(r, 'acked')),
        fmtInt(cell(r, 'under_acked')),
      ],
    })),
  };
}

function costTable(run: RunData): Table | undefined {
  const all = run.summary.filter((r) => r.op === 'all').sort((a, b) => modeRank(a.mode) - modeRank(b.mode));
  if (!all.length || all.every((r) => r.monthly_cost_usd === '')) return undefined;
  const writes = (mode: string) =>
    run.summary.filter((r) => r.mode === mode && r.kind === 'write').reduce((a, r) => a + (cell(r, 'throughput_ops') ?? 0), 0);
  return {
    head: ['mode', 'ops/s', 'writes/s', 'payload written', 'log bytes', 'nodes × type', '$ / month', '$ / GB written', '$ / million writes', 'prices verified'],
    numeric: [false, true, true, true, true, false, true, true, true, false],
    rows: all.map((r) => ({
      cells: [
        r.mode,
        fmtInt(cell(r, 'throughput_ops')),
        fmtInt(writes(r.mode)),
        fmtBytes(cell(r, 'bytes_written')),
        fmtBytes(cell(r, 'log_bytes')),
        r.nodes ? `${r.nodes} × ${r.node_type || '?'}` : '–',
        fmtUsd(cell(r, 'monthly_cost_usd')),
        fmtUsd(cell(r, 'cost_per_gb_usd')),
        fmtUsd(cell(r, 'cost_per_million_writes_usd')),
        r.pricing_verified === 'true' ? 'yes' : 'no (estimate)',
      ],
    })),
  };
}

function lossTable(run: RunData): Table {
  const rows = [...run.chaos].sort((a, b) => a.scenario.localeCompare(b.scenario) || modeRank(a.mode) - modeRank(b.mode));
  const pct = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(v > 0 && v < 0.01 ? 4 : 2)}%`);
  const ms = (v: number | undefined) => (v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: 0 }));
  return {
    head: ['scenario', 'mode', 'rounds', 'acknowledged', 'lost', 'loss %', 'under-replicated (lost)', 'unacked survived', 'unknown', 'stale reads', 'unavail. p50 ms', 'unavail. max ms', 'linearizable'],
    numeric: [false, false, true, true, true, true, true, true, true, true, true, true, false],
    rows: rows.map((r) => ({
      cls: (cell(r, 'lost') ?? 0) > 0 || r.linearizable === 'no' ? 'bad' : undefined,
      cells: [
        r.scenario,
        r.mode,
        fmtInt(cell(r, 'rounds')),
        fmtInt(cell(r, 'acknowledged')),
        fmtInt(cell(r, 'lost')),
        pct(cell(r, 'loss_pct')),
        r.under_replicated ? `${fmtInt(cell(r, 'under_replicated'))} (${fmtInt(cell(r, 'under_replicated_lost'))})` : '–',
        fmtInt(cell(r, 'unacked_survived')),
        fmtInt(cell(r, 'unknown')),
        fmtInt(cell(r, 'stale_reads')),
        ms(cell(r, 'unavailability_p50_ms')),
        ms(cell(r, 'unavailability_max_ms')),
        r.linearizable ? r.linearizable + (r.nonlinearizable_rounds && r.nonlinearizable_rounds !== '0' ? ` (${r.nonlinearizable_rounds} rounds not)` : '') : '–',
      ],
    })),
  };
}

function modeRank(m: string): number {
  const i = ['plain', 'wait', 'durable'].indexOf(m);
  return i < 0 ? 3 : i;
}

function charts(run: RunData): Chart[] {
  const out: Chart[] = [];
  if (run.kind === 'chaos' && run.chaos.length) {
    const loss = run.chaos
      .filter((r) => cell(r, 'loss_pct') !== undefined || cell(r, 'lost') !== undefined)
      .map((r) => ({ mode: r.mode, scenario: r.scenario, lossPct: cell(r, 'loss_pct') ?? 0, lost: cell(r, 'lost') ?? 0 }));
    if (loss.length) out.push(lossChart(loss));
    const unavail = run.chaos
      .filter((r) => cell(r, 'unavailability_p50_ms') !== undefined)
      .map((r) => ({ mode: r.mode, scenario: r.scenario, p50: cell(r, 'unavailability_p50_ms')!, max: cell(r, 'unavailability_max_ms') ?? cell(r, 'unavailability_p50_ms')! }));
    if (unavail.length) out.push(unavailabilityChart(unavail));
  }

  const spectrum: SpectrumRow[] = [];
  for (const h of run.hlogs) {
    for (const p of percentileSpectrum(h.hist)) spectrum.push({ mode: h.mode, series: h.series, oneIn: p.oneIn, percentile: p.percentile, ms: p.valueUs / 1000 });
  }
  if (spectrum.length) {
    const source = run.hlogs.every((h) => h.file.endsWith('.hlog'))
      ? 'HdrHistogram logs (.hlog)'
      : 'round histories (every ok operation, complete − invoke; the read-back after failover left out)';
    out.push(latencySpectrumChart(spectrum, run.kind === 'chaos' ? 'scenario' : 'op', source));
  }

  const perOp = run.summary.filter((r) => r.op !== 'all' && (cell(r, 'throughput_ops') ?? 0) > 0);
  const totals = run.summary.filter((r) => r.op === 'all');
  if (totals.length && perOp.length) {
    out.push(
      throughputChart(
        perOp.map((r) => ({ mode: r.mode, op: r.op, ops: cell(r, 'throughput_ops')! })),
        totals.map((r) => ({ mode: r.mode, ops: cell(r, 'throughput_ops') ?? 0 })),
      ),
    );
  }

  const points: TimePoint[] = run.timeseries
    .filter((r) => r.op === 'all' && cell(r, 'p99_us') !== undefined)
    .map((r) => ({ mode: r.mode, scenario: r.scenario ?? '', round: r.round ?? '', second: cell(r, 'second') ?? 0, ms: cell(r, 'p99_us')! / 1000 }));
  if (points.length) {
    // Label each distinct event once per scenario (all rounds and modes share a timeline).
    const labelled = new Set<string>();
    const faults: FaultMark[] = run.faults
      .filter((f) => cell(f, 'at_s') !== undefined)
      .map((f) => {
        const atS = cell(f, 'at_s')!;
        const label = [f.event, f.target].filter(Boolean).join(' ');
        const key = `${f.scenario ?? ''}|${label}|${Math.round(atS * 2)}`;
        const first = !labelled.has(key);
        labelled.add(key);
        return { mode: f.mode, scenario: f.scenario ?? '', round: f.round ?? '', atS, event: f.event, label: first ? label : '' };
      });
    out.push(p99OverTimeChart(points, faults));
  }
  return out;
}

function configSection(run: RunData): string {
  const m = run.machine;
  const machine = m
    ? tableHtml({
        head: ['CPU', 'cores', 'memory', 'kernel', 'Node', 'platform'],
        numeric: [false, true, true, false, false, false],
        rows: [{ cells: [m.cpuModel, String(m.cores), `${m.memoryGiB} GiB`, `${m.kernel} (${m.kernelVersion})`, m.node, `${m.platform}/${m.arch}`] }],
      })
    : '<p class="muted">machine: not recorded with this run (no machine.json).</p>';
  const targets = [...new Set(run.summary.map((r) => r.target).filter(Boolean))];
  const parts = [
    '<h2 id="configuration">Configuration</h2>',
    `<h3>Command</h3><pre class="cmd">${esc(run.command ?? '(no command.txt)')}</pre>`,
    targets.length ? `<p>target${targets.length > 1 ? 's' : ''}: ${targets.map((t) => `<code>${esc(t)}</code>`).join(', ')}</p>` : '',
    '<h3>Machine</h3>',
    machine,
  ];
  if (run.profileYaml) parts.push(`<h3>Profile (profile.yaml, resolved)</h3><pre>${esc(run.profileYaml)}</pre>`);
  return parts.join('\n');
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e3e5e8; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.muted, figcaption { color: #666; }
.meta { color: #555; margin: 0 0 12px; }
.warn { background: #fff7e0; border: 1px solid #f0d48a; padding: 8px 12px; border-radius: 4px; }
.warn li { margin: 2px 0; }
.error { background: #fde8e8; border: 1px solid #e8a0a0; padding: 8px 12px; border-radius: 4px; }
figure.chart { margin: 16px 0 24px; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 12.5px; max-width: 860px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e8e8e8; text-align: left; white-space: nowrap; }
th { background: #f2f4f7; font-weight: 600; white-space: normal; vertical-align: bottom; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #fafbfc; }
tr.bad td { background: #fdeeee; }
pre { background: #f4f5f7; padding: 8px 12px; border-radius: 4px; overflow-x: auto; font-size: 12.5px; }
pre.cmd { white-space: pre-wrap; word-break: break-all; }
nav a { margin-right: 12px; color: #2060a0; }
footer { margin-top: 32px; color: #888; font-size: 12px; }
`;

/**
 * Inline SVGs share one id space: url(#clip1) picks the first element with that id in the
 * page. Vega numbers clips with a counter (unique within one process today); prefix each
 * chart's ids so the page does not depend on that.
 */
export function uniqueIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  if (!ids.size) return svg;
  const alt = [...ids].map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})"`, 'g'), `$1${prefix}$2"`)
    .replace(new RegExp(`url\\(#(${alt})\\)`, 'g'), `url(#${prefix}$1)`)
    .replace(new RegExp(`(href=")#(${alt})"`, 'g'), `$1#${prefix}$2"`);
}

export async function renderReport(run: RunData): Promise<{ html: string; charts: string[]; problems: string[] }> {
  const problems = [...run.readProblems];
  const figures: string[] = [];
  const rendered: string[] = [];
  for (const c of charts(run)) {
    try {
      const svg = uniqueIds(await renderSvg(c.spec), `${c.id}-`);
      figures.push(`<figure class="chart" data-chart="${esc(c.id)}" id="chart-${esc(c.id)}">\n<h3>${esc(c.title)}</h3>\n${svg}\n<figcaption>${esc(c.caption)}</figcaption>\n</figure>`);
      rendered.push(c.id);
    } catch (e) {
      problems.push(`chart '${c.id}' did not render: ${(e as Error).message}`);
    }
  }

  const modes = modesOf(run.kind === 'chaos' ? run.chaos : run.summary);
  const workloads = [...new Set(run.summary.map((r) => r.workload).filter(Boolean))];
  const scenarios = [...new Set(run.chaos.map((r) => r.scenario).filter(Boolean))];
  const when = run.startedAt ? run.startedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'unknown date';
  const what = run.kind === 'chaos' ? `scenarios ${scenarios.join(', ')}` : `workload ${workloads.join(', ')}`;

  const body: string[] = [
    `<h1>memlab ${run.kind} — ${esc(run.id)}</h1>`,
    `<p class="meta">${esc(when)} · modes ${esc(modes.join(', ') || '–')} · ${esc(what)}</p>`,
    `<nav>${run.chaos.length ? '<a href="#loss">Loss</a>' : ''}<a href="#charts">Charts</a>${run.summary.length ? '<a href="#results">Results</a>' : ''}<a href="#configuration">Configuration</a></nav>`,
  ];
  if (problems.length) body.push(`<div class="error"><strong>Problems building this report:</strong><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>`);
  if (run.warnings.length) body.push(`<div class="warn"><strong>Warnings from the run:</strong><ul>${run.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`);
  if (run.chaos.length) {
    body.push('<h2 id="loss">Acknowledged-write loss</h2>', tableHtml(lossTable(run), 'loss'));
    body.push('<p class="muted">Loss counts only writes acknowledged ok; unknown outcomes (timeouts, disconnects) are neither lost nor failed. Rows with loss or a non-linearizable history are shaded.</p>');
  }
  body.push('<h2 id="charts">Charts</h2>', figures.length ? figures.join('\n') : '<p class="muted">No chart: the run has no latency logs or time series.</p>');
  if (run.summary.length) {
    body.push('<h2 id="results">Results</h2>', tableHtml(resultsTable(run), 'results'));
    const cost = costTable(run);
    if (cost) {
      body.push('<h3 id="cost">Cost</h3>', tableHtml(cost, 'cost'));
      body.push(
        '<p class="muted">At the measured throughput as if run flat out for a month (730 h): node-hours from the pricing profile plus data written where the service charges for it (docs/bench.md).</p>',
      );
    }
  }
  body.push(configSection(run));
  body.push(`<footer>Generated by memlab ${esc(MEMLAB_VERSION)} on ${esc(new Date().toISOString())} from ${esc(path.resolve(run.dir))}. Charts: Vega-Lite, rendered to SVG.</footer>`);

  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memlab ${esc(run.kind)} report — ${esc(run.id)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
  return { html, charts: rendered, problems };
}
