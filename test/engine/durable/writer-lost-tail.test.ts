import { describe, expect, it } from 'vitest';
import { EntryLog } from '../../../engine/log/entry-log.js';
import { defaultLogConfig, type AppendMsg, type AppendReply } from '../../../engine/log/types.js';
import { Writer, type WriterOut } from '../../../engine/log/writer.js';

// The wiring fix in Writer.onReply: a log replica whose file lost acknowledged records (a
// torn tail cut on restart) must be streamed to again, not probed forever at its old match.
const cfg = defaultLogConfig(['L1', 'L2', 'L3'], { leaseMs: 100, heartbeatMs: 20, retransmitMs: 25, commitTimeoutMs: 200, maxInflight: 4, maxBatch: 8 });
const sends = (out: WriterOut<string>[], to: string) => out.filter((o) => o.kind === 'send' && o.to === to).map((o) => (o as { msg: AppendMsg<string> }).msg);
const reply = (from: string, m: AppendMsg<string>, ok: boolean, hint = 0): AppendReply => ({
  type: 'appendReply',
  from,
  requestEpoch: m.epoch,
  promisedEpoch: m.epoch,
  ok,
  matchIndex: ok ? m.prevIndex + m.entries.length : 0,
  hintIndex: hint,
  prevIndex: m.prevIndex,
  sentAt: m.sentAt,
});

describe('Writer and a replica that lost acknowledged entries', () => {
  it('re-sends from what the replica still holds', () => {
    const w = new Writer<string>('N1', cfg, { epoch: 1, log: new EntryLog<string>(), applied: { index: 0, epoch: 0 } }, 0);
    const first = w.flush(0);
    for (const r of ['L1', 'L2', 'L3']) w.handle(reply(r, sends(first, r)[0], true), 1);
    expect(w.ready).toBe(true);
    w.append('a', 2);
    w.append('b', 2);
    const second = w.flush(2);
    for (const r of ['L1', 'L2', 'L3']) w.handle(reply(r, sends(second, r)[0], true), 3);
    expect(w.commitIndex).toBe(3);
    // L3 restarts having lost entries 2 and 3; the next append to it (prev 3) is refused.
    w.append('c', 4);
    const third = w.flush(4);
    const toL3 = sends(third, 'L3')[0];
    expect(toL3.prevIndex).toBe(3);
    const retry = w.handle(reply('L3', toL3, false, 1), 5);
    const again = sends(retry, 'L3');
    expect(again.length).toBe(1);
    expect(again[0].prevIndex).toBe(1);
    expect(again[0].entries.map((e) => e.payload)).toEqual(['a', 'b', 'c']);
    expect(w.commitIndex).toBe(3); // never moves back
    // With L2 silent, entry 4 commits only once L3 holds it again.
    w.handle(reply('L1', sends(third, 'L1')[0], true), 5);
    expect(w.commitIndex).toBe(3);
    const done = w.handle(reply('L3', again[0], true), 6);
    expect(done.some((o) => o.kind === 'committed' && o.index === 4)).toBe(true);
  });
});
