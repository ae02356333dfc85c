/**
 * results/<run>/ of memlab chaos, as docs/results-format.md fixes it: chaos.csv (the
 * table), rounds.csv, faults.csv, timeseries.csv, history/<mode>-<scenario>-<round>.jsonl,
 * chaos.json, command.txt, profile.yaml. Files are rewritten after every round, so an
 * interrupted run keeps what it measured.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import YAML from 'yaml';
import { formatHistory } from '../checker/history.js';
import { makeRunId } from '../bench/runner.js';
import type { RoundResult, ScenarioSummary } from './runner.js';
import { isWrite } from './workload.js';

export const CHAOS_COLUMNS = [
  'run',
  'mode',
  'scenario',
  'rounds',
  'acknowledged',
  'lost',
  'loss_pct',
  'under_replicated',
  'under_replicated_lost',
  'unacked_survived',
  'unknown',
  'stale_reads',
  'unavailability_p50_ms',
  'unavailability_max_ms',
  'linearizable',
  'nonlinearizable_rounds',
] as const;

export const ROUNDS_COLUMNS = [
  'run',
  'mode',
  'scenario',
  'round',
  'started_at',
  'acknowledged',
  'lost',
  'under_replicated',
  'under_replicated_lost',
  'unacked_survived',
  'unknown',
  'stale_reads',
  'unavailability_ms',
  'linearizable',
  'history',
] as const;

export const FAULTS_COLUMNS = ['run', 'mode', 'scenario', 'round', 'at_s', 'event', 'target', 'detail'] as const;
export const TIMESERIES_COLUMNS = ['run', 'mode', 'op', 'second', 'ops', 'errors', 'acked', 'under_acked', 'p50_us', 'p99_us', 'max_us', 'scenario', 'round'] as const;

type Row = Record<string, string | number>;
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const cell = (n: number | null | undefined, digits = 3): string | number => (n === null || n === undefined ? '' : Math.round(n * 10 ** digits) / 10 ** digits);

export function chaosRow(run: string, s: ScenarioSummary): Row {
  return {
    run,
    mode: s.mode,
    scenario: s.scenario,
    rounds: s.rounds,
    acknowledged: s.skipped ? '' : s.acknowledged,
    lost: s.skipped ? '' : s.lost,
    loss_pct: cell(s.lossPct, 4),
    under_replicated: cell(s.underReplicated, 0),
    under_replicated_lost: cell(s.underReplicatedLost, 0),
    unacked_survived: s.skipped ? '' : s.unackedSurvived,
    unknown: s.skipped ? '' : s.unknown,
    stale_reads: s.skipped ? '' : s.staleReads,
    unavailability_p50_ms: cell(s.unavailabilityP50Ms, 1),
    unavailability_max_ms: cell(s.unavailabilityMaxMs, 1),
    linearizable: s.linearizable ?? '',
    nonlinearizable_rounds: s.skipped ? '' : s.nonlinearizableRounds,
  };
}

const OP_NAMES: Record<string, string> = { write: 'set', read: 'get', add: 'sadd', members: 'smembers', incr: 'incrby', get: 'get' };

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Per second of the round (by completion; unknown ones by invocation), per command and `all`. */
export function timeseriesRows(run: string, r: RoundResult, waitReplicas: number | null): Row[] {
  type B = { lat: number[]; errors: number; acked: number; under: number };
  const buckets = new Map<string, B>();
  const at = (op: string, second: number): B => {
    const k = `${op}\u0000${second}`;
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = { lat: [], errors: 0, acked: 0, under: 0 }));
    return b;
  };
  for (const o of r.history) {
    if (o.final) continue;
    const t = o.result === 'unknown' || o.complete === undefined ? o.invoke : o.complete;
    const second = Math.max(0, Math.floor(t / 1e6));
    for (const name of [OP_NAMES[o.f] ?? o.f, 'all']) {
      const b = at(name, second);
      if (o.result !== 'ok') b.errors++;
      else {
        b.lat.push(Math.max(0, Math.round(o.complete! - o.invoke)));
        if (isWrite(o)) {
          if (waitReplicas !== null && !((o.wait ?? -1) >= waitReplicas)) b.under++;
          else b.acked++;
        }
      }
    }
  }
  const rows: Row[] = [];
  const keys = [...buckets.keys()].map((k) => k.split('\u0000')).sort((a, b) => Number(a[1]) - Number(b[1]) || a[0].localeCompare(b[0]));
  for (const [op, second] of keys) {
    const b = buckets.get(`${op}\u0000${second}`)!;
    const s = b.lat.sort((x, y) => x - y);
    rows.push({
      run,
      mode: r.mode,
      op,
      second: Number(second),
      ops: s.length,
      errors: b.errors,
      acked: b.acked,
      under_acked: b.under,
      p50_us: s.length ? pct(s, 0.5) : '',
      p99_us: s.length ? pct(s, 0.99) : '',
      max_us: s.length ? s[s.length - 1] : '',
      scenario: r.scenario,
      round: r.round,
    });
  }
  return rows;
}

export class ChaosOutput {
  readonly dir: string;
  readonly runId: string;
  private readonly rounds: Row[] = [];
  private readonly faults: Row[] = [];
  private readonly series: Row[] = [];
  private readonly detail: Omit<RoundResult, 'history'>[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(
    root: string,
    label: string,
    private readonly meta: { command: string; profile: unknown; cluster?: string },
  ) {
    const id = makeRunId(label);
    let dir = path.join(root, id);
    for (let i = 2; existsSync(dir); i++) dir = path.join(root, `${id}-${i}`);
    this.dir = dir;
    this.runId = path.basename(dir);
    mkdirSync(path.join(dir, 'history'), { recursive: true });
    writeFileSync(path.join(dir, 'command.txt'), meta.command + '\n');
    writeFileSync(path.join(dir, 'profile.yaml'), YAML.stringify(meta.profile));
  }

  /** Save one round: its history file and rows. Returns the history path relative to the run dir. */
  round(r: RoundResult, waitReplicas: number | null): string {
    const rel = path.join('history', `${r.mode}-${r.scenario}-${r.round}.jsonl`);
    writeFileSync(path.join(this.dir, rel), formatHistory(r.history));
    const a = r.analysis;
    this.rounds.push({
      run: this.runId,
      mode: r.mode,
      scenario: r.scenario,
      round: r.round,
      started_at: r.startedAt,
      acknowledged: a.acknowledged,
      lost: a.lost,
      under_replicated: r.mode === 'wait' ? a.underReplicated : '',
      under_replicated_lost: r.mode === 'wait' ? a.underReplicatedLost : '',
      unacked_survived: a.unackedSurvived,
      unknown: a.unknown,
      stale_reads: a.staleReads + a.impossibleReads,
      unavailability_ms: a.unavailabilityMs.map((w) => (w === null ? 'never' : r3(w))).join(' '),
      linearizable: a.linearizable,
      history: rel,
    });
    for (const f of r.faults) {
      this.faults.push({ run: this.runId, mode: r.mode, scenario: r.scenario, round: r.round, at_s: r3(f.atMs / 1000), event: f.event, target: f.target, detail: f.detail });
    }
    this.series.push(...timeseriesRows(this.runId, r, waitReplicas));
    const { history, ...rest } = r;
    void history;
    this.detail.push({ ...rest, historyFile: rel });
    return rel;
  }

  write(summaries: ScenarioSummary[], warnings: string[]): void {
    const csv = (cols: readonly string[], rows: Row[]) => stringify(rows, { header: true, columns: [...cols] });
    writeFileSync(path.join(this.dir, 'chaos.csv'), csv(CHAOS_COLUMNS, summaries.map((s) => chaosRow(this.runId, s))));
    writeFileSync(path.join(this.dir, 'rounds.csv'), csv(ROUNDS_COLUMNS, this.rounds));
    writeFileSync(path.join(this.dir, 'faults.csv'), csv(FAULTS_COLUMNS, this.faults));
    writeFileSync(path.join(this.dir, 'timeseries.csv'), csv(TIMESERIES_COLUMNS, this.series));
    const json = {
      run: this.runId,
      startedAt: this.startedAt,
      command: this.meta.command,
      cluster: this.meta.cluster,
      workload: 'chaos',
      summaries,
      rounds: this.detail,
      warnings,
    };
    writeFileSync(path.join(this.dir, 'chaos.json'), JSON.stringify(json, null, 1) + '\n');
  }
}

const int = (n: number | null | undefined) => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
const msCell = (n: number | null) => (n === null ? '-' : n >= 10_000 ? `${(n / 1000).toFixed(1)}s` : `${Math.round(n)}`);

/** The terminal table: one line per mode and scenario. */
export function formatChaosTable(summaries: ScenarioSummary[]): string {
  const header = ['mode', 'scenario', 'rounds', 'acked', 'lost', 'loss %', 'under-repl', 'u-r lost', 'unacked survived', 'unknown', 'stale reads', 'unavail p50 ms', 'max ms', 'linearizable'];
  const rows = summaries.map((s) =>
    s.skipped
      ? [s.mode, s.scenario, 'skipped: ' + s.skipped]
      : [
          s.mode,
          s.scenario,
          String(s.rounds) + (s.failedRounds ? ` (+${s.failedRounds} failed)` : ''),
          int(s.acknowledged),
          int(s.lost),
          s.lossPct === null ? '-' : s.lossPct === 0 ? '0' : s.lossPct < 0.01 ? s.lossPct.toExponential(1) : s.lossPct.toFixed(2),
          int(s.underReplicated),
          int(s.underReplicatedLost),
          int(s.unackedSurvived),
          int(s.unknown),
          int(s.staleReads),
          msCell(s.unavailabilityP50Ms),
          msCell(s.unavailabilityMaxMs) + (s.unrecovered ? ` (+${s.unrecovered} never)` : ''),
          s.linearizable === 'no' ? `no (${s.nonlinearizableRounds}/${s.rounds})` : (s.linearizable ?? '-'),
        ],
  );
  const full = rows.filter((r) => r.length === header.length);
  const widths = header.map((h, i) => Math.max(h.length, ...full.map((r) => r[i].length)));
  const line = (cells: string[]) => {
    if (cells.length !== header.length) return `${cells[0].padEnd(widths[0])}  ${cells[1].padEnd(widths[1])}  ${cells[2]}`;
    return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  };
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
