/** Events ordered by (time, insertion order): ties run in the order they were scheduled. */
export interface SimEvent {
  t: number;
  seq: number;
  run: () => void;
}

export class EventHeap {
  private h: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.h.length;
  }

  push(t: number, run: () => void): void {
    const e = { t, seq: this.seq++, run };
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], e)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  pop(): SimEvent | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r], h[l]) ? r : l;
        if (less(last, h[c])) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  peekTime(): number {
    return this.h.length ? this.h[0].t : Infinity;
  }
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
