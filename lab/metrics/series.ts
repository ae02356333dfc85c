/**
 * Per-operation, per-second counters and histograms: workers fill OpInterval objects,
 * ship them as plain objects (histogram as compressed base64), and the runner merges
 * them into a SeriesAggregator keyed by (op, second since the measured window began).
 */
import { addInto, createHistogram, decodeHistogram, encodeHistogram, type Histogram } from './hdr.js';

export class OpInterval {
  /** Latency of successful operations, microseconds. */
  hist: Histogram = createHistogram();
  /** Failed operations by kind (first word of a Redis error, or a connection error code). */
  errors: Record<string, number> = {};
  /** Writes whose WAIT reached the wanted replica count (wait mode). */
  acked = 0;
  /** Writes whose WAIT returned fewer replicas (at its timeout). */
  underAcked = 0;
  /** Successful replies that were nil (GET miss, RPOP on an empty list). */
  nil = 0;
  /** Payload bytes of successful writes (see lab/workloads/ops.ts). */
  bytes = 0;

  get count(): number {
    return this.hist.totalCount;
  }

  get errorCount(): number {
    let n = 0;
    for (const k in this.errors) n += this.errors[k];
    return n;
  }

  addError(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  merge(o: OpInterval): void {
    addInto(this.hist, o.hist);
    for (const k in o.errors) this.errors[k] = (this.errors[k] ?? 0) + o.errors[k];
    this.acked += o.acked;
    this.underAcked += o.underAcked;
    this.nil += o.nil;
    this.bytes += o.bytes;
  }

  isEmpty(): boolean {
    return this.hist.totalCount === 0 && this.errorCount === 0;
  }
}

export interface OpIntervalWire {
  hist: string;
  errors: Record<string, number>;
  acked: number;
  underAcked: number;
  nil: number;
  bytes: number;
}

export function toWire(i: OpInterval): OpIntervalWire {
  return { hist: encodeHistogram(i.hist), errors: i.errors, acked: i.acked, underAcked: i.underAcked, nil: i.nil, bytes: i.bytes };
}

export function fromWire(w: OpIntervalWire): OpInterval {
  const i = new OpInterval();
  i.hist = decodeHistogram(w.hist);
  i.errors = { ...w.errors };
  i.acked = w.acked;
  i.underAcked = w.underAcked;
  i.nil = w.nil;
  i.bytes = w.bytes;
  return i;
}

export class SeriesAggregator {
  private byOp = new Map<string, Map<number, OpInterval>>();

  add(op: string, second: number, interval: OpInterval): void {
    let m = this.byOp.get(op);
    if (!m) this.byOp.set(op, (m = new Map()));
    const cur = m.get(second);
    if (cur) cur.merge(interval);
    else m.set(second, interval);
  }

  ops(): string[] {
    return [...this.byOp.keys()].sort();
  }

  /** Seconds that have data for `op`, ascending. */
  seconds(op: string): number[] {
    return [...(this.byOp.get(op)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Every second seen for any op, ascending. */
  allSeconds(): number[] {
    const s = new Set<number>();
    for (const m of this.byOp.values()) for (const k of m.keys()) s.add(k);
    return [...s].sort((a, b) => a - b);
  }

  at(op: string, second: number): OpInterval | undefined {
    return this.byOp.get(op)?.get(second);
  }

  /** One op over the whole window. */
  total(op: string): OpInterval {
    const t = new OpInterval();
    for (const i of this.byOp.get(op)?.values() ?? []) t.merge(i);
    return t;
  }

  /** Every op in one second (for live progress and the `all` series). */
  secondTotal(second: number): OpInterval {
    const t = new OpInterval();
    for (const m of this.byOp.values()) {
      const i = m.get(second);
      if (i) t.merge(i);
    }
    return t;
  }

  /** Every op over the whole window. */
  grandTotal(): OpInterval {
    const t = new OpInterval();
    for (const op of this.byOp.keys()) t.merge(this.total(op));
    return t;
  }
}
