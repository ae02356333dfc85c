import type { Rng } from './rng.js';

/** Whom a fault hits; `writer`/`follower` are resolved when it fires (whoever holds the role then). */
export type Target = { role: 'writer' } | { role: 'follower' } | { role: 'engine'; i: number } | { role: 'log'; i: number };

export type Fault =
  | { t: number; kind: 'pause'; target: Target; dur: number; mid: boolean }
  | { t: number; kind: 'crash'; target: Target; down: number }
  | { t: number; kind: 'isolate'; target: Target; dur: number }
  /** Cut one AZ (its engine, log replica and clients) from the others; 'writer': the writer's AZ. */
  | { t: number; kind: 'splitAz'; az: number | 'writer'; dur: number }
  /** Cut one engine node from some log replicas only (a non-transitive partition). */
  | { t: number; kind: 'partial'; target: Target; logs: number[]; dur: number }
  | { t: number; kind: 'lossy'; dur: number; loss: number; dup: number }
  | { t: number; kind: 'clock'; proc: string; rate: number }
  | { t: number; kind: 'slowDisk'; log: number; dur: number; ms: number }
  | { t: number; kind: 'killAll'; down: number }
  | { t: number; kind: 'azLoss'; az: number; down: number }
  | { t: number; kind: 'corruptSnapshot' };

export interface ScheduleShape {
  logs: number;
  engines: number;
  leaseMs: number;
  driftRate: number;
  faultsUntil: number;
}

function target(rng: Rng, shape: ScheduleShape, writerBias: number): Target {
  if (rng.chance(writerBias)) return { role: 'writer' };
  if (rng.chance(0.5)) return { role: 'follower' };
  return { role: 'engine', i: rng.int(shape.engines) };
}

/** A random fault schedule: a few big faults plus clock-rate changes throughout. */
export function generateFaults(rng: Rng, shape: ScheduleShape): Fault[] {
  const L = shape.leaseMs;
  const faults: Fault[] = [];
  // About one big fault per 250 ms of schedule, at least 1..7.
  const count = 1 + rng.int(Math.max(7, Math.round(shape.faultsUntil / 250)));
  const start = L * 3;
  for (let k = 0; k < count; k++) {
    const t = rng.range(start, shape.faultsUntil);
    const kind = rng.weighted([
      ['pause', 24],
      ['crash', 16],
      ['crashLog', 14],
      ['isolate', 12],
      ['partial', 8],
      ['splitAz', 6],
      ['lossy', 7],
      ['slowDisk', 5],
      ['killAll', 3],
      ['azLoss', 4],
      ['corruptSnapshot', 8],
    ] as const);
    switch (kind) {
      case 'pause':
        // Mostly past the lease: the GC/SIGSTOP case; sometimes short (no failover).
        faults.push({ t, kind, target: target(rng, shape, 0.75), dur: rng.chance(0.8) ? rng.range(L * 1.2, L * 5) : rng.range(L * 0.1, L * 0.9), mid: rng.chance(0.6) });
        break;
      case 'crash':
        faults.push({ t, kind, target: target(rng, shape, 0.6), down: rng.range(L * 0.2, L * 6) });
        break;
      case 'crashLog': {
        const i = rng.int(shape.logs);
        faults.push({ t, kind: 'crash', target: { role: 'log', i }, down: rng.range(1, L * 4) });
        if (rng.chance(0.35)) {
          // A second replica soon after: unsynced loss on two at once.
          const j = (i + 1 + rng.int(shape.logs - 1)) % shape.logs;
          faults.push({ t: t + rng.range(0, L), kind: 'crash', target: { role: 'log', i: j }, down: rng.range(1, L * 3) });
        }
        break;
      }
      case 'isolate':
        faults.push({
          t,
          kind,
          target: rng.chance(0.3) ? { role: 'log', i: rng.int(shape.logs) } : target(rng, shape, 0.6),
          dur: rng.range(L * 0.3, L * 6),
        });
        break;
      case 'partial': {
        const logs: number[] = [];
        for (let i = 0; i < shape.logs; i++) if (rng.chance(0.5)) logs.push(i);
        if (logs.length === 0) logs.push(rng.int(shape.logs));
        faults.push({ t, kind, target: target(rng, shape, 0.5), logs, dur: rng.range(L * 0.3, L * 6) });
        break;
      }
      case 'splitAz':
        faults.push({ t, kind, az: rng.chance(0.5) ? 'writer' : rng.int(3), dur: rng.range(L * 0.3, L * 6) });
        break;
      case 'lossy':
        faults.push({ t, kind, dur: rng.range(L, L * 5), loss: rng.range(0.02, 0.3), dup: rng.range(0, 0.1) });
        break;
      case 'slowDisk':
        faults.push({ t, kind, log: rng.int(shape.logs), dur: rng.range(L, L * 4), ms: rng.range(5, L) });
        break;
      case 'killAll':
        faults.push({ t, kind, down: rng.range(1, L * 3) });
        break;
      case 'azLoss':
        faults.push({ t, kind, az: rng.int(3), down: rng.range(L, L * 6) });
        break;
      case 'corruptSnapshot':
        faults.push({ t, kind });
        break;
    }
  }
  // Clock rates wander within the bound all the time.
  const procs = [...Array.from({ length: shape.logs }, (_, i) => `L${i + 1}`), ...Array.from({ length: shape.engines }, (_, i) => `N${i + 1}`)];
  for (let t = rng.range(0, L * 3); t < shape.faultsUntil; t += rng.range(L, L * 6)) {
    faults.push({ t, kind: 'clock', proc: rng.pick(procs), rate: 1 + rng.range(-shape.driftRate, shape.driftRate) });
  }
  faults.sort((a, b) => a.t - b.t);
  return faults;
}

export function describeFault(f: Fault): string {
  const tg = (x: Target) => (x.role === 'engine' ? `N${x.i + 1}` : x.role === 'log' ? `L${x.i + 1}` : x.role);
  const ms = (x: number) => x.toFixed(1);
  switch (f.kind) {
    case 'pause':
      return `pause ${tg(f.target)} for ${ms(f.dur)}ms${f.mid ? ' (stalls mid-step: its next outputs leave after the pause)' : ''}`;
    case 'crash':
      return `crash ${tg(f.target)}, restart after ${ms(f.down)}ms`;
    case 'isolate':
      return `isolate ${tg(f.target)} for ${ms(f.dur)}ms`;
    case 'partial':
      return `cut ${tg(f.target)} from ${f.logs.map((i) => `L${i + 1}`).join(',')} for ${ms(f.dur)}ms`;
    case 'splitAz':
      return `split ${f.az === 'writer' ? "the writer's AZ" : `AZ ${f.az}`} off for ${ms(f.dur)}ms`;
    case 'lossy':
      return `lossy network (loss ${f.loss.toFixed(2)}, dup ${f.dup.toFixed(2)}) for ${ms(f.dur)}ms`;
    case 'clock':
      return `clock of ${f.proc} runs at ${f.rate.toFixed(4)}`;
    case 'slowDisk':
      return `slow fsync (${ms(f.ms)}ms) on L${f.log + 1} for ${ms(f.dur)}ms`;
    case 'killAll':
      return `kill every process, restart after ${ms(f.down)}ms`;
    case 'azLoss':
      return `lose AZ ${f.az} (its engine and log replica), back after ${ms(f.down)}ms`;
    case 'corruptSnapshot':
      return 'the next snapshot upload is corrupted';
  }
}
