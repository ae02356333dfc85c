import { expect } from 'vitest';
import { formatFailure, runSeed } from '../../../lab/sim/run.js';
import type { SimStats } from '../../../lab/sim/world.js';

/** Seeds that exercised each hard case, so the suite proves the schedules cover them. */
export interface Coverage {
  seeds: number;
  ops: number;
  writerResumedDeposed: number;
  logUnsyncedLoss: number;
  repeatedFailovers: number;
  fencedWhileServing: number;
  snapshotBootstraps: number;
  corruptRefused: number;
  leaseRefusals: number;
  resets: number;
  incomplete: number;
}

export function emptyCoverage(): Coverage {
  return { seeds: 0, ops: 0, writerResumedDeposed: 0, logUnsyncedLoss: 0, repeatedFailovers: 0, fencedWhileServing: 0, snapshotBootstraps: 0, corruptRefused: 0, leaseRefusals: 0, resets: 0, incomplete: 0 };
}

function add(c: Coverage, s: SimStats, ops: number, incomplete: boolean): void {
  c.seeds++;
  c.ops += ops;
  if (s.writerResumedDeposed > 0) c.writerResumedDeposed++;
  if (s.logCrashesWithUnsynced > 0) c.logUnsyncedLoss++;
  if (s.failovers >= 3) c.repeatedFailovers++;
  if (s.fencedWhileServing > 0) c.fencedWhileServing++;
  if (s.snapshotLoads > 0) c.snapshotBootstraps++;
  if (s.corruptSnapshotsRefused > 0) c.corruptRefused++;
  if (s.leaseRefusals > 0) c.leaseRefusals++;
  if (s.resetAppends > 0) c.resets++;
  if (incomplete) c.incomplete++;
}

/** Run seeds [from, to) of the correct protocol; every one must pass every check. */
export function runRange(from: number, to: number, cov: Coverage, length = 1): void {
  const failures: string[] = [];
  for (let s = from; s < to; s++) {
    const r = runSeed(s, { length });
    add(cov, r.stats, r.operations, r.incomplete);
    if (!r.ok) failures.push(formatFailure(r) + `\nreplay: node dist/lab/sim/main.js --verbose ${s}${length !== 1 ? ` --length ${length}` : ''}`);
  }
  expect(failures, failures.join('\n\n')).toEqual([]);
}

export function expectCoverage(c: Coverage): void {
  const per1000 = c.seeds / 1000;
  expect(c.ops / c.seeds).toBeGreaterThan(300);
  // The hard cases each come up in a good share of the schedules (about 1000 seeds give
  // 277, 244, 344, 467, 541, 6, 232 and 121).
  expect(c.writerResumedDeposed).toBeGreaterThan(100 * per1000);
  expect(c.logUnsyncedLoss).toBeGreaterThan(100 * per1000);
  expect(c.repeatedFailovers).toBeGreaterThan(150 * per1000);
  expect(c.fencedWhileServing).toBeGreaterThan(200 * per1000);
  expect(c.snapshotBootstraps).toBeGreaterThan(200 * per1000);
  expect(c.corruptRefused).toBeGreaterThanOrEqual(2 * per1000);
  expect(c.leaseRefusals).toBeGreaterThan(100 * per1000);
  expect(c.resets).toBeGreaterThan(40 * per1000);
  // A verdict on nearly every history (the search budget is rarely exhausted).
  expect(c.incomplete).toBeLessThan(10 * per1000);
}
