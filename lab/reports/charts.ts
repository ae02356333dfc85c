/**
 * Vega-Lite specs for the report's charts, rendered to SVG in Node (Vega's headless View,
 * renderer 'none': no browser, no canvas; text widths are estimated).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const MODE_ORDER = ['plain', 'wait', 'durable'];
const MODE_COLORS: Record<string, string> = { plain: '#4c78a8', wait: '#f58518', durable: '#54a24b' };
const EXTRA_COLORS = ['#b279a2', '#e45756', '#72b7b2', '#9d755d', '#bab0ac'];

type Datum = Record<string, string | number | null>;

export interface Chart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  background: 'white',
};

/** One colour per mode, the same in every chart. */
function modeColor(modes: string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(modes)].sort((a, b) => rank(a) - rank(b));
  let extra = 0;
  return { domain, range: domain.map((m) => MODE_COLORS[m] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]) };
}

function rank(mode: string): number {
  const i = MODE_ORDER.indexOf(mode);
  return i < 0 ? MODE_ORDER.length : i;
}

/** Ticks of the nines axis (1 in 1, 2, 10, 100...) up to `maxOneIn`, labelled as percentiles. */
function ninesAxis(maxOneIn: number): { values: number[]; labelExpr: string } {
  const values = [1, 2];
  for (let v = 10; v <= maxOneIn * 1.0001; v *= 10) values.push(v);
  // Ranges, not equality: the axis hands back floats.
  let expr = "'0%'";
  const labels: [number, string][] = [[1.5, '50%']];
  for (let k = 1; 10 ** k <= maxOneIn * 1.0001; k++) labels.push([10 ** k * 0.5, `${(100 - 100 / 10 ** k).toFixed(Math.max(0, k - 2))}%`]);
  for (const [atLeast, label] of labels) expr = `datum.value >= ${atLeast} ? '${label}' : ${expr}`;
  return { values, labelExpr: expr };
}

export interface SpectrumRow {
  mode: string;
  /** Facet: the op, scenario or 'all'. */
  series: string;
  oneIn: number;
  percentile: number;
  ms: number;
}

/** HdrHistogram-style percentile spectrum: x = percentile on the nines scale, y = latency (log). */
export function latencySpectrumChart(rows: SpectrumRow[], facetTitle: string, source: string): Chart {
  const maxOneIn = Math.max(...rows.map((r) => r.oneIn));
  const axis = ninesAxis(maxOneIn);
  const facets = [...new Set(rows.map((r) => r.series))];
  const color = modeColor(rows.map((r) => r.mode));
  const minMs = Math.min(...rows.map((r) => r.ms).filter((v) => v > 0));
  const unit = {
    mark: { type: 'line' as const, point: { size: 18 }, interpolate: 'step-before' as const, clip: true },
    encoding: {
      x: {
        field: 'oneIn',
        type: 'quantitative' as const,
        scale: { type: 'log' as const, domain: [1, Math.max(2, maxOneIn)] },
        axis: { values: axis.values, labelExpr: axis.labelExpr, title: 'percentile', grid: true },
      },
      y: {
        field: 'ms',
        type: 'quantitative' as const,
        scale: { type: 'log' as const, domainMin: minMs > 0 ? minMs / 1.5 : 0.001, nice: true },
        axis: { title: 'latency (ms, log scale)' },
      },
      color: { field: 'mode', type: 'nominal' as const, scale: color, legend: { title: 'mode' } },
    },
    width: facets.length > 1 ? 300 : 560,
    height: facets.length > 1 ? 220 : 300,
  };
  const data = rows.map((r) => ({ ...r, ms: Math.max(r.ms, 0.001) }));
  const spec: TopLevelSpec =
    facets.length > 1
      ? {
          config: CONFIG,
          data: { values: data },
          facet: { field: 'series', type: 'nominal', title: facetTitle, sort: facets },
          columns: 3,
          spec: unit,
          resolve: { scale: { x: 'shared', y: 'shared' } },
        }
      : { config: CONFIG, data: { values: data }, ...unit };
  return {
    id: 'latency',
    title: 'Latency percentiles',
    caption:
      `Percentile spectrum from the run's ${source}, merged over the measured window: x is the percentile on a "nines" ` +
      'scale (each step right is ten times rarer), y is latency on a log scale. The last point of each line is the maximum.',
    spec,
  };
}

export interface ThroughputRow {
  mode: string;
  op: string;
  ops: number;
}

/** Successful ops per second per mode, stacked by op, with the total written on top. */
export function throughputChart(rows: ThroughputRow[], totals: { mode: string; ops: number }[]): Chart {
  const modes = [...new Set(totals.map((t) => t.mode))].sort((a, b) => rank(a) - rank(b));
  const data: Datum[] = [
    ...rows.map((r) => ({ layer: 'op', mode: r.mode, op: r.op, ops: r.ops })),
    ...totals.map((t) => ({ layer: 'total', mode: t.mode, op: 'all', ops: t.ops, label: Math.round(t.ops).toLocaleString('en-US') })),
  ];
  const x = { field: 'mode', type: 'nominal' as const, sort: modes, axis: { labelAngle: 0, title: 'mode' } };
  const spec: TopLevelSpec = {
    config: CONFIG,
    data: { values: data },
    width: Math.max(160, 110 * modes.length),
    height: 260,
    layer: [
      {
        transform: [{ filter: "datum.layer === 'op'" }],
        mark: { type: 'bar', width: { band: 0.6 } },
        encoding: {
          x,
          y: { field: 'ops', type: 'quantitative', aggregate: 'sum', stack: 'zero', axis: { title: 'throughput (ops/s)', format: '~s' } },
          color: { field: 'op', type: 'nominal', legend: { title: 'op' }, scale: { scheme: 'tableau10' } },
        },
      },
      {
        transform: [{ filter: "datum.layer === 'total'" }],
        mark: { type: 'text', dy: -8, fontSize: 12, fontWeight: 'bold' },
        encoding: { x, y: { field: 'ops', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
  return {
    id: 'throughput',
    title: 'Throughput',
    caption: 'Successful operations per second over the measured window, per mode, split by operation (summary.csv).',
    spec,
  };
}

export interface TimePoint {
  mode: string;
  /** Facet (chaos scenario), '' for none. */
  scenario: string;
  /** Chaos round, '' for bench. */
  round: string;
  second: number;
  ms: number;
}

export interface FaultMark {
  mode: string;
  scenario: string;
  round: string;
  atS: number;
  event: string;
  label: string;
}

/** p99 per second per mode (log scale), with a rule at each fault event. */
export function p99OverTimeChart(points: TimePoint[], faults: FaultMark[]): Chart {
  const scenarios = [...new Set(points.map((p) => p.scenario))];
  const faceted = scenarios.length > 1 || scenarios[0] !== '';
  const color = modeColor([...points.map((p) => p.mode), ...faults.map((f) => f.mode)]);
  const multiRound = new Set(points.map((p) => `${p.mode}/${p.round}`)).size > new Set(points.map((p) => p.mode)).size;
  // Only faults whose scenario has a line (a facet without data would be empty).
  const shown = faults.filter((f) => scenarios.includes(f.scenario));
  const data: Datum[] = [
    ...points.map((p) => ({ layer: 'p99', mode: p.mode, scenario: p.scenario, round: p.round, second: p.second, ms: Math.max(p.ms, 0.001) })),
    ...shown.map((f) => ({ layer: 'fault', mode: f.mode, scenario: f.scenario, round: f.round, second: f.atS, label: f.label })),
  ];
  const x = { field: 'second', type: 'quantitative' as const, axis: { title: 'time in the measured window (s)' } };
  const unit = {
    width: faceted ? 300 : 560,
    height: faceted ? 200 : 260,
    layer: [
      {
        transform: [{ filter: "datum.layer === 'p99'" }],
        mark: { type: 'line' as const, point: { size: 14 }, opacity: multiRound ? 0.55 : 1 },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative' as const, scale: { type: 'log' as const }, axis: { title: 'p99 latency (ms, log scale)' } },
          color: { field: 'mode', type: 'nominal' as const, scale: color, legend: { title: 'mode' } },
          detail: { field: 'round', type: 'nominal' as const },
        },
      },
      ...(shown.length
        ? [
            {
              transform: [{ filter: "datum.layer === 'fault'" }],
              mark: { type: 'rule' as const, strokeDash: [4, 3], strokeWidth: 1.5 },
              encoding: { x, color: { field: 'mode', type: 'nominal' as const, scale: color } },
            },
            {
              transform: [{ filter: "datum.layer === 'fault' && datum.label !== ''" }],
              mark: { type: 'text' as const, angle: 270, align: 'right' as const, baseline: 'bottom' as const, dx: -4, dy: -2, fontSize: 10, color: '#444' },
              encoding: { x, y: { value: 0 }, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  };
  const spec: TopLevelSpec = faceted
    ? { config: CONFIG, data: { values: data }, facet: { field: 'scenario', type: 'nominal', title: 'scenario', sort: scenarios }, columns: 2, spec: unit }
    : { config: CONFIG, data: { values: data }, ...unit };
  return {
    id: 'p99-time',
    title: 'p99 latency over time',
    caption:
      'p99 latency of all operations per second of the measured window (timeseries.csv, by reply time; the last, partial second holds the drained replies)' +
      (shown.length ? '. Dashed rules mark fault events (faults.csv), labelled with the event and its target.' : '.') +
      (multiRound ? ' One line per round.' : ''),
    spec,
  };
}

export interface LossRow {
  mode: string;
  scenario: string;
  lossPct: number;
  lost: number;
}

/** Lost acknowledged writes (percent) per scenario, bars grouped by mode. */
export function lossChart(rows: LossRow[]): Chart {
  const color = modeColor(rows.map((r) => r.mode));
  const spec: TopLevelSpec = {
    config: CONFIG,
    data: { values: rows.map((r) => ({ ...r, label: String(r.lost) })) },
    width: Math.max(240, 90 * new Set(rows.map((r) => r.scenario)).size),
    height: 240,
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'scenario', type: 'nominal', axis: { labelAngle: -30, title: 'scenario' } },
          xOffset: { field: 'mode', type: 'nominal', sort: color.domain },
          // At least 0-1 %: with no loss at all the axis still reads as zero, not as a blank.
          y: { field: 'lossPct', type: 'quantitative', scale: { domain: [0, Math.max(1, ...rows.map((r) => r.lossPct)) * 1.1] }, axis: { title: 'acknowledged writes lost (%)' } },
          color: { field: 'mode', type: 'nominal', scale: color, legend: { title: 'mode' } },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 10 },
        encoding: {
          x: { field: 'scenario', type: 'nominal' },
          xOffset: { field: 'mode', type: 'nominal', sort: color.domain },
          y: { field: 'lossPct', type: 'quantitative' },
          text: { field: 'label', type: 'nominal' },
        },
      },
    ],
  };
  return {
    id: 'loss',
    title: 'Acknowledged writes lost',
    caption: 'Share of acknowledged writes missing after failover, summed over all rounds (chaos.csv); the number on each bar is the count lost.',
    spec,
  };
}

export interface UnavailabilityRow {
  mode: string;
  scenario: string;
  p50: number;
  max: number;
}

/** Unavailability per scenario and mode: bar at the median, tick at the maximum. */
export function unavailabilityChart(rows: UnavailabilityRow[]): Chart {
  const color = modeColor(rows.map((r) => r.mode));
  const enc = {
    x: { field: 'scenario', type: 'nominal' as const, axis: { labelAngle: -30, title: 'scenario' } },
    xOffset: { field: 'mode', type: 'nominal' as const, sort: color.domain },
    color: { field: 'mode', type: 'nominal' as const, scale: color, legend: { title: 'mode' } },
  };
  const spec: TopLevelSpec = {
    config: CONFIG,
    data: { values: rows },
    width: Math.max(240, 90 * new Set(rows.map((r) => r.scenario)).size),
    height: 240,
    layer: [
      { mark: { type: 'bar', opacity: 0.8 }, encoding: { ...enc, y: { field: 'p50', type: 'quantitative', axis: { title: 'unavailability (ms)' } } } },
      { mark: { type: 'tick', thickness: 2, color: '#333' }, encoding: { ...enc, color: { value: '#333' }, y: { field: 'max', type: 'quantitative' } } },
    ],
  };
  return {
    id: 'unavailability',
    title: 'Unavailability',
    caption: 'From the fault to the first acknowledged write on the new primary: bar = median over rounds, black tick = maximum (chaos.csv).',
    spec,
  };
}

/** Vega-Lite → Vega → SVG string, without a browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
