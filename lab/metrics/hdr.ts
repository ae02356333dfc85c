/**
 * HDR histograms of latencies in whole microseconds (hdr-histogram-js, JS implementation:
 * WebAssembly ones must be destroyed and cannot be added to JS ones). Values are integers
 * because the library truncates fractions.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** 3 significant digits: any reported value is within 1/1024 of the recorded one. */
export const SIGNIFICANT_DIGITS = 3;

export function createHistogram(): Histogram {
  return build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, useWebAssembly: false });
}

/** Record a latency given in microseconds (rounded to an integer, at least 0). */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us > 0 ? Math.round(us) : 0);
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(b64: string): Histogram {
  const h = decodeFromCompressedBase64(b64, 32, false);
  // Decoded histograms come back fixed-size; merging a wider one into them would throw.
  h.autoResize = true;
  return h;
}

/** Add `from` into `into` (both JS histograms). */
export function addInto(into: Histogram, from: Histogram): void {
  if (from.totalCount > 0) into.add(from);
}

export interface LatencySummary {
  count: number;
  /** Microseconds; 0 when count is 0. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  min: number;
}

export const EMPTY_SUMMARY: LatencySummary = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 };

/**
 * Percentiles straight from getValueAtPercentile (not the library's `summary`, which
 * rounds to 3 significant digits a second time). Each is the highest value equivalent to
 * the recorded one at that rank, so it is >= the exact sample and within 1/1024 above it.
 */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { ...EMPTY_SUMMARY };
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean * 10) / 10,
    min: h.getValueAtPercentile(0),
  };
}
