/**
 * memlab chaos: for each mode and scenario, `rounds` rounds, each on a fresh cluster:
 * start the workload, inject the scenario's faults at their times, let the failover
 * settle, stop, read every key back from the announced primary, then count what was lost
 * (loss.ts) and check the whole history (writes, reads and read-back) for linearizability.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatResult } from '../checker/linearizability.js';
import type { ChaosClusterProvider, ChaosCluster, ClusterEvent, Fault, Mode } from './cluster-api.js';
import { analyzeRound, type FaultMark, type RoundAnalysis } from './loss.js';
import { resolvePeers, resolveTarget, skipReason, type Scenario, type ScheduledFault } from './scenario.js';
import { ChaosWorkload, type ChaosOperation, type Target, type WorkloadStats } from './workload.js';

export interface FaultRecord {
  /** ms since the round's start. */
  atMs: number;
  event: string;
  target: string;
  detail: string;
}

export interface RoundResult {
  mode: Mode;
  scenario: string;
  round: number;
  startedAt: string;
  cluster: string;
  analysis: Omit<RoundAnalysis, 'check'>;
  /** formatResult of the checker when the history is not linearizable (or unknown). */
  checkReport: string | null;
  faults: FaultRecord[];
  events: ClusterEvent[];
  /** Times relative to the round's start; emptied after onRound (histories are large), see historyFile. */
  history: ChaosOperation[];
  /** Where onRound saved the history, relative to the run dir. */
  historyFile?: string;
  /** Round start on the chaos clock (µs): history and events are relative to the same origin. */
  t0: number;
  settled: boolean;
  settleMs: number;
  finalPrimary: string | null;
  workload: WorkloadStats;
  notes: string[];
}

export interface ScenarioSummary {
  mode: Mode;
  scenario: string;
  /** Set when the scenario does not apply to the mode (or the backend cannot run it). */
  skipped: string | null;
  rounds: number;
  acknowledged: number;
  lost: number;
  lossPct: number | null;
  underReplicated: number | null;
  underReplicatedLost: number | null;
  unackedSurvived: number;
  unknown: number;
  staleReads: number;
  unavailabilityP50Ms: number | null;
  unavailabilityMaxMs: number | null;
  /** Primary-hitting faults after which no acknowledged write came on the new primary within the round. */
  unrecovered: number;
  /** Rounds that could not be run (the cluster did not start, a fault could not be applied), twice in a row. */
  failedRounds: number;
  linearizable: 'yes' | 'no' | 'unknown' | null;
  nonlinearizableRounds: number;
}

export interface ChaosOptions {
  modes: Mode[];
  scenarios: Scenario[];
  rounds: number;
  provider: ChaosClusterProvider;
  seed?: number;
  /** Checker search budget per key. */
  maxSteps?: number;
  log?: (line: string) => void;
  /** Called after each round (the CLI writes results as it goes). */
  onRound?: (r: RoundResult) => void;
  signal?: AbortSignal;
}

export interface ChaosResult {
  summaries: ScenarioSummary[];
  rounds: RoundResult[];
  warnings: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = process.hrtime.bigint();
/** The chaos clock: µs since this module loaded, monotonic, shared by every thread of the process. */
export const chaosClock = (): number => Number((process.hrtime.bigint() - T0) / 1000n);

function eventName(f: ScheduledFault): string {
  if (f.do === 'restart') return f.empty ? 'restart-empty' : 'restart';
  if (f.do === 'crash' && f.target?.startsWith('az:')) return 'az-down';
  return f.do;
}

function toFault(f: ScheduledFault, nodes: string[]): Fault {
  switch (f.do) {
    case 'heal':
      return { kind: 'heal' };
    case 'restart':
      return { kind: 'restart', nodes, empty: f.empty ?? false };
    case 'cut':
      return { kind: 'cut', nodes, from: resolvePeers(f.from ?? []) };
    default:
      return { kind: f.do, nodes };
  }
}

const quantile = (xs: number[], q: number): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export function summarize(mode: Mode, scenario: string, rounds: RoundResult[], skipped: string | null = null, failedRounds = 0): ScenarioSummary {
  const sum = (f: (r: RoundResult) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const acknowledged = sum((r) => r.analysis.acknowledged);
  const lost = sum((r) => r.analysis.lost);
  const windows = rounds.flatMap((r) => r.analysis.unavailabilityMs);
  const measured = windows.filter((w): w is number => w !== null);
  const verdicts = rounds.map((r) => r.analysis.linearizable);
  return {
    mode,
    scenario,
    skipped,
    rounds: rounds.length,
    acknowledged,
    lost,
    lossPct: acknowledged ? (100 * lost) / acknowledged : null,
    underReplicated: mode === 'wait' ? sum((r) => r.analysis.underReplicated) : null,
    underReplicatedLost: mode === 'wait' ? sum((r) => r.analysis.underReplicatedLost) : null,
    unackedSurvived: sum((r) => r.analysis.unackedSurvived),
    unknown: sum((r) => r.analysis.unknown),
    staleReads: sum((r) => r.analysis.staleReads + r.analysis.impossibleReads),
    unavailabilityP50Ms: quantile(measured, 0.5),
    unavailabilityMaxMs: measured.length ? Math.max(...measured) : null,
    unrecovered: windows.length - measured.length,
    failedRounds,
    linearizable: skipped || !rounds.length ? null : verdicts.includes('no') ? 'no' : verdicts.includes('unknown') ? 'unknown' : 'yes',
    nonlinearizableRounds: verdicts.filter((v) => v === 'no').length,
  };
}

async function waitSettled(cluster: ChaosCluster, wl: ChaosWorkload, timeoutMs: number, clock: () => number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const since = clock();
  while (Date.now() < deadline) {
    const p = cluster.primary();
    // Settled: the supervisor is done, and the workload has had a write acknowledged there since we started waiting.
    if (p && (await cluster.settled()) && (wl.lastOkWrite.get(p.node) ?? -1) > since) return true;
    await sleep(50);
  }
  return false;
}

export async function runRound(mode: Mode, s: Scenario, round: number, o: Pick<ChaosOptions, 'provider' | 'seed' | 'maxSteps' | 'log'>): Promise<RoundResult> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-chaos-'));
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const cluster = await o.provider.up({
    mode,
    priorities: s.cluster.priorities,
    rttMs: s.cluster.rttMs,
    jitterMs: s.cluster.jitterMs,
    downAfterMs: s.cluster.downAfterMs,
    failoverTimeoutMs: s.cluster.failoverTimeoutMs,
    probeIntervalMs: s.cluster.probeIntervalMs,
    clock: chaosClock,
    dir,
  });
  const locate = (): Target | null => {
    const p = cluster.primary();
    return p ? { node: p.node, ...p.endpoint } : null;
  };
  const wl = new ChaosWorkload(
    {
      ...s.workload,
      wait: mode === 'wait' ? s.workload.wait : null,
      keyPrefix: `chaos:${round}:`,
      seed: (o.seed ?? 1) * 1000 + round,
    },
    locate,
    chaosClock,
  );
  const unsub = cluster.onPrimaryChange(() => wl.primaryChanged());
  const faults: FaultRecord[] = [];
  const marks: FaultMark[] = [];
  let t0 = 0;
  let settled = false;
  let settleMs = 0;
  let finalPrimary: string | null = null;
  let history: ChaosOperation[] = [];
  let events: ClusterEvent[] = [];
  let failed = true;
  try {
    wl.start();
    t0 = chaosClock();
    const bound = new Map<string, string[]>();
    const engines = cluster.nodes.filter((n) => n.kind === 'engine').map((n) => ({ id: n.id, az: n.az }));
    const logs = cluster.nodes.filter((n) => n.kind === 'log').map((n) => ({ id: n.id, az: n.az }));
    for (const f of s.faults) {
      const wait = t0 / 1000 + f.atMs - chaosClock() / 1000;
      if (wait > 0) await sleep(wait);
      const primary = cluster.primary()?.node ?? null;
      const nodes = f.do === 'heal' ? [] : resolveTarget(f.target!, { primary, engines, logs, bound });
      if (f.as) bound.set(f.as, nodes);
      const at = chaosClock();
      await cluster.fault(toFault(f, nodes));
      const target = f.target?.startsWith('az:') ? f.target.replace('az:primary', `az:${engines.find((e) => e.id === primary)?.az ?? '?'}`).slice(3) : nodes.join(',') || 'all';
      const detail = [f.from ? `from ${f.from.join(',')}` : '', `primary was ${primary ?? 'none'}`, f.note ?? ''].filter(Boolean).join('; ');
      faults.push({ atMs: (at - t0) / 1000, event: eventName(f), target, detail });
      marks.push({ at, event: eventName(f), target, hitsPrimary: primary !== null && nodes.includes(primary) && f.do !== 'resume' && f.do !== 'restart', primaryAfter: null });
      log(`  ${mode} ${s.name} #${round}: ${((at - t0) / 1e6).toFixed(2)}s ${eventName(f)} ${target}`);
    }
    const rest = t0 / 1000 + s.roundMs - chaosClock() / 1000;
    if (rest > 0) await sleep(rest);
    const settleStart = Date.now();
    settled = await waitSettled(cluster, wl, s.settleTimeoutMs, chaosClock);
    settleMs = Date.now() - settleStart;
    if (!settled) notes.push(`the cluster did not settle within ${s.settleTimeoutMs} ms after the round; read back from the announced primary anyway`);
    finalPrimary = cluster.primary()?.node ?? null;
    await wl.stop();
    const p = locate();
    if (p) {
      const rb = await wl.readBack(p);
      history = [...wl.history(), ...rb.ops];
      if (rb.missing.length) notes.push(`read-back failed for ${rb.missing.length} keys: their writes are not judged`);
    } else {
      history = [...wl.history()];
      notes.push('no primary to read back from: no write could be judged');
    }
    events = cluster.events();
    failed = false;
  } catch (e) {
    throw new Error(`${(e as Error).message} (node logs kept in ${dir})`);
  } finally {
    unsub();
    await wl.stop();
    await cluster.down().catch((e: Error) => notes.push(`cluster down: ${e.message}`));
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
  // The primary each fault led to: the next one the supervisor announced, else the final one.
  for (const m of marks) {
    const sw = events.find((e) => e.kind === 'switch-primary' && e.at > m.at);
    m.primaryAfter = sw?.node ?? finalPrimary;
  }
  const analysis = analyzeRound(history, { waitReplicas: mode === 'wait' ? s.workload.wait.replicas : null, faults: marks, ...(o.maxSteps ? { maxSteps: o.maxSteps } : {}) });
  let k = 0;
  for (const m of marks) {
    if (!m.hitsPrimary) continue;
    const w = analysis.unavailabilityMs[k++];
    if (w !== null) faults.push({ atMs: (m.at - t0) / 1000 + w, event: 'failover', target: m.primaryAfter ?? '', detail: `first acknowledged write on ${m.primaryAfter}, ${w.toFixed(0)} ms after the ${m.event}` });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  const { check, ...rest } = analysis;
  return {
    mode,
    scenario: s.name,
    round,
    startedAt,
    cluster: cluster.description,
    analysis: rest,
    checkReport: analysis.linearizable === 'yes' ? null : formatResult(check),
    faults,
    events: events.map((e) => ({ ...e, at: e.at - t0 })),
    history: history.map((op) => ({ ...op, invoke: op.invoke - t0, ...(op.complete !== undefined ? { complete: op.complete - t0 } : {}) })),
    t0,
    settled,
    settleMs,
    finalPrimary,
    workload: { ...wl.stats },
    notes,
  };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const result: ChaosResult = { summaries: [], rounds: [], warnings: [] };
  for (const mode of o.modes) {
    const unsupported = o.provider.unsupported(mode);
    for (const s of o.scenarios) {
      const skip = skipReason(s, mode) ?? (unsupported ? `backend ${o.provider.name}: ${unsupported}` : null);
      if (skip) {
        log(`${mode} ${s.name}: skipped (${skip})`);
        result.summaries.push(summarize(mode, s.name, [], skip));
        continue;
      }
      const rounds: RoundResult[] = [];
      let failedRounds = 0;
      for (let r = 1; r <= o.rounds; r++) {
        if (o.signal?.aborted) break;
        let rr: RoundResult | null = null;
        // One retry: on a loaded machine a node can miss its start-up deadline.
        for (let attempt = 1; attempt <= 2 && !rr; attempt++) {
          try {
            rr = await runRound(mode, s, r, o);
          } catch (e) {
            const msg = `${mode} ${s.name} round ${r}, attempt ${attempt}, could not be run: ${(e as Error).message}`;
            log(msg);
            if (attempt === 2) result.warnings.push(msg);
          }
        }
        if (!rr) {
          failedRounds++;
          continue;
        }
        rounds.push(rr);
        result.rounds.push(rr);
        const a = rr.analysis;
        log(
          `${mode} ${s.name} #${r}: acked ${a.acknowledged}, lost ${a.lost}` +
            (mode === 'wait' ? `, under-replicated ${a.underReplicated} (lost ${a.underReplicatedLost})` : '') +
            `, unknown ${a.unknown}, stale ${a.staleReads + a.impossibleReads}, unavailable ${a.unavailabilityMs.map((w) => (w === null ? 'never' : `${w.toFixed(0)} ms`)).join('/') || '-'}, linearizable ${a.linearizable}` +
            (rr.notes.length ? ` (${rr.notes.join('; ')})` : ''),
        );
        for (const n of rr.notes) result.warnings.push(`${mode} ${s.name} round ${r}: ${n}`);
        o.onRound?.(rr);
        rr.history = [];
      }
      result.summaries.push(summarize(mode, s.name, rounds, null, failedRounds));
      if (o.signal?.aborted) return result;
    }
  }
  return result;
}
