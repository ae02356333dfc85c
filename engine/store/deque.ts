const MIN_CAPACITY = 8;

/**
 * A double-ended queue on a growable ring buffer: O(1) push and pop at both ends and O(1)
 * indexed access, which Redis lists need (LPUSH/RPOP, LINDEX, LRANGE, LSET). The capacity
 * is a power of two so that wrapping is a mask; it shrinks when the deque empties out, so a
 * list that was once large does not keep its memory.
 */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;

  constructor(items?: Iterable<T>) {
    this.buf = new Array(MIN_CAPACITY);
    if (items) for (const x of items) this.pushBack(x);
  }

  get length(): number {
    return this.len;
  }

  /** Slots allocated (tests and memory accounting). */
  get capacity(): number {
    return this.buf.length;
  }

  private resize(cap: number): void {
    const old = this.buf;
    const mask = old.length - 1;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & mask];
    this.buf = next;
    this.head = 0;
  }

  // Hysteresis (shrink at a quarter, to half) keeps push/pop at a boundary amortized O(1).
  private maybeShrink(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY && this.len <= cap >>> 2) {
      let next = cap >>> 1;
      while (next > MIN_CAPACITY && this.len <= next >>> 2) next >>>= 1;
      this.resize(next);
    }
  }

  pushBack(x: T): void {
    if (this.len === this.buf.length) this.resize(this.len * 2);
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = x;
    this.len++;
  }

  pushFront(x: T): void {
    if (this.len === this.buf.length) this.resize(this.len * 2);
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = x;
    this.len++;
  }

  popFront(): T | undefined {
    if (this.len === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    if (this.len <= this.buf.length >>> 2) this.maybeShrink();
    return x;
  }

  popBack(): T | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & (this.buf.length - 1);
    const x = this.buf[i];
    this.buf[i] = undefined;
    this.len--;
    if (this.len <= this.buf.length >>> 2) this.maybeShrink();
    return x;
  }

  /** Element at index 0..length-1 (caller checks bounds). */
  at(i: number): T {
    if (i < 0 || i >= this.len) throw new Error(`invariant: deque index ${i} out of range`);
    return this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }

  set(i: number, x: T): void {
    if (i < 0 || i >= this.len) throw new Error(`invariant: deque index ${i} out of range`);
    this.buf[(this.head + i) & (this.buf.length - 1)] = x;
  }

  /** Elements start..end inclusive (caller clamps). */
  slice(start: number, end: number): T[] {
    if (start < 0 || end >= this.len) throw new Error(`invariant: deque slice ${start}..${end} out of range`);
    const n = end - start + 1;
    if (n <= 0) return [];
    const out = new Array<T>(n);
    const buf = this.buf;
    const mask = buf.length - 1;
    let p = this.head + start;
    for (let i = 0; i < n; i++) out[i] = buf[(p++) & mask] as T;
    return out;
  }

  /** Elements end..start inclusive, last first (RPOP with a count replies tail first). */
  sliceReversed(start: number, end: number): T[] {
    if (start < 0 || end >= this.len) throw new Error(`invariant: deque slice ${start}..${end} out of range`);
    const n = end - start + 1;
    if (n <= 0) return [];
    const out = new Array<T>(n);
    const buf = this.buf;
    const mask = buf.length - 1;
    let p = this.head + end;
    for (let i = 0; i < n; i++) out[i] = buf[(p--) & mask] as T;
    return out;
  }

  toArray(): T[] {
    return this.len === 0 ? [] : this.slice(0, this.len - 1);
  }

  /** Drop the first n elements (clamped). O(n). */
  deleteFront(n: number): void {
    if (n <= 0) return;
    if (n > this.len) n = this.len;
    const buf = this.buf;
    const mask = buf.length - 1;
    for (let i = 0; i < n; i++) buf[(this.head + i) & mask] = undefined;
    this.head = (this.head + n) & mask;
    this.len -= n;
    this.maybeShrink();
  }

  /** Drop the last n elements (clamped). O(n). */
  deleteBack(n: number): void {
    if (n <= 0) return;
    if (n > this.len) n = this.len;
    const buf = this.buf;
    const mask = buf.length - 1;
    for (let i = this.len - n; i < this.len; i++) buf[(this.head + i) & mask] = undefined;
    this.len -= n;
    this.maybeShrink();
  }

  /** Insert x so that it lands at index i (0..length); moves the shorter side. */
  insert(i: number, x: T): void {
    if (i < 0 || i > this.len) throw new Error(`invariant: deque insert at ${i} out of range`);
    if (i === 0) return this.pushFront(x);
    if (i === this.len) return this.pushBack(x);
    if (this.len === this.buf.length) this.resize(this.len * 2);
    const buf = this.buf;
    const mask = buf.length - 1;
    if (i < this.len >>> 1) {
      // Shift elements 0..i-1 one slot towards the front.
      this.head = (this.head - 1) & mask;
      for (let j = 0; j < i; j++) buf[(this.head + j) & mask] = buf[(this.head + j + 1) & mask];
    } else {
      for (let j = this.len; j > i; j--) buf[(this.head + j) & mask] = buf[(this.head + j - 1) & mask];
    }
    buf[(this.head + i) & mask] = x;
    this.len++;
  }

  /** Remove and return the element at index i; moves the shorter side. */
  removeAt(i: number): T {
    if (i < 0 || i >= this.len) throw new Error(`invariant: deque remove at ${i} out of range`);
    const buf = this.buf;
    const mask = buf.length - 1;
    const x = buf[(this.head + i) & mask] as T;
    if (i < this.len >>> 1) {
      for (let j = i; j > 0; j--) buf[(this.head + j) & mask] = buf[(this.head + j - 1) & mask];
      buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      for (let j = i; j < this.len - 1; j++) buf[(this.head + j) & mask] = buf[(this.head + j + 1) & mask];
      buf[(this.head + this.len - 1) & mask] = undefined;
    }
    this.len--;
    this.maybeShrink();
    return x;
  }

  /**
   * Remove elements equal (===) to x: at most `limit` of them (0 = all), scanning from the
   * head, or from the tail when `fromTail`. One compacting pass, O(n). Returns how many.
   */
  removeValue(x: T, limit: number, fromTail: boolean): number {
    const buf = this.buf;
    const mask = buf.length - 1;
    const n = this.len;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = buf[(this.head + r) & mask];
        if (v === x && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (w !== r) buf[(this.head + w) & mask] = v;
        w++;
      }
      for (let j = w; j < n; j++) buf[(this.head + j) & mask] = undefined;
    } else {
      // Compact towards the tail, then move the head forward.
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = buf[(this.head + r) & mask];
        if (v === x && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (w !== r) buf[(this.head + w) & mask] = v;
        w--;
      }
      for (let j = 0; j < removed; j++) buf[(this.head + j) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.len = n - removed;
    if (removed) this.maybeShrink();
    return removed;
  }

  /** Index of the first element equal to x at or after `from`, or -1. */
  indexOf(x: T, from = 0): number {
    const buf = this.buf;
    const mask = buf.length - 1;
    for (let i = from < 0 ? 0 : from; i < this.len; i++) if (buf[(this.head + i) & mask] === x) return i;
    return -1;
  }

  /** Replace the whole content. */
  replaceAll(items: T[]): void {
    let cap = MIN_CAPACITY;
    while (cap < items.length) cap *= 2;
    this.buf = new Array(cap);
    for (let i = 0; i < items.length; i++) this.buf[i] = items[i];
    this.head = 0;
    this.len = items.length;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }
}
