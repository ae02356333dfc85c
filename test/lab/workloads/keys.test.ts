import { describe, expect, it } from 'vitest';
import { keyNamer, rng, sequentialChooser, uniformChooser, valueMaker, zipfianChooser, zipfianProbability } from '../../../lab/workloads/keys.js';
import { OPS, type OpContext } from '../../../lab/workloads/ops.js';

describe('key choosers', () => {
  it('uniform stays in range and spreads evenly', () => {
    const c = uniformChooser(10, rng(1));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[c.next()]++;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  it('zipfian follows P(i) = i^-theta / zeta(n, theta)', () => {
    const n = 1000;
    const theta = 0.99;
    const c = zipfianChooser(n, theta, rng(7));
    const counts = new Map<number, number>();
    const draws = 200_000;
    let outside = 0;
    for (let i = 0; i < draws; i++) {
      const k = c.next();
      if (!(k >= 0 && k < n && Number.isInteger(k))) outside++;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(outside).toBe(0);
    // The generator is exact for ranks 0 and 1 and approximate beyond; check the head and a tail mass.
    for (const i of [0, 1]) expect((counts.get(i) ?? 0) / draws).toBeCloseTo(zipfianProbability(n, theta, i), 2);
    let head = 0;
    for (let i = 0; i < 10; i++) head += counts.get(i) ?? 0;
    let want = 0;
    for (let i = 0; i < 10; i++) want += zipfianProbability(n, theta, i);
    expect(head / draws).toBeGreaterThan(want * 0.85);
    expect(head / draws).toBeLessThan(want * 1.15);
    expect(() => zipfianChooser(10, 1, rng(1))).toThrow(/theta/);
  });

  it('sequential walks from its start and wraps', () => {
    const c = sequentialChooser(3, 2);
    expect([c.next(), c.next(), c.next(), c.next()]).toEqual([2, 0, 1, 2]);
  });

  it('key names are fixed-width, values in range and 1 byte per char', () => {
    const name = keyNamer('k:', 1000);
    expect([name(0), name(999)]).toEqual(['k:000', 'k:999']);
    const v = valueMaker(5, 9, rng(3));
    for (let i = 0; i < 1000; i++) {
      const s = v();
      expect(s.length).toBeGreaterThanOrEqual(5);
      expect(s.length).toBeLessThanOrEqual(9);
      expect(Buffer.byteLength(s)).toBe(s.length);
    }
  });
});

describe('operations', () => {
  const ctx: OpContext = { key: 'kk', value: () => 'vvvv', member: () => 'mmm', int: () => 41, ttlSeconds: 0, rangeSize: 10 };
  it('count key + data bytes of writes and nothing for reads', () => {
    const b = (op: string, c: OpContext = ctx) => OPS[op].build(c);
    expect(b('set')).toEqual({ cmd: 'SET', args: ['kk', 'vvvv'], bytes: 6 });
    expect(b('set', { ...ctx, ttlSeconds: 60 })).toEqual({ cmd: 'SET', args: ['kk', 'vvvv', 'EX', '60'], bytes: 6 });
    expect(b('incr').bytes).toBe(2);
    expect(b('incrby')).toEqual({ cmd: 'INCRBY', args: ['kk', '42'], bytes: 4 });
    expect(b('zadd')).toEqual({ cmd: 'ZADD', args: ['kk', '41', 'mmm'], bytes: 7 });
    expect(b('zrevrange')).toEqual({ cmd: 'ZREVRANGE', args: ['kk', '0', '9', 'WITHSCORES'], bytes: 0 });
    expect(b('lpush').bytes).toBe(6);
    expect(b('rpop').bytes).toBe(2);
    expect(b('hset').bytes).toBe(9);
    expect(b('get').bytes).toBe(0);
    expect(Object.values(OPS).filter((o) => o.write).map((o) => o.name)).toEqual(['set', 'del', 'incr', 'incrby', 'hset', 'zadd', 'zincrby', 'lpush', 'rpop']);
  });
});
