import { describe, expect, it } from 'vitest';
import { CLOCK_KINDS, createClock, type Clock, type FireResult } from '../../../lab/network/clock.js';
import { sleep } from './helpers.js';

const WINDOW = 0.05;

/** A scheduler in miniature: deadlines in a sorted list, fired ones recorded with their lateness. */
function harness(kind: (typeof CLOCK_KINDS)[number]) {
  const due: number[] = [];
  const late: number[] = [];
  const clock: Clock = createClock(
    kind,
    (now): FireResult => {
      let n = 0;
      while (due.length && due[0] <= now + WINDOW) {
        late.push(now - due.shift()!);
        n++;
      }
      clock.arm(due.length ? due[0] : Infinity);
      return n > 0 ? 'released' : due.length ? 'early' : 'idle';
    },
    WINDOW,
  );
  const add = (at: number) => {
    due.push(at);
    due.sort((a, b) => a - b);
    clock.arm(due[0]);
  };
  return { clock, due, late, add };
}

describe('clocks', () => {
  for (const kind of CLOCK_KINDS) {
    it(`${kind}: fires every deadline, never before its window`, async () => {
      const h = harness(kind);
      await h.clock.ready();
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) h.add(t0 + 1 + i * 0.3);
      await sleep(40);
      expect(h.due).toEqual([]);
      expect(h.late).toHaveLength(50);
      expect(Math.min(...h.late)).toBeGreaterThanOrEqual(-WINDOW);
      await h.clock.close();
    });
  }

  it('worker: sub-millisecond wake-ups, an earlier deadline wakes it, a later one does not fire early', async () => {
    const h = harness('worker');
    await h.clock.ready();
    // Later first, then an earlier one: the earlier must not wait for the later.
    const t0 = performance.now();
    h.add(t0 + 30);
    h.add(t0 + 0.5);
    await sleep(10);
    expect(h.late).toHaveLength(1);
    expect(h.due).toHaveLength(1);
    await sleep(30);
    expect(h.due).toEqual([]);
    // Typical lateness well under a millisecond (setTimeout could not do this).
    const lates: number[] = [];
    for (let i = 0; i < 40; i++) {
      const at = performance.now() + 0.3;
      h.add(at);
      await new Promise<void>((r) => {
        const poll = () => (h.due.length === 0 ? r() : setImmediate(poll));
        poll();
      });
      lates.push(h.late.at(-1)!);
    }
    lates.sort((a, b) => a - b);
    expect(lates[20]).toBeLessThan(0.65); // setTimeout(0.3) would be at least 0.7 late
    expect(h.clock.stats().fires).toBeGreaterThanOrEqual(42);
    await h.clock.close();
  });

  it('worker: never loses a deadline under arm/disarm churn', async () => {
    const h = harness('worker');
    await h.clock.ready();
    for (let round = 0; round < 300; round++) {
      const now = performance.now();
      h.add(now + Math.random() * 0.4);
      if (round % 7 === 0) h.clock.arm(Infinity); // a spurious disarm: the next fire or add must recover
      if (round % 7 === 0) h.clock.arm(h.due[0]);
      if (round % 3 === 0) await sleep(0);
    }
    const end = Date.now() + 3000;
    while (h.due.length && Date.now() < end) await sleep(2);
    expect(h.due).toEqual([]);
    expect(h.late).toHaveLength(300);
    await h.clock.close();
  });
});
