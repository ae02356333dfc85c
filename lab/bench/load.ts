/**
 * One worker's share of the load: `connections` ioredis clients over real sockets, driven
 * closed-loop (each connection keeps `pipeline` requests in flight) or open-loop (requests
 * dispatched at the intended times of a fixed-rate schedule, latency measured from the
 * intended time so that queueing in the server or the client is not hidden).
 *
 * Latencies are whole microseconds in per-op HDR histograms, bucketed by the second (since
 * the measured window began) in which the reply arrived, and handed to `onInterval` as soon
 * as a second is over. Requests started during warm-up are not recorded. Requests started
 * in the window but answered after it still count, with their full latency.
 */
import { performance } from 'node:perf_hooks';
import { Redis, type RedisOptions } from 'ioredis';
import { createHistogram, encodeHistogram, type Histogram } from '../metrics/hdr.js';
import { OpInterval, toWire, type OpIntervalWire } from '../metrics/series.js';
import { keyNamer, rng, sequentialChooser, uniformChooser, valueMaker, zipfianChooser, type KeyChooser } from '../workloads/keys.js';
import { OPS, type OpContext, type OpSpec } from '../workloads/ops.js';
import type { Workload } from '../workloads/profile.js';
import type { Mode } from './types.js';

/** Longest blocking nap while waiting for an open-loop send time, ms. */
const NAP_MS = 0.1;

export interface LoadConfig {
  workerIndex: number;
  workerCount: number;
  /** redis://, rediss:// URL (credentials and db as ioredis reads them). */
  url: string;
  tlsInsecure: boolean;
  workload: Workload;
  mode: Mode;
  /** This worker's connections. */
  connections: number;
  /** This worker's share of the open-loop rate (ops/s); null for closed-loop. */
  rate: number | null;
  /** Phase of this worker's first intended send, ms (interleaves workers' schedules). */
  rateOffsetMs: number;
  /** Which slice of the key space this worker prefills. */
  prefill: boolean;
  keepRaw: boolean;
  /** After the window: how long to wait for replies still outstanding. */
  drainTimeoutMs: number;
}

export interface LoadFinal {
  warmupOps: number;
  /** Open-loop requests due in the window that could not be sent before the drain timeout. */
  unsent: number;
  connectionErrors: number;
  /** Open-loop: actual send time minus intended time, microseconds (encoded HDR). */
  sendLag?: string;
  raw?: Record<string, number[]>;
}

interface Conn {
  redis: Redis;
  inflight: number;
  corked: boolean;
}

/**
 * Commands issued in one turn of the event loop (replies to a pipeline arrive together and
 * each triggers the next request) go out in one write instead of one syscall each: 3-4x the
 * throughput at pipeline 16, which keeps the client from being the bottleneck.
 */
function cork(c: Conn): void {
  if (c.corked) return;
  const stream = c.redis.stream;
  if (!stream || stream.destroyed) return;
  c.corked = true;
  stream.cork();
  process.nextTick(() => {
    c.corked = false;
    stream.uncork();
  });
}

// The status, not a flag kept from events: a command sent on a closing connection fails at
// once, and re-issuing from its failure would spin without yielding.
const ready = (c: Conn) => c.redis.status === 'ready';

/** A short, stable name for what went wrong (first word of a Redis error, or a client error). */
export function errorKind(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.name === 'ReplyError') return /^[A-Z][A-Z_-]*/.exec(msg)?.[0] ?? 'ERR';
  if (err?.name === 'MaxRetriesPerRequestError') return 'CONNECTION_LOST';
  if (typeof err?.code === 'string') return err.code;
  if (/timed out/i.test(msg)) return 'TIMEOUT';
  if (/Connection is closed/i.test(msg)) return 'CONNECTION_CLOSED';
  if (/enableOfflineQueue|Stream isn't writeable/i.test(msg)) return 'NOT_CONNECTED';
  return 'CLIENT_ERROR';
}

export function redisOptions(url: string, tlsInsecure: boolean): RedisOptions {
  const o: RedisOptions = {
    lazyConnect: true,
    enableReadyCheck: false,
    // Fail fast instead of queueing or resending: a benchmark counts what happened.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (n) => Math.min(20 * n, 500),
  };
  if (tlsInsecure && url.startsWith('rediss:')) o.tls = { rejectUnauthorized: false };
  return o;
}

export class LoadGenerator {
  private conns: Conn[] = [];
  private readonly random: () => number;
  private readonly chooser: KeyChooser;
  private readonly keyName: (family: string, i: number) => string;
  private readonly ctx: OpContext;
  private readonly specs: OpSpec[];
  private readonly cumulative: number[];
  private readonly totalWeight: number;
  private readonly waitArgs: string[];

  private t0 = 0;
  private measureStart = 0;
  private end = 0;
  private running = false;
  private closing = false;
  private inflight = 0;
  private warmupOps = 0;
  private connectionErrors = 0;

  private buckets = new Map<number, Map<string, OpInterval>>();
  private curSecond = -1;
  private curBucket: Map<string, OpInterval> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private raw: Record<string, number[]> | undefined;

  // open loop
  private next = 0;
  private intervalMs = 0;
  private rr = 0;
  private backlog: number[] = [];
  private backlogHead = 0;
  private sendLag: Histogram | undefined;

  private drained: (() => void) | undefined;
  /** Requests of the measured window awaiting a reply, per op. */
  private pendingMeasured = new Map<string, number>();
  private abandoned = false;
  /** Ends the closed-loop wait early (stop()). */
  private wake: (() => void) | undefined;
  private readonly nap = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly cfg: LoadConfig,
    private readonly onInterval: (second: number, ops: Record<string, OpIntervalWire>) => void,
  ) {
    const w = cfg.workload;
    this.random = rng(w.seed * 7919 + cfg.workerIndex * 104729 + 1);
    const count = w.keys.count;
    this.chooser =
      w.keys.distribution === 'zipfian'
        ? zipfianChooser(count, w.keys.theta, this.random)
        : w.keys.distribution === 'sequential'
          ? sequentialChooser(count, Math.floor((cfg.workerIndex * count) / cfg.workerCount))
          : uniformChooser(count, this.random);
    const multi = w.families.length > 1;
    const namers = new Map<string, (i: number) => string>();
    for (const f of w.families) namers.set(f, keyNamer(multi ? `${w.keys.prefix}${f}:` : w.keys.prefix, count));
    this.keyName = (family, i) => namers.get(family)!(i);
    const value = valueMaker(w.values.min, w.values.max, this.random);
    const random = this.random;
    const memberName = keyNamer('m:', w.members);
    this.ctx = {
      key: '',
      value,
      member: () => memberName(Math.floor(random() * w.members)),
      int: (n) => Math.floor(random() * n),
      ttlSeconds: w.ttlSeconds,
      rangeSize: w.rangeSize,
    };
    this.specs = w.mix.map((m) => OPS[m.op]);
    let acc = 0;
    this.cumulative = w.mix.map((m) => (acc += m.weight));
    this.totalWeight = acc;
    this.waitArgs = [String(w.wait.replicas), String(w.wait.timeoutMs)];
    if (cfg.keepRaw) {
      this.raw = {};
      for (const m of w.mix) this.raw[m.op] = [];
    }
  }

  async connect(): Promise<void> {
    let firstError: Error | undefined;
    for (let i = 0; i < this.cfg.connections; i++) {
      const redis = new Redis(this.cfg.url, redisOptions(this.cfg.url, this.cfg.tlsInsecure));
      const c: Conn = { redis, inflight: 0, corked: false };
      redis.on('error', (e: Error) => {
        firstError ??= e;
        this.connectionErrors++;
      });
      redis.on('ready', () => {
        if (this.running || this.closing) this.resume(c);
      });
      this.conns.push(c);
    }
    try {
      await Promise.all(this.conns.map((c) => c.redis.connect()));
    } catch (e) {
      await this.close();
      throw new Error(`cannot connect to ${redactUrl(this.cfg.url)}: ${(firstError ?? (e as Error)).message}`);
    }
  }

  /** Write this worker's slice of the key space so that reads hit (see docs/bench.md). */
  async prefill(): Promise<void> {
    const w = this.cfg.workload;
    if (!this.cfg.prefill || !w.prefill || this.conns.length === 0) return;
    const redis = this.conns[0].redis;
    const lo = Math.floor((this.cfg.workerIndex * w.keys.count) / this.cfg.workerCount);
    const hi = Math.floor(((this.cfg.workerIndex + 1) * w.keys.count) / this.cfg.workerCount);
    const counters = w.mix.some((m) => m.op === 'incr' || m.op === 'incrby');
    const memberName = keyNamer('m:', w.members);
    const value = this.ctx.value;
    let batch = redis.pipeline();
    let inBatch = 0;
    const flush = async () => {
      if (inBatch === 0) return;
      const res = (await batch.exec()) ?? [];
      for (const [err] of res) if (err) throw new Error(`prefill failed: ${err.message}`);
      batch = redis.pipeline();
      inBatch = 0;
    };
    const add = async (cmd: string, args: string[]) => {
      batch.call(cmd, args);
      if (++inBatch >= 500) await flush();
    };
    for (const family of w.families) {
      if (family === 'list') continue;
      for (let i = lo; i < hi; i++) {
        const key = this.keyName(family, i);
        if (family === 'string') {
          const v = counters ? '0' : value();
          await add('SET', w.ttlSeconds > 0 ? [key, v, 'EX', String(w.ttlSeconds)] : [key, v]);
        } else {
          // Members in chunks so no single command gets huge.
          for (let m = 0; m < w.members; m += 1000) {
            const args = [key];
            for (let j = m; j < Math.min(w.members, m + 1000); j++) {
              if (family === 'zset') args.push(String(Math.floor(this.random() * 1_000_000)), memberName(j));
              else args.push(memberName(j), value());
            }
            await add(family === 'zset' ? 'ZADD' : 'HSET', args);
          }
        }
      }
    }
    await flush();
  }

  /** Run warm-up + window starting at `startAtEpochMs` (shared by all workers), then drain. */
  async run(startAtEpochMs: number): Promise<LoadFinal> {
    const w = this.cfg.workload;
    this.t0 = startAtEpochMs - performance.timeOrigin;
    this.measureStart = this.t0 + w.warmupMs;
    this.end = this.measureStart + w.durationMs;
    const delay = this.t0 - performance.now();
    if (delay > 0) await sleep(delay);
    this.running = true;
    this.scheduleFlush();
    if (this.cfg.rate === null) {
      for (const c of this.conns) this.pump(c);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, this.end - performance.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.running = false;
    } else {
      this.sendLag = createHistogram();
      this.intervalMs = 1000 / this.cfg.rate;
      this.next = this.t0 + this.cfg.rateOffsetMs;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          while (this.next <= now) {
            if (this.next >= this.end) break;
            this.dispatch(this.next);
            this.next += this.intervalMs;
          }
          if (this.next >= this.end) {
            this.running = false;
            resolve();
            return;
          }
          // Timers have millisecond granularity and lateness counts as latency, so the last
          // millisecond before a send is waited out in short blocking naps (replies meanwhile
          // wait at most one nap); spinning instead would take the CPU from a local server.
          const gap = this.next - performance.now();
          if (gap > 1.5) setTimeout(tick, Math.floor(gap - 1));
          else {
            if (gap > 0) Atomics.wait(this.nap, 0, 0, Math.min(gap, NAP_MS));
            setImmediate(tick);
          }
        };
        tick();
      });
    }
    // Drain: replies still outstanding, and open-loop requests still waiting to be sent.
    this.closing = true;
    for (const c of this.conns) this.resume(c);
    if (this.inflight > 0 || this.backlogSize() > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.drained = () => resolve(false);
        timer = setTimeout(() => resolve(true), this.cfg.drainTimeoutMs);
      });
      clearTimeout(timer);
      if (timedOut) {
        // What is still in flight failed: NO_REPLY, per op; a reply arriving later is ignored.
        this.abandoned = true;
        const now = performance.now();
        for (const [op, n] of this.pendingMeasured) for (let i = 0; i < n; i++) this.bucket(now, op).addError('NO_REPLY');
        for (const c of this.conns) {
          c.redis.stream?.destroy();
          c.redis.disconnect(false);
        }
      }
    }
    this.closing = false;
    const unsent = this.backlogSize();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushAll();
    return {
      warmupOps: this.warmupOps,
      unsent,
      connectionErrors: this.connectionErrors,
      sendLag: this.sendLag ? encodeHistogram(this.sendLag) : undefined,
      raw: this.raw,
    };
  }

  /** Stop issuing now (abort); run() still drains and returns. */
  stop(): void {
    this.end = Math.min(this.end, performance.now());
    this.wake?.();
  }

  async close(): Promise<void> {
    await Promise.all(
      this.conns.map(async (c) => {
        try {
          if (c.redis.status === 'ready') await c.redis.quit();
          else c.redis.disconnect(false);
        } catch {
          c.redis.disconnect(false);
        }
      }),
    );
  }

  // --- issuing -----------------------------------------------------------------

  private pickSpec(): OpSpec {
    if (this.specs.length === 1) return this.specs[0];
    const r = this.random() * this.totalWeight;
    for (let i = 0; i < this.cumulative.length; i++) if (r < this.cumulative[i]) return this.specs[i];
    return this.specs[this.specs.length - 1];
  }

  private pump(c: Conn): void {
    const depth = this.cfg.workload.pipeline;
    while (this.running && ready(c) && c.inflight < depth) {
      const now = performance.now();
      if (now >= this.end) {
        this.running = false;
        return;
      }
      this.issue(c, now);
    }
  }

  private backlogSize(): number {
    return this.backlog.length - this.backlogHead;
  }

  /** Open loop: send at `intended` on the next ready connection with room, else queue it. */
  private dispatch(intended: number): void {
    const n = this.conns.length;
    const cap = this.cfg.workload.maxInFlight;
    if (this.backlogSize() === 0) {
      for (let k = 0; k < n; k++) {
        const c = this.conns[(this.rr + k) % n];
        if (ready(c) && c.inflight < cap) {
          this.rr = (this.rr + k + 1) % n;
          this.sendOpen(c, intended);
          return;
        }
      }
    }
    this.backlog.push(intended);
  }

  private sendOpen(c: Conn, intended: number): void {
    if (intended >= this.measureStart && this.sendLag) {
      const lagUs = Math.round((performance.now() - intended) * 1000);
      this.sendLag.recordValue(lagUs > 0 ? lagUs : 0);
    }
    this.issue(c, intended);
  }

  /** A connection has room again (reply, or reconnect). */
  private resume(c: Conn): void {
    if (this.cfg.rate === null) {
      this.pump(c);
      return;
    }
    const cap = this.cfg.workload.maxInFlight;
    while (ready(c) && c.inflight < cap && this.backlogSize() > 0) {
      const intended = this.backlog[this.backlogHead++];
      if (this.backlogHead > 4096 && this.backlogHead * 2 > this.backlog.length) {
        this.backlog = this.backlog.slice(this.backlogHead);
        this.backlogHead = 0;
      }
      this.sendOpen(c, intended);
    }
  }

  /** `start` is the intended send time (open loop) or the actual one (closed loop). */
  private issue(c: Conn, start: number): void {
    const spec = this.pickSpec();
    this.ctx.key = this.keyName(spec.family, this.chooser.next());
    const built = spec.build(this.ctx);
    const measured = start >= this.measureStart;
    c.inflight++;
    this.inflight++;
    if (measured) this.pendingMeasured.set(spec.name, (this.pendingMeasured.get(spec.name) ?? 0) + 1);
    cork(c);
    if (this.cfg.mode === 'wait' && spec.write) {
      // WAIT on the same connection right behind the write: it covers the write's offset.
      let writeErr: unknown = null;
      c.redis.callBuffer(built.cmd, built.args).catch((e: unknown) => {
        writeErr = e;
      });
      c.redis.call('WAIT', this.waitArgs).then(
        (reply) => this.finish(c, spec, start, measured, writeErr, writeErr ? 0 : built.bytes, false, Number(reply)),
        (e: unknown) => this.finish(c, spec, start, measured, writeErr ?? new WaitError(e), 0, false),
      );
    } else {
      c.redis.callBuffer(built.cmd, built.args).then(
        (reply) => this.finish(c, spec, start, measured, null, built.bytes, reply === null),
        (e: unknown) => this.finish(c, spec, start, measured, e, 0, false),
      );
    }
  }

  private finish(c: Conn, spec: OpSpec, start: number, measured: boolean, err: unknown, bytes: number, nil: boolean, waitReplicas?: number): void {
    if (this.abandoned) return;
    const now = performance.now();
    c.inflight--;
    this.inflight--;
    if (measured) this.pendingMeasured.set(spec.name, this.pendingMeasured.get(spec.name)! - 1);
    if (!measured) this.warmupOps++;
    else {
      const iv = this.bucket(now, spec.name);
      if (err) iv.addError(err instanceof WaitError ? `WAIT_${errorKind(err.cause)}` : errorKind(err));
      else {
        const us = Math.round((now - start) * 1000);
        iv.hist.recordValue(us > 0 ? us : 0);
        if (this.raw) this.raw[spec.name].push(us > 0 ? us : 0);
        if (nil) iv.nil++;
        if (spec.write) iv.bytes += bytes;
        if (waitReplicas !== undefined) {
          if (waitReplicas >= this.cfg.workload.wait.replicas) iv.acked++;
          else iv.underAcked++;
        } else if (spec.write) iv.acked++; // plain and durable: the reply is the acknowledgement
      }
    }
    if (this.running || this.closing) this.resume(c);
    if (this.closing && this.drained && this.inflight === 0 && this.backlogSize() === 0) this.drained();
  }

  // --- per-second intervals --------------------------------------------------------

  private bucket(now: number, op: string): OpInterval {
    const second = Math.max(0, Math.floor((now - this.measureStart) / 1000));
    if (second !== this.curSecond) {
      this.curSecond = second;
      this.curBucket = this.buckets.get(second);
      if (!this.curBucket) this.buckets.set(second, (this.curBucket = new Map()));
    }
    let iv = this.curBucket!.get(op);
    if (!iv) this.curBucket!.set(op, (iv = new OpInterval()));
    return iv;
  }

  private scheduleFlush(): void {
    const now = performance.now();
    const k = Math.max(0, Math.floor((now - this.measureStart) / 1000) + 1);
    const at = this.measureStart + k * 1000;
    this.flushTimer = setTimeout(() => {
      this.flushBefore(Math.floor((performance.now() - this.measureStart) / 1000));
      this.scheduleFlush();
    }, Math.max(0, at - now + 1));
    this.flushTimer.unref();
  }

  private flushBefore(second: number): void {
    for (const s of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (s >= second) break;
      this.emit(s);
    }
  }

  private flushAll(): void {
    for (const s of [...this.buckets.keys()].sort((a, b) => a - b)) this.emit(s);
  }

  private emit(second: number): void {
    const m = this.buckets.get(second)!;
    this.buckets.delete(second);
    if (second === this.curSecond) {
      this.curSecond = -1;
      this.curBucket = undefined;
    }
    const ops: Record<string, OpIntervalWire> = {};
    for (const [op, iv] of m) ops[op] = toWire(iv);
    this.onInterval(second, ops);
  }
}

class WaitError extends Error {
  constructor(override readonly cause: unknown) {
    super(`WAIT failed: ${(cause as Error)?.message ?? cause}`);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, cred: string) => (cred.includes(':') ? '//***@' : `//${cred}@`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
