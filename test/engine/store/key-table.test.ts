import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../../engine/store/key-table.js';
import { rng } from '../../helpers/rng.js';

function fullScan(t: KeyTable<unknown>, count: number, between?: (step: number) => void): string[] {
  const seen: string[] = [];
  let cursor = 0;
  let steps = 0;
  do {
    const r = t.scan(cursor, count);
    seen.push(...r.keys);
    cursor = r.cursor;
    between?.(steps++);
    if (steps > 1_000_000) throw new Error('scan does not terminate');
  } while (cursor !== 0);
  return seen;
}

describe('KeyTable', () => {
  it('behaves like a Map under random sets, deletes and clears', () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const t = new KeyTable<number>();
      const m = new Map<string, number>();
      for (let op = 0; op < 20_000; op++) {
        const k = 'k' + Math.floor(random() * 500);
        const r = random();
        if (r < 0.5) {
          t.set(k, op);
          m.set(k, op);
        } else if (r < 0.8) {
          expect(t.delete(k)).toBe(m.delete(k));
        } else if (r < 0.9995) {
          expect(t.get(k)).toBe(m.get(k));
          expect(t.has(k)).toBe(m.has(k));
        } else {
          t.clear();
          m.clear();
        }
        expect(t.size).toBe(m.size);
      }
      expect(new Map(t.entries())).toEqual(m);
      expect([...t.keys()].sort()).toEqual([...m.keys()].sort());
      expect([...t.values()].sort()).toEqual([...m.values()].sort());
    }
  });

  it('keeps binary keys apart and refuses undefined values', () => {
    const t = new KeyTable<string>();
    const keys = ['', '\x00', '\x00\x00', '\xff', 'a\r\nb', 'é'];
    keys.forEach((k, i) => t.set(k, String(i)));
    keys.forEach((k, i) => expect(t.get(k)).toBe(String(i)));
    expect(t.size).toBe(keys.length);
    expect(() => t.set('x', undefined as unknown as string)).toThrow(/invariant/);
  });

  it('grows to stay at most half full and shrinks after mass deletion', () => {
    const t = new KeyTable<number>();
    for (let i = 0; i < 100_000; i++) t.set('key:' + i, i);
    expect(t.capacity).toBeGreaterThanOrEqual(200_000);
    // Doubling, not quadrupling: 100,000 keys fit 2^18 slots at most half full.
    expect(t.capacity).toBe(2 ** 18);
    const big = new KeyTable<number>();
    for (let i = 0; i < 1_000_000; i++) big.set('k' + i, i);
    expect(big.capacity).toBe(2 ** 21);
    let deleted = 0;
    for (let i = 0; i < 99_990; i++) if (t.delete('key:' + i)) deleted++;
    expect(deleted).toBe(99_990);
    expect(t.size).toBe(10);
    expect(t.capacity).toBeLessThan(1024);
    for (let i = 99_990; i < 100_000; i++) expect(t.get('key:' + i)).toBe(i);
  });

  it('reuses tombstones without losing keys further along the probe run', () => {
    const t = new KeyTable<number>();
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) t.set(`r${round}:${i}`, i);
      for (let i = 0; i < 7; i += 2) t.delete(`r${round}:${i}`);
      for (let i = 1; i < 7; i += 2) t.set(`r${round}:${i}`, i * 10);
    }
    expect(t.size).toBe(50 * 3);
    for (let round = 0; round < 50; round++) for (let i = 1; i < 7; i += 2) expect(t.get(`r${round}:${i}`)).toBe(i * 10);
  });

  it('iterates every live key while keys are deleted during the walk', () => {
    const t = new KeyTable<number>();
    for (let i = 0; i < 1000; i++) t.set('k' + i, i);
    const seen = new Set<string>();
    for (const k of t.keys()) {
      seen.add(k);
      // Delete keys ahead of and behind the cursor; no shrink happens at this size.
      if (Number(k.slice(1)) % 3 === 0) t.delete(k);
    }
    expect(seen.size).toBe(1000);
  });

  it('SCAN returns each key once on a stable table, and 0 when empty', () => {
    const t = new KeyTable<number>();
    expect(t.scan(0, 10)).toEqual({ cursor: 0, keys: [] });
    for (let i = 0; i < 5000; i++) t.set('k' + i, i);
    for (const count of [1, 10, 1000]) {
      const seen = fullScan(t, count);
      expect(seen.length).toBe(5000);
      expect(new Set(seen).size).toBe(5000);
    }
  });

  it('SCAN returns every key present for the whole scan while the table grows and shrinks', () => {
    for (const seed of [7, 8]) {
      const random = rng(seed);
      const t = new KeyTable<number>();
      const stable = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        t.set('stable' + i, i);
        stable.add('stable' + i);
      }
      let extra = 0;
      const seen = new Set(
        fullScan(t, 5, (step) => {
          // Grow past several doublings, then delete most of the churn so it shrinks.
          if (step < 60) for (let i = 0; i < 400; i++) t.set('churn' + extra++, i);
          else if (step === 60) for (let i = 0; i < extra; i++) t.delete('churn' + i);
          else if (random() < 0.3) t.set('late' + step, step);
        }),
      );
      for (const k of stable) expect(seen.has(k)).toBe(true);
    }
  });

  it('randomKey picks live keys only', () => {
    const t = new KeyTable<number>();
    expect(t.randomKey()).toBeUndefined();
    for (let i = 0; i < 100; i++) t.set('k' + i, i);
    for (let i = 0; i < 100; i += 2) t.delete('k' + i);
    const random = rng(3);
    const picked = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const k = t.randomKey(random)!;
      expect(t.has(k)).toBe(true);
      picked.add(k);
    }
    expect(picked.size).toBeGreaterThan(40);
  });
});
