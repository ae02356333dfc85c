/**
 * A double-ended queue on a growable ring buffer: O(1) push and pop at both ends and O(1)
 * indexed access, which Redis lists need (LPUSH/RPOP, LINDEX, LRANGE, LSET).
 */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;

  constructor(items?: Iterable<T>) {
    this.buf = new Array(8);
    if (items) for (const x of items) this.pushBack(x);
  }

  get length(): number {
    return this.len;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }

  pushBack(x: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = x;
    this.len++;
  }

  pushFront(x: T): void {
    if (this.len === this.buf.length) this.grow();
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
    return x;
  }

  popBack(): T | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & (this.buf.length - 1);
    const x = this.buf[i];
    this.buf[i] = undefined;
    this.len--;
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
    const out: T[] = [];
    for (let i = start; i <= end; i++) out.push(this.at(i));
    return out;
  }

  toArray(): T[] {
    return this.slice(0, this.len - 1);
  }

  /** Replace the whole content (used by LREM, LINSERT, LTRIM which rebuild). */
  replaceAll(items: T[]): void {
    let cap = 8;
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
