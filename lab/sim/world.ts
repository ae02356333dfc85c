import { LogClient, type ClientOut } from '../../engine/log/client.js';
import { LogReplica, applyPersistOps, emptyDurable, type DurableState, type PersistOp, type ReplicaOut } from '../../engine/log/replica.js';
import { defaultLogConfig, majority, type Bugs, type Entry, type LogConfig, type LogMsg, type Position, type ToReplica, type FromReplica } from '../../engine/log/types.js';
import type { Writer } from '../../engine/log/writer.js';
import type { Operation } from '../checker/history.js';
import { describeFault, type Fault, type Target } from './faults.js';
import { EventHeap } from './heap.js';
import { applyEntry, digest, makeSnapshot, SnapshotStore, type Effect, type Kv } from './kv.js';
import { Rng } from './rng.js';

export interface SimConfig {
  seed: number;
  /** Engines read the log from the replica in their own AZ (default: on for even seeds, so both paths run). */
  readLocal?: boolean;
  logs: number;
  engines: number;
  clients: number;
  leaseMs: number;
  driftRate: number;
  tickMs: number;
  /** Faults happen before this; then everything heals. */
  faultsUntil: number;
  /** Time after healing for the cluster to settle before the final checks. */
  settleMs: number;
  snapshotEvery: number;
  faults: Fault[];
  bugs?: Bugs;
  trace?: boolean;
  /**
   * Turn off the oracle-based checks (committed log, digests, epochs, serving) and judge
   * the run by the client history alone: shows that check on its own catches a bug.
   */
  historyOnly?: boolean;
}

export interface Violation {
  kind: string;
  t: number;
  msg: string;
}

export interface SimStats {
  events: number;
  ops: { ok: number; fail: number; unknown: number };
  committed: number;
  failovers: number;
  epochs: number;
  fenced: number;
  fencedWhileServing: number;
  /** A serving writer paused for longer than the lease. */
  writerPausedPastLease: number;
  /** ... and on resuming found a newer writer had taken over. */
  writerResumedDeposed: number;
  logCrashes: number;
  /** Crashes of a log replica with an fsync in flight (unsynced records lost or torn). */
  logCrashesWithUnsynced: number;
  engineCrashes: number;
  snapshots: number;
  snapshotLoads: number;
  /** Loads that found a corrupt newest snapshot (checksum) and used an older one. */
  corruptSnapshotsRefused: number;
  leaseRefusals: number;
  /** Appends that reset a lagging replica to the writer's snapshot base. */
  resetAppends: number;
}

/** Thrown to stop the run at the first violation. */
class Stop extends Error {}

type ReqF = 'write' | 'read' | 'incr' | 'get';
interface Req {
  kind: 'req';
  op: number;
  f: ReqF;
  key: string;
  value?: string;
}
interface Resp {
  kind: 'resp';
  op: number;
  status: 'ok' | 'fail' | 'unknown';
  output?: string | number | null;
  hint?: string | null;
}
type AnyMsg = LogMsg<Effect> | Req | Resp;

class SimClock {
  private t0 = 0;
  private l0: number;
  constructor(
    origin: number,
    private rate: number,
  ) {
    this.l0 = origin;
  }
  at(t: number): number {
    return this.l0 + (t - this.t0) * this.rate;
  }
  setRate(t: number, rate: number): void {
    this.l0 = this.at(t);
    this.t0 = t;
    this.rate = rate;
  }
}

interface Proc {
  id: string;
  az: number;
  alive: boolean;
  inc: number;
  clock: SimClock;
  pausedUntil: number;
  pauseMid: boolean;
  holdUntil: number;
  deferred: (() => void)[];
}

interface LogProc extends Proc {
  machine: LogReplica<Effect> | null;
  disk: DurableState<Effect>;
  inflight: { id: number; ops: readonly PersistOp<Effect>[] } | null;
  slowUntil: number;
  slowMs: number;
}

interface HeldRead {
  req: Req;
  client: string;
  value: string | number | null;
  wait: number;
}

interface EngineProc extends Proc {
  cfg: LogConfig;
  log: LogClient<Effect> | null;
  kv: Kv;
  applied: Position;
  heldWrites: { index: number; req: Req; client: string; output?: number }[];
  heldReads: HeldRead[];
  keyPending: Map<string, number>;
  /** Epoch this node announced BecameWriter for (it may serve only in it). */
  servingEpoch: number;
  writerSeen: Writer<Effect> | null;
  oracleChecked: number;
  pausedWhileServing: boolean;
}

interface ClientProc {
  id: string;
  readHeavy: boolean;
  az: number;
  hid: number;
  belief: number;
  current: Operation | null;
}

const REGISTERS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const COUNTERS = ['c0', 'c1'];

export class World {
  readonly cfg: SimConfig;
  private heap = new EventHeap();
  t = 0;
  private rngNet: Rng;
  private rngWork: Rng;
  private rngDisk: Rng;
  private logs: LogProc[] = [];
  private engines: EngineProc[] = [];
  private clients: ClientProc[] = [];
  private procs = new Map<string, Proc>();
  private cuts: { a: Set<string>; b: Set<string>; until: number }[] = [];
  private loss = 0;
  private dup = 0;
  private lossyUntil = 0;
  private store = new SnapshotStore();
  private corruptNext = false;
  readonly history: Operation[] = [];
  private nextOp = 1;
  private nextHid = 1;
  private stopIssuingAt: number;
  private endAt: number;
  // The oracle: the committed log as writers reported it, and the state after each index.
  private committed: { epoch: number; op: number | null }[] = [{ epoch: 0, op: null }];
  private digests: string[] = [''];
  private oracleKv: Kv = new Map();
  private opIndex = new Map<number, number>();
  private epochOwner = new Map<number, string>();
  private becameAt = new Map<number, number>();
  private maxBecame = 0;
  private promiseGrants = new Map<string, Set<string>>();
  readonly violations: Violation[] = [];
  readonly trace: string[] = [];
  readonly stats: SimStats = {
    events: 0,
    ops: { ok: 0, fail: 0, unknown: 0 },
    committed: 0,
    failovers: 0,
    epochs: 0,
    fenced: 0,
    fencedWhileServing: 0,
    writerPausedPastLease: 0,
    writerResumedDeposed: 0,
    logCrashes: 0,
    logCrashesWithUnsynced: 0,
    engineCrashes: 0,
    snapshots: 0,
    snapshotLoads: 0,
    corruptSnapshotsRefused: 0,
    leaseRefusals: 0,
    resetAppends: 0,
  };

  constructor(cfg: SimConfig) {
    this.cfg = cfg;
    const boot = new Rng(cfg.seed, 1);
    this.rngNet = new Rng(cfg.seed, 2);
    this.rngWork = new Rng(cfg.seed, 3);
    this.rngDisk = new Rng(cfg.seed, 4);
    this.endAt = cfg.faultsUntil + cfg.settleMs;
    this.stopIssuingAt = cfg.faultsUntil + cfg.settleMs * 0.4;
    const logIds = Array.from({ length: cfg.logs }, (_, i) => `L${i + 1}`);
    const L = cfg.leaseMs;
    const base = defaultLogConfig(logIds, {
      leaseMs: L,
      driftRate: cfg.driftRate,
      heartbeatMs: L / 5,
      commitTimeoutMs: L * 2,
      retransmitMs: L / 4,
      readTimeoutMs: L / 4,
      campaignTimeoutMs: L * 3,
      maxBatch: 32,
      maxInflight: 4,
      snapshotEvery: cfg.snapshotEvery,
      bugs: cfg.bugs,
    });
    const clock = () => new SimClock(boot.range(0, 1e6), 1 + boot.range(-cfg.driftRate, cfg.driftRate));
    for (let i = 0; i < cfg.logs; i++) {
      const p: LogProc = {
        ...this.proc(logIds[i], i % 3, clock()),
        machine: null,
        disk: emptyDurable<Effect>(),
        inflight: null,
        slowUntil: 0,
        slowMs: 0,
      };
      p.machine = new LogReplica<Effect>(p.id, { leaseMs: L, bugs: cfg.bugs }, p.disk, p.clock.at(0));
      this.logs.push(p);
      this.procs.set(p.id, p);
      // Held reads (ReadMsg.waitMs) come due on the replica's clock.
      this.every(cfg.tickMs / 2, cfg.tickMs, () => this.tickLog(p));
    }
    for (let i = 0; i < cfg.engines; i++) {
      // Priority by rank plus jitter: followers do not all campaign at once.
      const ecfg: LogConfig = { ...base, campaignOffsetMs: i * (L / 3) + boot.range(0, L / 4) };
      if ((cfg.readLocal ?? cfg.seed % 2 === 0) && i % 3 < cfg.logs) (ecfg as { readFrom?: string }).readFrom = logIds[i % 3];
      const p: EngineProc = {
        ...this.proc(`N${i + 1}`, i % 3, clock()),
        cfg: ecfg,
        log: null,
        kv: new Map(),
        applied: { index: 0, epoch: 0 },
        heldWrites: [],
        heldReads: [],
        keyPending: new Map(),
        servingEpoch: 0,
        writerSeen: null,
        oracleChecked: 0,
        pausedWhileServing: false,
      };
      p.log = new LogClient<Effect>(p.id, ecfg, { snapshot: p.applied, incarnation: '0' }, p.clock.at(0));
      this.engines.push(p);
      this.procs.set(p.id, p);
      const phase = boot.range(0, cfg.tickMs);
      this.every(phase, cfg.tickMs, () => this.tickEngine(p));
    }
    for (let i = 0; i < cfg.clients; i++) {
      const c: ClientProc = { id: `C${i + 1}`, readHeavy: i % 2 === 1, az: boot.int(3), hid: this.nextHid++, belief: boot.int(cfg.engines), current: null };
      this.clients.push(c);
      this.at(boot.range(L, L * 2), () => this.issue(c));
    }
    for (const f of cfg.faults) this.at(f.t, () => this.inject(f));
    this.at(cfg.faultsUntil, () => this.healAll());
  }

  private proc(id: string, az: number, clock: SimClock): Proc {
    return { id, az, alive: true, inc: 0, clock, pausedUntil: 0, pauseMid: false, holdUntil: 0, deferred: [] };
  }

  private at(t: number, run: () => void): void {
    this.heap.push(Math.max(t, this.t), run);
  }

  private every(phase: number, period: number, run: () => void): void {
    const loop = () => {
      run();
      if (this.t + period <= this.endAt) this.at(this.t + period, loop);
    };
    this.at(phase, loop);
  }

  log(who: string, text: string): void {
    if (this.cfg.trace) this.trace.push(`${this.t.toFixed(3).padStart(9)} ${who.padEnd(3)} ${text}`);
  }

  /** An oracle-based check failed: a violation, unless the run judges by history only. */
  private soft(kind: string, msg: string): void {
    if (this.cfg.historyOnly) {
      this.log('!!', `(ignored: history-only run) ${kind}: ${msg}`);
      return;
    }
    this.violate(kind, msg);
  }

  private violate(kind: string, msg: string): never {
    this.violations.push({ kind, t: this.t, msg });
    this.log('!!', `VIOLATION ${kind}: ${msg}`);
    throw new Stop(msg);
  }

  run(): void {
    try {
      for (;;) {
        const e = this.heap.pop();
        if (!e || e.t > this.endAt) break;
        this.t = e.t;
        this.stats.events++;
        try {
          e.run();
        } catch (err) {
          if (err instanceof Stop) throw err;
          const m = (err as Error).message ?? String(err);
          this.violate(m.startsWith('invariant') ? 'invariant' : 'crash', m + (this.cfg.trace ? '\n' + (err as Error).stack : ''));
        }
      }
      this.t = this.endAt;
      this.stats.corruptSnapshotsRefused = this.store.refused;
      this.finalChecks();
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
    }
  }

  // ---- processes: steps, pauses ----

  /** Run fn as one step of the process (deferred while it is paused; dropped if it is dead). */
  private step(p: Proc, fn: () => void, deferrable = true): void {
    if (!p.alive) return;
    if (this.t < p.pausedUntil) {
      if (p.pauseMid) {
        // It checked and decided now, then stalled before its outputs left.
        p.pauseMid = false;
        p.holdUntil = p.pausedUntil;
        try {
          fn();
        } finally {
          p.holdUntil = 0;
        }
      } else if (deferrable) p.deferred.push(fn);
      return;
    }
    fn();
  }

  private pause(p: Proc, dur: number, mid: boolean): void {
    if (!p.alive) return;
    const until = this.t + dur;
    if (until <= p.pausedUntil) return;
    p.pausedUntil = until;
    p.pauseMid = mid;
    const e = this.engines.find((x) => x === p);
    if (e && e.log?.canServe(e.clock.at(this.t))) {
      e.pausedWhileServing = dur > this.cfg.leaseMs;
      if (e.pausedWhileServing) this.stats.writerPausedPastLease++;
    }
    this.log(p.id, `paused for ${dur.toFixed(1)}ms${mid ? ' (mid-step)' : ''}`);
    this.at(until, () => this.resume(p));
  }

  private resume(p: Proc): void {
    if (!p.alive || this.t < p.pausedUntil) return;
    p.pausedUntil = 0;
    p.pauseMid = false;
    this.log(p.id, `resumed (${p.deferred.length} deferred inputs)`);
    const e = this.engines.find((x) => x === p);
    if (e?.pausedWhileServing) {
      e.pausedWhileServing = false;
      if (this.maxBecame > e.servingEpoch && e.servingEpoch > 0) this.stats.writerResumedDeposed++;
    }
    const d = p.deferred;
    p.deferred = [];
    const inc = p.inc;
    for (const fn of d) if (p.alive && p.inc === inc) fn();
  }

  // ---- network ----

  private cut(a: string, b: string): boolean {
    for (const c of this.cuts) {
      if (c.until <= this.t) continue;
      if ((c.a.has(a) && c.b.has(b)) || (c.a.has(b) && c.b.has(a))) return true;
    }
    return false;
  }

  private azOf(id: string): number {
    const p = this.procs.get(id);
    if (p) return p.az;
    const c = this.clients.find((x) => x.id === id);
    return c ? c.az : 0;
  }

  private send(from: string, holdUntil: number, to: string, msg: AnyMsg): void {
    const rng = this.rngNet;
    const depart = Math.max(this.t, holdUntil);
    // Client connections are TCP: never duplicated (a duplicated request would execute twice).
    const copies = this.t < this.lossyUntil && !('kind' in msg) && rng.chance(this.dup) ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      if (this.t < this.lossyUntil && rng.chance(this.loss)) continue;
      const cross = this.azOf(from) !== this.azOf(to);
      let delay = cross ? rng.range(0.3, 0.7) : rng.range(0.03, 0.1);
      if (rng.chance(0.02)) delay += rng.range(1, this.cfg.leaseMs / 4);
      const arrive = depart + delay;
      this.at(arrive, () => {
        if (this.cut(from, to)) return;
        this.deliver(from, to, msg);
      });
    }
  }

  private deliver(from: string, to: string, msg: AnyMsg): void {
    if ('kind' in msg && msg.kind === 'resp') {
      const c = this.clients.find((x) => x.id === to);
      if (c) this.onResp(c, msg);
      return;
    }
    const p = this.procs.get(to);
    if (!p) return;
    if ('kind' in msg) {
      const e = p as EngineProc;
      const req = msg as Req;
      this.step(e, () => this.onRequest(e, from, req));
      return;
    }
    if (to.startsWith('L')) {
      const l = p as LogProc;
      this.step(l, () => {
        const out = l.machine!.handle(msg as ToReplica<Effect>, l.clock.at(this.t));
        this.logOut(l, out);
      });
    } else {
      const e = p as EngineProc;
      this.step(e, () => {
        if (!e.log) return;
        this.engineOut(e, e.log.handle(msg as FromReplica<Effect>, e.clock.at(this.t)));
      });
    }
  }

  // ---- log replicas ----

  private logOut(l: LogProc, outs: ReplicaOut<Effect>[]): void {
    for (const o of outs) {
      if (o.kind === 'send') {
        const m = o.msg;
        if (m.type === 'promiseReply') {
          if (m.granted) this.notePromise(m.epoch, o.to, l.id);
          else if (m.reason === 'lease') this.stats.leaseRefusals++;
        }
        this.send(l.id, l.holdUntil, o.to, m);
      } else {
        if (l.inflight) this.violate('harness', `${l.id} started a second persist while one is in flight`);
        l.inflight = { id: o.id, ops: o.ops };
        const inc = l.inc;
        const slow = this.t < l.slowUntil ? l.slowMs : 0;
        // fsync on a cloud volume: ~0.5-4 ms, now and then a stall.
        const dur = slow + this.rngDisk.range(0.5, 4) + (this.rngDisk.chance(0.01) ? this.rngDisk.range(5, 30) : 0);
        this.at(this.t + dur, () => {
          if (l.inc !== inc || !l.alive) return;
          applyPersistOps(l.disk, o.ops);
          l.inflight = null;
          this.step(l, () => this.logOut(l, l.machine!.persisted(o.id, l.clock.at(this.t))));
        });
      }
    }
  }

  private notePromise(epoch: number, candidate: string, replica: string): void {
    const k = `${epoch}/${candidate}`;
    let s = this.promiseGrants.get(k);
    if (!s) this.promiseGrants.set(k, (s = new Set()));
    s.add(replica);
    if (s.size >= majority(this.cfg.logs)) {
      for (const [k2, s2] of this.promiseGrants) {
        if (k2 !== k && k2.startsWith(`${epoch}/`) && s2.size >= majority(this.cfg.logs)) {
          this.soft('double-promise', `epoch ${epoch}: ${candidate} and ${k2.split('/')[1]} both hold a majority of promises`);
        }
      }
    }
  }

  private crashLog(l: LogProc, down: number): void {
    if (!l.alive) return;
    this.stats.logCrashes++;
    if (l.inflight) {
      // Records written but not fsynced: some prefix reached the disk, possibly a torn last one.
      this.stats.logCrashesWithUnsynced++;
      const ops = l.inflight.ops;
      const k = this.rngDisk.int(ops.length + 1);
      const kept: PersistOp<Effect>[] = ops.slice(0, k);
      const torn = ops[k];
      if (torn && torn.op === 'append' && torn.entries.length > 1) {
        kept.push({ op: 'append', entries: torn.entries.slice(0, this.rngDisk.int(torn.entries.length)) });
      }
      applyPersistOps(l.disk, kept);
      this.log(l.id, `crash: ${k}/${ops.length} unsynced records survived`);
    } else this.log(l.id, 'crash');
    l.inflight = null;
    l.machine = null;
    this.kill(l);
    this.at(this.t + down, () => this.restartLog(l));
  }

  private restartLog(l: LogProc): void {
    if (l.alive) return;
    l.alive = true;
    l.machine = new LogReplica<Effect>(l.id, { leaseMs: this.cfg.leaseMs, bugs: this.cfg.bugs }, l.disk, l.clock.at(this.t));
    this.log(l.id, `restart: last ${l.machine.last.index}@${l.machine.last.epoch}, promised ${l.machine.promised}`);
  }

  private kill(p: Proc): void {
    p.alive = false;
    p.inc++;
    p.deferred = [];
    p.pausedUntil = 0;
    p.pauseMid = false;
  }

  // ---- engine nodes ----

  private tickLog(l: LogProc): void {
    if (!l.alive || !l.machine) return;
    this.step(l, () => l.machine && this.logOut(l, l.machine.tick(l.clock.at(this.t))), false);
  }

  private tickEngine(e: EngineProc): void {
    if (!e.alive || !e.log) return;
    this.step(e, () => e.log && this.engineOut(e, e.log.tick(e.clock.at(this.t))), false);
  }

  private engineOut(e: EngineProc, outs: ClientOut<Effect>[]): void {
    for (const o of outs) {
      switch (o.kind) {
        case 'send':
          if (o.msg.type === 'append' && o.msg.reset) this.stats.resetAppends++;
          this.send(e.id, e.holdUntil, o.to, o.msg);
          break;
        case 'apply':
          this.onApply(e, o.entries);
          break;
        case 'takeSnapshot':
          this.takeSnapshot(e, o.at);
          break;
        case 'needSnapshot':
          this.log(e.id, `log trimmed past ${e.applied.index}: load a snapshot (≥ ${o.atLeast.index})`);
          this.loadSnapshot(e, 0, o.atLeast.index);
          break;
        case 'campaign':
          this.log(e.id, `campaign for epoch ${o.epoch} (applied ${e.applied.index})`);
          break;
        case 'committed':
          this.onCommitted(e, o.index);
          break;
        case 'becameWriter':
          this.onBecameWriter(e, o.epoch, o.index);
          break;
        case 'fenced':
          this.onFenced(e, o);
          break;
      }
    }
    this.noteWriter(e);
  }

  /** A campaign won: exactly one node may hold each epoch. */
  private noteWriter(e: EngineProc): void {
    const w = e.log?.currentWriter ?? null;
    if (!w || w === e.writerSeen) return;
    e.writerSeen = w;
    // (Only a broken variant applies past the oracle; keep the record contiguous then.)
    e.oracleChecked = Math.min(w.applied.index, this.committed.length - 1);
    this.stats.epochs++;
    const owner = this.epochOwner.get(w.epoch);
    if (owner !== undefined) this.soft('two-writers', `epoch ${w.epoch} won by ${owner} and by ${e.id}`);
    this.epochOwner.set(w.epoch, e.id);
    this.log(e.id, `won epoch ${w.epoch}: adopted log to ${w.lastIndex - 1}, no-op at ${w.lastIndex}, applied ${w.applied.index}`);
  }

  private onApply(e: EngineProc, entries: readonly Entry<Effect>[]): void {
    for (const x of entries) {
      const c = this.committed[x.index];
      if (!c) this.soft('uncommitted-apply', `${e.id} applied entry ${x.index}@${x.epoch} that no writer has committed (committed through ${this.committed.length - 1})`);
      else if (c.epoch !== x.epoch || c.op !== (x.payload?.op ?? null)) {
        this.soft('divergent-apply', `${e.id} applied ${x.index}@${x.epoch} op ${x.payload?.op ?? 'noop'}, committed is @${c.epoch} op ${c.op ?? 'noop'}`);
      }
      if (x.index !== e.applied.index + 1) this.soft('apply-order', `${e.id} applied ${x.index} after ${e.applied.index}`);
      applyEntry(e.kv, x);
      e.applied = { index: x.index, epoch: x.epoch };
    }
    this.checkDigest(e, 'after apply');
  }

  private checkDigest(e: EngineProc, when: string): void {
    const want = this.digests[e.applied.index];
    if (want === undefined && this.cfg.historyOnly) return;
    const got = digest(e.kv);
    if (want !== got) this.soft('digest', `${e.id} ${when} at ${e.applied.index}: state ${got} but the committed log gives ${want}`);
  }

  private takeSnapshot(e: EngineProc, at: Position): void {
    if (at.index !== e.applied.index) this.violate('harness', `snapshot asked at ${at.index}, engine at ${e.applied.index}`);
    const snap = makeSnapshot(at, e.kv);
    const inc = e.inc;
    this.at(this.t + this.rngDisk.range(2, 20), () => {
      if (e.inc !== inc || !e.alive) return;
      // A corrupted upload is stored but refused by every reader (checksum).
      this.store.put(this.corruptNext ? SnapshotStore.corrupt(snap) : snap);
      if (this.corruptNext) this.log(e.id, `snapshot at ${at.index} stored CORRUPTED`);
      this.corruptNext = false;
      const prev = this.store.trimPoint();
      this.stats.snapshots++;
      this.log(e.id, `snapshot stored at ${at.index}`);
      this.step(e, () => {
        if (!e.log) return;
        if (!prev) return e.log.snapshotFailed();
        this.engineOut(e, e.log.snapshotStored(prev.at, e.clock.at(this.t)));
        e.log.snapshotFailed();
      });
    });
  }

  private loadSnapshot(e: EngineProc, seenEpoch: number, atLeast: number): void {
    const inc = e.inc;
    this.at(this.t + this.rngDisk.range(1, 10), () => {
      if (e.inc !== inc || !e.alive) return;
      this.step(e, () => {
        if (!e.log) return;
        const s = this.store.newest();
        const at = s ? s.at : { index: 0, epoch: 0 };
        if (at.index < atLeast) this.violate('bootstrap', `${e.id} needs a snapshot at ≥ ${atLeast}, newest valid is ${at.index}`);
        e.kv = new Map(s ? s.data : []);
        e.applied = at;
        this.stats.snapshotLoads++;
        this.checkDigest(e, 'after loading a snapshot');
        this.log(e.id, `loaded snapshot at ${at.index}`);
        e.log.snapshotLoaded(at, e.clock.at(this.t), seenEpoch);
      });
    });
  }

  private onCommitted(e: EngineProc, index: number): void {
    this.noteWriter(e);
    const w = e.log?.currentWriter;
    if (!w) this.violate('harness', 'committed without a writer');
    // Record the committed log; an index already recorded must never change.
    for (let i = e.oracleChecked + 1; i <= index; i++) {
      const x = w.entry(i);
      if (!x) {
        this.soft('harness', `writer ${e.id} lacks entry ${i} it committed`);
        continue;
      }
      const rec = this.committed[i];
      const op = x.payload?.op ?? null;
      if (rec) {
        if (rec.epoch !== x.epoch || rec.op !== op) {
          this.soft('committed-changed', `index ${i}: committed as @${rec.epoch} op ${rec.op ?? 'noop'}, now ${e.id} commits @${x.epoch} op ${op ?? 'noop'}`);
        }
      } else {
        if (i !== this.committed.length) this.violate('harness', `commit gap at ${i}`);
        this.committed.push({ epoch: x.epoch, op });
        applyEntry(this.oracleKv, x);
        this.digests.push(digest(this.oracleKv));
        if (op !== null) this.opIndex.set(op, i);
        this.stats.committed++;
      }
    }
    if (index > e.oracleChecked) e.oracleChecked = index;
    // Release held replies, in order.
    while (e.heldWrites.length && e.heldWrites[0].index <= index) {
      const h = e.heldWrites.shift()!;
      if (!this.opIndex.has(h.req.op)) this.soft('reply-before-commit', `op ${h.req.op} answered but not in the committed log`);
      this.reply(e, h.client, { kind: 'resp', op: h.req.op, status: 'ok', output: h.output });
    }
    if (e.heldReads.length) {
      const still: HeldRead[] = [];
      for (const r of e.heldReads) {
        if (r.wait <= index) this.reply(e, r.client, { kind: 'resp', op: r.req.op, status: 'ok', output: r.value });
        else still.push(r);
      }
      e.heldReads = still;
    }
  }

  private onBecameWriter(e: EngineProc, epoch: number, index: number): void {
    this.stats.failovers++;
    if (e.applied.index !== index) {
      this.soft('replay', `${e.id} became writer at ${index} with engine applied at ${e.applied.index}`);
    }
    // (A newer epoch may already have committed past it: a writer deposed while it waited
    // for its no-op. It must then never serve, which onRequest checks.)
    this.checkDigest(e, 'when it became writer');
    e.servingEpoch = epoch;
    if (epoch > this.maxBecame) this.maxBecame = epoch;
    this.becameAt.set(epoch, this.t);
    this.log(e.id, `BECAME WRITER epoch ${epoch} at index ${index}`);
  }

  private onFenced(e: EngineProc, f: Extract<ClientOut<Effect>, { kind: 'fenced' }>): void {
    this.stats.fenced++;
    if (f.discardMemory) this.stats.fencedWhileServing++;
    this.log(e.id, `fenced (${f.reason}, saw epoch ${f.seenEpoch}); ${f.unknownTo - f.unknownFrom + 1} entries outcome-unknown${f.discardMemory ? '; discarding memory' : ''}`);
    this.failHeld(e, 'unknown');
    e.servingEpoch = 0;
    e.writerSeen = null;
    if (f.discardMemory) {
      e.kv = new Map();
      e.applied = { index: 0, epoch: 0 };
      this.loadSnapshot(e, f.seenEpoch, 0);
    }
  }

  private failHeld(e: EngineProc, writes: 'unknown'): void {
    for (const h of e.heldWrites) this.reply(e, h.client, { kind: 'resp', op: h.req.op, status: writes });
    for (const r of e.heldReads) this.reply(e, r.client, { kind: 'resp', op: r.req.op, status: 'fail' });
    e.heldWrites = [];
    e.heldReads = [];
    e.keyPending.clear();
  }

  private reply(e: EngineProc, client: string, r: Resp): void {
    this.send(e.id, e.holdUntil, client, r);
  }

  private onRequest(e: EngineProc, client: string, req: Req): void {
    const now = e.clock.at(this.t);
    const log = e.log;
    if (!log || !log.canServe(now)) {
      const hint = log?.currentFollower?.knownWriter ?? null;
      this.reply(e, client, { kind: 'resp', op: req.op, status: 'fail', hint });
      return;
    }
    const w = log.currentWriter!;
    if (e.servingEpoch !== w.epoch) this.soft('served-before-replay', `${e.id} serves in epoch ${w.epoch} before replaying and re-committing (BecameWriter)`);
    if (this.maxBecame > w.epoch) {
      this.soft('stale-primary', `${e.id} (epoch ${w.epoch}) serves op ${req.op} after epoch ${this.maxBecame} took over at ${this.becameAt.get(this.maxBecame)!.toFixed(3)}`);
    }
    if (this.cfg.trace) this.log(e.id, `executes op ${req.op} ${req.f} ${req.key} (epoch ${w.epoch}, lease ${(w.leaseExpiry() - now).toFixed(1)}ms left)`);
    switch (req.f) {
      case 'write':
      case 'incr': {
        const value = req.f === 'write' ? req.value! : Number(e.kv.get(req.key) ?? 0) + 1;
        e.kv.set(req.key, value);
        const index = log.append({ op: req.op, key: req.key, value }, now);
        e.heldWrites.push({ index, req, client, output: req.f === 'incr' ? (value as number) : undefined });
        e.keyPending.set(req.key, index);
        this.engineOut(e, log.flush(now));
        break;
      }
      case 'read':
      case 'get': {
        const v = e.kv.get(req.key) ?? (req.f === 'get' ? 0 : null);
        const pend = e.keyPending.get(req.key) ?? 0;
        // A read of a key with an uncommitted write waits for it: no one may see what a failover could take back.
        if (pend > w.commitIndex) e.heldReads.push({ req, client, value: v, wait: pend });
        else this.reply(e, client, { kind: 'resp', op: req.op, status: 'ok', output: v });
        break;
      }
    }
  }

  private crashEngine(e: EngineProc, down: number): void {
    if (!e.alive) return;
    this.stats.engineCrashes++;
    this.log(e.id, `crash (${e.log?.role ?? 'loading'})`);
    this.kill(e);
    e.log = null;
    e.kv = new Map();
    e.heldWrites = [];
    e.heldReads = [];
    e.keyPending.clear();
    e.servingEpoch = 0;
    e.writerSeen = null;
    this.at(this.t + down, () => this.restartEngine(e));
  }

  private restartEngine(e: EngineProc): void {
    if (e.alive) return;
    e.alive = true;
    const s = this.store.newest();
    e.kv = new Map(s ? s.data : []);
    e.applied = s ? s.at : { index: 0, epoch: 0 };
    this.checkDigest(e, 'after restart from snapshot');
    e.log = new LogClient<Effect>(e.id, e.cfg, { snapshot: e.applied, incarnation: String(e.inc) }, e.clock.at(this.t));
    this.log(e.id, `restart from snapshot at ${e.applied.index}`);
  }

  // ---- clients ----

  private issue(c: ClientProc): void {
    if (this.t >= this.stopIssuingAt) return;
    const rng = this.rngWork;
    // Odd clients mostly read (a cache-like tenant); even ones write as much as they read.
    const w = c.readHeavy ? 1 : 5;
    const f = rng.weighted<ReqF>([
      ['write', 7 * w],
      ['read', 35],
      ['incr', 3 * w],
      ['get', 15],
    ]);
    const key = f === 'write' || f === 'read' ? rng.pick(REGISTERS) : rng.pick(COUNTERS);
    const id = this.nextOp++;
    const op: Operation = { id, client: c.hid, key, f, invoke: this.t, result: 'unknown' };
    if (f === 'write') op.value = `v${id}`;
    if (f === 'incr') op.value = 1;
    this.history.push(op);
    c.current = op;
    const target = this.engines[c.belief];
    this.send(c.id, 0, target.id, { kind: 'req', op: id, f, key, value: f === 'write' ? `v${id}` : undefined });
    const timeout = this.cfg.leaseMs * 5;
    this.at(this.t + timeout, () => {
      if (c.current !== op) return;
      this.finish(c, op, 'unknown');
    });
  }

  private finish(c: ClientProc, op: Operation, result: 'ok' | 'fail' | 'unknown', output?: string | number | null): void {
    c.current = null;
    op.result = result;
    if (this.cfg.trace) this.log(c.id, `op ${op.id} ${op.f} ${op.key}${op.value !== undefined ? ' ' + String(op.value) : ''} -> ${result}${output !== undefined ? ' ' + String(output) : ''}`);
    if (result !== 'unknown') op.complete = this.t;
    if (result === 'ok' && output !== undefined) op.output = output;
    this.stats.ops[result]++;
    // A client whose operation has an unknown outcome is retired (checker rule).
    if (result === 'unknown') {
      c.hid = this.nextHid++;
      c.belief = (c.belief + 1) % this.engines.length;
    }
    const rng = this.rngWork;
    const wait = result === 'ok' ? rng.range(0, 8) : rng.range(2, 15);
    this.at(this.t + wait, () => this.issue(c));
  }

  private onResp(c: ClientProc, r: Resp): void {
    const op = c.current;
    if (!op || op.id !== r.op) return;
    if (r.status === 'fail') {
      const hinted = r.hint ? this.engines.findIndex((x) => x.id === r.hint) : -1;
      c.belief = hinted >= 0 && hinted !== c.belief ? hinted : (c.belief + 1) % this.engines.length;
    }
    const output = op.f === 'write' ? undefined : r.output;
    this.finish(c, op, r.status, output);
  }

  // ---- faults ----

  private resolve(tg: Target): Proc | null {
    switch (tg.role) {
      case 'log':
        return this.logs[tg.i % this.logs.length];
      case 'engine':
        return this.engines[tg.i % this.engines.length];
      case 'writer': {
        const w = this.engines.find((e) => e.alive && e.log?.role === 'writer');
        return w ?? this.engines.find((e) => e.alive && e.log?.role === 'recovering') ?? null;
      }
      case 'follower': {
        const fs = this.engines.filter((e) => e.alive && (e.log?.role === 'follower' || e.log?.role === 'candidate'));
        return fs.length ? fs[0] : null;
      }
    }
  }

  private inject(f: Fault): void {
    if (f.kind !== 'clock') this.log('**', describeFault(f));
    const L = this.cfg.leaseMs;
    const ids = [...this.logs.map((l) => l.id), ...this.engines.map((e) => e.id)];
    switch (f.kind) {
      case 'pause': {
        const p = this.resolve(f.target);
        if (p) this.pause(p, f.dur, f.mid);
        break;
      }
      case 'crash': {
        const p = this.resolve(f.target);
        if (!p) break;
        if (p.id.startsWith('L')) this.crashLog(p as LogProc, f.down);
        else this.crashEngine(p as EngineProc, f.down);
        break;
      }
      case 'isolate': {
        const p = this.resolve(f.target);
        if (!p) break;
        const rest = new Set([...ids, ...this.clients.map((c) => c.id)]);
        rest.delete(p.id);
        this.cuts.push({ a: new Set([p.id]), b: rest, until: this.t + f.dur });
        break;
      }
      case 'partial': {
        const p = this.resolve(f.target);
        if (!p) break;
        this.cuts.push({ a: new Set([p.id]), b: new Set(f.logs.map((i) => this.logs[i % this.logs.length].id)), until: this.t + f.dur });
        break;
      }
      case 'splitAz': {
        const az = f.az === 'writer' ? this.resolve({ role: 'writer' })?.az : f.az;
        if (az === undefined) break;
        const a = new Set<string>();
        const b = new Set<string>();
        for (const id of ids) (this.azOf(id) === az ? a : b).add(id);
        for (const c of this.clients) (c.az === az ? a : b).add(c.id);
        this.cuts.push({ a, b, until: this.t + f.dur });
        break;
      }
      case 'lossy':
        this.loss = f.loss;
        this.dup = f.dup;
        this.lossyUntil = this.t + f.dur;
        break;
      case 'clock': {
        const p = this.procs.get(f.proc);
        if (p) p.clock.setRate(this.t, f.rate);
        break;
      }
      case 'slowDisk': {
        const l = this.logs[f.log % this.logs.length];
        l.slowUntil = this.t + f.dur;
        l.slowMs = f.ms;
        break;
      }
      case 'killAll':
        for (const l of this.logs) this.crashLog(l, f.down);
        for (const e of this.engines) this.crashEngine(e, f.down + this.rngDisk.range(0, L));
        break;
      case 'azLoss':
        for (const l of this.logs) if (l.az === f.az) this.crashLog(l, f.down);
        for (const e of this.engines) if (e.az === f.az) this.crashEngine(e, f.down);
        break;
      case 'corruptSnapshot':
        this.corruptNext = true;
        break;
    }
  }

  private healAll(): void {
    this.log('**', 'heal: partitions removed, loss off, crashed processes restarted, pauses ended');
    this.cuts = [];
    this.lossyUntil = 0;
    for (const l of this.logs) {
      l.slowUntil = 0;
      if (!l.alive) this.restartLog(l);
      else if (l.pausedUntil > this.t) {
        l.pausedUntil = this.t;
        this.resume(l);
      }
    }
    for (const e of this.engines) {
      if (!e.alive) this.restartEngine(e);
      else if (e.pausedUntil > this.t) {
        e.pausedUntil = this.t;
        this.resume(e);
      }
    }
  }

  // ---- final checks ----

  private finalChecks(): void {
    const serving = this.engines.filter((e) => e.alive && e.log?.canServe(e.clock.at(this.t)));
    if (serving.length > 1) this.soft('two-serving', `${serving.map((e) => `${e.id}@${e.log!.currentWriter!.epoch}`).join(' and ')} both hold a lease`);
    if (serving.length === 0) {
      const roles = this.engines.map((e) => `${e.id}:${e.alive ? e.log?.role ?? 'loading' : 'down'}`).join(' ');
      this.violate('liveness', `no writer holds a lease ${this.cfg.settleMs}ms after healing (${roles})`);
    }
    const e = serving[0];
    const w = e.log!.currentWriter!;
    if (w.commitIndex !== w.lastIndex) this.violate('liveness', `writer ${e.id} still has entries ${w.commitIndex + 1}..${w.lastIndex} uncommitted after settling`);
    // The oracle recorded every commit; the final writer's log must still hold all of it.
    for (let i = Math.max(1, w.logBase.index + 1); i < this.committed.length; i++) {
      const x = w.entry(i)!;
      const c = this.committed[i];
      if (!x || x.epoch !== c.epoch || (x.payload?.op ?? null) !== c.op) this.soft('lost-commit', `final writer ${e.id} lost committed entry ${i} (op ${c.op ?? 'noop'})`);
    }
    if (e.applied.index < w.applied.index) this.violate('harness', 'writer applied below its start');
    const want = this.digests[w.commitIndex];
    if (digest(e.kv) !== want) this.soft('digest', `final writer ${e.id} state differs from the committed log at ${w.commitIndex}`);
    // A final read of every key from the settled writer joins the history: an acknowledged
    // write missing from the final state then fails the linearizability check on its own.
    const hid = this.nextHid++;
    for (const key of [...REGISTERS, ...COUNTERS]) {
      const counter = COUNTERS.includes(key);
      const v = e.kv.get(key) ?? (counter ? 0 : null);
      this.history.push({ id: this.nextOp++, client: hid, key, f: counter ? 'get' : 'read', output: v, invoke: this.t, complete: this.t, result: 'ok' });
    }
    // Every acknowledged write is in the committed log, in real-time order.
    const acked = this.history.filter((o) => (o.f === 'write' || o.f === 'incr') && o.result === 'ok');
    for (const o of acked) if (!this.opIndex.has(o.id)) this.soft('lost-write', `acknowledged op ${o.id} (${o.f} ${o.key}) is not in the committed log`);
    const byComplete = [...acked].sort((a, b) => a.complete! - b.complete!);
    const byInvoke = [...acked].sort((a, b) => a.invoke - b.invoke);
    let j = 0;
    let maxIdx = 0;
    let maxOp = 0;
    for (const o of byInvoke) {
      while (j < byComplete.length && byComplete[j].complete! < o.invoke) {
        const idx = this.opIndex.get(byComplete[j].id)!;
        if (idx > maxIdx) {
          maxIdx = idx;
          maxOp = byComplete[j].id;
        }
        j++;
      }
      if (this.opIndex.get(o.id)! < maxIdx) this.soft('write-order', `op ${o.id} started after op ${maxOp} was acknowledged but precedes it in the log`);
    }
  }

  // ---- inspection for tests ----
  get committedLength(): number {
    return this.committed.length - 1;
  }
  roles(): string[] {
    return this.engines.map((e) => (e.alive ? e.log?.role ?? 'loading' : 'down'));
  }
}
