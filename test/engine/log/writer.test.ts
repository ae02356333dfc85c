import { describe, expect, it } from 'vitest';
import { EntryLog } from '../../../engine/log/entry-log.js';
import { defaultLogConfig, leaseMargin, type AppendMsg, type AppendReply, type Bugs, type Entry, type LogConfig } from '../../../engine/log/types.js';
import { Writer, type WriterOut } from '../../../engine/log/writer.js';

const L = 100;
// Every append in flight leaves at once here (eagerInflight = maxInflight); holding has its own test.
const cfg = (bugs?: Bugs, over: Partial<LogConfig> = {}) =>
  defaultLogConfig(['L1', 'L2', 'L3'], { leaseMs: L, heartbeatMs: 20, retransmitMs: 25, commitTimeoutMs: 200, maxInflight: 4, eagerInflight: 4, maxBatch: 8, bugs, ...over });

const appends = (out: WriterOut<string>[], to?: string) =>
  out.filter((o) => o.kind === 'send' && (!to || o.to === to)).map((o) => (o as { to: string; msg: AppendMsg<string> }).msg);
const kinds = (out: WriterOut<string>[]) => out.map((o) => o.kind);

function ack(from: string, m: AppendMsg<string>, over: Partial<AppendReply> = {}): AppendReply {
  return {
    type: 'appendReply',
    from,
    requestEpoch: m.epoch,
    promisedEpoch: m.epoch,
    ok: true,
    matchIndex: m.prevIndex + m.entries.length,
    hintIndex: 0,
    prevIndex: m.prevIndex,
    sentAt: m.sentAt,
    ...over,
  };
}

/** A writer in epoch `epoch` whose no-op (index 1 on an empty log) is committed and which serves. */
function serving(bugs?: Bugs, now = 1000, over: Partial<LogConfig> = {}) {
  const w = new Writer<string>('N1', cfg(bugs, over), { epoch: 1, log: new EntryLog<string>(), applied: { index: 0, epoch: 0 } }, now);
  const out = w.flush(now);
  for (const id of ['L1', 'L2']) w.handle(ack(id, appends(out, id)[0]), now + 1);
  expect(w.ready).toBe(true);
  return w;
}

describe('Writer: commit', () => {
  it('serves only after its no-op commits on a majority, applying the adopted tail first', () => {
    const log = new EntryLog<string>({ index: 0, epoch: 0 }, [
      { index: 1, epoch: 1, payload: 'a' },
      { index: 2, epoch: 1, payload: 'b' },
    ]);
    // The engine had applied 1; 2 is an adopted, maybe-uncommitted entry of epoch 1.
    const w = new Writer<string>('N2', cfg(), { epoch: 2, log, applied: { index: 1, epoch: 1 } }, 0);
    const out = w.flush(0);
    const toL1 = appends(out, 'L1')[0];
    expect(toL1.entries.map((e) => `${e.index}@${e.epoch}`)).toEqual(['3@2']);
    expect(w.canServe(1)).toBe(false);
    expect(kinds(w.handle(ack('L1', toL1), 1))).not.toContain('becameWriter');
    const done = w.handle(ack('L2', appends(out, 'L2')[0]), 2);
    expect(kinds(done)).toEqual(['committed', 'apply', 'becameWriter']);
    expect((done[1] as unknown as { entries: readonly Entry<string>[] }).entries.map((e) => e.index)).toEqual([2, 3]);
    expect(w.ready).toBe(true);
    expect(w.canServe(3)).toBe(true);
  });

  it('does not count an older-epoch entry as committed just because a majority holds it', () => {
    const log = new EntryLog<string>({ index: 0, epoch: 0 }, [{ index: 1, epoch: 1, payload: 'a' }]);
    const w = new Writer<string>('N2', cfg(), { epoch: 2, log, applied: { index: 0, epoch: 0 } }, 0);
    const m = appends(w.flush(0), 'L1')[0]; // noop at 2, prev 1@1
    // Two replicas confirm they hold index 1 (e.g. a heartbeat matched there), not the no-op.
    w.handle(ack('L1', m, { matchIndex: 1 }), 1);
    w.handle(ack('L2', m, { matchIndex: 1 }), 1);
    expect(w.commitIndex).toBe(0);
  });

  it('commits on a majority, not on one replica', () => {
    const w = serving();
    const i = w.append('x', 1010);
    const out = w.flush(1010);
    expect(kinds(w.handle(ack('L2', appends(out, 'L2')[0]), 1011))).not.toContain('committed');
    expect(w.commitIndex).toBe(1);
    const c = w.handle(ack('L1', appends(out, 'L1')[0]), 1012);
    expect(c[0]).toEqual({ kind: 'committed', index: i });
  });

  it('with commitOnMinority (a broken variant) one ack commits', () => {
    const w = serving({ commitOnMinority: true });
    const i = w.append('x', 1010);
    const out = w.flush(1010);
    w.handle(ack('L2', appends(out, 'L2')[0]), 1011);
    expect(w.commitIndex).toBe(i);
  });

  it('pipelines: sends the next batch before the previous one is acknowledged', () => {
    const w = serving();
    w.append('a', 1010);
    const first = appends(w.flush(1010), 'L1');
    w.append('b', 1011);
    const second = appends(w.flush(1011), 'L1');
    expect(first.map((m) => m.prevIndex)).toEqual([1]);
    expect(second.map((m) => [m.prevIndex, m.entries.length])).toEqual([[2, 1]]);
  });

  it('past eagerInflight, holds an entry up to holdMs to gather, and sends at once when an ack frees a slot', () => {
    const w = serving(undefined, 1000, { eagerInflight: 2, holdMs: 1 });
    const sent = ['a', 'b'].map((e, k) => {
      w.append(e, 1010 + k);
      return appends(w.flush(1010 + k), 'L2');
    });
    expect(sent.map((m) => m.length)).toEqual([1, 1]);
    expect(w.holdUntil()).toBeNull();
    // Two in flight: c and d wait, gathered, until c is holdMs old.
    w.append('c', 1012);
    expect(appends(w.flush(1012), 'L2')).toEqual([]);
    w.append('d', 1012.5);
    expect(appends(w.flush(1012.5), 'L2')).toEqual([]);
    expect(w.holdUntil()).toBe(1013);
    const late = appends(w.flush(1013), 'L2');
    expect(late.map((m) => m.entries.map((e) => e.payload))).toEqual([['c', 'd']]);
    // An ack frees a slot below eagerInflight... (3 in flight, ack one: still 2, e is held)
    w.append('e', 1014);
    expect(appends(w.handle(ack('L2', sent[0][0]), 1014), 'L2')).toEqual([]);
    // ...a second ack gets below it: e leaves at once, without waiting out its hold.
    const freed = appends(w.handle(ack('L2', sent[1][0]), 1014.2), 'L2');
    expect(freed.map((m) => m.entries.map((e) => e.payload))).toEqual([['e']]);
    // tick() sends what is due too (progress without the engine's timer).
    w.append('f', 1015);
    expect(appends(w.flush(1015), 'L2')).toEqual([]);
    expect(appends(w.tick(1016), 'L2').some((m) => m.entries.some((e) => e.payload === 'f'))).toBe(true);
  });

  it('backs up to the hint on a mismatch and probes from there', () => {
    const w = serving();
    const batches = [0, 1, 2].map((k) => {
      w.append(`e${k}`, 1010 + k);
      return appends(w.flush(1010 + k), 'L2')[0];
    });
    expect(batches.map((m) => m.prevIndex)).toEqual([1, 2, 3]);
    // The first two batches were lost: L2 holds nothing after 1.
    const back = appends(w.handle(ack('L2', batches[2], { ok: false, matchIndex: 0, hintIndex: 1 }), 1013), 'L2');
    expect(back.map((m) => [m.prevIndex, m.entries.map((e) => e.index)])).toEqual([[1, [2, 3, 4]]]);
    // Probing: nothing more goes out until that probe is answered.
    w.append('e3', 1014);
    expect(appends(w.flush(1014), 'L2')).toEqual([]);
    const resumed = appends(w.handle(ack('L2', back[0]), 1015), 'L2');
    expect(resumed.map((m) => [m.prevIndex, m.entries.map((e) => e.index)])).toEqual([[4, [5]]]);
  });

  it('probes a silent replica one batch at a time, resending after the retransmit interval', () => {
    const w = serving();
    w.append('a', 1010);
    // L3 never answered the no-op: no pipelining to it, one probe outstanding.
    expect(appends(w.flush(1010), 'L3')).toEqual([]);
    const re = appends(w.tick(1040), 'L3');
    expect(re.map((m) => [m.prevIndex, m.entries.map((e) => e.index)])).toEqual([[0, [1, 2]]]);
  });

  it('resends a lost pipelined batch once nothing was acknowledged for the interval', () => {
    const w = serving();
    w.append('a', 1010);
    const lost = appends(w.flush(1010), 'L2');
    expect(lost.map((m) => m.prevIndex)).toEqual([1]);
    expect(appends(w.tick(1020), 'L2').filter((m) => m.entries.length)).toEqual([]);
    const again = appends(w.tick(1036), 'L2').filter((m) => m.entries.length);
    expect(again.map((m) => m.entries.map((e) => e.index))).toEqual([[2]]);
  });
});

describe('Writer: lease', () => {
  it('is the send time of the latest append a majority answered, plus L minus the drift margin', () => {
    const w = serving(undefined, 1000);
    const margin = leaseMargin(L, 0.01);
    expect(margin).toBeCloseTo((2 * 0.01 * L) / 1.01);
    expect(w.leaseExpiry()).toBeCloseTo(1000 + L - margin);
    expect(w.canServe(1000 + L - margin - 0.001)).toBe(true);
    expect(w.canServe(1000 + L - margin)).toBe(false);
    // A heartbeat sent at 1050 renews it once a majority answers, not before.
    const hb = w.tick(1050);
    w.handle(ack('L1', appends(hb, 'L1')[0]), 1051);
    expect(w.leaseExpiry()).toBeCloseTo(1000 + L - margin);
    w.handle(ack('L3', appends(hb, 'L3')[0]), 1052);
    expect(w.leaseExpiry()).toBeCloseTo(1050 + L - margin);
  });

  it('a mismatch answer still counts for the lease: the replica accepted the epoch', () => {
    const w = serving(undefined, 1000);
    const hb = w.tick(1050);
    w.handle(ack('L1', appends(hb, 'L1')[0], { ok: false, hintIndex: 0 }), 1051);
    w.handle(ack('L2', appends(hb, 'L2')[0], { ok: false, hintIndex: 0 }), 1051);
    expect(w.leaseExpiry()).toBeCloseTo(1050 + L - leaseMargin(L, 0.01));
  });

  it('with noLeaseCheck (a broken variant) it serves long after the lease', () => {
    expect(serving({ noLeaseCheck: true }).canServe(1e9)).toBe(true);
    expect(serving().canServe(1e9)).toBe(false);
  });
});

describe('Writer: fencing', () => {
  it('stops at once on a higher epoch: pending entries are outcome-unknown and memory must go', () => {
    const w = serving();
    w.append('a', 1010);
    w.append('b', 1010);
    const out = w.flush(1010);
    const f = w.handle(ack('L2', appends(out, 'L2')[0], { ok: false, promisedEpoch: 5 }), 1011);
    expect(f).toEqual([{ kind: 'fenced', epoch: 1, reason: 'epoch', seenEpoch: 5, unknownFrom: 2, unknownTo: 3, discardMemory: true }]);
    expect(w.canServe(1012)).toBe(false);
    expect(w.tick(1013)).toEqual([]);
    expect(() => w.append('c', 1014)).toThrow(/invariant/);
  });

  it('an entry not committed by the deadline fences it too (never a definite failure)', () => {
    const w = serving();
    w.append('a', 1010);
    w.flush(1010);
    expect(kinds(w.tick(1200))).not.toContain('fenced');
    const f = w.tick(1211);
    expect(f[0]).toMatchObject({ kind: 'fenced', reason: 'timeout', unknownFrom: 2, unknownTo: 2 });
  });

  it('a writer fenced before it served keeps its memory (it applied nothing uncommitted)', () => {
    const w = new Writer<string>('N1', cfg(), { epoch: 3, log: new EntryLog<string>(), applied: { index: 0, epoch: 0 } }, 0);
    const m = appends(w.flush(0), 'L1')[0];
    expect(w.handle(ack('L1', m, { ok: false, promisedEpoch: 4 }), 1)[0]).toMatchObject({ kind: 'fenced', discardMemory: false });
  });
});
