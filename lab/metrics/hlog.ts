/**
 * HdrHistogram interval logs (format 1.3, as written by Java's HistogramLogWriter and read
 * by HistogramLogProcessor / HistogramLogReader). Values are microseconds, so the
 * Interval_Max column is in milliseconds (max / 1000); with the Java tools pass
 * `-outputValueUnitRatio 1000` to print milliseconds.
 */
import { encodeHistogram, type Histogram } from './hdr.js';

export interface HlogInterval {
  /** Seconds since the log's base time. */
  startSec: number;
  lengthSec: number;
  histogram: Histogram;
  /** Optional tag: HistogramLogProcessor reads untagged lines unless given -tag. */
  tag?: string;
}

const fmt = (n: number) => n.toFixed(3);

/** The whole log as text: header comments, legend, one line per interval. */
export function formatHlog(startTimeMs: number, intervals: HlogInterval[], comments: string[] = []): string {
  const lines: string[] = [];
  for (const c of comments) lines.push(`#${c.replace(/\n/g, ' ')}`);
  lines.push('#[Histogram log format version 1.3]');
  lines.push(`#[StartTime: ${fmt(startTimeMs / 1000)} (seconds since epoch), ${new Date(startTimeMs).toUTCString()}]`);
  lines.push(`#[BaseTime: ${fmt(startTimeMs / 1000)} (seconds since epoch)]`);
  lines.push('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
  for (const iv of intervals) {
    if (iv.tag !== undefined && /[\s,]/.test(iv.tag)) throw new Error(`hlog tag '${iv.tag}' must not contain spaces or commas`);
    const body = `${fmt(iv.startSec)},${fmt(iv.lengthSec)},${fmt(iv.histogram.maxValue / 1000)},${encodeHistogram(iv.histogram)}`;
    lines.push(iv.tag ? `Tag=${iv.tag},${body}` : body);
  }
  return lines.join('\n') + '\n';
}
