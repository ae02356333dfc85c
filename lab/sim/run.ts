import type { Bugs } from '../../engine/log/types.js';
import type { Operation } from '../checker/history.js';
import { checkHistory, formatResult } from '../checker/linearizability.js';
import { describeFault, generateFaults, type Fault } from './faults.js';
import { Rng } from './rng.js';
import { World, type SimConfig, type SimStats, type Violation } from './world.js';

export interface RunOptions {
  bugs?: Bugs;
  trace?: boolean;
  /** Replace the seed's generated faults (used when shrinking a failure). */
  faults?: Fault[];
  /** Scale of the fault period (1 = default). */
  length?: number;
  /** Judge by the client history alone (see SimConfig.historyOnly). */
  historyOnly?: boolean;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  violations: Violation[];
  stats: SimStats;
  faults: Fault[];
  config: Omit<SimConfig, 'faults'>;
  operations: number;
  /** The per-key linearizability search ran out of budget on some key (no verdict there). */
  incomplete: boolean;
  trace: string[];
  history: Operation[];
}

/** The cluster shape and fault schedule a seed stands for. */
export function configFor(seed: number, opts: RunOptions = {}): SimConfig {
  const rng = new Rng(seed, 0);
  const leaseMs = 100;
  const logs = rng.chance(0.8) ? 3 : 5;
  const faultsUntil = Math.round(rng.range(1200, 2400) * (opts.length ?? 1));
  const driftRate = rng.pick([0.001, 0.01, 0.05]);
  const snapshotEvery = rng.pick([0, 24, 60]);
  const shape = { logs, engines: 3, leaseMs, driftRate, faultsUntil };
  // Last draw: a run given an explicit fault list (a shrunk one) must get the same config.
  const faults = opts.faults ?? generateFaults(rng, shape);
  return {
    seed,
    logs,
    engines: 3,
    clients: 4,
    leaseMs,
    driftRate,
    tickMs: 10,
    faultsUntil,
    settleMs: 1500,
    snapshotEvery,
    faults,
    bugs: opts.bugs,
    trace: opts.trace,
    historyOnly: opts.historyOnly,
  };
}

export function runSeed(seed: number, opts: RunOptions = {}): SeedResult {
  const cfg = configFor(seed, opts);
  const world = new World(cfg);
  world.run();
  const violations = [...world.violations];
  let incomplete = false;
  // Only if the run itself found nothing: a history cut short says little.
  if (violations.length === 0) {
    const r = checkHistory(world.history, { maxSteps: 2_000_000 });
    incomplete = r.incomplete;
    if (!r.linearizable) violations.push({ kind: 'linearizability', t: world.t, msg: formatResult(r) });
  }
  const { faults, ...config } = cfg;
  return {
    seed,
    ok: violations.length === 0,
    violations,
    stats: world.stats,
    faults,
    config,
    operations: world.history.length,
    incomplete,
    trace: world.trace,
    history: world.history,
  };
}

/**
 * Drop faults one at a time (clock changes first, in bulk) while the same kind of violation
 * still happens: what remains is a short schedule that reproduces it.
 */
export function shrink(seed: number, opts: RunOptions = {}, budget = 60): Fault[] {
  const first = runSeed(seed, opts);
  if (first.ok) return first.faults;
  const kind = first.violations[0].kind;
  const fails = (faults: Fault[]) => {
    budget--;
    const r = runSeed(seed, { ...opts, faults, trace: false });
    return !r.ok && r.violations[0].kind === kind;
  };
  let cur = first.faults;
  const noClock = cur.filter((f) => f.kind !== 'clock');
  if (noClock.length < cur.length && fails(noClock)) cur = noClock;
  for (let i = cur.length - 1; i >= 0 && budget > 0; i--) {
    const cand = cur.slice(0, i).concat(cur.slice(i + 1));
    if (fails(cand)) cur = cand;
  }
  return cur;
}

export function formatFailure(r: SeedResult, shrunk?: Fault[]): string {
  const lines: string[] = [];
  const c = r.config;
  lines.push(`seed ${r.seed} FAILED: ${r.violations[0].kind} at t=${r.violations[0].t.toFixed(3)}ms`);
  lines.push(`  ${r.violations[0].msg.split('\n').join('\n  ')}`);
  lines.push(`cluster: ${c.logs} log replicas, ${c.engines} engine nodes, lease ${c.leaseMs}ms, drift ±${(c.driftRate * 100).toFixed(1)}%, snapshot every ${c.snapshotEvery || 'never'}${c.bugs ? `, bugs ${JSON.stringify(c.bugs)}` : ''}`);
  const show = shrunk ?? r.faults.filter((f) => f.kind !== 'clock');
  lines.push(shrunk ? `faults still failing after shrinking (${shrunk.length} of ${r.faults.length}):` : 'faults (clock changes omitted):');
  for (const f of show) lines.push(`  ${f.t.toFixed(1).padStart(8)}ms ${describeFault(f)}`);
  return lines.join('\n');
}

export function formatStats(s: SimStats): string {
  return (
    `ops ok/fail/unknown ${s.ops.ok}/${s.ops.fail}/${s.ops.unknown}, committed ${s.committed}, epochs won ${s.epochs}, ` +
    `became writer ${s.failovers}, fenced ${s.fenced} (${s.fencedWhileServing} while serving), writer paused past lease ${s.writerPausedPastLease} ` +
    `(${s.writerResumedDeposed} resumed deposed), log crashes ${s.logCrashes} (${s.logCrashesWithUnsynced} with unsynced data), ` +
    `engine crashes ${s.engineCrashes}, snapshots ${s.snapshots} (loads ${s.snapshotLoads}), lease refusals ${s.leaseRefusals}, reset appends ${s.resetAppends}, events ${s.events}`
  );
}
