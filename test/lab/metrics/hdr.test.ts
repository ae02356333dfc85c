import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HistogramLogReader } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '../../../lab/metrics/hdr.js';
import { formatHlog } from '../../../lab/metrics/hlog.js';
import { fromWire, OpInterval, SeriesAggregator, toWire } from '../../../lab/metrics/series.js';

/** Nearest-rank percentile of sorted integers: the smallest value with >= p% of samples at or below it. */
function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

describe('HDR summary', () => {
  it('matches percentiles computed from the raw samples within 1/1024', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const xs: number[] = [];
    const h = createHistogram();
    for (let i = 0; i < 50_000; i++) {
      // Log-normal-ish latencies from 20 us to ~200 ms.
      const v = Math.round(20 * Math.exp(rand() * 9));
      xs.push(v);
      h.recordValue(v);
    }
    xs.sort((a, b) => a - b);
    const s = summarize(h);
    expect(s.count).toBe(xs.length);
    for (const [p, got] of [
      [50, s.p50],
      [90, s.p90],
      [99, s.p99],
      [99.9, s.p999],
    ] as const) {
      const want = exact(xs, p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want + want / 1024 + 1);
    }
    expect(s.max).toBeGreaterThanOrEqual(xs[xs.length - 1]);
    expect(s.max).toBeLessThanOrEqual(xs[xs.length - 1] * (1 + 1 / 1024) + 1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(s.mean - mean) / mean).toBeLessThan(1 / 1000);
  });

  it('is all zeros when empty', () => {
    expect(summarize(createHistogram())).toMatchObject({ count: 0, p50: 0, max: 0 });
  });

  it('decoded histograms accept merges of wider ones (they come back fixed-size)', () => {
    const small = createHistogram();
    small.recordValue(10);
    const big = createHistogram();
    big.recordValue(5_000_000_000);
    const a = decodeHistogram(encodeHistogram(small));
    a.add(decodeHistogram(encodeHistogram(big)));
    expect(a.totalCount).toBe(2);
    expect(summarize(a).max).toBeGreaterThanOrEqual(5_000_000_000);
  });
});

describe('series', () => {
  it('merges intervals per op and second, through the wire format', () => {
    const agg = new SeriesAggregator();
    for (let w = 0; w < 2; w++) {
      const iv = new OpInterval();
      iv.hist.recordValue(100 + w);
      iv.addError('READONLY');
      iv.acked = 2;
      iv.underAcked = 1;
      iv.bytes = 10;
      agg.add('set', 3, fromWire(toWire(iv)));
    }
    const t = agg.total('set');
    expect([t.count, t.errorCount, t.errors.READONLY, t.acked, t.underAcked, t.bytes]).toEqual([2, 2, 2, 4, 2, 20]);
    expect(agg.seconds('set')).toEqual([3]);
    expect(agg.grandTotal().count).toBe(2);
  });
});

describe('hlog', () => {
  function sampleLog(): { text: string; counts: number[] } {
    const counts = [3, 5];
    const intervals = counts.map((n, i) => {
      const h = createHistogram();
      for (let k = 0; k < n; k++) h.recordValue(1000 * (k + 1));
      return { startSec: i, lengthSec: 1, histogram: h };
    });
    return { text: formatHlog(Date.UTC(2025, 0, 1), intervals, ['test log']), counts };
  }

  it('writes the standard header and one line per interval, readable by HistogramLogReader', () => {
    const { text, counts } = sampleLog();
    expect(text).toMatch(/^#test log\n#\[Histogram log format version 1\.3\]\n#\[StartTime: 1735689600\.000 /);
    expect(text).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    expect(text).toMatch(/\n0\.000,1\.000,3\.000,HIST/);
    const reader = new HistogramLogReader(text);
    const got: number[] = [];
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) got.push(h.totalCount);
    expect(got).toEqual(counts);
  });

  it('tags lines when asked', () => {
    const h = createHistogram();
    h.recordValue(5);
    expect(formatHlog(0, [{ startSec: 0, lengthSec: 1, histogram: h, tag: 'set' }])).toMatch(/\nTag=set,0\.000,1\.000,0\.005,HIST/);
    expect(() => formatHlog(0, [{ startSec: 0, lengthSec: 1, histogram: h, tag: 'a b' }])).toThrow(/must not contain/);
  });

  const jar = path.join(os.homedir(), '.m2/repository/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar');
  const haveJava = spawnSync('java', ['-version']).status === 0 && existsSync(jar);
  if (!haveJava) console.log(`skipping the Java HistogramLogProcessor check: needs java and ${jar}`);
  it.skipIf(!haveJava)("is read by Java's HistogramLogProcessor", () => {
    const { text } = sampleLog();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-hlog-'));
    const file = path.join(dir, 'x.hlog');
    writeFileSync(file, text);
    const r = spawnSync('java', ['-cp', jar, 'org.HdrHistogram.HistogramLogProcessor', '-i', file, '-outputValueUnitRatio', '1000', '-csv'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // 8 values: 1..5 ms; the last CSV row is the max at percentile 1 with total count 8.
    const last = r.stdout.trim().split('\n').pop()!;
    expect(last).toMatch(/^5\.00\d,1\.0+,8,/);
  });
});
