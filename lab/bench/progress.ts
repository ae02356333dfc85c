/**
 * Live progress of one mode: a cli-progress bar with throughput and p99 of the last full
 * second on a terminal (stderr), plain lines when stderr is not a TTY.
 */
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import type { SeriesAggregator } from '../metrics/series.js';

export type ProgressStyle = 'auto' | 'tty' | 'plain' | 'none';

export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLine = -1;
  private readonly style: Exclude<ProgressStyle, 'auto'>;

  constructor(
    style: ProgressStyle,
    private readonly mode: string,
    private readonly warmupMs: number,
    private readonly durationMs: number,
    private readonly measureStartEpoch: number,
    private readonly series: SeriesAggregator,
    private readonly log: (line: string) => void,
  ) {
    this.style = style === 'auto' ? (process.stderr.isTTY ? 'tty' : 'plain') : style;
  }

  private nowEpoch(): number {
    return performance.timeOrigin + performance.now();
  }

  /** Throughput, p99 (ms) and errors of the last second all workers have reported. */
  private last(): { second: number; ops: number; p99Ms: number; errors: number } | undefined {
    // 300 ms after a second ends every worker has reported it.
    const second = Math.floor((this.nowEpoch() - this.measureStartEpoch - 300) / 1000) - 1;
    if (second < 0) return undefined;
    const t = this.series.secondTotal(second);
    return { second, ops: t.count, p99Ms: t.count ? t.hist.getValueAtPercentile(99) / 1000 : 0, errors: t.errorCount };
  }

  start(): void {
    if (this.style === 'none') return;
    const total = Math.round(this.durationMs / 1000);
    if (this.style === 'tty') {
      this.bar = new cliProgress.SingleBar(
        {
          format: `{mode} {phase} [{bar}] {value}/{total}s | {ops} ops/s | p99 {p99} ms | errors {errors}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { mode: this.mode.padEnd(7), phase: 'warm-up', ops: '-', p99: '-', errors: 0 });
    } else if (this.warmupMs > 0) this.log(`[${this.mode}] warm-up ${this.warmupMs / 1000}s`);
    // Long runs print every 5 s rather than every second when not on a terminal.
    const every = this.style === 'plain' && this.durationMs > 30_000 ? 5 : 1;
    this.timer = setInterval(() => {
      const l = this.last();
      const elapsed = Math.max(0, Math.min(total, Math.floor((this.nowEpoch() - this.measureStartEpoch) / 1000)));
      if (this.bar) {
        const phase = this.nowEpoch() < this.measureStartEpoch ? 'warm-up' : 'running';
        this.bar.update(elapsed, { phase, ops: l ? l.ops.toLocaleString('en-US') : '-', p99: l ? l.p99Ms.toFixed(3) : '-', errors: l?.errors ?? 0 });
      } else if (l && l.second !== this.lastLine && (l.second + 1) % every === 0 && l.second < total) {
        this.lastLine = l.second;
        this.log(`[${this.mode}] ${l.second + 1}/${total}s ${l.ops} ops/s p99 ${l.p99Ms.toFixed(3)} ms errors ${l.errors}`);
      }
    }, 250);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.bar) {
      this.bar.update(Math.round(this.durationMs / 1000), { phase: 'done   ' });
      this.bar.stop();
    }
    this.bar = undefined;
  }
}
