import { describe, expect, it } from 'vitest';
import type { Operation } from '../../../lab/checker/history.js';
import { checkHistory, formatResult } from '../../../lab/checker/linearizability.js';

let nextId = 1;
function op(client: number, f: Operation['f'], value: Operation['value'], output: Operation['output'], invoke: number, complete: number | undefined, result: Operation['result'] = 'ok', key = 'k'): Operation {
  return { id: nextId++, client, key, f, value, output, invoke, complete, result };
}
const w = (c: number, v: string, t0: number, t1: number, r: Operation['result'] = 'ok', key = 'k') => op(c, 'write', v, undefined, t0, r === 'unknown' ? undefined : t1, r, key);
const rd = (c: number, out: string | null, t0: number, t1: number, key = 'k') => op(c, 'read', undefined, out, t0, t1, 'ok', key);

describe('linearizability checker (registers)', () => {
  it('accepts a sequential history', () => {
    const h = [w(1, 'a', 0, 1), rd(2, 'a', 2, 3), w(1, 'b', 4, 5), rd(2, 'b', 6, 7)];
    expect(checkHistory(h).linearizable).toBe(true);
  });

  it('accepts either order for concurrent writes, observed consistently', () => {
    const h = [w(1, 'a', 0, 10), w(2, 'b', 0, 10), rd(3, 'a', 11, 12), rd(3, 'a', 13, 14)];
    expect(checkHistory(h).linearizable).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const h = [w(1, 'a', 0, 1), w(1, 'b', 2, 3), rd(2, 'a', 4, 5)];
    const r = checkHistory(h);
    expect(r.linearizable).toBe(false);
    expect(r.failures[0].blocked.f).toBe('read');
    expect(formatResult(r)).toMatch(/NO/);
  });

  it('rejects two reads that disagree on the order of concurrent writes', () => {
    const h = [w(1, 'a', 0, 10), w(2, 'b', 0, 10), rd(3, 'a', 11, 12), rd(3, 'b', 13, 14), rd(3, 'a', 15, 16)];
    expect(checkHistory(h).linearizable).toBe(false);
  });

  it('rejects a read of a value that was never written (an impossible read)', () => {
    expect(checkHistory([w(1, 'a', 0, 1), rd(2, 'zzz', 2, 3)]).linearizable).toBe(false);
  });

  it('rejects a lost acknowledged write: a later read sees the initial state', () => {
    expect(checkHistory([w(1, 'a', 0, 1), rd(2, null, 5, 6)]).linearizable).toBe(false);
  });

  it('lets an unknown write take effect late, or never', () => {
    // The unknown write may appear after its invocation, even long after...
    expect(checkHistory([w(1, 'a', 0, 1), w(2, 'b', 2, 0, 'unknown'), rd(3, 'a', 3, 4), rd(3, 'b', 50, 51)]).linearizable).toBe(true);
    // ...or never.
    expect(checkHistory([w(1, 'a', 0, 1), w(2, 'b', 2, 0, 'unknown'), rd(3, 'a', 50, 51)]).linearizable).toBe(true);
    // But not before it was invoked.
    expect(checkHistory([w(1, 'a', 0, 1), rd(3, 'b', 2, 3), w(2, 'b', 5, 0, 'unknown')]).linearizable).toBe(false);
  });

  it('ignores failed writes, and catches them if they are observed', () => {
    expect(checkHistory([w(1, 'a', 0, 1), w(2, 'b', 2, 3, 'fail'), rd(3, 'a', 4, 5)]).linearizable).toBe(true);
    expect(checkHistory([w(1, 'a', 0, 1), w(2, 'b', 2, 3, 'fail'), rd(3, 'b', 4, 5)]).linearizable).toBe(false);
  });

  it('checks keys independently and names the failing key', () => {
    const h = [w(1, 'a', 0, 1, 'ok', 'x'), rd(2, 'a', 2, 3, 'x'), w(1, 'a', 0, 1, 'ok', 'y'), rd(2, null, 2, 3, 'y')];
    const r = checkHistory(h);
    expect(r.linearizable).toBe(false);
    expect(r.failures.map((f) => f.key)).toEqual(['y']);
    expect(r.keys).toBe(2);
  });

  it('handles a long concurrent history quickly (the cache prunes the search)', () => {
    const h: Operation[] = [];
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      // five clients, overlapping writes and reads of the latest completed value
      const c = i % 5;
      h.push(w(c, 'v' + i, t, t + 7));
      t += 2;
    }
    const last = 'v1999';
    h.push(rd(9, last, t + 100, t + 101));
    const start = Date.now();
    expect(checkHistory(h).linearizable).toBe(true);
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});

describe('linearizability checker (sets and counters)', () => {
  it('accepts set reads that include concurrent adds or not', () => {
    const h = [
      op(1, 'add', 'a', undefined, 0, 1),
      op(2, 'add', 'b', undefined, 2, 10),
      op(3, 'members', undefined, ['a'], 3, 4),
      op(3, 'members', undefined, ['a', 'b'], 11, 12),
    ];
    expect(checkHistory(h).linearizable).toBe(true);
  });

  it('rejects a set that loses an acknowledged member', () => {
    const h = [op(1, 'add', 'a', undefined, 0, 1), op(1, 'add', 'b', undefined, 2, 3), op(3, 'members', undefined, ['b'], 4, 5)];
    expect(checkHistory(h).linearizable).toBe(false);
  });

  it('checks counters: INCRBY results must be consistent', () => {
    const ok = [op(1, 'incr', 1, 1, 0, 5), op(2, 'incr', 1, 2, 0, 5), op(3, 'get', undefined, 2, 6, 7)];
    expect(checkHistory(ok).linearizable).toBe(true);
    const dup = [op(1, 'incr', 1, 1, 0, 5), op(2, 'incr', 1, 1, 0, 5)];
    expect(checkHistory(dup).linearizable).toBe(false);
  });
});
