import { EntryLog } from './entry-log.js';
import {
  invariant,
  type AppendMsg,
  type Bugs,
  type Entry,
  type FetchMsg,
  type FromReplica,
  type NodeId,
  type Position,
  type PromiseMsg,
  type ReadMsg,
  type Send,
  type ToReplica,
  type TrimMsg,
  type WriterMark,
} from './types.js';

/**
 * What a log replica keeps on disk. The file holds records in this order; a crash keeps
 * some prefix of the records not yet fsynced (a torn tail is cut by its CRC on recovery).
 */
export interface DurableState<P = unknown> {
  promisedEpoch: number;
  /** The campaign the epoch was promised to (null: adopted from an append). */
  promisedTo: string | null;
  base: Position;
  entries: Entry<P>[];
}

export type PersistOp<P = unknown> =
  | { readonly op: 'promise'; readonly epoch: number; readonly to: string | null }
  | { readonly op: 'truncate'; readonly from: number }
  | { readonly op: 'append'; readonly entries: readonly Entry<P>[] }
  | { readonly op: 'trim'; readonly index: number; readonly epoch: number }
  | { readonly op: 'reset'; readonly index: number; readonly epoch: number };

/** Write these records and fsync them; then call `persisted(id)`. */
export interface PersistAction<P = unknown> {
  readonly kind: 'persist';
  readonly id: number;
  readonly ops: readonly PersistOp<P>[];
}

export type ReplicaOut<P = unknown> = Send<FromReplica<P>> | PersistAction<P>;

export function emptyDurable<P>(): DurableState<P> {
  return { promisedEpoch: 0, promisedTo: null, base: { index: 0, epoch: 0 }, entries: [] };
}

/** Replay records onto a durable state (recovery, and the simulator's disk). */
export function applyPersistOps<P>(state: DurableState<P>, ops: readonly PersistOp<P>[]): void {
  for (const o of ops) {
    switch (o.op) {
      case 'promise':
        state.promisedEpoch = o.epoch;
        state.promisedTo = o.to;
        break;
      case 'truncate':
        state.entries.length = Math.max(0, o.from - state.base.index - 1);
        break;
      case 'append':
        for (const e of o.entries) {
          invariant(e.index === state.base.index + state.entries.length + 1, `disk append out of order at ${e.index}`);
          state.entries.push(e);
        }
        break;
      case 'trim': {
        const k = o.index - state.base.index;
        if (k > 0) {
          state.entries = state.entries.slice(k);
          state.base = { index: o.index, epoch: o.epoch };
        }
        break;
      }
      case 'reset':
        state.entries = [];
        state.base = { index: o.index, epoch: o.epoch };
        break;
    }
  }
}

export interface ReplicaConfig {
  readonly leaseMs: number;
  readonly bugs?: Bugs;
}

interface Waiting<P> {
  seq: number;
  to: NodeId;
  reply: () => FromReplica<P>;
}

/**
 * A log replica. Persistent: promised epoch and the entry file. In memory: the commit index
 * the writer reported, the lease it granted, and the group-commit pipeline.
 */
export class LogReplica<P = unknown> {
  private promisedEpoch: number;
  private promisedTo: string | null;
  private readonly log: EntryLog<P>;
  private commit: number;
  /** Promises are refused until then (own clock). Set on start: a lease granted before a crash is forgotten. */
  private leaseUntil: number;
  private mark: WriterMark | null = null;
  // Group commit: ops get sequence numbers; one persist in flight; replies wait for their seq.
  private nextSeq = 0;
  private syncedSeq = 0;
  private inFlight: { id: number; lastSeq: number } | null = null;
  private queued: PersistOp<P>[] = [];
  private nextPersistId = 1;
  private waiting: Waiting<P>[] = [];
  private persistHeld = false;
  /** Reads held until something changes for them (ReadMsg.waitMs), one per follower: its latest. */
  private parked = new Map<NodeId, { msg: ReadMsg; until: number; mark: WriterMark | null; promised: number }>();

  constructor(
    readonly id: NodeId,
    private readonly cfg: ReplicaConfig,
    durable: DurableState<P>,
    now: number,
  ) {
    this.promisedEpoch = durable.promisedEpoch;
    this.promisedTo = durable.promisedTo;
    this.log = new EntryLog<P>(durable.base, durable.entries);
    // Entries of an epoch imply its promise even if the promise record was torn off.
    if (this.log.lastEpoch > this.promisedEpoch) {
      this.promisedEpoch = this.log.lastEpoch;
      this.promisedTo = null;
    }
    this.commit = durable.base.index;
    this.leaseUntil = now + cfg.leaseMs;
  }

  // ---- inspection (tests, INFO, the simulator's checks) ----
  get promised(): number {
    return this.promisedEpoch;
  }
  get commitIndex(): number {
    return this.commit;
  }
  get last(): Position {
    return this.log.last;
  }
  get snapshot(): Position {
    return this.log.base;
  }
  entries(from: number, to: number): Entry<P>[] {
    return this.log.slice(from, to);
  }
  epochAt(index: number): number | undefined {
    return this.log.epochAt(index);
  }
  leaseRemaining(now: number): number {
    return Math.max(0, this.leaseUntil - now);
  }
  get pendingPersist(): boolean {
    return this.inFlight !== null;
  }

  handle(msg: ToReplica<P>, now: number): ReplicaOut<P>[] {
    const out: ReplicaOut<P>[] = [];
    switch (msg.type) {
      case 'append':
        this.onAppend(msg, now, out);
        break;
      case 'promise':
        this.onPromise(msg, now, out);
        break;
      case 'fetch':
        this.onFetch(msg, out);
        break;
      case 'read':
        this.onRead(msg, now, out);
        break;
      case 'trim':
        this.onTrim(msg, out);
        break;
    }
    // With a persist pending, held reads wait for it: its acknowledgements leave first.
    if (this.parked.size && !this.inFlight && this.queued.length === 0) this.answerParked(now, out);
    this.check();
    return out;
  }

  /** Answer held reads whose wait ran out. */
  tick(now: number): ReplicaOut<P>[] {
    const out: ReplicaOut<P>[] = [];
    if (this.parked.size) this.answerParked(now, out);
    return out;
  }

  /** When the earliest held read is due (the process arms a timer for it), or null. */
  nextDeadline(): number | null {
    let at: number | null = null;
    for (const p of this.parked.values()) if (at === null || p.until < at) at = p.until;
    return at;
  }

  /**
   * Start no persist until releasePersist(): the messages handled meanwhile (a process's
   * event-loop turn) share one write and fsync. Without it, a caller whose persists complete
   * at once (an inline fdatasync) would sync once per message.
   */
  holdPersist(): void {
    this.persistHeld = true;
  }

  releasePersist(): ReplicaOut<P>[] {
    this.persistHeld = false;
    const out: ReplicaOut<P>[] = [];
    this.startPersist(out);
    return out;
  }

  /** The persist `id` is durable (written and fsynced). */
  persisted(id: number, now: number): ReplicaOut<P>[] {
    invariant(this.inFlight !== null && this.inFlight.id === id, `persist completion ${id} was not in flight`);
    this.syncedSeq = this.inFlight.lastSeq;
    this.inFlight = null;
    const out: ReplicaOut<P>[] = [];
    const still: Waiting<P>[] = [];
    for (const w of this.waiting) {
      if (w.seq <= this.syncedSeq) out.push({ kind: 'send', to: w.to, msg: w.reply() });
      else still.push(w);
    }
    this.waiting = still;
    // After the acknowledgements, before the next persist (an inline fsync would hold them).
    if (this.parked.size) this.answerParked(now, out);
    this.startPersist(out);
    return out;
  }

  private onAppend(m: AppendMsg<P>, now: number, out: ReplicaOut<P>[]): void {
    const bugs = this.cfg.bugs;
    if (m.epoch < this.promisedEpoch && !bugs?.noFence) {
      out.push({ kind: 'send', to: m.from, msg: this.appendReply(m, false, 0, 0) });
      return;
    }
    if (m.epoch > this.promisedEpoch) {
      // Only the holder of a majority of promises for this epoch appends with it.
      this.promisedEpoch = m.epoch;
      this.promisedTo = null;
      this.enqueue([{ op: 'promise', epoch: m.epoch, to: null }]);
    }
    this.leaseUntil = Math.max(this.leaseUntil, now + this.cfg.leaseMs);
    if (!this.mark || m.epoch > this.mark.epoch || (m.epoch === this.mark.epoch && m.sentAt > this.mark.sentAt)) {
      this.mark = { epoch: m.epoch, sentAt: m.sentAt, writer: m.from };
    }

    const base = this.log.base;
    let prevIndex = m.prevIndex;
    let prevEpoch = m.prevEpoch;
    let entries = m.entries;
    if (prevIndex < base.index) {
      // The part at or below our snapshot is committed and already covered.
      const skip = base.index - prevIndex;
      if (skip > entries.length) {
        this.ackAppend(m, m.prevIndex + m.entries.length, out);
        return;
      }
      invariant(entries[skip - 1].epoch === base.epoch, `append disagrees with the snapshot at ${base.index}`);
      entries = entries.slice(skip);
      prevIndex = base.index;
      prevEpoch = base.epoch;
    }
    const have = this.log.epochAt(prevIndex);
    if (have !== prevEpoch) {
      if (!m.reset) {
        const hint = have === undefined ? this.log.lastIndex : this.log.runStart(prevIndex) - 1;
        out.push({ kind: 'send', to: m.from, msg: this.appendReply(m, false, 0, Math.min(hint, prevIndex - 1)) });
        return;
      }
      // Lacking or conflicting at a committed, snapshotted position: our log there is stale.
      invariant(this.commit < prevIndex, `reset over committed entry ${prevIndex}`);
      this.log.reset({ index: prevIndex, epoch: prevEpoch });
      this.commit = prevIndex;
      this.enqueue([{ op: 'reset', index: prevIndex, epoch: prevEpoch }]);
    }
    // Raft's rule: skip what we hold with the same epoch, cut at the first conflict.
    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i];
      const ours = this.log.epochAt(e.index);
      if (ours === undefined) break;
      if (ours !== e.epoch) {
        invariant(e.index > this.commit, `conflicting append would cut committed entry ${e.index} (commit ${this.commit})`);
        this.log.truncateFrom(e.index);
        this.enqueue([{ op: 'truncate', from: e.index }]);
        break;
      }
    }
    if (i < entries.length) {
      const fresh = entries.slice(i);
      for (const e of fresh) this.log.push(e);
      this.enqueue([{ op: 'append', entries: fresh }]);
    }
    const match = m.prevIndex + m.entries.length;
    // Only entries known to match the writer's log are known committed.
    const c = Math.min(m.commitIndex, match);
    if (c > this.commit) this.commit = Math.min(c, this.log.lastIndex);
    this.ackAppend(m, match, out);
    this.startPersist(out);
  }

  private ackAppend(m: AppendMsg<P>, match: number, out: ReplicaOut<P>[]): void {
    // Everything enqueued so far covers this append's entries: ack once that is durable.
    const reply = () =>
      this.promisedEpoch > m.epoch && !this.cfg.bugs?.noFence
        ? this.appendReply(m, false, 0, 0) // a newer epoch may have cut them meanwhile
        : this.appendReply(m, true, match, 0);
    if (this.syncedSeq >= this.nextSeq || this.cfg.bugs?.ackBeforeFsync) out.push({ kind: 'send', to: m.from, msg: reply() });
    else this.waiting.push({ seq: this.nextSeq, to: m.from, reply });
  }

  private appendReply(m: AppendMsg<P>, ok: boolean, match: number, hint: number): FromReplica<P> {
    return {
      type: 'appendReply',
      from: this.id,
      requestEpoch: m.epoch,
      promisedEpoch: this.cfg.bugs?.noFence ? m.epoch : this.promisedEpoch,
      ok,
      matchIndex: match,
      hintIndex: hint,
      prevIndex: m.prevIndex,
      sentAt: m.sentAt,
    };
  }

  private onPromise(m: PromiseMsg, now: number, out: ReplicaOut<P>[]): void {
    const again = m.epoch === this.promisedEpoch && m.campaign === this.promisedTo;
    if (!again && m.epoch <= this.promisedEpoch) {
      out.push({ kind: 'send', to: m.from, msg: this.promiseReply(m, false, 'epoch', now) });
      return;
    }
    if (!again && now < this.leaseUntil && !this.cfg.bugs?.skipLeaseWait) {
      // The current writer may still be serving reads on the lease we granted.
      out.push({ kind: 'send', to: m.from, msg: this.promiseReply(m, false, 'lease', now) });
      return;
    }
    if (!again) {
      this.promisedEpoch = m.epoch;
      this.promisedTo = m.campaign;
      this.enqueue([{ op: 'promise', epoch: m.epoch, to: m.campaign }]);
    }
    const reply = () =>
      this.promisedEpoch === m.epoch ? this.promiseReply(m, true, undefined, now) : this.promiseReply(m, false, 'epoch', now);
    if (this.syncedSeq >= this.nextSeq) out.push({ kind: 'send', to: m.from, msg: reply() });
    else this.waiting.push({ seq: this.nextSeq, to: m.from, reply });
    this.startPersist(out);
  }

  private promiseReply(m: PromiseMsg, granted: boolean, reason: 'epoch' | 'lease' | undefined, now: number): FromReplica<P> {
    return {
      type: 'promiseReply',
      from: this.id,
      epoch: m.epoch,
      granted,
      reason,
      promisedEpoch: this.promisedEpoch,
      leaseRemaining: reason === 'lease' ? this.leaseUntil - now : undefined,
      last: this.log.last,
      snapshot: this.log.base,
    };
  }

  private onFetch(m: FetchMsg, out: ReplicaOut<P>[]): void {
    const base = this.log.base;
    const ok = m.epoch === this.promisedEpoch && m.campaign === this.promisedTo;
    const trimmed = ok && m.fromIndex <= base.index ? base : undefined;
    const entries = ok && !trimmed ? this.log.slice(m.fromIndex, m.fromIndex + m.max - 1) : [];
    out.push({
      kind: 'send',
      to: m.from,
      msg: {
        type: 'fetchReply',
        from: this.id,
        epoch: m.epoch,
        ok,
        promisedEpoch: this.promisedEpoch,
        fromIndex: m.fromIndex,
        prevEpoch: this.log.epochAt(m.fromIndex - 1) ?? -1,
        entries,
        last: this.log.last,
        trimmed,
      },
    });
  }

  private onRead(m: ReadMsg, now: number, out: ReplicaOut<P>[]): void {
    this.parked.delete(m.from);
    const base = this.log.base;
    const trimmed = m.fromIndex <= base.index ? base : undefined;
    const upTo = this.readableUpTo();
    if (m.waitMs && m.waitMs > 0 && !trimmed && m.fromIndex > upTo) {
      this.parked.set(m.from, { msg: m, until: now + m.waitMs, mark: this.mark, promised: this.promisedEpoch });
      return;
    }
    const entries = trimmed ? [] : this.log.slice(m.fromIndex, Math.min(upTo, m.fromIndex + m.max - 1));
    out.push({
      kind: 'send',
      to: m.from,
      msg: {
        type: 'readReply',
        from: this.id,
        reqId: m.reqId,
        fromIndex: m.fromIndex,
        prevEpoch: this.log.epochAt(m.fromIndex - 1) ?? -1,
        entries,
        commitIndex: upTo,
        promisedEpoch: this.promisedEpoch,
        mark: this.mark,
        trimmed,
      },
    });
  }

  /** The last entry followers may read: the commit index (all of the log with the readUncommitted bug). */
  private readableUpTo(): number {
    return this.cfg.bugs?.readUncommitted ? this.log.lastIndex : this.commit;
  }

  /** Answer held reads that have something new (an entry committed, a renewal, a promise) or are due. */
  private answerParked(now: number, out: ReplicaOut<P>[]): void {
    const upTo = this.readableUpTo();
    for (const [from, p] of this.parked) {
      if (now >= p.until || p.msg.fromIndex <= upTo || p.mark !== this.mark || p.promised !== this.promisedEpoch || p.msg.fromIndex <= this.log.base.index) {
        this.parked.delete(from);
        this.onRead({ ...p.msg, waitMs: 0 }, now, out);
      }
    }
  }

  private onTrim(m: TrimMsg, out: ReplicaOut<P>[]): void {
    if (m.index <= this.log.base.index) return;
    const have = this.log.epochAt(m.index);
    if (have === m.epoch || m.index <= this.commit) {
      invariant(have === m.epoch, `trim position ${m.index}@${m.epoch} disagrees with committed entry @${have}`);
      this.log.trimTo(m.index);
      this.enqueue([{ op: 'trim', index: m.index, epoch: m.epoch }]);
    } else {
      // Missing or conflicting at a committed index: everything we hold past it is stale.
      this.log.reset({ index: m.index, epoch: m.epoch });
      this.enqueue([{ op: 'reset', index: m.index, epoch: m.epoch }]);
    }
    if (this.commit < m.index) this.commit = m.index;
    this.startPersist(out);
  }

  private enqueue(ops: PersistOp<P>[]): void {
    this.queued.push(...ops);
    this.nextSeq += ops.length;
  }

  private startPersist(out: ReplicaOut<P>[]): void {
    if (this.persistHeld || this.inFlight || this.queued.length === 0) return;
    const ops = this.queued;
    this.queued = [];
    this.inFlight = { id: this.nextPersistId++, lastSeq: this.nextSeq };
    out.push({ kind: 'persist', id: this.inFlight.id, ops });
  }

  private check(): void {
    invariant(this.commit <= this.log.lastIndex, `replica commit ${this.commit} past its log end ${this.log.lastIndex}`);
    invariant(this.commit >= this.log.base.index, 'replica commit below its snapshot');
    invariant(this.syncedSeq <= this.nextSeq, 'synced past what was written');
  }
}
