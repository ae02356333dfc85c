/**
 * Wake-ups for the delay line: "call me back at time T" (T on the performance.now() clock,
 * fractional milliseconds). Node's own timers tick in whole milliseconds, which would add
 * 0.5-1.5 ms to every hop, so the default clock sleeps in a worker thread with Atomics.wait
 * (sub-millisecond timeouts) and wakes the event loop with one message when T is near.
 *
 * A wake-up is not free (here ~25 us of CPU for any timed sleep, ~80 us for a worker sleep
 * plus a message to the main thread), so the scheduler arms only its earliest deadline,
 * releases what arrives due on the way (piggybacking on socket events) and moves the
 * deadline later without waking the worker: it notices when it next wakes.
 */
import { Worker } from 'node:worker_threads';

export type ClockKind = 'worker' | 'timer' | 'immediate';

export const CLOCK_KINDS: readonly ClockKind[] = ['worker', 'timer', 'immediate'];

export interface ClockStats {
  kind: ClockKind;
  /** Callbacks delivered. */
  fires: number;
  /** Fires that came too early to release anything (each costs another wake-up). */
  early: number;
  /** Times the timer thread woke up (worker clock), including wake-ups that found nothing to do. */
  timerWakes: number;
  /** How much earlier (ms) the worker sleeps than it must wake: the median lateness of its sleeps. */
  leadMs: number;
}

/** What a fire achieved, so the clock can tune itself. */
export type FireResult = 'released' | 'early' | 'idle';

export interface Clock {
  readonly kind: ClockKind;
  /**
   * The earliest deadline is now `deadline` (Infinity: none). onFire runs at or just after
   * it. Moving it later is cheap (no wake-up); moving it earlier wakes the timer.
   */
  arm(deadline: number): void;
  /** Resolves once the clock can fire (a worker takes tens of ms to start, far more on a busy machine). */
  ready(): Promise<void>;
  stats(): ClockStats;
  close(): Promise<void>;
}

/** `windowMs`: the caller releases everything due within it of a fire (the worker clock fires that early). */
export function createClock(kind: ClockKind, onFire: (now: number) => FireResult, windowMs = 0.05): Clock {
  switch (kind) {
    case 'worker':
      return new WorkerClock(onFire, windowMs);
    case 'timer':
      return new TimerClock(onFire);
    case 'immediate':
      return new ImmediateClock(onFire);
  }
}

// Shared state. ctl (Int32): SEQ bumped to wake the worker, STOP, PENDING = a fire message is
// unhandled, FENCE for a full barrier, LOOPS counts worker wake-ups. f (Float64, in the main
// thread's performance.now() ms): DEADLINE, LEAD (the worker's estimate of how late
// Atomics.wait returns), TARGET = what the worker sleeps towards (Infinity: until woken).
const SEQ = 0;
const STOP = 1;
const PENDING = 2;
const FENCE = 4;
const LOOPS = 5;
const DEADLINE = 0;
const LEAD = 1;
const TARGET = 2;

// Runs in the worker (eval'd CommonJS, so it works from dist and from vitest's TS alike).
// It posts once the deadline is within the coalescing window (the main thread then releases
// everything due by now + window), and otherwise sleeps until `lead` before it, `lead`
// tracking the median lateness of its own sleeps (here ~0.1 ms).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const ctl = new Int32Array(workerData.sab, 0, 8);
const f = new Float64Array(workerData.sab, 32, 4);
const base = workerData.base;
const W = workerData.window;
const hop = Math.min(W / 2, 0.02); // time for the message to reach the main thread
const now = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6 - base; };
let lead = f[${LEAD}];
parentPort.postMessage('ready');
for (;;) {
  ctl[${LOOPS}]++;
  const seq = Atomics.load(ctl, ${SEQ});
  if (Atomics.load(ctl, ${STOP}) !== 0) break;
  if (Atomics.load(ctl, ${PENDING}) !== 0) {
    // Wait for the main thread to handle our message; it bumps SEQ when it re-arms.
    f[${TARGET}] = Infinity;
    Atomics.add(ctl, ${FENCE}, 0);
    if (Atomics.load(ctl, ${PENDING}) !== 0) Atomics.wait(ctl, ${SEQ}, seq);
    continue;
  }
  // Publish what we sleep towards until the deadline reads back the same: arm() stores the
  // deadline then reads TARGET, so one of us always sees the other and no deadline is missed.
  let d = f[${DEADLINE}];
  for (;;) {
    f[${TARGET}] = d;
    Atomics.add(ctl, ${FENCE}, 0);
    const again = f[${DEADLINE}];
    if (again === d) break;
    d = again;
  }
  if (d === Infinity) { Atomics.wait(ctl, ${SEQ}, seq); continue; }
  const t = now();
  if (d - t <= W) { Atomics.store(ctl, ${PENDING}, 1); parentPort.postMessage(d); continue; }
  const want = Math.max(d - hop - lead - t, 0.001);
  if (Atomics.wait(ctl, ${SEQ}, seq, want) === 'timed-out') {
    lead = Math.min(0.5, Math.max(0, lead + (now() - t - want > lead ? 0.002 : -0.002)));
    f[${LEAD}] = lead;
  }
}
`;

function hrtimeMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/**
 * hrtime minus performance.now(): hrtime is one monotonic clock across threads, while
 * performance.now() has a per-thread origin. Bracketed samples, since a first call can be
 * slow (lazy initialisation cost 3 ms here).
 */
function hrtimeBase(): number {
  let best = Infinity;
  let base = 0;
  for (let i = 0; i < 20; i++) {
    const h1 = hrtimeMs();
    const p = performance.now();
    const h2 = hrtimeMs();
    if (h2 - h1 < best) {
      best = h2 - h1;
      base = (h1 + h2) / 2 - p;
    }
  }
  return base;
}

class WorkerClock implements Clock {
  readonly kind = 'worker' as const;
  private ctl: Int32Array;
  private f: Float64Array;
  private worker: Worker;
  private fires = 0;
  private early = 0;
  private closed = false;
  private readonly started: Promise<void>;

  constructor(onFire: (now: number) => FireResult, windowMs: number) {
    const sab = new SharedArrayBuffer(64);
    this.ctl = new Int32Array(sab, 0, 8);
    this.f = new Float64Array(sab, 32, 4);
    this.f[DEADLINE] = Infinity;
    this.f[LEAD] = 0.08;
    this.f[TARGET] = Infinity;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, base: hrtimeBase(), window: windowMs } });
    this.worker.unref();
    let started!: () => void;
    this.started = new Promise((resolve) => (started = resolve));
    this.worker.on('message', (m: unknown) => {
      if (m === 'ready') return started();
      this.fires++;
      Atomics.store(this.ctl, PENDING, 0);
      if (onFire(performance.now()) === 'early') this.early++;
      // The worker waits for this after every message; with nothing queued it can sleep on
      // (the next arm wakes it), which saves a wake-up per isolated chunk.
      if (this.f[DEADLINE] !== Infinity) {
        Atomics.add(this.ctl, SEQ, 1);
        Atomics.notify(this.ctl, SEQ);
      }
    });
    this.worker.on('error', (e) => {
      if (!this.closed) throw e;
    });
    // A worker that dies before it is ready must not leave ready() hanging.
    this.worker.once('exit', () => started());
  }

  ready(): Promise<void> {
    return this.started;
  }

  arm(deadline: number): void {
    const f = this.f;
    f[DEADLINE] = deadline;
    Atomics.add(this.ctl, FENCE, 0);
    // While a fire message is in flight the worker waits for its handling, which wakes it anyway.
    if (deadline < f[TARGET] && Atomics.load(this.ctl, PENDING) === 0) {
      Atomics.add(this.ctl, SEQ, 1);
      Atomics.notify(this.ctl, SEQ);
    }
  }

  stats(): ClockStats {
    return { kind: this.kind, fires: this.fires, early: this.early, timerWakes: this.ctl[LOOPS], leadMs: this.f[LEAD] };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    await this.worker.terminate();
  }
}

/** Node's setTimeout: the baseline the worker clock is measured against (1 ms ticks). */
class TimerClock implements Clock {
  readonly kind = 'timer' as const;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private deadline = Infinity;
  private fires = 0;
  private early = 0;

  constructor(private onFire: (now: number) => FireResult) {}

  private run = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    this.fires++;
    if (this.onFire(performance.now()) === 'early') this.early++;
    if (this.deadline !== Infinity && !this.timer) this.set(this.deadline);
  };

  private set(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.run, Math.max(0, deadline - performance.now()));
  }

  arm(deadline: number): void {
    this.deadline = deadline;
    // A later deadline keeps the pending timer: the fire then re-arms.
    if (deadline < this.timerAt) this.set(deadline);
  }

  async ready(): Promise<void> {}

  stats(): ClockStats {
    return { kind: this.kind, fires: this.fires, early: this.early, timerWakes: this.fires, leadMs: 0 };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = this.timerAt = Infinity;
  }
}

/** Polls with setImmediate while armed: precise, but keeps a core busy whenever data is queued. */
class ImmediateClock implements Clock {
  readonly kind = 'immediate' as const;
  private deadline = Infinity;
  private polling: NodeJS.Immediate | null = null;
  private fires = 0;

  constructor(private onFire: (now: number) => FireResult) {}

  private poll = (): void => {
    this.polling = null;
    if (this.deadline === Infinity) return;
    const now = performance.now();
    if (now >= this.deadline) {
      this.fires++;
      this.onFire(now);
    }
    if (this.deadline !== Infinity && !this.polling) this.polling = setImmediate(this.poll);
  };

  arm(deadline: number): void {
    this.deadline = deadline;
    if (deadline !== Infinity && !this.polling) this.polling = setImmediate(this.poll);
  }

  async ready(): Promise<void> {}

  stats(): ClockStats {
    return { kind: this.kind, fires: this.fires, early: 0, timerWakes: this.fires, leadMs: 0 };
  }

  async close(): Promise<void> {
    this.deadline = Infinity;
    if (this.polling) clearImmediate(this.polling);
    this.polling = null;
  }
}
