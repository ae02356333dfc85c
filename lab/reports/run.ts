/** Loading one results/<run>/ directory (docs/results-format.md) for reports, export and compare. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHistogram, recordUs, type Histogram } from '../metrics/hdr.js';
import { parseCsv, type CsvRow } from './csv.js';
import { mergeAll, readHlog } from './hlog-read.js';
import type { MachineInfo } from './machine.js';

export type RunKind = 'bench' | 'chaos';
const MODE_NAMES = ['plain', 'wait', 'durable'];

export interface HlogSeries {
  file: string;
  mode: string;
  /** The op (bench), the scenario (chaos), or 'all' for <mode>.hlog. */
  series: string;
  hist: Histogram;
}

export interface RunData {
  dir: string;
  id: string;
  kind: RunKind;
  summary: CsvRow[];
  timeseries: CsvRow[];
  chaos: CsvRow[];
  rounds: CsvRow[];
  faults: CsvRow[];
  summaryJson?: Record<string, unknown>;
  chaosJson?: Record<string, unknown>;
  command?: string;
  profileYaml?: string;
  machine?: MachineInfo;
  hlogs: HlogSeries[];
  startedAt?: Date;
  /** The run's own warnings (summary.json / chaos.json). */
  warnings: string[];
  /** Problems reading the run's files (a file that does not parse). */
  readProblems: string[];
}

export class NotARunError extends Error {}

export function runKind(dir: string): RunKind | undefined {
  if (existsSync(path.join(dir, 'chaos.csv'))) return 'chaos';
  if (existsSync(path.join(dir, 'summary.csv'))) return 'bench';
  return undefined;
}

/** Every run directory directly under `root`, oldest first (run ids start with the date). */
export function listRuns(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => path.join(root, n))
    .filter((d) => statSync(d).isDirectory() && runKind(d) !== undefined)
    .sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

/** YYYYMMDD-HHMMSS at the start of a run id, read as local time. */
export function dateFromRunId(id: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(id);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return new Date(y, mo - 1, d, h, mi, s);
}

export function loadRun(dir: string, opts: { hlogs?: boolean } = {}): RunData {
  const kind = runKind(dir);
  if (!kind) throw new NotARunError(`${dir}: not a run directory (no summary.csv or chaos.csv)`);
  const readProblems: string[] = [];
  const file = (name: string) => path.join(dir, name);
  const text = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : undefined);
  const csv = (name: string): CsvRow[] => {
    const t = text(name);
    if (t === undefined) return [];
    try {
      return parseCsv(t);
    } catch (e) {
      readProblems.push(`${name}: ${(e as Error).message}`);
      return [];
    }
  };
  const json = <T>(name: string): T | undefined => {
    const t = text(name);
    if (t === undefined) return undefined;
    try {
      return JSON.parse(t) as T;
    } catch (e) {
      readProblems.push(`${name}: ${(e as Error).message}`);
      return undefined;
    }
  };

  const run: RunData = {
    dir,
    id: path.basename(path.resolve(dir)),
    kind,
    summary: csv('summary.csv'),
    timeseries: csv('timeseries.csv'),
    chaos: csv('chaos.csv'),
    rounds: csv('rounds.csv'),
    faults: csv('faults.csv'),
    summaryJson: json('summary.json'),
    chaosJson: json('chaos.json'),
    command: text('command.txt')?.trim(),
    profileYaml: text('profile.yaml'),
    machine: json('machine.json'),
    hlogs: [],
    warnings: [],
    readProblems,
  };

  if (opts.hlogs !== false) {
    for (const name of readdirSync(dir).sort()) {
      const m = /^([a-z]+)(?:-(.+))?\.hlog$/.exec(name);
      if (!m || !MODE_NAMES.includes(m[1])) continue;
      try {
        const d = readHlog(file(name));
        run.startedAt ??= d.startTimeMs !== undefined ? new Date(d.startTimeMs) : undefined;
        run.hlogs.push({ file: name, mode: m[1], series: m[2] ?? 'all', hist: mergeAll(d) });
      } catch (e) {
        readProblems.push(`${name}: ${(e as Error).message}`);
      }
    }
  }

  if (opts.hlogs !== false && kind === 'chaos' && run.hlogs.length === 0) run.hlogs = historyLatencies(run);

  // The id the run was written under (the directory may have been renamed or copied since).
  run.id = (kind === 'chaos' ? run.chaos : run.summary)[0]?.run || run.id;

  const warn = new Set<string>();
  const sj = run.summaryJson as { warnings?: unknown; modes?: { warnings?: unknown; startedAt?: unknown }[] } | undefined;
  const cj = run.chaosJson as { warnings?: unknown; startedAt?: unknown } | undefined;
  for (const list of [sj?.warnings, ...(sj?.modes ?? []).map((m) => m.warnings), cj?.warnings]) {
    if (Array.isArray(list)) for (const w of list) if (typeof w === 'string') warn.add(w);
  }
  run.warnings = [...warn];

  const iso = cj?.startedAt ?? sj?.modes?.[0]?.startedAt;
  const fromJson = typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? new Date(iso) : undefined;
  run.startedAt = fromJson ?? run.startedAt ?? dateFromRunId(run.id);
  return run;
}

/**
 * Chaos runs without .hlog files: latency of every ok operation (complete - invoke, in
 * microseconds as chaos records them) from the round histories, per mode and scenario. The
 * read-back after the round (`final`) is not part of the workload and is left out.
 */
function historyLatencies(run: RunData): HlogSeries[] {
  const files = new Map<string, { mode: string; scenario: string }>();
  for (const r of run.rounds) if (r.history && r.mode && r.scenario) files.set(r.history, { mode: r.mode, scenario: r.scenario });
  const histDir = path.join(run.dir, 'history');
  if (files.size === 0 && existsSync(histDir)) {
    for (const name of readdirSync(histDir)) {
      const m = /^([a-z]+)-(.+)-\d+\.jsonl$/.exec(name);
      if (m && MODE_NAMES.includes(m[1])) files.set(path.join('history', name), { mode: m[1], scenario: m[2] });
    }
  }
  const by = new Map<string, HlogSeries>();
  for (const [rel, { mode, scenario }] of files) {
    const file = path.join(run.dir, rel);
    if (!existsSync(file)) continue;
    const key = `${mode}\u0000${scenario}`;
    let s = by.get(key);
    if (!s) by.set(key, (s = { file: rel, mode, series: scenario, hist: createHistogram() }));
    let lineNo = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      lineNo++;
      if (!line) continue;
      try {
        const o = JSON.parse(line) as { result?: string; invoke?: number; complete?: number; final?: boolean };
        if (o.result === 'ok' && !o.final && typeof o.invoke === 'number' && typeof o.complete === 'number') recordUs(s.hist, o.complete - o.invoke);
      } catch (e) {
        run.readProblems.push(`${rel}:${lineNo}: ${(e as Error).message}`);
        break;
      }
    }
  }
  return [...by.values()].filter((s) => s.hist.totalCount > 0);
}

/** Distinct values of a column, in first-seen order, with the lab's modes in their usual order. */
export function modesOf(rows: CsvRow[]): string[] {
  const seen = [...new Set(rows.map((r) => r.mode).filter(Boolean))];
  return seen.sort((a, b) => rank(a) - rank(b));
}

function rank(mode: string): number {
  const i = MODE_NAMES.indexOf(mode);
  return i < 0 ? MODE_NAMES.length : i;
}

/** A run given as a path, or as a run id under `root` (results/ by default). */
export function resolveRunDir(arg: string, root = 'results'): string {
  if (existsSync(arg)) return arg;
  const underRoot = path.join(root, arg);
  if (existsSync(underRoot)) return underRoot;
  throw new NotARunError(`${arg}: no such run directory (nor ${underRoot})`);
}
