/**
 * The userspace delay line: TCP proxies ("links") on loopback that forward each direction
 * after a one-way delay, many links per process, sharing one scheduler and one precise clock.
 *
 * Ordering: a chunk is released at max(previous release on its pipe, arrival + delay +
 * jitter), so bytes on a connection are never reordered, whatever the jitter.
 * Cost: no timer per chunk. Each pipe (one direction of one connection) is a FIFO; a heap
 * orders the pipes by their head's release time; the clock is armed for the earliest only;
 * each wake-up releases everything due within `coalesceMs`, and so does every socket event
 * (a busy proxy mostly releases on the way, without wake-ups of its own).
 * Accuracy: a release always lands some time after its deadline (the clock's wake-up, the
 * hop into this process). The line tracks the median of that lateness and schedules each
 * delayed chunk that much early (never below zero delay), so the achieved delay is centred
 * on the configured one instead of sitting a wake-up above it. The hop itself (the proxy
 * waking for an arrival, the extra loopback leg) is invisible to that tracker; `calibrate()`
 * measures it once against a pass-through and subtracts it as well (transit.ts).
 *
 * Faults, per link: `cut` black-holes one or both directions (queued and arriving data is
 * dropped, connections stay open and silent, new connections are accepted but never reach
 * the target); `heal` lifts it and resets the connections that lost data meanwhile (their
 * byte stream has a hole, as a TCP connection that timed out would); `crash` is a cut that
 * also dooms every existing connection, as a dead machine does.
 */
import net from 'node:net';
import { createClock, type Clock, type ClockKind, type ClockStats, type FireResult } from './clock.js';
import { Histogram, type Summary } from './histogram.js';
import { measureTransit, type TransitOptions } from './transit.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface LinkOptions {
  id: string;
  /** Where the link listens; port 0 picks a free one (see `Link.listen` after `addLink`). */
  listen: Endpoint;
  target: Endpoint;
  /** One-way delay applied to each direction, ms. 0 makes a pass-through that can still be cut. */
  delayMs?: number;
  /** Each chunk's delay is delayMs + uniform(-jitterMs, +jitterMs), never below 0. */
  jitterMs?: number;
  /**
   * Local address of the link's connections to the target. 'preserve' (default) dials from
   * the client's own address, so the node sees who really connects (CLIENT LIST, logs).
   */
  sourceAddress?: 'preserve' | 'any' | string;
}

/** Restricts a fault to connections coming from these client addresses (127.x.y.z). */
export interface SourceFilter {
  sources?: string[];
}

/** forward = client to target (the listen side to the target), backward = the replies. */
export type Direction = 'forward' | 'backward' | 'both';

export type LinkState = 'up' | 'cut' | 'crashed';

export interface DirectionStats {
  bytes: number;
  chunks: number;
  droppedBytes: number;
  droppedChunks: number;
  queuedBytes: number;
  queuedChunks: number;
  /** Released but not yet taken by the kernel (the destination socket's buffer). */
  unsentBytes: number;
  /** Achieved one-way delay of released chunks (arrival to write), ms. */
  delay: Summary;
  /** Release time minus due time, ms: the scheduler's own error (releases early within the window count as 0). */
  late: Summary;
}

export interface LinkStats {
  id: string;
  listen: Endpoint;
  target: Endpoint;
  delayMs: number;
  jitterMs: number;
  state: LinkState;
  cut: { forward: boolean; backward: boolean };
  /** Cuts that apply only to connections from some client addresses. */
  sourceCuts: { source: string; forward: boolean; backward: boolean; crashed: boolean }[];
  connections: { accepted: number; active: number; held: number; reset: number; failed: number };
  forward: DirectionStats;
  backward: DirectionStats;
}

export interface DelayLineOptions {
  /** Wake-up mechanism; 'worker' unless measuring alternatives. */
  clock?: ClockKind;
  /** Release together everything due within this many ms of a wake-up (default 0.05). */
  coalesceMs?: number;
  /** Per pipe: pause reading the source while this many bytes wait (default 4 MiB). */
  highWaterBytes?: number;
  /** Random source for jitter, for reproducible tests. */
  random?: () => number;
  /** Release early by the tracked median lateness (default true; false: never early). */
  compensate?: boolean;
  /** Per-hop transit to subtract from delayed chunks, ms (default 0; `calibrate()` measures it). */
  transitMs?: number;
}

export interface DelayLineStats {
  clock: ClockStats;
  /** The current lateness compensation, ms. */
  compensationMs: number;
  /** The per-hop transit subtracted from delays, ms (see transit.ts). */
  transitMs: number;
  wakeups: number;
  links: number;
}

const END = Symbol('end');
const RESET = Symbol('reset');
type Item = Buffer | typeof END | typeof RESET;

class DirCounters {
  bytes = 0;
  chunks = 0;
  droppedBytes = 0;
  droppedChunks = 0;
  delay = new Histogram();
  late = new Histogram();
}

/** One direction of one proxied connection: a FIFO of chunks with release times. */
class Pipe {
  items: Item[] = [];
  due: number[] = [];
  arrived: number[] = [];
  head = 0;
  lastDue = 0;
  queuedBytes = 0;
  heapIndex = -1;
  paused = false;
  dst: net.Socket | null = null;

  constructor(
    readonly conn: Conn,
    readonly dir: 0 | 1,
    public src: net.Socket | null,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  headDue(): number {
    return this.due[this.head];
  }

  push(item: Item, due: number, arrived: number): void {
    this.items.push(item);
    this.due.push(due);
    this.arrived.push(arrived);
    if (item !== END && item !== RESET) this.queuedBytes += item.length;
  }

  shift(): Item {
    const item = this.items[this.head];
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = this.due.length = this.arrived.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.due.splice(0, this.head);
      this.arrived.splice(0, this.head);
      this.head = 0;
    }
    if (item !== END && item !== RESET) this.queuedBytes -= item.length;
    return item;
  }

  /** Drop everything queued; returns how many chunks and bytes went. */
  clear(): { chunks: number; bytes: number } {
    const dropped = { chunks: this.length, bytes: this.queuedBytes };
    this.items.length = this.due.length = this.arrived.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.lastDue = 0;
    return dropped;
  }
}

class Conn {
  target: net.Socket | null = null;
  /** Whether each direction is black-holed for this connection (link-wide or by source). */
  blocked: [boolean, boolean] = [false, false];
  readonly fwd: Pipe;
  readonly bwd: Pipe;
  /** Lost data (or a FIN/RST) to a cut: its byte stream is broken, reset it at heal. */
  damaged = false;
  /** Accepted while the link was cut: the target has not been dialed. */
  held = false;
  clientClosed = false;
  targetClosed = false;

  constructor(
    readonly link: Link,
    readonly client: net.Socket,
    readonly source: string,
  ) {
    this.fwd = new Pipe(this, 0, client);
    this.bwd = new Pipe(this, 1, null);
    this.bwd.dst = client;
  }
}

/** Binary min-heap of pipes keyed by their head's due time. */
class PipeHeap {
  private a: Pipe[] = [];

  get size(): number {
    return this.a.length;
  }

  top(): Pipe | undefined {
    return this.a[0];
  }

  insert(p: Pipe): void {
    p.heapIndex = this.a.length;
    this.a.push(p);
    this.up(p.heapIndex);
  }

  remove(p: Pipe): void {
    const i = p.heapIndex;
    if (i < 0) return;
    p.heapIndex = -1;
    const last = this.a.pop()!;
    if (i === this.a.length) return;
    this.a[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  /** The top's key grew (it released its head). */
  fixTop(): void {
    this.down(0);
  }

  private up(i: number): void {
    const a = this.a;
    const p = a[i];
    const key = p.headDue();
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].headDue() <= key) break;
      a[i] = a[parent];
      a[i].heapIndex = i;
      i = parent;
    }
    a[i] = p;
    p.heapIndex = i;
  }

  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const p = a[i];
    const key = p.headDue();
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1].headDue() < a[c].headDue()) c++;
      if (a[c].headDue() >= key) break;
      a[i] = a[c];
      a[i].heapIndex = i;
      i = c;
    }
    a[i] = p;
    p.heapIndex = i;
  }
}

export class Link {
  readonly id: string;
  listen: Endpoint;
  readonly target: Endpoint;
  private delayMs: number;
  private jitterMs: number;
  private readonly sourceAddress: string | undefined;
  private cutAll: [boolean, boolean] = [false, false];
  private crashedAll = false;
  private readonly cutBySource = new Map<string, { cut: [boolean, boolean]; crashed: boolean }>();
  private readonly conns = new Set<Conn>();
  private readonly counters: [DirCounters, DirCounters] = [new DirCounters(), new DirCounters()];
  private readonly connCounts = { accepted: 0, reset: 0, failed: 0 };
  private server: net.Server | null = null;
  private closed = false;

  /** @internal created by DelayLine.addLink */
  constructor(
    private readonly line: DelayLine,
    opts: LinkOptions,
  ) {
    this.id = opts.id;
    this.listen = { ...opts.listen };
    this.target = { ...opts.target };
    this.delayMs = checkMs(opts.delayMs ?? 0, 'delayMs');
    this.jitterMs = checkMs(opts.jitterMs ?? 0, 'jitterMs');
    this.sourceAddress = opts.sourceAddress ?? 'preserve';
  }

  /** @internal */
  async start(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (c) => this.accept(c));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listen.port, this.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listen = { host: this.listen.host, port: (server.address() as net.AddressInfo).port };
  }

  /** Link-wide state; cuts limited to some sources show in `stats().sourceCuts`. */
  get state(): LinkState {
    return this.crashedAll ? 'crashed' : this.cutAll[0] || this.cutAll[1] ? 'cut' : 'up';
  }

  /** Change the delay for chunks arriving from now on; queued ones keep their release time. */
  setDelay(delayMs: number, jitterMs = this.jitterMs): void {
    this.delayMs = checkMs(delayMs, 'delayMs');
    this.jitterMs = checkMs(jitterMs, 'jitterMs');
  }

  get delay(): { delayMs: number; jitterMs: number } {
    return { delayMs: this.delayMs, jitterMs: this.jitterMs };
  }

  /**
   * Black-hole `direction` (of all connections, or of those from `sources`): drop what is
   * queued and whatever arrives until `heal`. Connections stay open; new ones are accepted
   * but never reach the target (the SYN is lost).
   */
  cut(direction: Direction = 'both', filter: SourceFilter = {}): void {
    if (filter.sources) {
      for (const src of filter.sources) {
        const e = this.sourceEntry(src);
        for (const d of dirs(direction)) e.cut[d] = true;
      }
    } else {
      for (const d of dirs(direction)) this.cutAll[d] = true;
    }
    this.refresh();
  }

  /**
   * Lift cuts and crashes (all, or those of `sources`). Connections that lost data, a FIN
   * or a reset meanwhile are reset at both ends, since their byte streams have holes (as a
   * TCP connection that timed out); the others carry on; held ones dial the target now.
   */
  heal(filter: SourceFilter = {}): void {
    if (filter.sources) {
      for (const src of filter.sources) this.cutBySource.delete(normalize(src));
    } else {
      this.cutAll = [false, false];
      this.crashedAll = false;
      this.cutBySource.clear();
    }
    this.refresh();
  }

  /**
   * A dead machine: everything queued is dropped at once and the link black-holed both ways
   * (for all connections, or those from `sources`). Existing connections are doomed: silent
   * until `heal` resets them (what a restarted host answers to old connections), or reset
   * at once with `resetNow`.
   */
  crash(opts: SourceFilter & { resetNow?: boolean } = {}): void {
    if (opts.sources) {
      for (const src of opts.sources) {
        const e = this.sourceEntry(src);
        e.cut = [true, true];
        e.crashed = true;
      }
    } else {
      this.cutAll = [true, true];
      this.crashedAll = true;
    }
    const only = opts.sources ? new Set(opts.sources.map(normalize)) : null;
    for (const c of [...this.conns]) {
      if (only && !only.has(c.source)) continue;
      c.damaged = true;
      if (opts.resetNow) this.resetConn(c);
    }
    this.refresh();
  }

  /** Reset (RST) every connection now (or those from `sources`), without cutting the link. */
  resetConnections(filter: SourceFilter = {}): void {
    const only = filter.sources ? new Set(filter.sources.map(normalize)) : null;
    for (const c of [...this.conns]) if (!only || only.has(c.source)) this.resetConn(c);
  }

  private sourceEntry(src: string): { cut: [boolean, boolean]; crashed: boolean } {
    const key = normalize(src);
    let e = this.cutBySource.get(key);
    if (!e) {
      e = { cut: [false, false], crashed: false };
      this.cutBySource.set(key, e);
    }
    return e;
  }

  private blockedFor(source: string): [boolean, boolean] {
    const e = this.cutBySource.get(source);
    return [this.cutAll[0] || (e?.cut[0] ?? false), this.cutAll[1] || (e?.cut[1] ?? false)];
  }

  /** Apply the cut tables to every connection: drop newly blocked queues, release healed ones. */
  private refresh(): void {
    for (const c of [...this.conns]) {
      const b = this.blockedFor(c.source);
      c.blocked = b;
      if (b[0]) this.dropQueued(c, c.fwd);
      if (b[1]) this.dropQueued(c, c.bwd);
      if (!b[0] && !b[1]) {
        if (c.damaged) this.resetConn(c);
        else if (c.held) this.dial(c);
      }
    }
  }

  stats(): LinkStats {
    const dir = (d: 0 | 1): DirectionStats => {
      const k = this.counters[d];
      let queuedBytes = 0;
      let queuedChunks = 0;
      let unsentBytes = 0;
      for (const c of this.conns) {
        const p = d === 0 ? c.fwd : c.bwd;
        queuedBytes += p.queuedBytes;
        queuedChunks += p.length;
        unsentBytes += p.dst?.writableLength ?? 0;
      }
      return {
        bytes: k.bytes,
        chunks: k.chunks,
        droppedBytes: k.droppedBytes,
        droppedChunks: k.droppedChunks,
        queuedBytes,
        queuedChunks,
        unsentBytes,
        delay: k.delay.summary(),
        late: k.late.summary(),
      };
    };
    let held = 0;
    for (const c of this.conns) if (c.held) held++;
    return {
      id: this.id,
      listen: { ...this.listen },
      target: { ...this.target },
      delayMs: this.delayMs,
      jitterMs: this.jitterMs,
      state: this.state,
      cut: { forward: this.cutAll[0], backward: this.cutAll[1] },
      sourceCuts: [...this.cutBySource].map(([source, e]) => ({ source, forward: e.cut[0], backward: e.cut[1], crashed: e.crashed })),
      connections: { ...this.connCounts, active: this.conns.size, held },
      forward: dir(0),
      backward: dir(1),
    };
  }

  /** Forget the delay histograms (counters keep counting), to measure a fresh window. */
  resetDelayStats(): void {
    for (const k of this.counters) {
      k.delay.reset();
      k.late.reset();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.conns]) this.destroyConn(c);
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.line._forget(this);
  }

  // ---- connection handling ----

  private accept(client: net.Socket): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    this.connCounts.accepted++;
    const c = new Conn(this, client, normalize(client.remoteAddress ?? ''));
    c.blocked = this.blockedFor(c.source);
    this.conns.add(c);
    client.on('data', (buf: Buffer) => this.arrive(c.fwd, buf));
    client.on('end', () => this.arrive(c.fwd, END));
    client.on('error', () => {});
    client.on('drain', () => this.maybeResume(c.bwd));
    client.on('close', (hadError) => {
      c.clientClosed = true;
      if (hadError) this.arrive(c.fwd, RESET);
      this.maybeForget(c);
    });
    // A cut network loses the SYN: the client is accepted here but the target never hears.
    if (c.blocked[0] || c.blocked[1]) c.held = true;
    else this.dial(c);
  }

  private dial(c: Conn): void {
    c.held = false;
    const local = this.sourceAddress === 'preserve' ? c.source : this.sourceAddress === 'any' ? '' : this.sourceAddress;
    const target = net.connect({
      host: this.target.host,
      port: this.target.port,
      allowHalfOpen: true,
      noDelay: true,
      ...(local ? { localAddress: local } : {}),
    });
    c.target = target;
    c.fwd.dst = target;
    c.bwd.src = target;
    target.on('data', (buf: Buffer) => this.arrive(c.bwd, buf));
    target.on('end', () => this.arrive(c.bwd, END));
    target.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.syscall === 'connect') this.connCounts.failed++;
    });
    target.on('close', (hadError) => {
      c.targetClosed = true;
      if (hadError) this.arrive(c.bwd, RESET);
      this.maybeForget(c);
    });
    target.on('drain', () => this.maybeResume(c.fwd));
    if (c.clientClosed) target.destroy();
  }

  private maybeForget(c: Conn): void {
    if (c.clientClosed && (c.targetClosed || c.target === null)) this.forget(c);
  }

  private forget(c: Conn): void {
    if (!this.conns.delete(c)) return;
    this.line._unschedule(c.fwd);
    this.line._unschedule(c.bwd);
    c.fwd.clear();
    c.bwd.clear();
  }

  private resetConn(c: Conn): void {
    this.connCounts.reset++;
    this.forget(c);
    rst(c.client);
    if (c.target) rst(c.target);
  }

  private destroyConn(c: Conn): void {
    this.forget(c);
    c.client.destroy();
    c.target?.destroy();
  }

  private dropQueued(c: Conn, p: Pipe): void {
    if (p.length > 0) {
      const k = this.counters[p.dir];
      const d = p.clear();
      k.droppedChunks += d.chunks;
      k.droppedBytes += d.bytes;
      c.damaged = true;
      this.line._unschedule(p);
    }
    p.lastDue = 0;
    // A dead network absorbs everything: keep reading so the sender is not throttled.
    if (p.paused) {
      p.paused = false;
      p.src?.resume();
    }
  }

  /** A chunk (or FIN/RST) arrived on pipe p. */
  private arrive(p: Pipe, item: Item): void {
    const c = p.conn;
    // A held connection never reached the target: whatever it sends is lost, whichever way is cut.
    if (c.blocked[p.dir] || c.held) {
      const k = this.counters[p.dir];
      k.droppedChunks++;
      if (item !== END && item !== RESET) k.droppedBytes += item.length;
      c.damaged = true;
      return;
    }
    const now = performance.now();
    let delay = this.delayMs;
    if (this.jitterMs > 0) delay += (2 * this.line._random() - 1) * this.jitterMs;
    if (delay > 0) delay = Math.max(0, delay - this.line._compensationMs - this.line._transitMs);
    let due = now + delay;
    if (due < p.lastDue) due = p.lastDue;
    p.lastDue = due;
    if (p.length === 0 && due <= now) {
      // Pass-through (delay 0): no queue, no clock.
      this.deliver(p, item, now, now, now);
    } else {
      p.push(item, due, now);
      if (p.length === 1) this.line._schedule(p);
      if (!p.paused && p.src && p.queuedBytes + (p.dst?.writableLength ?? 0) > this.line._highWater) {
        p.paused = true;
        p.src.pause();
      }
    }
    this.line._pump(now);
  }

  /** @internal Called by the scheduler: release p's items due by `limit`. */
  _release(p: Pipe, limit: number, now: number): number {
    const dst = p.dst;
    const many = p.length > 1 && p.due[p.head + 1] <= limit;
    if (many) dst?.cork();
    let n = 0;
    while (p.length > 0 && p.headDue() <= limit) {
      const due = p.headDue();
      const arrived = p.arrived[p.head];
      this.deliver(p, p.shift(), now, due, arrived);
      n++;
    }
    if (many) dst?.uncork();
    this.maybeResume(p);
    return n;
  }

  private deliver(p: Pipe, item: Item, now: number, due: number, arrived: number): void {
    const dst = p.dst;
    const k = this.counters[p.dir];
    if (item === END) {
      if (dst && !dst.destroyed) dst.end();
      return;
    }
    if (item === RESET) {
      if (dst) rst(dst);
      return;
    }
    k.bytes += item.length;
    k.chunks++;
    k.delay.recordMs(now - arrived);
    k.late.recordMs(now - due);
    if (now > arrived) this.line._observeLateness(now - due);
    if (dst && !dst.destroyed && dst.writable) dst.write(item);
  }

  private maybeResume(p: Pipe): void {
    if (p.paused && p.queuedBytes + (p.dst?.writableLength ?? 0) <= this.line._highWater / 2) {
      p.paused = false;
      p.src?.resume();
    }
  }
}

function rst(s: net.Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/** '::ffff:127.0.0.1' (a dual-stack listener's view) and '127.0.0.1' are the same client. */
function normalize(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

function dirs(d: Direction): (0 | 1)[] {
  return d === 'forward' ? [0] : d === 'backward' ? [1] : [0, 1];
}

function checkMs(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number of milliseconds >= 0, got ${v}`);
  return v;
}

const MAX_COMPENSATION_MS = 0.3;

/** A set of links sharing one scheduler and clock: the lab runs one per cluster. */
export class DelayLine {
  private readonly links = new Map<string, Link>();
  private readonly heap = new PipeHeap();
  private readonly clock: Clock;
  private readonly coalesceMs: number;
  private armed = Infinity;
  private wakeups = 0;
  /** @internal */
  readonly _highWater: number;
  /** @internal */
  readonly _random: () => number;
  /** @internal Running median of release lateness (ms), subtracted from delays. */
  _compensationMs = 0;
  /** @internal Measured per-hop transit (ms), subtracted from delays. */
  _transitMs = 0;
  private readonly compensate: boolean;

  constructor(opts: DelayLineOptions = {}) {
    this.compensate = opts.compensate ?? true;
    this.coalesceMs = opts.coalesceMs ?? 0.05;
    this._highWater = opts.highWaterBytes ?? 4 * 1024 * 1024;
    this._random = opts.random ?? Math.random;
    this._transitMs = opts.transitMs ?? 0;
    this.clock = createClock(opts.clock ?? 'worker', (now) => this.fire(now), this.coalesceMs);
  }

  async addLink(opts: LinkOptions): Promise<Link> {
    if (this.links.has(opts.id)) throw new Error(`link '${opts.id}' already exists`);
    // No traffic before the clock can release it.
    await this.clock.ready();
    if (this.links.has(opts.id)) throw new Error(`link '${opts.id}' already exists`);
    const link = new Link(this, opts);
    this.links.set(opts.id, link);
    try {
      await link.start();
    } catch (e) {
      this.links.delete(opts.id);
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new Error(`link '${opts.id}': ${opts.listen.host}:${opts.listen.port} is already in use`);
      if (err.code === 'EADDRNOTAVAIL') throw new Error(`link '${opts.id}': cannot bind ${opts.listen.host}: not a local address (use 127.x.y.z)`);
      throw e;
    }
    return link;
  }

  link(id: string): Link {
    const l = this.links.get(id);
    if (!l) throw new Error(`no link '${id}'`);
    return l;
  }

  has(id: string): boolean {
    return this.links.has(id);
  }

  all(): Link[] {
    return [...this.links.values()];
  }

  stats(): DelayLineStats {
    return { clock: this.clock.stats(), compensationMs: this._compensationMs, transitMs: this._transitMs, links: this.links.size, wakeups: this.wakeups };
  }

  /**
   * Measure this machine's per-hop transit through the line (transit.ts) and subtract it
   * from every delay from now on. Returns it (ms).
   */
  async calibrate(opts: TransitOptions = {}): Promise<number> {
    this._transitMs = 0;
    this._transitMs = await measureTransit(this, opts);
    return this._transitMs;
  }

  /**
   * @internal A delayed release happened `lateMs` after its (compensated) deadline. A
   * stochastic median tracker: a GC pause or a burst moves it by one small step, not by
   * its size. Capped, so a machine that stalls for long cannot make delays vanish.
   */
  _observeLateness(lateMs: number): void {
    if (!this.compensate) return;
    const c = this._compensationMs + (lateMs > this._compensationMs ? 0.002 : -0.002);
    this._compensationMs = Math.min(MAX_COMPENSATION_MS, Math.max(0, c));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((l) => l.close()));
    await this.clock.close();
  }

  /** @internal */
  _forget(link: Link): void {
    if (this.links.get(link.id) === link) this.links.delete(link.id);
  }

  /** @internal p just became non-empty. */
  _schedule(p: Pipe): void {
    this.heap.insert(p);
    this.rearm();
  }

  /** @internal */
  _unschedule(p: Pipe): void {
    this.heap.remove(p);
  }

  /** @internal After any socket event: release what is due anyway, without a wake-up of its own. */
  _pump(now: number): void {
    const top = this.heap.top();
    if (top && top.headDue() <= now + this.coalesceMs) this.release(now);
  }

  /** Release everything due by now + coalesceMs; returns how many items went. */
  private release(now: number): number {
    const limit = now + this.coalesceMs;
    const heap = this.heap;
    let n = 0;
    for (let p = heap.top(); p && p.headDue() <= limit; p = heap.top()) {
      n += p.conn.link._release(p, limit, now);
      if (p.heapIndex < 0) continue;
      if (p.length === 0) heap.remove(p);
      else heap.fixTop();
    }
    this.rearm();
    return n;
  }

  private rearm(): void {
    const top = this.heap.top();
    const d = top ? top.headDue() : Infinity;
    if (d !== this.armed) {
      this.armed = d;
      this.clock.arm(d);
    }
  }

  private fire(now: number): FireResult {
    this.wakeups++;
    const n = this.release(now);
    return n > 0 ? 'released' : this.heap.size > 0 ? 'early' : 'idle';
  }
}
