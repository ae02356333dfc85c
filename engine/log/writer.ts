import { EntryLog } from './entry-log.js';
import { Samples } from './samples.js';
import {
  invariant,
  leaseMargin,
  majority,
  type AppendMsg,
  type AppendReply,
  type Entry,
  type FromReplica,
  type LogConfig,
  type NodeId,
  type Position,
  type Send,
  type ToReplica,
} from './types.js';

/** Entries through `index` are committed: release the replies that wait on them, in order. */
export interface Committed {
  readonly kind: 'committed';
  readonly index: number;
}
/** Apply these committed entries to the engine, in order (no-ops have payload null). */
export interface Apply<P> {
  readonly kind: 'apply';
  readonly entries: readonly Entry<P>[];
}
/** The adopted log is replayed and re-committed under `epoch`: start serving. */
export interface BecameWriter {
  readonly kind: 'becameWriter';
  readonly epoch: number;
  readonly index: number;
}
/**
 * Stop serving now. Entries unknownFrom..unknownTo may or may not commit: their writes are
 * answered "outcome unknown", never failed. With discardMemory the engine has executed
 * uncommitted effects: it must drop its memory and rejoin from a snapshot plus the log.
 */
export interface Fenced {
  readonly kind: 'fenced';
  readonly epoch: number;
  readonly reason: 'epoch' | 'timeout';
  readonly seenEpoch: number;
  readonly unknownFrom: number;
  readonly unknownTo: number;
  readonly discardMemory: boolean;
}

export type WriterOut<P> = Send<ToReplica<P>> | Committed | Apply<P> | BecameWriter | Fenced;

interface Peer {
  readonly id: NodeId;
  nextIndex: number;
  matchIndex: number;
  /** probe: one append at a time until the logs match; pipeline: up to maxInflight batches. */
  mode: 'probe' | 'pipeline';
  inflight: number;
  probePrev: number;
  lastSendAt: number;
  /** Last append carrying entries (heartbeats do not count: they say nothing about loss). */
  lastDataAt: number;
  lastAckAt: number;
  sentCommit: number;
  /** Latest sentAt of an append this replica answered in our epoch: it granted a lease then. */
  answeredAt: number;
}

export interface WriterInit<P> {
  readonly epoch: number;
  /** The adopted log: committed prefix the engine has applied, then the tail to re-commit. */
  readonly log: EntryLog<P>;
  /** What the engine's memory holds (its applied position); the tail is applied at promotion. */
  readonly applied: Position;
  /** Replica log ends from the promises: a better first guess of where each stream starts. */
  readonly peerLast?: ReadonlyMap<NodeId, Position>;
}

/**
 * The primary's log client. The engine executes commands, hands their effects here with
 * append(), and releases replies on Committed. Created by a won campaign; first appends a
 * no-op in its own epoch and serves only once that no-op commits (Raft's rule: entries of
 * older epochs count as committed only under a current-epoch entry).
 */
export class Writer<P = unknown> {
  readonly epoch: number;
  private readonly log: EntryLog<P>;
  private readonly peers: Peer[];
  private readonly quorum: number;
  private readonly margin: number;
  private commit: number;
  private readonly appliedAtStart: Position;
  private readonly noopIndex: number;
  private isReady = false;
  private fencedAt: Fenced | null = null;
  private readonly startedAt: number;
  /** Append time of entries past the no-op, for the commit deadline. */
  private times: number[] = [];
  private timesBase: number;
  /** Append-to-commit times of the newest entries (ms): INFO's log_commit_p50_ms. */
  readonly commitTimes = new Samples(1024);

  constructor(
    readonly id: NodeId,
    private readonly cfg: LogConfig,
    init: WriterInit<P>,
    now: number,
  ) {
    invariant(init.log.lastIndex >= init.applied.index, 'adopted log shorter than what the engine applied');
    invariant(init.log.epochAt(init.applied.index) === init.applied.epoch, 'adopted log disagrees with the applied prefix');
    invariant(init.log.lastEpoch < init.epoch, 'adopted log already holds the new epoch');
    this.epoch = init.epoch;
    this.log = init.log;
    this.appliedAtStart = init.applied;
    this.commit = init.applied.index;
    this.quorum = cfg.bugs?.commitOnMinority ? 1 : majority(cfg.replicas.length);
    this.margin = leaseMargin(cfg.leaseMs, cfg.driftRate);
    this.startedAt = now;
    this.noopIndex = this.log.lastIndex + 1;
    this.log.push({ index: this.noopIndex, epoch: this.epoch, payload: null });
    this.timesBase = this.noopIndex;
    this.times.push(now);
    this.peers = cfg.replicas.map((id) => {
      const last = init.peerLast?.get(id);
      // Start where the promise said the replica's log ends, if it matches ours there.
      const start = last && last.index >= this.log.base.index && this.log.epochAt(last.index) === last.epoch ? last.index : this.noopIndex - 1;
      return {
        id,
        nextIndex: Math.min(start, this.noopIndex - 1) + 1,
        matchIndex: 0,
        mode: 'probe' as const,
        inflight: 0,
        probePrev: -1,
        lastSendAt: -Infinity,
        lastDataAt: -Infinity,
        lastAckAt: now,
        sentCommit: -1,
        answeredAt: -Infinity,
      };
    });
    if (cfg.bugs?.serveBeforeReplay) this.isReady = true;
  }

  get ready(): boolean {
    return this.isReady && !this.fencedAt;
  }
  get fenced(): Fenced | null {
    return this.fencedAt;
  }
  get commitIndex(): number {
    return this.commit;
  }
  get lastIndex(): number {
    return this.log.lastIndex;
  }
  get applied(): Position {
    return this.appliedAtStart;
  }
  entry(index: number): Entry<P> | undefined {
    return this.log.get(index);
  }
  entries(from: number, to: number): Entry<P>[] {
    return this.log.slice(from, to);
  }
  get logBase(): Position {
    return this.log.base;
  }

  /** The writer may serve (reads and writes) while now is before this, on its own clock. */
  leaseExpiry(): number {
    const answered = this.peers.map((p) => p.answeredAt).sort((a, b) => b - a);
    return answered[majority(this.peers.length) - 1] + this.cfg.leaseMs - this.margin;
  }

  canServe(now: number): boolean {
    if (!this.ready) return false;
    return this.cfg.bugs?.noLeaseCheck === true || now < this.leaseExpiry();
  }

  /** Log an executed command's effects; returns its index. Sent on the next flush(). */
  append(payload: P, now: number): number {
    invariant(this.ready, 'append on a writer that is not serving');
    const index = this.log.lastIndex + 1;
    this.log.push({ index, epoch: this.epoch, payload });
    this.times.push(now);
    return index;
  }

  /** Send what append() queued (call once per batch of appends: that is the group). */
  flush(now: number): WriterOut<P>[] {
    const out: WriterOut<P>[] = [];
    if (this.fencedAt) return out;
    for (const p of this.peers) this.sendTo(p, now, out);
    return out;
  }

  tick(now: number): WriterOut<P>[] {
    const out: WriterOut<P>[] = [];
    if (this.fencedAt) return out;
    if (this.commit < this.log.lastIndex) {
      const i = this.commit + 1;
      const since = i < this.timesBase ? this.startedAt : this.times[i - this.timesBase];
      if (now - since > this.cfg.commitTimeoutMs) {
        this.fence('timeout', this.epoch, out);
        return out;
      }
    }
    for (const p of this.peers) {
      // Nothing acknowledged for a while with entries outstanding: assume loss, probe again.
      if (p.nextIndex - 1 > p.matchIndex && now - p.lastAckAt >= this.cfg.retransmitMs && now - p.lastDataAt >= this.cfg.retransmitMs) {
        p.nextIndex = Math.max(p.matchIndex, this.log.base.index) + 1;
        p.mode = 'probe';
        p.inflight = 0;
      }
      this.sendTo(p, now, out);
      if (now - p.lastSendAt >= this.cfg.heartbeatMs || p.sentCommit < Math.min(this.commit, p.matchIndex)) {
        this.heartbeat(p, now, out);
      }
    }
    return out;
  }

  handle(msg: FromReplica<P>, now: number): WriterOut<P>[] {
    const out: WriterOut<P>[] = [];
    if (this.fencedAt || msg.type !== 'appendReply') return out;
    this.onReply(msg, now, out);
    return out;
  }

  private onReply(r: AppendReply, now: number, out: WriterOut<P>[]): void {
    if (r.promisedEpoch > this.epoch) {
      this.fence('epoch', r.promisedEpoch, out);
      return;
    }
    if (r.requestEpoch !== this.epoch) return;
    const p = this.peers.find((x) => x.id === r.from);
    if (!p) return;
    if (r.sentAt > p.answeredAt) p.answeredAt = r.sentAt;
    if (r.ok) {
      invariant(r.matchIndex <= this.log.lastIndex, `replica ${r.from} acknowledged ${r.matchIndex} past our log end`);
      if (r.matchIndex > p.matchIndex) {
        p.matchIndex = r.matchIndex;
        p.lastAckAt = now;
      }
      if (p.nextIndex <= p.matchIndex) p.nextIndex = p.matchIndex + 1;
      if (p.mode === 'probe') {
        // The logs match up to here: stream from nextIndex.
        p.mode = 'pipeline';
        p.inflight = 0;
      } else if (r.matchIndex > r.prevIndex && p.inflight > 0) p.inflight--;
      this.advance(out, now);
      this.sendTo(p, now, out);
    } else {
      if (p.mode === 'probe' && r.prevIndex !== p.probePrev) return; // stale
      if (r.prevIndex <= p.matchIndex) {
        // It no longer holds an entry it acknowledged: its disk lost records (a cut tail).
        // The commit index never moves back; stream to it again from what it still holds.
        p.matchIndex = Math.min(p.matchIndex, r.hintIndex);
      }
      p.nextIndex = Math.max(p.matchIndex + 1, Math.min(p.nextIndex, r.hintIndex + 1));
      p.mode = 'probe';
      p.inflight = 0;
      this.sendTo(p, now, out);
    }
  }

  private advance(out: WriterOut<P>[], now: number): void {
    const matches = this.peers.map((p) => p.matchIndex).sort((a, b) => b - a);
    const n = matches[this.quorum - 1];
    // Only an entry of our own epoch is committed by counting replicas (Raft §5.4.2).
    if (n > this.commit && this.log.epochAt(n) === this.epoch) {
      for (let i = Math.max(this.commit + 1, this.timesBase); i <= n; i++) this.commitTimes.add(now - this.times[i - this.timesBase]);
      this.commit = n;
      const drop = Math.min(this.commit + 1 - this.timesBase, this.times.length);
      if (drop > 64) {
        this.times = this.times.slice(drop);
        this.timesBase += drop;
      }
      out.push({ kind: 'committed', index: n });
    }
    if (!this.isReady && this.commit >= this.noopIndex) {
      this.isReady = true;
      out.push({ kind: 'apply', entries: this.log.slice(this.appliedAtStart.index + 1, this.noopIndex) });
      out.push({ kind: 'becameWriter', epoch: this.epoch, index: this.noopIndex });
    }
  }

  private sendTo(p: Peer, now: number, out: WriterOut<P>[]): void {
    const limit = p.mode === 'probe' ? 1 : this.cfg.maxInflight;
    while (p.inflight < limit && p.nextIndex <= this.log.lastIndex) {
      if (this.holding(p, now)) break;
      const n = this.appendFrom(p, now, out);
      p.nextIndex += n;
      p.inflight++;
    }
  }

  /** Past eagerInflight, p's next entry waits until it is holdMs old (see LogConfig). */
  private holding(p: Peer, now: number): boolean {
    const at = this.releaseAt(p);
    return at !== null && now < at;
  }

  /** When p's next entry may leave while past eagerInflight (null: it leaves at once). */
  private releaseAt(p: Peer): number | null {
    if (p.mode !== 'pipeline' || p.inflight < this.cfg.eagerInflight) return null;
    const i = p.nextIndex;
    // Entries before the kept window (an adopted tail) are long due.
    return i < this.timesBase ? -Infinity : this.times[i - this.timesBase] + this.cfg.holdMs;
  }

  /**
   * The earliest time a held entry may leave (flush() then sends it), or null when nothing
   * is held. The engine arms a timer for it; tick() also sends what is due.
   */
  holdUntil(): number | null {
    if (this.fencedAt) return null;
    let at: number | null = null;
    for (const p of this.peers) {
      if (p.inflight >= this.cfg.maxInflight || p.nextIndex > this.log.lastIndex) continue;
      const t = this.releaseAt(p);
      if (t !== null && (at === null || t < at)) at = t;
    }
    return at;
  }

  /** Send entries from p.nextIndex; returns how many. */
  private appendFrom(p: Peer, now: number, out: WriterOut<P>[]): number {
    const base = this.log.base;
    let prevIndex = p.nextIndex - 1;
    let reset = false;
    if (prevIndex < base.index) {
      // Entries it lacks are only in a snapshot now: have it restart from the snapshot point.
      prevIndex = base.index;
      reset = true;
      p.nextIndex = base.index + 1;
    }
    const entries = this.log.slice(prevIndex + 1, prevIndex + this.cfg.maxBatch);
    if (p.mode === 'probe') p.probePrev = prevIndex;
    p.lastDataAt = now;
    this.sendAppend(p, prevIndex, entries, reset, now, out);
    return entries.length;
  }

  /** An empty append at the known-matched point: renews the lease and carries the commit index. */
  private heartbeat(p: Peer, now: number, out: WriterOut<P>[]): void {
    const base = this.log.base;
    const prev = Math.max(p.matchIndex, base.index);
    this.sendAppend(p, prev, [], prev === base.index && p.matchIndex < base.index, now, out);
  }

  private sendAppend(p: Peer, prevIndex: number, entries: Entry<P>[], reset: boolean, now: number, out: WriterOut<P>[]): void {
    const prevEpoch = this.log.epochAt(prevIndex);
    invariant(prevEpoch !== undefined, `no epoch for prevIndex ${prevIndex}`);
    const msg: AppendMsg<P> = {
      type: 'append',
      from: this.id,
      epoch: this.epoch,
      prevIndex,
      prevEpoch,
      entries,
      commitIndex: this.commit,
      sentAt: now,
      reset: reset || undefined,
    };
    p.lastSendAt = now;
    p.sentCommit = this.commit;
    out.push({ kind: 'send', to: p.id, msg });
  }

  private fence(reason: 'epoch' | 'timeout', seen: number, out: WriterOut<P>[]): void {
    this.fencedAt = {
      kind: 'fenced',
      epoch: this.epoch,
      reason,
      seenEpoch: seen,
      unknownFrom: this.commit + 1,
      unknownTo: this.log.lastIndex,
      discardMemory: this.isReady,
    };
    out.push(this.fencedAt);
  }

  /** A durable snapshot exists at `pos`: drop memory below it (replicas behind it get reset to it). */
  trimmed(pos: Position): void {
    if (pos.index <= this.log.base.index || pos.index > this.commit) return;
    invariant(this.log.epochAt(pos.index) === pos.epoch, `snapshot ${pos.index}@${pos.epoch} disagrees with the log`);
    this.log.trimTo(pos.index);
  }
}
