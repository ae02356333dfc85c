/**
 * The replication backlog: a circular buffer holding the last `size` bytes of the
 * replication stream, so that a replica that lost its link can continue from its offset.
 * Offsets are Redis's: byte N of the stream has offset N (the first byte is 1);
 * `firstOffset` is the offset of the oldest byte held (repl_backlog_first_byte_offset).
 */
export class Backlog {
  private buf: Buffer;
  /** Where the next byte goes in `buf`. */
  private idx = 0;
  /** Bytes held (repl_backlog_histlen). */
  histlen = 0;
  /** Offset of the oldest byte held. */
  firstOffset: number;

  constructor(
    size: number,
    /** master_repl_offset + 1 when the backlog is created: the next byte's offset. */
    startOffset: number,
  ) {
    if (!(size >= 1)) throw new Error(`invariant: backlog size ${size} < 1`);
    this.buf = Buffer.allocUnsafe(size);
    this.firstOffset = startOffset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** Offset of the last byte held (firstOffset - 1 when empty). */
  get lastOffset(): number {
    return this.firstOffset + this.histlen - 1;
  }

  append(data: string | Buffer): void {
    const n = data.length;
    if (n === 0) return;
    const size = this.buf.length;
    const end = this.lastOffset + n;
    if (n >= size) {
      // Only the tail survives.
      const tail = typeof data === 'string' ? Buffer.from(data.slice(n - size), 'latin1') : data.subarray(n - size);
      tail.copy(this.buf, 0);
      this.idx = 0;
      this.histlen = size;
    } else {
      const first = Math.min(n, size - this.idx);
      if (typeof data === 'string') {
        this.buf.write(first === n ? data : data.slice(0, first), this.idx, 'latin1');
        if (first < n) this.buf.write(data.slice(first), 0, 'latin1');
      } else {
        data.copy(this.buf, this.idx, 0, first);
        if (first < n) data.copy(this.buf, 0, first, n);
      }
      this.idx = (this.idx + n) % size;
      this.histlen = Math.min(size, this.histlen + n);
    }
    this.firstOffset = end - this.histlen + 1;
  }

  /** True if a replica asking for the bytes from `offset` on can be served (Redis's test). */
  covers(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.firstOffset + this.histlen;
  }

  /** The bytes from `offset` to the end; throws if not covered. */
  from(offset: number): Buffer {
    if (!this.covers(offset)) throw new Error(`invariant: backlog does not cover offset ${offset}`);
    const n = this.firstOffset + this.histlen - offset;
    const out = Buffer.allocUnsafe(n);
    const size = this.buf.length;
    const start = (this.idx - n + size) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** CONFIG SET repl-backlog-size: keep the newest bytes that fit. */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = Math.min(size, this.histlen);
    const data = this.from(this.firstOffset + this.histlen - keep);
    const end = this.lastOffset;
    this.buf = Buffer.allocUnsafe(size);
    data.copy(this.buf, 0);
    this.idx = keep % size;
    this.histlen = keep;
    this.firstOffset = end - keep + 1;
  }
}
