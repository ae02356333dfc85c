/**
 * Reading the bench's HdrHistogram interval logs (format 1.3, lab/metrics/hlog.ts) back into
 * histograms, and the percentile spectrum HdrHistogram's own tools plot.
 */
import { readFileSync } from 'node:fs';
import { addInto, createHistogram, decodeHistogram, type Histogram } from '../metrics/hdr.js';

export interface HlogData {
  /** Epoch ms of the log's StartTime, when the header has one. */
  startTimeMs?: number;
  /** Merged histogram per tag ('' for untagged lines). */
  byTag: Map<string, Histogram>;
  intervals: number;
}

export function readHlog(file: string): HlogData {
  const text = readFileSync(file, 'utf8');
  const byTag = new Map<string, Histogram>();
  let startTimeMs: number | undefined;
  let intervals = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const m = /^#\[StartTime: ([\d.]+)/.exec(line);
      if (m) startTimeMs = Number(m[1]) * 1000;
      continue;
    }
    if (line.startsWith('"StartTimestamp"')) continue;
    let rest = line;
    let tag = '';
    if (rest.startsWith('Tag=')) {
      const comma = rest.indexOf(',');
      tag = rest.slice(4, comma);
      rest = rest.slice(comma + 1);
    }
    const fields = rest.split(',');
    if (fields.length !== 4) throw new Error(`${file}:${lineNo}: expected 4 fields after the tag, got ${fields.length}`);
    const h = decodeHistogram(fields[3]);
    let into = byTag.get(tag);
    if (!into) byTag.set(tag, (into = createHistogram()));
    addInto(into, h);
    intervals++;
  }
  return { startTimeMs, byTag, intervals };
}

/** Every tag's histogram merged into one. */
export function mergeAll(d: HlogData): Histogram {
  const h = createHistogram();
  for (const x of d.byTag.values()) addInto(h, x);
  return h;
}

export interface SpectrumPoint {
  /** 0..100 */
  percentile: number;
  /** 1 / (1 - percentile/100): the "1 in N" level, plotted on a log axis (the nines scale). */
  oneIn: number;
  /** Microseconds. */
  valueUs: number;
}

/**
 * HdrHistogram's percentile distribution (5 ticks per half distance to 100%) up to the
 * resolution of the data (1 in N for N samples), then the max at 1 in N: the k-th highest of N
 * samples sits at 1 in N/k, so the max is the 1-in-N event.
 */
export function percentileSpectrum(h: Histogram, ticksPerHalfDistance = 5): SpectrumPoint[] {
  const n = h.totalCount;
  if (n === 0) return [];
  const out: SpectrumPoint[] = [];
  for (let level = 0; level < 64; level++) {
    const base = 1 - 2 ** -level;
    const step = 2 ** -(level + 1) / ticksPerHalfDistance;
    for (let i = 0; i < ticksPerHalfDistance; i++) {
      const p = base + i * step;
      const oneIn = 1 / (1 - p);
      if (oneIn >= n) {
        out.push({ percentile: 100 * (1 - 1 / n), oneIn: n, valueUs: h.maxValue });
        return out;
      }
      out.push({ percentile: 100 * p, oneIn, valueUs: h.getValueAtPercentile(100 * p) });
    }
  }
  return out;
}
