/** The newest `cap` values of a measurement (a ring), for percentiles: fsync and commit times. Pure. */
export class Samples {
  private buf: number[] = [];
  private next = 0;
  count = 0;
  constructor(private readonly cap = 10000) {}
  add(v: number): void {
    this.count++;
    if (this.buf.length < this.cap) this.buf.push(v);
    else {
      this.buf[this.next] = v;
      this.next = (this.next + 1) % this.cap;
    }
  }
  percentile(p: number): number | null {
    if (!this.buf.length) return null;
    const s = this.buf.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  }
  reset(): void {
    this.buf = [];
    this.next = 0;
    this.count = 0;
  }
}
