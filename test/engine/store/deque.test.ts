import { describe, expect, it } from 'vitest';
import { Deque } from '../../../engine/store/deque.js';
import { rng } from '../../helpers/rng.js';

describe('Deque', () => {
  it('pushes and pops at both ends across wrap-around and growth', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 5; i++) d.pushBack(i);
    for (let i = 0; i < 3; i++) expect(d.popFront()).toBe(i);
    for (let i = 5; i < 40; i++) d.pushBack(i);
    for (let i = -1; i > -10; i--) d.pushFront(i);
    expect(d.toArray()).toEqual([...Array.from({ length: 9 }, (_, i) => -9 + i), ...Array.from({ length: 37 }, (_, i) => i + 3)]);
    expect(d.popBack()).toBe(39);
    expect(d.at(0)).toBe(-9);
    expect(d.length).toBe(45);
  });

  it('returns undefined when popping an empty deque and throws on bad indexes', () => {
    const d = new Deque<string>();
    expect(d.popFront()).toBeUndefined();
    expect(d.popBack()).toBeUndefined();
    expect(() => d.at(0)).toThrow(/invariant/);
    expect(() => d.insert(1, 'x')).toThrow(/invariant/);
    expect(() => d.removeAt(0)).toThrow(/invariant/);
    expect(d.toArray()).toEqual([]);
  });

  it('shrinks after draining so a once-large list frees its slots', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 10_000; i++) d.pushBack(i);
    expect(d.capacity).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < 9_990; i++) expect(d.popFront()).toBe(i);
    expect(d.capacity).toBeLessThanOrEqual(64);
    expect(d.toArray()).toEqual([9990, 9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999]);
    d.deleteBack(10);
    expect(d.length).toBe(0);
    expect(d.capacity).toBe(8);
  });

  it('matches an array model under a random mix of every operation', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const r = rng(seed);
      const d = new Deque<number>();
      const m: number[] = [];
      let next = 0;
      for (let step = 0; step < 4000; step++) {
        const op = Math.floor(r() * 12);
        const i = m.length ? Math.floor(r() * m.length) : 0;
        switch (op) {
          case 0:
          case 1:
            d.pushBack(next);
            m.push(next++);
            break;
          case 2:
          case 3:
            d.pushFront(next);
            m.unshift(next++);
            break;
          case 4:
            expect(d.popFront()).toBe(m.shift());
            break;
          case 5:
            expect(d.popBack()).toBe(m.pop());
            break;
          case 6: {
            const at = Math.floor(r() * (m.length + 1));
            d.insert(at, next);
            m.splice(at, 0, next++);
            break;
          }
          case 7:
            if (m.length) expect(d.removeAt(i)).toBe(m.splice(i, 1)[0]);
            break;
          case 8: {
            const n = Math.floor(r() * 4);
            d.deleteFront(n);
            m.splice(0, n);
            const k = Math.floor(r() * 4);
            d.deleteBack(k);
            m.splice(Math.max(0, m.length - k), k);
            break;
          }
          case 9: {
            // Values repeat (mod 5) so removeValue has several matches to choose from.
            const v = Math.floor(r() * 5);
            for (let j = 0; j < m.length; j++) if (r() < 0.3) {
              m[j] = v;
              d.set(j, v);
            }
            const limit = Math.floor(r() * 3);
            const fromTail = r() < 0.5;
            let removed = 0;
            if (fromTail) {
              for (let j = m.length - 1; j >= 0; j--) if (m[j] === v && (limit === 0 || removed < limit)) {
                m.splice(j, 1);
                removed++;
              }
            } else {
              for (let j = 0; j < m.length; ) {
                if (m[j] === v && (limit === 0 || removed < limit)) {
                  m.splice(j, 1);
                  removed++;
                } else j++;
              }
            }
            expect(d.removeValue(v, limit, fromTail)).toBe(removed);
            break;
          }
          case 10:
            if (m.length) {
              const e = i + Math.floor(r() * (m.length - i));
              expect(d.slice(i, e)).toEqual(m.slice(i, e + 1));
              expect(d.sliceReversed(i, e)).toEqual(m.slice(i, e + 1).reverse());
              expect(d.indexOf(m[e])).toBe(m.indexOf(m[e]));
            }
            break;
          default:
            if (m.length) expect(d.at(i)).toBe(m[i]);
        }
        expect(d.length).toBe(m.length);
      }
      expect(d.toArray()).toEqual(m);
      expect([...d]).toEqual(m);
    }
  });

  it('replaceAll resets content and capacity', () => {
    const d = new Deque<number>([1, 2, 3]);
    d.replaceAll(Array.from({ length: 20 }, (_, i) => i));
    expect(d.length).toBe(20);
    expect(d.capacity).toBe(32);
    d.pushFront(-1);
    expect(d.at(0)).toBe(-1);
    expect(d.at(20)).toBe(19);
  });
});
