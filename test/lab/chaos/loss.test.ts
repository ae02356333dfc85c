import { describe, expect, it } from 'vitest';
import { analyzeRound, countLoss, unavailability, type FaultMark } from '../../../lab/chaos/loss.js';
import type { ChaosOperation } from '../../../lab/chaos/workload.js';

let nextId = 1;
type Partial = Omit<ChaosOperation, 'id' | 'client' | 'result'> & { client?: number; result?: ChaosOperation['result'] };
function op(p: Partial): ChaosOperation {
  const o: ChaosOperation = { id: nextId++, client: p.client ?? nextId, result: p.result ?? 'ok', ...p } as ChaosOperation;
  if (o.result === 'unknown') delete o.complete;
  return o;
}
const w = (key: string, value: string, invoke: number, complete: number, extra: Partial<ChaosOperation> = {}) => op({ key, f: 'write', value, invoke, complete, ...extra });
const final = (key: string, f: ChaosOperation['f'], output: ChaosOperation['output']) => op({ key, f, output, invoke: 1000, complete: 1001, final: true });

describe('loss: registers', () => {
  const h = () => [w('r', 'a', 0, 10), w('r', 'b', 20, 30)];

  it('the last acknowledged value surviving loses nothing', () => {
    const c = countLoss([...h(), final('r', 'read', 'b')], null);
    expect(c).toMatchObject({ acknowledged: 2, lost: 0, impossibleFinal: 0 });
  });

  it('rolling back to an earlier value loses every write after it', () => {
    const c = countLoss([...h(), w('r', 'c', 40, 50), final('r', 'read', 'a')], null);
    expect(c.lost).toBe(2);
  });

  it('an empty register contradicts every acknowledged write', () => {
    expect(countLoss([...h(), final('r', 'read', null)], null).lost).toBe(2);
  });

  it('a value no write explains is impossible, and everything acknowledged is lost', () => {
    const c = countLoss([...h(), final('r', 'read', 'zzz')], null);
    expect(c).toMatchObject({ impossibleFinal: 1, lost: 2 });
  });

  it('a concurrent write may legitimately win', () => {
    // a and b overlap: either order is valid, so a as final loses nothing.
    const c = countLoss([w('r', 'a', 0, 25), w('r', 'b', 20, 30), final('r', 'read', 'a')], null);
    expect(c.lost).toBe(0);
  });

  it('a later unknown write surviving is an unacknowledged survivor, not a loss', () => {
    const u = op({ key: 'r', f: 'write', value: 'u', invoke: 5, result: 'unknown' });
    const c = countLoss([...h(), u, final('r', 'read', 'u')], null);
    expect(c).toMatchObject({ lost: 0, unackedSurvived: 1, failedSurvived: 0, unknown: 1 });
  });

  it('a failed write surviving is counted as such', () => {
    const f = op({ key: 'r', f: 'write', value: 'f', invoke: 40, complete: 41, result: 'fail' });
    const c = countLoss([...h(), f, final('r', 'read', 'f')], null);
    expect(c).toMatchObject({ unackedSurvived: 1, failedSurvived: 1 });
    // f "completed" (failed) at 41, after both acked writes: they are not contradicted... but f never happened
    // as far as the client knows; the survivors count makes that visible.
  });
});

describe('loss: sets and counters', () => {
  it('sets: missing acknowledged members are lost; present unacknowledged ones survived; strangers are impossible', () => {
    const ops = [
      op({ key: 's', f: 'add', value: 'm1', invoke: 0, complete: 1 }),
      op({ key: 's', f: 'add', value: 'm2', invoke: 2, complete: 3 }),
      op({ key: 's', f: 'add', value: 'm3', invoke: 4, result: 'unknown' }),
      op({ key: 's', f: 'add', value: 'm4', invoke: 5, complete: 6, result: 'fail' }),
      op({ key: 's', f: 'add', value: 'm5', invoke: 7, result: 'unknown' }),
      final('s', 'members', ['m1', 'm3', 'm4', 'mX']),
    ];
    const c = countLoss(ops, null);
    expect(c).toMatchObject({ acknowledged: 2, lost: 1, unackedSurvived: 2, failedSurvived: 1, impossibleFinal: 1, unknown: 2 });
  });

  it('counters: below the acknowledged sum is loss, above it is unknown increments, beyond those impossible', () => {
    const incs = (n: number, result: ChaosOperation['result'], t: number) =>
      Array.from({ length: n }, (_, i) => op({ key: 'c', f: 'incr', value: 1, invoke: t + i * 2, complete: t + i * 2 + 1, output: undefined, result }));
    const base = () => [...incs(5, 'ok', 0), ...incs(2, 'unknown', 100)];
    expect(countLoss([...base(), final('c', 'get', 3)], null)).toMatchObject({ acknowledged: 5, lost: 2, unackedSurvived: 0 });
    expect(countLoss([...base(), final('c', 'get', 6)], null)).toMatchObject({ lost: 0, unackedSurvived: 1, impossibleFinal: 0 });
    expect(countLoss([...base(), final('c', 'get', 9)], null)).toMatchObject({ lost: 0, unackedSurvived: 2, impossibleFinal: 2 });
    expect(countLoss([...base(), final('c', 'get', null)], null).lost).toBe(5);
  });

  it('keys the read-back could not read are reported, not judged', () => {
    const c = countLoss([w('r', 'a', 0, 1)], null);
    expect(c).toMatchObject({ acknowledged: 1, lost: 0, unreadKeys: ['r'] });
  });
});

describe('loss: wait mode classes', () => {
  it('a write whose WAIT fell short is under-replicated, its loss counted apart', () => {
    const ops = [
      w('r', 'a', 0, 10, { wait: 1 }),
      w('r', 'b', 20, 30, { wait: 0 }),
      w('r', 'c', 40, 50, { wait: -1 }),
      final('r', 'read', 'a'),
    ];
    const c = countLoss(ops, 1);
    expect(c).toMatchObject({ acknowledged: 1, lost: 0, underReplicated: 2, underReplicatedLost: 2 });
    // Outside wait mode the same writes are all plainly acknowledged.
    expect(countLoss(ops, null)).toMatchObject({ acknowledged: 3, lost: 2, underReplicated: 0 });
  });

  it('a WAIT-acknowledged write lost is in lost, not in the under-replicated class', () => {
    const ops = [w('r', 'a', 0, 10, { wait: 1 }), w('r', 'b', 20, 30, { wait: 1 }), final('r', 'read', 'a')];
    expect(countLoss(ops, 1)).toMatchObject({ acknowledged: 2, lost: 1, underReplicatedLost: 0 });
  });

  it('counters attribute loss to WAIT-acknowledged increments only where the final value forces it', () => {
    const ops = [
      ...[1, 2, 3].map((i) => op({ key: 'c', f: 'incr', value: 1, invoke: i * 10, complete: i * 10 + 1, wait: 1 })),
      ...[4, 5].map((i) => op({ key: 'c', f: 'incr', value: 1, invoke: i * 10, complete: i * 10 + 1, wait: 0 })),
    ];
    // 5 acked, final 1: at least 2 of the 3 replicated ones are gone, and 2 more.
    expect(countLoss([...ops, final('c', 'get', 1)], 1)).toMatchObject({ lost: 2, underReplicatedLost: 2 });
    // final 3 could be exactly the 3 replicated ones: only under-replicated loss is certain.
    expect(countLoss([...ops, final('c', 'get', 3)], 1)).toMatchObject({ lost: 0, underReplicatedLost: 2 });
  });
});

describe('stale and impossible reads', () => {
  it('registers: an older value after a newer write completed is stale; unwritten or future values are impossible', () => {
    const ops = [
      w('r', 'a', 0, 10),
      w('r', 'b', 20, 30),
      op({ key: 'r', f: 'read', output: 'a', invoke: 40, complete: 41 }), // stale: b completed before
      op({ key: 'r', f: 'read', output: 'a', invoke: 25, complete: 26 }), // fine: b may not have taken effect
      op({ key: 'r', f: 'read', output: 'q', invoke: 42, complete: 43 }), // never written
      op({ key: 'r', f: 'read', output: 'z', invoke: 44, complete: 45 }), // written later
      w('r', 'z', 50, 60),
      op({ key: 'r', f: 'read', output: null, invoke: 70, complete: 71 }), // stale
    ];
    expect(countLoss(ops, null)).toMatchObject({ reads: 5, staleReads: 2, impossibleReads: 2 });
  });

  it('sets and counters', () => {
    const ops = [
      op({ key: 's', f: 'add', value: 'm1', invoke: 0, complete: 1 }),
      op({ key: 's', f: 'members', output: [], invoke: 5, complete: 6 }), // stale
      op({ key: 's', f: 'members', output: ['m1', 'm9'], invoke: 7, complete: 8 }), // impossible
      op({ key: 's', f: 'members', output: ['m1'], invoke: 9, complete: 10 }),
      op({ key: 'c', f: 'incr', value: 1, invoke: 0, complete: 1, output: 1 }),
      op({ key: 'c', f: 'incr', value: 1, invoke: 2, result: 'unknown' }),
      op({ key: 'c', f: 'get', output: 0, invoke: 5, complete: 6 }), // stale
      op({ key: 'c', f: 'get', output: 2, invoke: 7, complete: 8 }), // possible: the unknown one
      op({ key: 'c', f: 'get', output: 3, invoke: 9, complete: 10 }), // impossible
    ];
    expect(countLoss(ops, null)).toMatchObject({ reads: 6, staleReads: 2, impossibleReads: 2 });
  });
});

describe('unavailability', () => {
  const fault = (at: number, primaryAfter: string, hitsPrimary = true): FaultMark => ({ at, event: 'kill', target: 'n1', hitsPrimary, primaryAfter });

  it('is the time from the fault to the first acknowledged write on the new primary', () => {
    const ops = [
      w('r', 'a', 900, 950, { node: 'n1' }),
      w('r', 'b', 1200, 1300, { node: 'n1' }), // the old primary, after the fault: does not count
      w('r', 'c', 2000, 2500, { node: 'n2' }),
      w('r', 'd', 3000, 3100, { node: 'n2' }),
    ];
    expect(unavailability(ops, [fault(1000, 'n2')], null)).toEqual([1.5]);
    expect(unavailability(ops, [fault(1000, 'n3')], null)).toEqual([null]);
    expect(unavailability(ops, [fault(1000, 'n2', false)], null)).toEqual([]);
  });

  it('in wait mode, only a WAIT-acknowledged write ends it', () => {
    const ops = [w('r', 'c', 2000, 2500, { node: 'n2', wait: 0 }), w('r', 'd', 3000, 3100, { node: 'n2', wait: 1 })];
    expect(unavailability(ops, [fault(1000, 'n2')], 1)).toEqual([2.1]);
  });
});

describe('analyzeRound', () => {
  it('a lost write makes the history (with its read-back) not linearizable', () => {
    const ok = analyzeRound([w('r', 'a', 0, 10), w('r', 'b', 20, 30), final('r', 'read', 'b')], { waitReplicas: null, faults: [] });
    expect(ok).toMatchObject({ lost: 0, linearizable: 'yes' });
    const bad = analyzeRound([w('r', 'a', 0, 10), w('r', 'b', 20, 30), final('r', 'read', 'a')], { waitReplicas: null, faults: [] });
    expect(bad).toMatchObject({ lost: 1, linearizable: 'no' });
    expect(bad.check.failures[0].key).toBe('r');
  });
});
