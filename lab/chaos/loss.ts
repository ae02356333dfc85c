/**
 * What a round lost, from its history and the read-back after the failover settled
 * (docs/chaos.md, "Measuring loss", defines every count). In short, per data type:
 *
 *   register  an acknowledged write is lost when the final value contradicts it having
 *             happened: the final value is neither its own nor that of a write that may be
 *             ordered after it (one that did not complete before it was invoked).
 *   set       an acknowledged SADD is lost when its member is absent.
 *   counter   INCRBY 1 each: lost = max(0, acknowledged − final); survived unacknowledged =
 *             max(0, final − acknowledged), up to the unknown ones; the rest is impossible.
 *
 * In wait mode a write the primary acknowledged counts as acknowledged only if its WAIT
 * reached the wanted replicas; otherwise it is under-replicated, its own class.
 */
import { checkHistory, type CheckResult } from '../checker/linearizability.js';
import { isWrite, typeOf, type ChaosOperation } from './workload.js';

export interface FaultMark {
  /** µs on the chaos clock. */
  at: number;
  event: string;
  target: string;
  /** The primary was (among) the fault's targets: unavailability is measured from it. */
  hitsPrimary: boolean;
  /** The primary announced once this fault's failover settled (before the next fault). */
  primaryAfter: string | null;
}

export interface LossCounts {
  /** ok writes (wait mode: with WAIT ≥ replicas). */
  acknowledged: number;
  lost: number;
  /** wait mode: ok writes whose WAIT fell short (or failed). */
  underReplicated: number;
  underReplicatedLost: number;
  /** Writes that ended fail or unknown, present in the final state. */
  unackedSurvived: number;
  /** Of those, writes that ended fail: a definite error for a write that happened. */
  failedSurvived: number;
  /** Operations (reads and writes, read-back excluded) that ended unknown. */
  unknown: number;
  reads: number;
  /** Reads that missed a write acknowledged before they began. */
  staleReads: number;
  /** Reads of values never written, or written only later, or only by failed writes. */
  impossibleReads: number;
  /** Final values (register values, set members, counter surplus) no write explains. */
  impossibleFinal: number;
  /** Keys the read-back could not read: their writes are not judged. */
  unreadKeys: string[];
}

export interface RoundAnalysis extends LossCounts {
  /** Per primary-hitting fault: ms from the fault to the first acknowledged write on the new primary; null if none came. */
  unavailabilityMs: (number | null)[];
  linearizable: 'yes' | 'no' | 'unknown';
  check: CheckResult;
}

const end = (o: ChaosOperation): number => (o.result === 'ok' && typeof o.complete === 'number' ? o.complete : Infinity);

/** `a` may be ordered after `b`: it did not complete before `b` was invoked. */
const mayFollow = (a: ChaosOperation, b: ChaosOperation): boolean => !(end(a) < b.invoke);

export function emptyCounts(): LossCounts {
  return {
    acknowledged: 0,
    lost: 0,
    underReplicated: 0,
    underReplicatedLost: 0,
    unackedSurvived: 0,
    failedSurvived: 0,
    unknown: 0,
    reads: 0,
    staleReads: 0,
    impossibleReads: 0,
    impossibleFinal: 0,
    unreadKeys: [],
  };
}

/** wait mode: replicas WAIT must reach; null in the other modes (every ok write is acknowledged). */
function isUnderReplicated(o: ChaosOperation, waitReplicas: number | null): boolean {
  return waitReplicas !== null && !((o.wait ?? -1) >= waitReplicas);
}

function groupByKey(ops: readonly ChaosOperation[]): Map<string, ChaosOperation[]> {
  const m = new Map<string, ChaosOperation[]>();
  for (const o of ops) {
    let l = m.get(o.key);
    if (!l) m.set(o.key, (l = []));
    l.push(o);
  }
  return m;
}

/** The final value of each key: the last ok read of the read-back. */
function finalValues(history: readonly ChaosOperation[]): Map<string, ChaosOperation['output']> {
  const m = new Map<string, ChaosOperation['output']>();
  for (const o of history) if (o.final && o.result === 'ok') m.set(o.key, o.output ?? null);
  return m;
}

export function countLoss(history: readonly ChaosOperation[], waitReplicas: number | null): LossCounts {
  const c = emptyCounts();
  const finals = finalValues(history);
  const body = history.filter((o) => !o.final);
  for (const [key, ops] of groupByKey(body)) {
    const writes = ops.filter(isWrite);
    const acked = writes.filter((w) => w.result === 'ok');
    for (const w of acked) {
      if (isUnderReplicated(w, waitReplicas)) c.underReplicated++;
      else c.acknowledged++;
    }
    for (const o of ops) if (o.result === 'unknown') c.unknown++;
    countReads(ops, c);
    if (!writes.length) continue;
    if (!finals.has(key)) {
      c.unreadKeys.push(key);
      continue;
    }
    const final = finals.get(key) ?? null;
    const type = typeOf(ops[0].f);
    const lose = (w: ChaosOperation) => {
      if (isUnderReplicated(w, waitReplicas)) c.underReplicatedLost++;
      else c.lost++;
    };
    if (type === 'register') {
      const writer = final === null ? undefined : writes.find((w) => w.value === final);
      if (final !== null && !writer) c.impossibleFinal++;
      if (writer && writer.result !== 'ok') {
        c.unackedSurvived++;
        if (writer.result === 'fail') c.failedSurvived++;
      }
      for (const w of acked) {
        if (writer === w) continue;
        if (writer && mayFollow(writer, w)) continue;
        lose(w);
      }
    } else if (type === 'set') {
      const members = new Set((final as string[] | null) ?? []);
      const added = new Set<string>();
      for (const w of writes) {
        const m = String(w.value);
        added.add(m);
        if (w.result === 'ok') {
          if (!members.has(m)) lose(w);
        } else if (members.has(m)) {
          c.unackedSurvived++;
          if (w.result === 'fail') c.failedSurvived++;
        }
      }
      for (const m of members) if (!added.has(m)) c.impossibleFinal++;
    } else {
      const f = Number(final ?? 0);
      const sum = (l: ChaosOperation[]) => l.reduce((a, w) => a + Number(w.value ?? 1), 0);
      const a = sum(acked);
      const aRepl = sum(acked.filter((w) => !isUnderReplicated(w, waitReplicas)));
      const u = sum(writes.filter((w) => w.result === 'unknown'));
      const fl = sum(writes.filter((w) => w.result === 'fail'));
      // Which increment vanished cannot be told; acknowledged ones count as lost only where the final value forces it.
      const lostAll = Math.max(0, a - f);
      const lostRepl = Math.max(0, aRepl - f);
      c.lost += lostRepl;
      c.underReplicatedLost += lostAll - lostRepl;
      const surplus = Math.max(0, f - a);
      c.unackedSurvived += Math.min(surplus, u + fl);
      c.failedSurvived += Math.max(0, Math.min(surplus - u, fl));
      c.impossibleFinal += Math.max(0, surplus - u - fl) + (f < 0 ? 1 : 0);
    }
  }
  return c;
}

/** Stale and impossible reads of one key (read-back excluded). */
function countReads(ops: readonly ChaosOperation[], c: LossCounts): void {
  const writes = ops.filter(isWrite);
  const okWrites = writes.filter((w) => w.result === 'ok');
  for (const r of ops) {
    if (isWrite(r) || r.result !== 'ok') continue;
    c.reads++;
    const rEnd = end(r);
    let impossible = false;
    let stale = false;
    if (r.f === 'read') {
      const v = r.output ?? null;
      const wv = v === null ? undefined : writes.find((w) => w.value === v);
      if (v !== null && (!wv || wv.result === 'fail' || wv.invoke > rEnd)) impossible = true;
      else stale = okWrites.some((w) => end(w) < r.invoke && (wv === undefined || w.invoke > end(wv)));
    } else if (r.f === 'members') {
      const got = new Set((r.output as string[] | null) ?? []);
      for (const m of got) {
        const adds = writes.filter((w) => String(w.value) === m && w.result !== 'fail' && w.invoke <= rEnd);
        if (!adds.length) impossible = true;
      }
      if (!impossible) stale = okWrites.some((w) => end(w) < r.invoke && !got.has(String(w.value)));
    } else if (r.f === 'get') {
      const g = Number(r.output ?? 0);
      const possible = writes.filter((w) => w.result !== 'fail' && w.invoke <= rEnd).reduce((a, w) => a + Number(w.value ?? 1), 0);
      const before = okWrites.filter((w) => end(w) < r.invoke).reduce((a, w) => a + Number(w.value ?? 1), 0);
      if (g < 0 || g > possible) impossible = true;
      else stale = g < before;
    }
    if (impossible) c.impossibleReads++;
    else if (stale) c.staleReads++;
  }
}

/** ms from each primary-hitting fault to the first acknowledged write on the primary announced after it. */
export function unavailability(history: readonly ChaosOperation[], faults: readonly FaultMark[], waitReplicas: number | null): (number | null)[] {
  const writes = history.filter((o) => !o.final && isWrite(o) && o.result === 'ok' && !isUnderReplicated(o, waitReplicas));
  const out: (number | null)[] = [];
  for (const f of faults) {
    if (!f.hitsPrimary) continue;
    let first = Infinity;
    for (const w of writes) if (w.node === f.primaryAfter && w.invoke >= f.at && w.complete! < first) first = w.complete!;
    out.push(first === Infinity ? null : (first - f.at) / 1000);
  }
  return out;
}

export interface AnalyzeOptions {
  waitReplicas: number | null;
  faults: readonly FaultMark[];
  maxSteps?: number;
}

export function analyzeRound(history: readonly ChaosOperation[], o: AnalyzeOptions): RoundAnalysis {
  const counts = countLoss(history, o.waitReplicas);
  const check = checkHistory(history, o.maxSteps ? { maxSteps: o.maxSteps } : {});
  return {
    ...counts,
    unavailabilityMs: unavailability(history, o.faults, o.waitReplicas),
    linearizable: !check.linearizable ? 'no' : check.incomplete ? 'unknown' : 'yes',
    check,
  };
}
