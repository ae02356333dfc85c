/**
 * A small log-linear histogram of durations in microseconds (integers), for the delay
 * line's per-link statistics and the probe. Exact below 256 us, then 128 sub-buckets per
 * power of two (under 0.8% error): cheap enough to record every chunk, 16 KiB each.
 */

const LINEAR = 256;
const SUB = 128;
const SUB_BITS = 7;
const MAX_EXP = 36; // up to 2^36 us (19 hours); larger values clamp

function indexOf(us: number): number {
  if (us < LINEAR) return us < 0 ? 0 : us;
  if (us >= 2 ** MAX_EXP) us = 2 ** MAX_EXP - 1;
  // Math.clz32 only sees 32 bits.
  const e = us < 0x1_0000_0000 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const shift = e - SUB_BITS;
  return LINEAR + (e - 8) * SUB + (Math.floor(us / 2 ** shift) - SUB);
}

/** The lowest value that lands in bucket i (what percentiles report). */
function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const e = Math.floor((i - LINEAR) / SUB) + 8;
  const sub = (i - LINEAR) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

const SIZE = LINEAR + (MAX_EXP - 8) * SUB;

export interface Summary {
  count: number;
  /** Milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private counts = new Uint32Array(SIZE);
  count = 0;
  private sum = 0;
  private minUs = Infinity;
  private maxUs = 0;

  /** Record a duration given in milliseconds (stored as whole microseconds). */
  recordMs(ms: number): void {
    this.recordUs(Math.round(ms * 1000));
  }

  recordUs(us: number): void {
    us = us >= 0 ? Math.floor(us) : 0;
    this.counts[indexOf(us)]++;
    this.count++;
    this.sum += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Percentile in milliseconds (q in 0..100); NaN when empty. */
  percentileMs(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((q / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(Math.max(valueOf(i), this.minUs), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): Summary {
    if (this.count === 0) return { count: 0, min: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
    return {
      count: this.count,
      min: this.minUs / 1000,
      mean: this.sum / this.count / 1000,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: this.maxUs / 1000,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
  }
}

/** Exposed for the tests of the bucket layout. */
export const _layout = { indexOf, valueOf, SIZE };
