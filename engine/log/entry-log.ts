import { invariant, type Entry, type Position } from './types.js';

/**
 * An in-memory log suffix: entries base.index+1 .. lastIndex, contiguous, epochs never
 * decreasing. Everything at or below `base` is committed and lives in a snapshot (or the
 * log is empty: base 0/0). Shared by replicas, writers and followers.
 */
export class EntryLog<P = unknown> {
  private baseIndex: number;
  private baseEpoch: number;
  private items: Entry<P>[] = [];

  constructor(base: Position = { index: 0, epoch: 0 }, entries: readonly Entry<P>[] = []) {
    this.baseIndex = base.index;
    this.baseEpoch = base.epoch;
    for (const e of entries) this.push(e);
  }

  get base(): Position {
    return { index: this.baseIndex, epoch: this.baseEpoch };
  }
  get lastIndex(): number {
    return this.baseIndex + this.items.length;
  }
  get lastEpoch(): number {
    return this.items.length ? this.items[this.items.length - 1].epoch : this.baseEpoch;
  }
  get last(): Position {
    return { index: this.lastIndex, epoch: this.lastEpoch };
  }
  get length(): number {
    return this.items.length;
  }

  /** Epoch at `index`, or undefined when the entry is not held (trimmed away or beyond the end). */
  epochAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseEpoch;
    if (index < this.baseIndex || index > this.lastIndex) return undefined;
    return this.items[index - this.baseIndex - 1].epoch;
  }

  get(index: number): Entry<P> | undefined {
    if (index <= this.baseIndex || index > this.lastIndex) return undefined;
    return this.items[index - this.baseIndex - 1];
  }

  /** Entries from..to inclusive, clamped to what is held. */
  slice(from: number, to: number): Entry<P>[] {
    const lo = Math.max(from, this.baseIndex + 1) - this.baseIndex - 1;
    const hi = Math.min(to, this.lastIndex) - this.baseIndex;
    return lo < hi ? this.items.slice(lo, hi) : [];
  }

  push(e: Entry<P>): void {
    invariant(e.index === this.lastIndex + 1, `log append out of order: ${e.index} after ${this.lastIndex}`);
    invariant(e.epoch >= this.lastEpoch, `log epoch went back: ${e.epoch} after ${this.lastEpoch} at ${e.index}`);
    this.items.push(e);
  }

  /** Drop entries at and after `index`. */
  truncateFrom(index: number): void {
    invariant(index > this.baseIndex, `truncate at ${index} below the snapshot base ${this.baseIndex}`);
    if (index <= this.lastIndex) this.items.length = index - this.baseIndex - 1;
  }

  /** Drop entries at and below `index`, which must be held; it becomes the base. */
  trimTo(index: number): void {
    if (index <= this.baseIndex) return;
    const epoch = this.epochAt(index);
    invariant(epoch !== undefined, `trim to ${index}, not held (last ${this.lastIndex})`);
    this.items = this.items.slice(index - this.baseIndex);
    this.baseIndex = index;
    this.baseEpoch = epoch;
  }

  /** Replace everything by a committed snapshot position. */
  reset(base: Position): void {
    this.items = [];
    this.baseIndex = base.index;
    this.baseEpoch = base.epoch;
  }

  /** First index of the run of entries sharing the epoch at `index` (for mismatch hints). */
  runStart(index: number): number {
    const epoch = this.epochAt(index);
    // Epochs never decrease along the log: binary search for the run's start.
    let lo = this.baseIndex + 1;
    let hi = index;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid - this.baseIndex - 1].epoch === epoch) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  clone(): EntryLog<P> {
    const c = new EntryLog<P>(this.base);
    c.items = this.items.slice();
    return c;
  }
}
