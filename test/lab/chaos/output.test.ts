import { describe, expect, it } from 'vitest';
import { chaosRow, formatChaosTable, timeseriesRows } from '../../../lab/chaos/output.js';
import { summarize, type RoundResult } from '../../../lab/chaos/runner.js';
import { emptyCounts } from '../../../lab/chaos/loss.js';
import type { ChaosOperation } from '../../../lab/chaos/workload.js';

function round(n: number, over: Partial<RoundResult['analysis']>, history: ChaosOperation[] = []): RoundResult {
  return {
    mode: 'wait',
    scenario: 's',
    round: n,
    startedAt: '2026-01-01T00:00:00.000Z',
    cluster: 'test',
    analysis: { ...emptyCounts(), unavailabilityMs: [], linearizable: 'yes', ...over },
    checkReport: null,
    faults: [],
    events: [],
    history,
    t0: 0,
    settled: true,
    settleMs: 0,
    finalPrimary: 'n2',
    workload: { clientIds: 0, retired: 0, connects: 0, connectFailures: 0 },
    notes: [],
  };
}

describe('chaos summaries', () => {
  it('sum rounds, take unavailability quantiles over every fault, and say no if any round is not linearizable', () => {
    const s = summarize('wait', 's', [
      round(1, { acknowledged: 100, lost: 0, underReplicated: 5, underReplicatedLost: 2, unavailabilityMs: [1000, 3000], linearizable: 'yes' }),
      round(2, { acknowledged: 300, lost: 4, staleReads: 1, impossibleReads: 2, unavailabilityMs: [2000, null], linearizable: 'no' }),
      round(3, { acknowledged: 0, unavailabilityMs: [], linearizable: 'unknown' }),
    ]);
    expect(s).toMatchObject({ rounds: 3, acknowledged: 400, lost: 4, lossPct: 1, underReplicated: 5, underReplicatedLost: 2, staleReads: 3 });
    expect(s).toMatchObject({ unavailabilityP50Ms: 2000, unavailabilityMaxMs: 3000, unrecovered: 1, linearizable: 'no', nonlinearizableRounds: 1 });
    expect(summarize('wait', 's', [round(1, { linearizable: 'yes' }), round(2, { linearizable: 'unknown' })]).linearizable).toBe('unknown');
    // Outside wait mode the under-replicated columns are empty, not zero.
    const plain = summarize('plain', 's', [round(1, { acknowledged: 10 })]);
    expect(chaosRow('r', plain)).toMatchObject({ under_replicated: '', under_replicated_lost: '', loss_pct: 0, linearizable: 'yes' });
  });

  it('a skipped scenario shows its reason and empty cells', () => {
    const s = summarize('plain', 'logs', [], 'there is no transaction log in plain mode');
    expect(chaosRow('r', s)).toMatchObject({ rounds: 0, acknowledged: '', lost: '', linearizable: '' });
    expect(formatChaosTable([s])).toMatch(/plain\s+logs\s+skipped: there is no transaction log in plain mode/);
  });

  it('the terminal table has one line per mode and scenario', () => {
    const t = formatChaosTable([summarize('wait', 'crash', [round(1, { acknowledged: 1234, lost: 2, linearizable: 'no', unavailabilityMs: [1500] })], null, 1)]);
    const line = t.split('\n')[2];
    expect(line).toMatch(/^wait\s+crash\s+1 \(\+1 failed\)\s+1,234\s+2\s+0\.16\s/);
    expect(line).toMatch(/1500\s+1500\s+no \(1\/1\)$/);
  });
});

describe('chaos time series', () => {
  it('buckets ok operations by completion second, errors and WAIT classes apart', () => {
    const op = (p: Partial<ChaosOperation>): ChaosOperation => ({ id: 1, client: 1, key: 'k', f: 'write', invoke: 0, result: 'ok', ...p }) as ChaosOperation;
    const rows = timeseriesRows('r', round(1, {}, [
      op({ invoke: 100, complete: 600, wait: 1 }),
      op({ invoke: 200, complete: 1200, wait: 0 }),
      op({ f: 'read', invoke: 1_000_100, complete: 1_000_400 }),
      op({ invoke: 1_500_000, result: 'unknown' }),
      op({ f: 'read', invoke: 2_000_000, complete: 2_000_010, final: true }),
    ]), 1);
    const all0 = rows.find((r) => r.op === 'all' && r.second === 0)!;
    expect(all0).toMatchObject({ ops: 2, errors: 0, acked: 1, under_acked: 1, p50_us: 500, max_us: 1000, scenario: 's', round: 1 });
    const all1 = rows.find((r) => r.op === 'all' && r.second === 1)!;
    expect(all1).toMatchObject({ ops: 1, errors: 1, p50_us: 300 });
    expect(rows.some((r) => r.second === 2)).toBe(false); // the read-back is not workload
    expect(rows.find((r) => r.op === 'set' && r.second === 0)).toMatchObject({ ops: 2 });
  });
});
